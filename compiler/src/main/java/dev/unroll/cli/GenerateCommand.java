package dev.unroll.cli;

import dev.unroll.compiler.UnrollCompiler;
import dev.unroll.compiler.plan.KernelStyle;
import dev.unroll.dsl.CheckResult;
import dev.unroll.dsl.Diagnostic;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code unroll generate -d OUTDIR FILE...}: checks the specs and, when none has an error, writes
 * one Java source per model under OUTDIR in its package folders.
 */
@Command(
        name = "generate",
        mixinStandardHelpOptions = true,
        description = {
            "Generates Java sources from .rnn specs into OUTDIR (package folders are created).",
            "Nothing is written when any spec has an error, or when any file cannot be written"
                + " (the sources are staged, then moved into place together); exits 1 then."
        })
final class GenerateCommand implements Callable<Integer> {

    @Option(names = {"-d", "--output-directory"}, required = true, paramLabel = "OUTDIR",
            description = "Where to write the generated sources.")
    private Path outputDirectory;

    @Option(names = "--vector-bits", paramLabel = "BITS", defaultValue = "0",
            description = {"Write the matrix products with jdk.incubator.vector at this width (128, 256 or 512;"
                + " compile and run the generated code with --add-modules jdk.incubator.vector), or 0 (the default)"
                + " for plain Java loops."})
    private int vectorBits;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "The .rnn files to compile.")
    private List<Path> files;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        UnrollCompiler.Result result;
        KernelStyle kernels;
        try {
            kernels = new KernelStyle(vectorBits);
        } catch (IllegalArgumentException e) {
            err.println("error: --vector-bits: " + e.getMessage());
            err.flush();
            return 2;
        }
        try {
            result = UnrollCompiler.compile(files, outputDirectory, kernels);
        } catch (UnrollCompiler.WriteException e) {
            print(e.checks(), e.diagnostics(), err);
            err.println("error: " + e.getMessage() + "; nothing was written");
            err.flush();
            return 1;
        } catch (IOException e) {
            err.println("error: " + e.getMessage() + "; nothing was written");
            err.flush();
            return 1;
        }
        print(result.checks(), result.diagnostics(), err);
        for (Path written : result.written()) {
            spec.commandLine().getOut().println(written);
        }
        spec.commandLine().getOut().flush();
        err.flush();
        return result.hasErrors() ? 1 : 0;
    }

    private static void print(List<CheckResult> checks, List<Diagnostic> diagnostics, PrintWriter err) {
        for (Diagnostic diagnostic : diagnostics) {
            CheckResult check = checks.stream()
                    .filter(c -> c.path().equals(diagnostic.path())).findFirst().orElse(null);
            err.println(diagnostic.format(check == null ? null : check.source().orElse(null)));
        }
    }
}
