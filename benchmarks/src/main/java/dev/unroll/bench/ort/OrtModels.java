package dev.unroll.bench.ort;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.unroll.bench.GeneratedModels;
import dev.unroll.onnx.OnnxException;
import dev.unroll.onnx.OnnxExport;
import dev.unroll.onnx.OnnxModels;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import dev.unroll.runtime.RecurrentModel;
import dev.unroll.runtime.SequenceStepper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The ONNX Runtime side of the step benchmark: the same networks as {@code StepBenchmark} (the 25-step grid
 * models, 64 dense inputs, one LSTM or GRU layer of H, a linear head of 64 outputs), with the generated
 * model's default weights, as one-step ONNX graphs that carry the state in and out.
 *
 * <p>Two graphs of the same network:
 * <ul>
 * <li>{@link Graph#UNROLL}: what the project's own exporter writes ({@link OnnxModels}/{@link OnnxExport}:
 *     an ONNX {@code LSTM}/{@code GRU} node with {@code h0_l0}/{@code c0_l0} inputs and {@code hn_l0}/
 *     {@code cn_l0} outputs, symbolic steps and batch), built in memory: no file, no torch;
 * <li>{@link Graph#TORCH}: what {@code torch.onnx.export} writes for {@code nn.LSTM}/{@code nn.GRU} and
 *     {@code nn.Linear} with the state as inputs and outputs, static shapes ({@code [1, 1, ...]}), made by
 *     {@code benchmarks/src/main/python/export_onnx_steps.py} from the weights {@link ExportModels} writes,
 *     read from {@link #onnxDir()}.
 * </ul>
 */
public final class OrtModels {
    private OrtModels() {}

    /** Which exporter wrote the graph. */
    public enum Graph {
        UNROLL, TORCH;

        public static Graph of(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT));
        }
    }

    /** The sequence length of the grid models the step benchmarks use (a step does not depend on it). */
    public static final int STEPS = 25;

    /** The directory of the exported files: {@code $UNROLL_ONNX_DIR}, else {@code benchmarks/target/onnx}. */
    public static Path onnxDir() {
        String dir = System.getenv("UNROLL_ONNX_DIR");
        return Path.of(dir == null || dir.isEmpty() ? "benchmarks/target/onnx" : dir);
    }

    /** The generated model of a grid configuration, with its default weights (seed 0), as a {@link RecurrentModel}. */
    public static RecurrentModel<?, ?, ?, ?> model(String cell, int hidden, String precision) {
        String name = GeneratedModels.name(cell, hidden, precision, STEPS);
        Object m = precision.equals("float") ? GeneratedModels.dense32(name).model()
                : GeneratedModels.dense64(name).model();
        return (RecurrentModel<?, ?, ?, ?>) m;
    }

    /** The grid model's class name, e.g. {@code LstmH128F32T25}. */
    public static String name(String cell, int hidden, String precision) {
        return GeneratedModels.name(cell, hidden, precision, STEPS);
    }

    /** The project exporter's graph of a model with its current weights, as ONNX bytes. */
    public static byte[] unrollGraph(RecurrentModel<?, ?, ?, ?> model) throws OnnxException {
        ParameterSet parameters = model.parameters();
        return OnnxExport.toModel(OnnxModels.describe(model.shape()), name -> {
            if (!parameters.contains(name)) {
                return null;
            }
            Parameter p = parameters.get(name);
            double[] v = new double[p.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = p.value(i);
            }
            return v;
        }).toByteArray();
    }

    /** Where the torch-exported graph of a grid model is: {@code <dir>/<Name>.torch.onnx}. */
    public static Path torchFile(Path dir, String name) {
        return dir.resolve(name + ".torch.onnx");
    }

    /** Where the project-exported graph of a grid model is written for the first-result harness. */
    public static Path unrollFile(Path dir, String name) {
        return dir.resolve(name + ".unroll.onnx");
    }

    /** Where the weights of a grid model are written for the torch export script. */
    public static Path weightsFile(Path dir, String name) {
        return dir.resolve(name + ".safetensors");
    }

    /**
     * Session options of the benchmark: {@code threads} intra-op threads, one inter-op thread, sequential
     * execution, every graph optimization (ONNX Runtime's defaults otherwise, including the spinning of idle
     * intra-op threads).
     */
    public static OrtSession.SessionOptions options(int threads) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        return options;
    }

    /** The graph's bytes: built from the model ({@link Graph#UNROLL}) or read from {@link #onnxDir()}. */
    public static byte[] graph(Graph graph, RecurrentModel<?, ?, ?, ?> model, String name) throws Exception {
        if (graph == Graph.UNROLL) {
            return unrollGraph(model);
        }
        Path file = torchFile(onnxDir(), name);
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("no " + file.toAbsolutePath() + ": run benchmarks/ort.sh export (or set "
                    + "UNROLL_ONNX_DIR) first; it writes the torch.onnx.export graphs");
        }
        return Files.readAllBytes(file);
    }

    /** The names of the graph's tensors. */
    public static OrtStepper.Names names(Graph graph, String cell) {
        boolean lstm = cell.equals("lstm");
        return graph == Graph.UNROLL ? OrtStepper.Names.unroll(lstm) : OrtStepper.Names.torch(lstm);
    }

    /** Creates a session of {@code threads} intra-op threads over the bytes. */
    public static OrtSession session(OrtEnvironment env, byte[] graph, int threads) throws OrtException {
        try (OrtSession.SessionOptions options = options(threads)) {
            return env.createSession(graph, options);
        }
    }

    /**
     * Steps the generated model and the ONNX graph side by side from the zero state over {@code inputs} and
     * returns the largest difference of the outputs and states, relative to the largest magnitude seen
     * (each compared at every step). The ORT stepper is reset before and after.
     */
    public static double compare(RecurrentModel<?, ?, ?, ?> model, OrtStepper ort, double[][] inputs) throws OrtException {
        SequenceStepper<?, ?> stepper = model.newStepper();
        ort.reset();
        double maxDiff = 0;
        double maxAbs = 0;
        for (double[] x : inputs) {
            double[] expected;
            if (ort.float64()) {
                @SuppressWarnings("unchecked")
                SequenceStepper<double[], double[]> s = (SequenceStepper<double[], double[]>) stepper;
                expected = s.step(x);
                ort.step(x);
            } else {
                float[] xf = new float[x.length];
                for (int i = 0; i < x.length; i++) {
                    xf[i] = (float) x[i];
                }
                @SuppressWarnings("unchecked")
                SequenceStepper<float[], float[]> s = (SequenceStepper<float[], float[]>) stepper;
                float[] y = s.step(xf);
                expected = new double[y.length];
                for (int i = 0; i < y.length; i++) {
                    expected[i] = y[i];
                }
                ort.step(xf);
            }
            double[] got = ort.output();
            double[][] states = stepper.exportState();
            for (int k = -1; k < states.length; k++) {
                double[] e = k < 0 ? expected : states[k];
                double[] o = k < 0 ? got : ort.state(k);
                if (e.length != o.length) {
                    throw new IllegalStateException("sizes differ: " + e.length + " and " + o.length);
                }
                for (int i = 0; i < e.length; i++) {
                    maxAbs = Math.max(maxAbs, Math.abs(e[i]));
                    maxDiff = Math.max(maxDiff, Math.abs(e[i] - o[i]));
                }
            }
        }
        ort.reset();
        return maxAbs == 0 ? maxDiff : maxDiff / maxAbs;
    }

    /** Inputs in [-1, 1] from a fixed seed, as the benchmarks make them. */
    public static double[][] inputs(int steps, int size, long seed) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        double[][] x = new double[steps][size];
        for (double[] row : x) {
            for (int i = 0; i < size; i++) {
                row[i] = 2 * random.nextDouble() - 1;
            }
        }
        return x;
    }
}
