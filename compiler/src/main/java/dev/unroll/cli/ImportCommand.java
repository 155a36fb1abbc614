package dev.unroll.cli;

import dev.unroll.onnx.OnnxImport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code unroll import model.onnx [-d DIR]}: writes the spec of an ONNX recurrent model,
 * {@code <Name>.rnn}, and its weights, {@code <Name>.safetensors}, which the generated model's
 * {@code load} reads.
 */
@Command(
        name = "import",
        mixinStandardHelpOptions = true,
        description = {
            "Imports an ONNX model (RNN/LSTM/GRU layers and a linear head) as <Name>.rnn and <Name>.safetensors.",
            "Prints the files written; anything the graph holds that the spec cannot express is an error (exit 1).",
            "See docs/onnx.md for the graphs it reads."
        })
final class ImportCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL.onnx", description = "The ONNX file.")
    private Path file;

    @Option(names = {"-d", "--output-directory"}, paramLabel = "DIR", defaultValue = ".",
            description = "Where to write the spec and the checkpoint (default: the current directory).")
    private Path directory;

    @Option(names = "--name", paramLabel = "NAME",
            description = "The model name (default: from the file's metadata or its file name).")
    private String name;

    @Option(names = "--steps", paramLabel = "N",
            description = "The steps the spec unrolls, for graphs whose sequence length is symbolic.")
    private Integer steps;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            OnnxImport.Options options = new OnnxImport.Options(Optional.ofNullable(name),
                    steps == null ? OptionalInt.empty() : OptionalInt.of(steps));
            OnnxImport.Result result = OnnxImport.read(file, options);
            for (Path written : OnnxImport.write(result, directory)) {
                out.println(written);
            }
            for (String note : result.notes()) {
                err.println(file + ": note: " + note);
            }
            out.flush();
            err.flush();
            return 0;
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            err.flush();
            return 1;
        }
    }
}
