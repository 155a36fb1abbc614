package dev.unroll.cli;

import dev.unroll.dsl.CheckResult;
import dev.unroll.dsl.RnnFrontEnd;
import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.onnx.ModelDescription;
import dev.unroll.onnx.OnnxExport;
import dev.unroll.runtime.checkpoint.SafeTensors;
import dev.unroll.runtime.optim.Optimizer;
import dev.unroll.runtime.checkpoint.Tensor;
import dev.unroll.runtime.checkpoint.TensorFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code unroll export spec.rnn checkpoint.safetensors -o model.onnx}: writes a trained model
 * (its spec and a checkpoint saved by the generated model's {@code save}) as an ONNX graph.
 */
@Command(
        name = "export",
        mixinStandardHelpOptions = true,
        description = {
            "Exports a model (its .rnn spec and a safetensors checkpoint) to ONNX (opset 14).",
            "The graph is time-major: input [steps, batch, features], h0_l<k>/c0_l<k> initial states in,",
            "output and hn_l<k>/cn_l<k> final states out. See docs/onnx.md."
        })
final class ExportCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "SPEC.rnn", description = "The model's spec.")
    private Path specFile;

    @Parameters(index = "1", paramLabel = "CHECKPOINT.safetensors", description = "Its weights, as save() writes them.")
    private Path checkpoint;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "MODEL.onnx", description = "The ONNX file to write.")
    private Path output;

    @Option(names = "--model", paramLabel = "NAME", description = "Which model, when the spec declares several.")
    private String modelName;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        CheckResult check = RnnFrontEnd.check(specFile);
        if (check.hasErrors()) {
            err.println(check.formattedDiagnostics());
            err.flush();
            return 1;
        }
        List<NetworkModel> models = check.models().stream()
                .filter(m -> modelName == null || m.name().equals(modelName)).toList();
        if (models.size() != 1) {
            err.println(specFile + ": error: " + (models.isEmpty()
                    ? (modelName == null ? "the spec declares no model" : "no model named '" + modelName + "'")
                    : "the spec declares " + models.size() + " models; choose one with --model NAME"));
            err.flush();
            return 1;
        }
        try {
            ModelDescription description = ModelDescription.from(models.get(0));
            TensorFile tensors = SafeTensors.read(checkpoint);
            Map<String, double[]> byName = new HashMap<>();
            List<String> problems = new ArrayList<>();
            for (ModelDescription.TensorSpec p : description.parameters()) {
                if (!tensors.contains(p.name())) {
                    problems.add("no tensor '" + p.name() + "'");
                    continue;
                }
                Tensor t = tensors.tensor(p.name());
                if (!Arrays.equals(t.shape(), p.shape())) {
                    problems.add("tensor '" + p.name() + "' has shape " + Arrays.toString(t.shape()) + ", expected "
                            + Arrays.toString(p.shape()));
                } else if (!t.dtype().isFloatingPoint()) {
                    problems.add("tensor '" + p.name() + "' is " + t.dtype() + ", not floating point");
                } else {
                    byName.put(p.name(), t.toDoubleArray());
                }
            }
            for (String name : tensors.names()) {
                // a training checkpoint also holds the optimizer's state, which the graph does not carry
                if (!name.startsWith(Optimizer.TENSOR_PREFIX)
                        && description.parameters().stream().noneMatch(p -> p.name().equals(name))) {
                    problems.add("unexpected tensor '" + name + "'");
                }
            }
            if (!problems.isEmpty()) {
                err.println(checkpoint + ": error: does not match model " + description.name() + ": "
                        + String.join("; ", problems));
                err.flush();
                return 1;
            }
            OnnxExport.write(description, byName::get, output);
            spec.commandLine().getOut().println(output);
            spec.commandLine().getOut().flush();
            return 0;
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            err.flush();
            return 1;
        }
    }
}
