package dev.unroll.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.onnx.ModelDescription.Activation;
import dev.unroll.onnx.ModelDescription.Cell;
import dev.unroll.onnx.ModelDescription.Direction;
import dev.unroll.onnx.ModelDescription.Layer;
import dev.unroll.onnx.ModelDescription.Precision;
import dev.unroll.onnx.ModelDescription.TensorSpec;
import dev.unroll.onnx.ModelDescription.Topology;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Exports models of every cell, depth, direction, topology and head, runs them in ONNX Runtime on
 * random inputs and random initial states, and holds the outputs against the reference forward;
 * then imports each export back and requires the same spec and bit-identical weights.
 */
class OnnxExportTest {
    static final int STEPS = 5;
    static final int BATCH = 2;

    static Stream<ModelDescription> models() {
        List<Layer> cells = List.of(
                Layer.of(Cell.RNN, 4, Direction.FORWARD),
                new Layer(Cell.RNN, 4, Direction.FORWARD, true, false, false),
                Layer.of(Cell.LSTM, 4, Direction.FORWARD),
                new Layer(Cell.LSTM, 4, Direction.FORWARD, false, false, true),
                Layer.of(Cell.GRU, 4, Direction.FORWARD),
                new Layer(Cell.GRU, 4, Direction.FORWARD, false, true, false));
        List<ModelDescription> out = new ArrayList<>();
        Activation[] activations = Activation.values();
        int n = 0;
        for (Layer cell : cells) {
            for (Direction direction : Direction.values()) {
                for (int depth = 1; depth <= 2; depth++) {
                    for (Topology topology : List.of(Topology.MANY_TO_MANY, Topology.MANY_TO_ONE)) {
                        List<Layer> layers = new ArrayList<>();
                        for (int k = 0; k < depth; k++) {
                            layers.add(new Layer(cell.cell(), 3 + k, direction, cell.relu(), cell.cho(), cell.peepholes()));
                        }
                        out.add(new ModelDescription("M" + n, 3, false, layers, 2 + n % 3,
                                activations[n % activations.length], topology, STEPS, Precision.FLOAT32));
                        n++;
                    }
                }
            }
        }
        // Mixed stacks, one_to_one, one-hot inputs and float64.
        out.add(new ModelDescription("Mixed", 3, false, List.of(Layer.of(Cell.LSTM, 5, Direction.CONCAT),
                Layer.of(Cell.GRU, 3, Direction.SUM), Layer.of(Cell.RNN, 4, Direction.FORWARD)), 3, Activation.SOFTMAX,
                Topology.MANY_TO_MANY, STEPS, Precision.FLOAT32));
        out.add(new ModelDescription("Single", 3, false, List.of(Layer.of(Cell.GRU, 4, Direction.FORWARD)), 2,
                Activation.SIGMOID, Topology.ONE_TO_ONE, 1, Precision.FLOAT32));
        out.add(new ModelDescription("Chars", 6, true, List.of(Layer.of(Cell.LSTM, 5, Direction.FORWARD)), 6,
                Activation.SOFTMAX, Topology.MANY_TO_MANY, STEPS, Precision.FLOAT32));
        out.add(new ModelDescription("CharsLast", 6, true, List.of(Layer.of(Cell.GRU, 4, Direction.CONCAT)), 2,
                Activation.LINEAR, Topology.MANY_TO_ONE, STEPS, Precision.FLOAT32));
        for (Cell cell : Cell.values()) {
            out.add(new ModelDescription("Double" + cell, 3, false, List.of(Layer.of(cell, 4, Direction.CONCAT),
                    Layer.of(cell, 3, Direction.FORWARD)), 2, Activation.TANH, Topology.MANY_TO_MANY, STEPS,
                    Precision.FLOAT64));
        }
        return out.stream();
    }

    /** Random weights, rounded to float for float32 models so that export and reference see the same numbers. */
    static Map<String, double[]> weights(ModelDescription m, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, double[]> w = new LinkedHashMap<>();
        for (TensorSpec spec : m.parameters()) {
            double[] v = new double[spec.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = round(m, random.nextDouble(-0.6, 0.6));
            }
            w.put(spec.name(), v);
        }
        return w;
    }

