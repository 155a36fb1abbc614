package dev.unroll.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.onnx.ModelDescription.Cell;
import dev.unroll.onnx.ModelDescription.Layer;
import dev.unroll.onnx.ModelDescription.Precision;
import dev.unroll.onnx.ModelDescription.Topology;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PyTorch to Unroll to ONNX Runtime: each torch.onnx.export fixture is imported, exported again
 * by Unroll, and run in ONNX Runtime on PyTorch's inputs and initial states; the outputs must be
 * PyTorch's. The re-export must also import back to the same spec and bits.
 */
class OnnxFixtureRoundTripTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"lstm_l1", "lstm_l2_bi_softmax", "lstm_l1_states_last_sigmoid", "lstm_l2_yh_tanh",
        "lstm_l2_bi_states_hn", "gru_l1_yh_tanh", "gru_l2_bi_hn_softmax", "gru_l1_bi_hn_sum_tanh", "lstm_l1_bi_hn_f64", "gru_l1_states", "gru_l2_bi_states",
        "rnn_l1_tanh", "rnn_l2_bi_relu_hn_sigmoid", "rnn_l1_states_yh", "lstm_l2_bi_f64", "gru_l1_states_last_f64",
        "rnn_l2_f64", "gru_l2_softmax", "lstm_l1_last_f64", "gru_l2_yh_f64"})
    void reExportRunsInOnnxRuntimeLikePyTorch(String name) throws Exception {
        OnnxImport.Result imported = OnnxImport.read(Fixtures.onnx(name));
        ModelDescription m = imported.model();
        byte[] bytes = OnnxExport.toModel(m, imported.tensors()::get).toByteArray();

        OnnxImport.Result back = OnnxImport.read(OnnxFiles.parse(bytes, name), name,
                new OnnxImport.Options(java.util.Optional.of(m.name()), java.util.OptionalInt.empty()));
        assertEquals(imported.spec(), back.spec());
        for (Map.Entry<String, double[]> e : imported.tensors().entrySet()) {
            assertArrayEquals(e.getValue(), back.tensors().get(e.getKey()), 0.0, e.getKey());
        }
        if (m.precision() == Precision.FLOAT64) {
            return; // ONNX Runtime has no float64 RNN/LSTM/GRU kernels; the import test holds these at 1e-9.
        }

        Fixtures.Io io = Fixtures.io(name);
        int batch = io.x().length;
        int steps = io.x()[0].length;
        int in = m.inputSize();
        double[] x = new double[steps * batch * in];
        for (int t = 0; t < steps; t++) {
            for (int b = 0; b < batch; b++) {
                System.arraycopy(io.x()[b][t], 0, x, (t * batch + b) * in, in);
            }
        }
        Map<String, Ort.In> feed = new LinkedHashMap<>();
        feed.put("input", Ort.In.of(x, false, steps, batch, in));
        int row = 0;
        for (int k = 0; k < m.layers().size(); k++) {
            Layer layer = m.layers().get(k);
            int dirs = layer.directions();
            int h = layer.hiddenSize();
            feed.put("h0_l" + k, Ort.In.of(rows(io.h0(), row, dirs, batch, h), false, dirs, batch, h));
            if (layer.cell() == Cell.LSTM) {
                feed.put("c0_l" + k, Ort.In.of(rows(io.c0(), row, dirs, batch, h), false, dirs, batch, h));
            }
            row += dirs;
        }
        double[] y = Ort.run(bytes, feed).get("output");
        boolean all = m.topology() == Topology.MANY_TO_MANY;
        int o = m.outputSize();
        double diff = 0;
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < io.y()[b].length; t++) {
                for (int j = 0; j < o; j++) {
                    double got = all ? y[(t * batch + b) * o + j] : y[b * o + j];
                    diff = Math.max(diff, Math.abs(got - io.y()[b][t][j]));
                }
            }
        }
        assertTrue(diff <= 1e-5, name + ": max |ONNX Runtime (Unroll's export) - PyTorch| = " + diff);
        System.out.printf("%s: max |ONNX Runtime (Unroll's export) - PyTorch| = %.3g%n", name, diff);
    }

    /** PyTorch's initial states (or zeros) for rows {@code [row, row + dirs)}, flat as ONNX's [dirs, batch, hidden]. */
    private static double[] rows(double[][][] states, int row, int dirs, int batch, int h) {
        double[] v = new double[dirs * batch * h];
        if (states != null) {
            for (int d = 0; d < dirs; d++) {
                for (int b = 0; b < batch; b++) {
                    System.arraycopy(states[row + d][b], 0, v, (d * batch + b) * h, h);
                }
            }
        }
        return v;
    }
}
