package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.RecurrentModel;
import dev.unroll.runtime.SequenceStepper;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stepper's state exported, then imported into another stepper of the same model (or of another
 * instance with the same weights, as after a restart), continues the stream bit for bit; a bad
 * state is refused and changes nothing. Driven through the common interfaces, without reflection.
 */
class StepperStateTest {
    @TempDir
    static Path work;

    private static Map<String, Class<?>> classes;

    private static final String DENSE = """
            package state.test;
            model DenseMix {
                input 3;
                lstm 5;
                gru 4;
                output 2 sigmoid;
                many_to_many steps 6;
                loss binary_cross_entropy;
                precision float32;
            }
            """;
    private static final String SYMBOLS = """
            package state.test;
            model Symbols {
                input 7 one_hot;
                rnn 6 tanh;
                lstm 3;
                output 7 softmax;
                many_to_many steps 4;
                precision float64;
            }
            """;

    @BeforeAll
    static void compile() {
        List<NetworkModel> models = List.of(GeneratedCode.model("dense.rnn", DENSE),
                GeneratedCode.model("symbols.rnn", SYMBOLS));
        classes = GeneratedCode.compile(models, work);
    }

    @SuppressWarnings("unchecked")
    private static RecurrentModel<Object, Object, Object, Object> model(String name) throws Exception {
        RecurrentModel<Object, Object, Object, Object> model = (RecurrentModel<Object, Object, Object, Object>)
                classes.get(name).getConstructor().newInstance();
        SplittableRandom random = new SplittableRandom(11);
        for (Parameter p : model.parameters()) {
            for (int i = 0; i < p.size(); i++) {
                p.setValue(i, random.nextDouble(-0.8, 0.8));
            }
        }
        return model;
    }

    @SuppressWarnings("unchecked")
    private static SequenceStepper<Object, Object> stepper(RecurrentModel<?, ?, ?, ?> model) {
        return (SequenceStepper<Object, Object>) model.newStepper();
    }

    private static Object input(RecurrentModel<?, ?, ?, ?> model, SplittableRandom random) {
        if (model.shape().symbolInput()) {
            return random.nextInt(model.shape().inputSize());
        }
        float[] x = new float[model.shape().inputSize()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextDouble(-1, 1);
        }
        return x;
    }

    private static double[] flat(Object y) {
        if (y instanceof float[] f) {
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                d[i] = f[i];
            }
            return d;
        }
        return ((double[]) y).clone();
    }

    @Test
    void aRestoredStepperContinuesBitForBit() throws Exception {
        for (String name : List.of("state.test.DenseMix", "state.test.Symbols")) {
            RecurrentModel<Object, Object, Object, Object> model = model(name);
            SequenceStepper<Object, Object> original = stepper(model);
            SplittableRandom random = new SplittableRandom(3);
            for (int t = 0; t < 17; t++) {
                original.step(input(model, random));
            }
            double[][] saved = original.exportState();
            // a "restart": a new model object with the same weights, a new stepper
            RecurrentModel<Object, Object, Object, Object> restarted = model(name);
            SequenceStepper<Object, Object> resumed = stepper(restarted);
            resumed.importState(saved);
            for (int t = 0; t < 25; t++) {
                Object x = input(model, random);
                assertArrayEquals(flat(original.step(x)), flat(resumed.step(x)), name + " step " + t);
            }
            assertArrayEquals(original.exportState(), resumed.exportState(), name);
        }
    }

    @Test
    void theStateIsNamedAndSizedByLayer() throws Exception {
        SequenceStepper<Object, Object> dense = stepper(model("state.test.DenseMix"));
        assertEquals(List.of("h0", "c0", "h1"), dense.stateNames());
        double[][] state = dense.exportState();
        assertEquals(List.of(5, 5, 4), List.of(state[0].length, state[1].length, state[2].length));
        for (double[] v : state) {
            assertArrayEquals(new double[v.length], v, "a new stepper starts from zero");
        }
        assertEquals(List.of("h0", "h1", "c1"), stepper(model("state.test.Symbols")).stateNames());
    }

    @Test
    void aBadStateIsRefusedAndChangesNothing() throws Exception {
        RecurrentModel<Object, Object, Object, Object> model = model("state.test.DenseMix");
        SequenceStepper<Object, Object> stepper = stepper(model);
        SplittableRandom random = new SplittableRandom(8);
        for (int t = 0; t < 5; t++) {
            stepper.step(input(model, random));
        }
        double[][] before = stepper.exportState();
        double[][] nan = stepper.exportState();
        nan[1][2] = Double.NaN;
        double[][] tooBigForFloat = stepper.exportState();
        tooBigForFloat[2][0] = 1e300;
        List<double[][]> bad = List.of(new double[2][], new double[][] {before[0], before[1], new double[3]}, nan,
                tooBigForFloat, new double[][] {before[0], null, before[2]});
        List<String> messages = List.of("expected 3 vectors [h0, c0, h1], got 2",
                "state[2] (h1): expected 4 values, got 3", "state[1] (c0)[2] is NaN",
                "state[2] (h1)[0] is 1.0E300; a state must be finite in float", "state[1] (c0) is null");
        for (int i = 0; i < bad.size(); i++) {
            double[][] state = bad.get(i);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> stepper.importState(state));
            assertTrue(e.getMessage().contains(messages.get(i)), e.getMessage());
            assertArrayEquals(before, stepper.exportState(), "unchanged after " + e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> stepper.importState(null));
    }
}
