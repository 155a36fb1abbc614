package dev.unroll.cli;

import dev.unroll.dsl.CheckResult;
import dev.unroll.dsl.Diagnostic;
import dev.unroll.dsl.RnnFrontEnd;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code unroll check FILE...}: parses and validates specs, prints every diagnostic to stderr,
 * exits 0 when there are no errors (warnings allowed) and 1 when there are.
 */
@Command(
        name = "check",
        mixinStandardHelpOptions = true,
        description = {
            "Checks .rnn specs and prints every error and warning as file:line:col: message.",
            "Exits 0 when there are no errors (warnings are allowed), 1 when there are."
        })
final class CheckCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "The .rnn files to check.")
    private List<Path> files;

    @Option(names = {"-q", "--quiet"}, description = "Print only errors, not warnings.")
    private boolean quiet;

    @Option(names = "--Werror", description = "Treat warnings as errors.")
    private boolean warningsAreErrors;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        boolean failed = false;
        int errors = 0;
        int warnings = 0;
        for (Path file : files) {
            CheckResult result = RnnFrontEnd.check(file);
            for (Diagnostic diagnostic : result.diagnostics()) {
                // the front end's closing "too many errors; stopped after 50" line is not one more problem
                boolean summary = diagnostic.position().isEmpty() && diagnostic.message().startsWith("too many ");
                if (!summary && diagnostic.isError()) {
                    errors++;
                } else if (!summary) {
                    warnings++;
                }
                if (quiet && !diagnostic.isError()) {
                    continue;
                }
                err.println(diagnostic.format(result.source().orElse(null)));
            }
            failed |= result.hasErrors() || warningsAreErrors && !result.diagnostics().isEmpty();
        }
        if (errors + warnings > 0) {
            err.println(count(errors, "error") + ", " + count(warnings, "warning"));
        }
        err.flush();
        return failed ? 1 : 0;
    }

    private static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
