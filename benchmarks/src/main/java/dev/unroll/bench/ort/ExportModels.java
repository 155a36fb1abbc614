package dev.unroll.bench.ort;

import dev.unroll.runtime.RecurrentModel;
import dev.unroll.runtime.checkpoint.Checkpoints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes, for each grid configuration of the ONNX Runtime baseline, the generated model's default weights and
 * its one-step ONNX graph, into a directory (default {@code benchmarks/target/onnx}):
 * <ul>
 * <li>{@code <Name>.safetensors}: the weights under PyTorch's names ({@code rnn.weight_ih_l0}, ...,
 *     {@code head.weight}, {@code head.bias}), which {@code export_onnx_steps.py} loads into {@code nn.LSTM}/
 *     {@code nn.GRU} + {@code nn.Linear} with {@code load_state_dict} before {@code torch.onnx.export}, so that
 *     the torch graph holds exactly the weights the generated model (and {@code StepBenchmark}) runs;
 * <li>{@code <Name>.unroll.onnx}: the project exporter's graph of the same model (read by the first-result
 *     harness as a user's file would be).
 * </ul>
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.unroll.bench.ort.ExportModels [--dir D] [--cell lstm,gru]
 *     [--hidden 32,64,128,512] [--precision float]
 * </pre>
 *
 * <p>Float by default: ONNX Runtime 1.22's LSTM and GRU kernels refuse double.
 */
public final class ExportModels {
    private ExportModels() {}

    public static void main(String[] args) throws Exception {
        Path dir = OrtModels.onnxDir();
        String[] cells = {"lstm", "gru"};
        String[] hidden = {"32", "64", "128", "512"};
        String[] precisions = {"float"};   // ONNX Runtime runs no double LSTM/GRU
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--dir" -> dir = Path.of(value);
                case "--cell" -> cells = value.split(",");
                case "--hidden" -> hidden = value.split(",");
                case "--precision" -> precisions = value.split(",");
                default -> {
                    System.err.println("usage: ExportModels [--dir D] [--cell lstm,gru] [--hidden 32,64,128,512] "
                            + "[--precision float,double]");
                    System.exit(2);
                }
            }
            i++;
        }
        Files.createDirectories(dir);
        List<String> written = new ArrayList<>();
        for (String cell : cells) {
            for (String h : hidden) {
                for (String precision : precisions) {
                    RecurrentModel<?, ?, ?, ?> model = OrtModels.model(cell, Integer.parseInt(h), precision);
                    String name = OrtModels.name(cell, Integer.parseInt(h), precision);
                    Checkpoints.save(OrtModels.weightsFile(dir, name), model.parameters(),
                            Map.of("unroll.model", name, "cell", cell, "hidden", h, "precision", precision));
                    Files.write(OrtModels.unrollFile(dir, name), OrtModels.unrollGraph(model));
                    written.add(name);
                }
            }
        }
        System.out.println("wrote " + written.size() + " models (weights and project-exported graphs) into " + dir
                + ": " + String.join(" ", written));
    }
}
