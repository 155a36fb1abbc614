package dev.unroll.cli;

import dev.unroll.compiler.diagram.DiagramLayout;
import dev.unroll.compiler.diagram.NetworkDiagram;
import dev.unroll.dsl.CheckResult;
import dev.unroll.dsl.Diagnostic;
import dev.unroll.dsl.RnnFrontEnd;
import dev.unroll.dsl.model.NetworkModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code unroll diagram FILE}: checks a spec and draws each of its models as an SVG picture of
 * the network unrolled in time.
 */
@Command(
        name = "diagram",
        mixinStandardHelpOptions = true,
        description = {
            "Draws the networks of a .rnn spec, unrolled in time, as standalone SVG files.",
            "Writes MODEL.svg for each model into the current directory (or DIR), or the one model"
                + " to -o FILE. Diagnostics are printed as by 'check'; nothing is written when the"
                + " spec has an error (exit 1)."
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:the diagrams were written (warnings allowed)",
            "1:the spec has an error, or a file could not be written",
            "2:the command line is wrong (also: --model names no model of the file, or -o with several models)"
        })
final class DiagramCommand implements Callable<Integer> {

    @Parameters(arity = "1", paramLabel = "FILE", description = "The .rnn file to draw.")
    private Path file;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "Write the diagram to FILE ('-' for standard output); needs a single model"
                    + " (see --model).")
    private Path output;

    @Option(names = {"-d", "--output-directory"}, paramLabel = "DIR",
            description = "Write MODEL.svg for each model into DIR (created if missing); default: the"
                    + " current directory.")
    private Path directory;

    @Option(names = "--model", paramLabel = "NAME", description = "Draw only the model NAME of the file.")
    private String modelName;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "" + DiagramLayout.DEFAULT_STEPS,
            description = "Draw at most N steps of the unrolling (and of each of encoder and decoder); longer"
                    + " sequences show their first N-1 steps, an ellipsis and the last step. ${DEFAULT-VALUE}"
                    + " by default, from " + DiagramLayout.MIN_STEPS + " to " + DiagramLayout.MAX_STEPS + ".")
    private int steps;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (steps < DiagramLayout.MIN_STEPS || steps > DiagramLayout.MAX_STEPS) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--steps must be between "
                    + DiagramLayout.MIN_STEPS + " and " + DiagramLayout.MAX_STEPS + ", not " + steps);
        }
        if (output != null && directory != null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "-o writes one file and -d names a directory; give one of them");
        }
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        CheckResult result = RnnFrontEnd.check(file);
        printDiagnostics(result, err);
        if (result.hasErrors()) {
            err.flush();
            return 1;
        }
        List<NetworkModel> models = result.models();
        if (modelName != null) {
            models = models.stream().filter(m -> m.name().equals(modelName)).toList();
            if (models.isEmpty()) {
                return usageError(err, file + ": error: no model '" + modelName + "' in this file; it declares "
                        + names(result.models()));
            }
        }
        if (models.isEmpty()) {
            err.println(file + ": nothing to draw: the file declares no model");
            err.flush();
            return 0;
        }
        if (output != null && models.size() > 1) {
            return usageError(err, file + ": error: the file declares " + models.size() + " models ("
                    + names(models) + ") but -o names one file; choose one with --model NAME, or use -d DIR");
        }
        for (NetworkModel model : models) {
            String svg = NetworkDiagram.svg(model, steps);
            if (output != null && output.toString().equals("-")) {
                out.print(svg);
                continue;
            }
            Path target = output != null ? output
                    : (directory == null ? Path.of("") : directory).resolve(model.name() + ".svg");
            try {
                Path parent = target.toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                Files.writeString(target, svg, StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException e) {
                err.println(target + ": error: cannot write the diagram: " + describe(e));
                err.flush();
                return 1;
            }
            out.println(target);
        }
        out.flush();
        err.flush();
        return 0;
    }

    /** As {@code check} prints them: every diagnostic with its source line, then the counts. */
    private static void printDiagnostics(CheckResult result, PrintWriter err) {
        int errors = 0;
        int warnings = 0;
        for (Diagnostic diagnostic : result.diagnostics()) {
            if (diagnostic.isError()) {
                errors++;
            } else {
                warnings++;
            }
            err.println(diagnostic.format(result.source().orElse(null)));
        }
        if (errors + warnings > 0) {
            err.println(count(errors, "error") + ", " + count(warnings, "warning"));
        }
    }

    private int usageError(PrintWriter err, String message) {
        err.println(message);
        err.flush();
        return 2;
    }

    private static String names(List<NetworkModel> models) {
        return models.stream().map(NetworkModel::name).collect(Collectors.joining(", "));
    }

    /** Says why a file could not be written: "access denied (/x)", "Is a directory (/x)", ... */
    private static String describe(Exception e) {
        if (e instanceof FileSystemException f) {
            String reason = f.getReason() != null ? f.getReason()
                    : f.getClass().getSimpleName().replace("Exception", "").replaceAll("([a-z])([A-Z])", "$1 $2")
                            .toLowerCase(Locale.ROOT);
            return f.getFile() == null ? reason : reason + " (" + f.getFile() + ")";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
