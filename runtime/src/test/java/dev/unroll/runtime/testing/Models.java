package dev.unroll.runtime.testing;

import dev.unroll.runtime.DoubleParameter;
import dev.unroll.runtime.FloatParameter;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Builds parameter sets with the canonical names, as generated models will. */
public final class Models {
    private Models() {
    }

    /**
     * A recurrent model: {@code layers} layers of a cell with {@code gates} gates (1 RNN, 3 GRU, 4 LSTM),
     * then a head {@code [outputs, hidden]}, float64 or float32, in state_dict order.
     */
    public static ParameterSet recurrent(int gates, int inputs, int hidden, int layers, int outputs,
                                         boolean float64, boolean bidirectional) {
        List<Parameter> ps = new ArrayList<>();
        for (int k = 0; k < layers; k++) {
            for (String dir : bidirectional ? List.of("", "_reverse") : List.of("")) {
                int in = k == 0 ? inputs : hidden * (bidirectional ? 2 : 1);
                ps.add(make("rnn.weight_ih_l" + k + dir, float64, gates * hidden, in));
                ps.add(make("rnn.weight_hh_l" + k + dir, float64, gates * hidden, hidden));
                ps.add(make("rnn.bias_ih_l" + k + dir, float64, gates * hidden));
                ps.add(make("rnn.bias_hh_l" + k + dir, float64, gates * hidden));
            }
        }
        if (outputs > 0) {
            ps.add(make("head.weight", float64, outputs, hidden * (bidirectional ? 2 : 1)));
            ps.add(make("head.bias", float64, outputs));
        }
        return new ParameterSet(ps);
    }

    /** A unidirectional model. */
    public static ParameterSet recurrent(int gates, int inputs, int hidden, int layers, int outputs, boolean float64) {
        return recurrent(gates, inputs, hidden, layers, outputs, float64, false);
    }

    /** Fills every value with seeded uniform numbers in [-1, 1). */
    public static ParameterSet randomize(ParameterSet ps, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (Parameter p : ps) {
            for (int i = 0; i < p.size(); i++) {
                p.setValue(i, r.nextDouble(-1, 1));
            }
        }
        return ps;
    }

    /** Returns all values of all parameters, concatenated. */
    public static double[] snapshot(ParameterSet ps) {
        List<Double> out = new ArrayList<>();
        for (Parameter p : ps) {
            for (int i = 0; i < p.size(); i++) {
                out.add(p.value(i));
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static Parameter make(String name, boolean float64, int... shape) {
        return float64 ? new DoubleParameter(name, shape) : new FloatParameter(name, shape);
    }
}
