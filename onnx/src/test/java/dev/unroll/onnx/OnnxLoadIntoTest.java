package dev.unroll.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.unroll.onnx.ModelDescription.TensorSpec;
import dev.unroll.runtime.FloatParameter;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link OnnxImport#loadInto}: what a generated model's importOnnx calls. */
class OnnxLoadIntoTest {
    private static ParameterSet parameters(List<TensorSpec> specs) {
        List<Parameter> ps = new ArrayList<>();
        for (TensorSpec s : specs) {
            ps.add(new FloatParameter(s.name(), s.shape()));
        }
        return new ParameterSet(ps);
    }

    @Test
    void copiesEveryWeight() throws Exception {
        OnnxImport.Result r = OnnxImport.read(Fixtures.onnx("gru_l1_yh_tanh"));
        ParameterSet ps = parameters(r.model().parameters());
        OnnxImport.loadInto(Fixtures.onnx("gru_l1_yh_tanh"), ps);
        for (Parameter p : ps) {
            double[] v = new double[p.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = p.value(i);
            }
            assertArrayEquals(r.tensors().get(p.name()), v, 0.0, p.name());
        }
    }

    @Test
    void refusesAnotherNetworkAndChangesNothing() throws Exception {
        ModelDescription other = OnnxImport.read(Fixtures.onnx("lstm_l1")).model();
        ParameterSet ps = parameters(other.parameters());
        OnnxException e = assertThrows(OnnxException.class,
                () -> OnnxImport.loadInto(Fixtures.onnx("gru_l1_yh_tanh"), ps));
        assertEquals(Fixtures.onnx("gru_l1_yh_tanh") + ": does not match the model (it is model GruL1YhTanh {     "
                + "input 3;     gru 6;     output 3 tanh;     many_to_one steps 7;     precision float32; } ): tensor "
                + "'rnn.weight_ih_l0' has shape [18, 3], expected [20, 3]; tensor 'rnn.weight_hh_l0' has shape [18, 6], "
                + "expected [20, 5]; tensor 'rnn.bias_ih_l0' has shape [18], expected [20]; tensor 'rnn.bias_hh_l0' has "
                + "shape [18], expected [20]; tensor 'head.weight' has shape [3, 6], expected [4, 5]; tensor 'head.bias' "
                + "has shape [3], expected [4]", e.getMessage());
        for (Parameter p : ps) {
            for (int i = 0; i < p.size(); i++) {
                assertEquals(0.0, p.value(i), p.name());
            }
        }
    }
}