    private static double round(ModelDescription m, double v) {
        return m.precision() == Precision.FLOAT32 ? (float) v : v;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void onnxRuntimeAgreesWithTheReference(ModelDescription m) throws Exception {
        Map<String, double[]> w = weights(m, m.name().hashCode());
        byte[] bytes = OnnxExport.toModel(m, w::get).toByteArray();
        SplittableRandom random = new SplittableRandom(7);
        boolean f64 = m.precision() == Precision.FLOAT64;
        int steps = m.steps();
        double[][][] x = new double[BATCH][steps][m.inputSize()];
        double[] flat = new double[steps * BATCH * (m.oneHot() ? 1 : m.inputSize())];
        for (int t = 0; t < steps; t++) {
            for (int b = 0; b < BATCH; b++) {
                if (m.oneHot()) {
                    int symbol = random.nextInt(m.inputSize());
                    x[b][t][symbol] = 1;
                    flat[t * BATCH + b] = symbol;
                } else {
                    for (int i = 0; i < m.inputSize(); i++) {
                        x[b][t][i] = round(m, random.nextDouble(-1, 1));
                        flat[(t * BATCH + b) * m.inputSize() + i] = x[b][t][i];
                    }
                }
            }
        }
        Map<String, Ort.In> feed = new LinkedHashMap<>();
        feed.put("input", m.oneHot() ? Ort.In.indices(flat, steps, BATCH) : Ort.In.of(flat, f64, steps, BATCH, m.inputSize()));
        List<double[][]> h0 = new ArrayList<>();
        List<double[][]> c0 = new ArrayList<>();
        for (int k = 0; k < m.layers().size(); k++) {
            Layer layer = m.layers().get(k);
            int dirs = layer.directions();
            int h = layer.hiddenSize();
            if (layer.cell() != Cell.LSTM) {
                // The reference indexes cell states by the same row as hidden states; other cells ignore them.
                for (int d = 0; d < dirs; d++) {
                    c0.add(new double[BATCH][h]);
                }
            }
            for (String state : layer.cell() == Cell.LSTM ? List.of("h0", "c0") : List.of("h0")) {
                double[] v = new double[dirs * BATCH * h];
                for (int i = 0; i < v.length; i++) {
                    v[i] = round(m, random.nextDouble(-1, 1));
                }
                feed.put(state + "_l" + k, Ort.In.of(v, f64, dirs, BATCH, h));
                for (int d = 0; d < dirs; d++) {
                    double[][] rows = new double[BATCH][h];
                    for (int b = 0; b < BATCH; b++) {
                        System.arraycopy(v, (d * BATCH + b) * h, rows[b], 0, h);
                    }
                    (state.equals("h0") ? h0 : c0).add(rows);
                }
            }
        }
        if (!f64) {
            // ONNX Runtime (1.22) has no float64 kernels for RNN, LSTM and GRU ("does not support double
            // yet"); float64 exports are held by the round trip below and by the float64 import fixtures.
            compareWithOnnxRuntime(m, w, bytes, feed, x, h0, c0);
        }
        assertRoundTrip(m, w, bytes);
    }

    private static void compareWithOnnxRuntime(ModelDescription m, Map<String, double[]> w, byte[] bytes,
            Map<String, Ort.In> feed, double[][][] x, List<double[][]> h0, List<double[][]> c0) throws Exception {
        int steps = m.steps();
        Map<String, double[]> out = Ort.run(bytes, feed);
        double[][][] expected = Reference.forward(m, w, x, h0.toArray(double[][][]::new),
                c0.toArray(double[][][]::new));
        double[] y = out.get("output");
        double diff = 0;
        boolean all = m.topology() == Topology.MANY_TO_MANY;
        int o = m.outputSize();
        assertEquals(BATCH * (all ? steps : 1) * o, y.length, "output size");
        for (int b = 0; b < BATCH; b++) {
            for (int t = 0; t < expected[b].length; t++) {
                for (int j = 0; j < o; j++) {
                    double got = all ? y[(t * BATCH + b) * o + j] : y[b * o + j];
                    diff = Math.max(diff, Math.abs(got - expected[b][t][j]));
                }
            }
        }
        double tolerance = 1e-5;
        assertTrue(diff <= tolerance, m.name() + ": max |ONNX Runtime - reference| = " + diff);
        System.out.printf("%s %s: max |ONNX Runtime - reference| = %.3g%n", m.name(), m.toSpec().replace('\n', ' '), diff);
    }

    /** The export imports back to the same spec and the same bits. */
    private static void assertRoundTrip(ModelDescription m, Map<String, double[]> w, byte[] bytes) throws Exception {
        OnnxImport.Result back = OnnxImport.read(OnnxFiles.parse(bytes, m.name() + ".onnx"), m.name() + ".onnx",
                OnnxImport.Options.defaults());
        assertEquals(m.toSpec(), back.spec());
        assertEquals(List.copyOf(w.keySet()), List.copyOf(back.tensors().keySet()));
        for (Map.Entry<String, double[]> e : w.entrySet()) {
            assertArrayEquals(e.getValue(), back.tensors().get(e.getKey()), 0.0, e.getKey());
        }
    }
}
