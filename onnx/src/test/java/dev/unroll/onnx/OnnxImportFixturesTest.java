package dev.unroll.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Imports what torch.onnx.export wrote (the committed fixtures) and checks the spec, that every
 * weight is bit-identical to the module's state_dict, and that the network of the spec computes
 * PyTorch's outputs.
 */
class OnnxImportFixturesTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "lstm_l1 | lstm 5; | output 4 linear; | many_to_many steps 7; | float32",
        "lstm_l2_bi_softmax | lstm 5 bidirectional concat; lstm 5 bidirectional concat; | output 4 softmax; | many_to_many steps 7; | float32",
        "lstm_l1_states_last_sigmoid | lstm 5; | output 2 sigmoid; | many_to_one steps 7; | float32",
        "lstm_l2_yh_tanh | lstm 4; lstm 4; | output 3 tanh; | many_to_one steps 7; | float32",
        "lstm_l2_bi_states_hn | lstm 4 bidirectional concat; lstm 4 bidirectional concat; | output 3 linear; | many_to_one steps 7; | float32",
        "gru_l1_yh_tanh | gru 6; | output 3 tanh; | many_to_one steps 7; | float32",
        "gru_l2_bi_hn_softmax | gru 4 bidirectional concat; gru 4 bidirectional concat; | output 5 softmax; | many_to_one steps 7; | float32",
        "gru_l1_bi_hn_sum_tanh | gru 4 bidirectional sum; | output 3 tanh; | many_to_one steps 7; | float32",
        "lstm_l1_bi_hn_f64 | lstm 3 bidirectional concat; | output 2 sigmoid; | many_to_one steps 7; | float64",
        "gru_l1_states | gru 5; | output 2 linear; | many_to_many steps 7; | float32",
        "gru_l2_bi_states | gru 3 bidirectional concat; gru 3 bidirectional concat; | output 2 sigmoid; | many_to_many steps 7; | float32",
        "rnn_l1_tanh | rnn 5; | output 4 linear; | many_to_many steps 7; | float32",
        "rnn_l2_bi_relu_hn_sigmoid | rnn 4 relu bidirectional concat; rnn 4 relu bidirectional concat; | output 1 sigmoid; | many_to_one steps 7; | float32",
        "rnn_l1_states_yh | rnn 5; | output 3 softmax; | many_to_one steps 7; | float32",
        "lstm_l2_bi_f64 | lstm 5 bidirectional concat; lstm 5 bidirectional concat; | output 3 tanh; | many_to_many steps 7; | float64",
        "gru_l1_states_last_f64 | gru 5; | output 3 softmax; | many_to_one steps 7; | float64",
        "rnn_l2_f64 | rnn 4; rnn 4; | output 2 linear; | many_to_many steps 7; | float64",
        "gru_l2_softmax | gru 4; gru 4; | output 3 softmax; | many_to_many steps 7; | float32",
        "lstm_l1_last_f64 | lstm 5; | output 2 sigmoid; | many_to_one steps 7; | float64",
        "gru_l2_yh_f64 | gru 3; gru 3; | output 2 tanh; | many_to_one steps 7; | float64",
    })
    void importsTorchExport(String name, String layers, String output, String topology, String precision) throws Exception {
        OnnxImport.Result r = OnnxImport.read(Fixtures.onnx(name));
        StringBuilder expected = new StringBuilder("model " + GraphReader.nameFrom(name) + " {\n    input 3;\n");
        for (String layer : layers.split(";")) {
            if (!layer.isBlank()) {
                expected.append("    ").append(layer.strip()).append(";\n");
            }
        }
        expected.append("    ").append(output).append("\n    ").append(topology).append("\n    precision ")
                .append(precision).append(";\n}\n");
        assertEquals(expected.toString(), r.spec());

        Fixtures.Io io = Fixtures.io(name);
        assertEquals(io.stateDict().keySet(), r.tensors().keySet(), "tensor names and state_dict order");
        for (Map.Entry<String, double[]> e : io.stateDict().entrySet()) {
            assertArrayEquals(e.getValue(), r.tensors().get(e.getKey()), 0.0, e.getKey() + " bit-identical to PyTorch's");
        }

        double[][][] y = Reference.forward(r.model(), r.tensors(), io.x(), io.h0(), io.c0());
        double diff = Fixtures.maxDiff(io.y(), y);
        double tolerance = io.float64() ? 1e-9 : 1e-5;
        assertTrue(diff <= tolerance, name + ": max |PyTorch - reference| = " + diff + " > " + tolerance);
        System.out.printf("%s: max |PyTorch - reference| = %.3g%n", name, diff);
    }
}
