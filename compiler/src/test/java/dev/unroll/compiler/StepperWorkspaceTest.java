package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.RecurrentModel;
import dev.unroll.runtime.SequenceStepper;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code Stepper} holds one step, whatever the spec's {@code steps}: the same model at 3 and at 40 steps gives
 * steppers whose workspace arrays have the same lengths, and the same outputs step by step; a whole-sequence
 * workspace of the 40-step model is larger. (That the stepper reproduces {@code forward} is
 * {@code PyTorchParityTest}'s and {@code ReferenceOracleTest}'s.)
 */
class StepperWorkspaceTest {
    @TempDir
    static Path work;

    private static Map<String, Class<?>> classes;

    private static String spec(String name, int steps) {
        return """
                package stepper.ws;
                model %s {
                    input 3;
                    lstm 5 dropout 0.25;
                    gru 4;
                    output 2 sigmoid;
                    many_to_many steps %d;
                    loss binary_cross_entropy;
                    precision float32;
                }
                """.formatted(name, steps);
    }

    @BeforeAll
    static void compile() {
        List<NetworkModel> models = List.of(GeneratedCode.model("short.rnn", spec("FewSteps", 3)),
                GeneratedCode.model("long.rnn", spec("ManySteps", 40)));
        classes = GeneratedCode.compile(models, work);
    }

    @SuppressWarnings("unchecked")
    private static RecurrentModel<Object, Object, Object, Object> model(String name) throws Exception {
        RecurrentModel<Object, Object, Object, Object> model = (RecurrentModel<Object, Object, Object, Object>)
                classes.get("stepper.ws." + name).getConstructor().newInstance();
        SplittableRandom random = new SplittableRandom(5);
        for (Parameter p : model.parameters()) {
            for (int i = 0; i < p.size(); i++) {
                p.setValue(i, random.nextDouble(-0.8, 0.8));
            }
        }
        return model;
    }

    /** The length of every array of a workspace, by field name. */
    private static Map<String, Integer> arrayLengths(Object workspace) throws Exception {
        Map<String, Integer> lengths = new TreeMap<>();
        for (Field f : workspace.getClass().getDeclaredFields()) {
            if (f.getType().isArray()) {
                f.setAccessible(true);
                lengths.put(f.getName(), Array.getLength(f.get(workspace)));
            }
        }
        return lengths;
    }

    private static Object stepperWorkspace(SequenceStepper<?, ?> stepper) throws Exception {
        Field ws = stepper.getClass().getDeclaredField("ws");
        ws.setAccessible(true);
        return ws.get(stepper);
    }

    @Test
    void aStepperHoldsOneStepWhateverTheSequenceLength() throws Exception {
        RecurrentModel<Object, Object, Object, Object> shortModel = model("FewSteps");
        RecurrentModel<Object, Object, Object, Object> longModel = model("ManySteps");
        Map<String, Integer> shortStepper = arrayLengths(stepperWorkspace(shortModel.newStepper()));
        Map<String, Integer> longStepper = arrayLengths(stepperWorkspace(longModel.newStepper()));
        assertEquals(shortStepper, longStepper);
        // step 0 of the buffers laid out by time: h and c with h_{-1}, c_{-1} before step 0, one step of the others
        assertEquals(2 * 5, longStepper.get("h0"));
        assertEquals(2 * 5, longStepper.get("c0"));
        assertEquals(4 * 5, longStepper.get("gates0"));
        assertEquals(3, longStepper.get("x"));
        assertEquals(2, longStepper.get("y"));
        Map<String, Integer> longSequence = arrayLengths(longModel.newWorkspace());
        assertEquals(41 * 5, longSequence.get("h0"));
        assertEquals(40 * 3, longSequence.get("x"));
        long stepper = longStepper.values().stream().mapToLong(Integer::longValue).sum();
        long sequence = longSequence.values().stream().mapToLong(Integer::longValue).sum();
        assertTrue(stepper * 5 < sequence, stepper + " elements in the stepper, " + sequence + " in the workspace");
    }

    @Test
    @SuppressWarnings("unchecked")
    void steppersOfTheShortAndTheLongModelStepAlike() throws Exception {
        SequenceStepper<Object, Object> a = (SequenceStepper<Object, Object>) model("FewSteps").newStepper();
        SequenceStepper<Object, Object> b = (SequenceStepper<Object, Object>) model("ManySteps").newStepper();
        SplittableRandom random = new SplittableRandom(9);
        List<float[]> outputs = new ArrayList<>();
        for (int t = 0; t < 60; t++) {
            float[] x = {(float) random.nextDouble(-2, 2), (float) random.nextDouble(-2, 2),
                    (float) random.nextDouble(-2, 2)};
            float[] ya = (float[]) a.step(x);
            float[] yb = (float[]) b.step(x);
            assertArrayEquals(ya, yb, "step " + t);
            outputs.add(ya);
        }
        // the stream went on past both models' sequence lengths, and its outputs moved
        assertTrue(outputs.stream().map(y -> y[0]).distinct().count() > 50);
    }
}
