package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.compiler.plan.KernelStyle;
import dev.unroll.compiler.plan.LayerPlan;
import dev.unroll.compiler.plan.Planner;
import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.runtime.RecurrentModel;
import dev.unroll.runtime.SequenceStepper;
import java.lang.reflect.Array;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Steppers of models generated with 256-bit Vector API kernels.
 *
 * <p>A two-thread stepper ({@code newParallelStepper()}) gives the one-thread stepper's outputs and state to the bit
 * over 300 steps, for a float LSTM and a double (one_hot) GRU whose first layer is large enough to be cut
 * ({@code G * H * (I + H)} at least {@link LayerPlan#TWO_THREAD_MIN_MULTIPLY_ADDS}). The cut layer's weights are
 * stored in blocks that begin at the cut, and each half's pre-activations call the block helpers of its own rows:
 * the test asserts that they do, so the bit test below holds the vector code for row ranges (a row offset into the
 * accumulators and the weights) to the whole step's bits.
 *
 * <p>And a stepper stepped through a sequence gives what {@code forward} gives for it, to the bit, for small vector
 * models (a float two-layer LSTM with the gate helper and a tail, a double one_hot GRU, a float relu rnn): the
 * stepper's step and the whole-sequence pass call the same helpers.
 */
class VectorStepperTest {
    @TempDir
    static Path work;

    private static final int BITS = 256;
    private static Map<String, Class<?>> classes;

    private static final List<String> SPECS = List.of("""
            package vstep.test;
            model CutLstmFloat {
                input 37;
                lstm 341;
                lstm 12;
                output 9 softmax;
                many_to_many steps 4;
                precision float32;
            }
            """, """
            package vstep.test;
            model CutGruDouble {
                input 21 one_hot;
                gru 401;
                gru 13;
                output 5 sigmoid;
                many_to_many steps 4;
                loss binary_cross_entropy;
                precision float64;
            }
            """, """
            package vstep.test;
            model SmallLstmFloat {
                input 5;
                lstm 13;
                lstm 20;
                output 3 softmax;
                many_to_many steps 6;
                precision float32;
            }
            """, """
            package vstep.test;
            model SmallGruDouble {
                input 7 one_hot;
                gru 37;
                output 4 softmax;
                many_to_many steps 5;
                precision float64;
            }
            """, """
            package vstep.test;
            model SmallReluFloat {
                input 4;
                rnn 13 relu;
                output 2 linear;
                many_to_many steps 5;
                loss mse;
                precision float32;
            }
            """);

    @BeforeAll
    static void compile() {
        List<NetworkModel> models = new ArrayList<>();
        for (int i = 0; i < SPECS.size(); i++) {
            models.add(GeneratedCode.model("vstep" + i + ".rnn", SPECS.get(i)));
        }
        classes = GeneratedCode.compile(models, work, Planner.Options.DEFAULT.withKernels(KernelStyle.vector(BITS)));
    }

    private static String source(String name) {
        return GeneratedCode.read(work.resolve("src/vstep/test/" + name + ".java"));
    }

    @SuppressWarnings("unchecked")
    private static RecurrentModel<Object, Object, Object, Object> model(String name) throws Exception {
        return (RecurrentModel<Object, Object, Object, Object>) classes.get("vstep.test." + name)
                .getConstructor(long.class).newInstance((long) name.hashCode());
    }

    @SuppressWarnings("unchecked")
    private static SequenceStepper<Object, Object> parallel(RecurrentModel<?, ?, ?, ?> model) throws Exception {
        return (SequenceStepper<Object, Object>) model.getClass().getMethod("newParallelStepper").invoke(model);
    }

    @SuppressWarnings("unchecked")
    private static SequenceStepper<Object, Object> stepper(RecurrentModel<?, ?, ?, ?> model) {
        return (SequenceStepper<Object, Object>) model.newStepper();
    }

    private static Object input(RecurrentModel<?, ?, ?, ?> model, boolean isFloat, SplittableRandom random) {
        if (model.shape().symbolInput()) {
            return random.nextInt(model.shape().inputSize());
        }
        int n = model.shape().inputSize();
        if (isFloat) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = (float) random.nextDouble(-1, 1);
            }
            return x;
        }
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = random.nextDouble(-1, 1);
        }
        return x;
    }

    /** The bodies of the class's methods whose names match {@code name}, each up to its closing brace. */
    private static List<String> methodBodies(String source, String name) {
        List<String> bodies = new ArrayList<>();
        Matcher m = Pattern.compile("\n    (private|public)[^\n(]* (" + name + ")\\(").matcher(source);
        while (m.find()) {
            int end = source.indexOf("\n    }\n", m.end());
            bodies.add(source.substring(m.start(), end));
        }
        return bodies;
    }

    @Test
    void eachHalfOfTheCutLayerCallsTheBlockHelpersOfItsRows() {
        String lstm = source("CutLstmFloat");
        List<String> halves = methodBodies(lstm, "preActivationsLayer0Rows[0-9]+To[0-9]+");
        assertEquals(2, halves.size(), "layer 0 (4 * 341 * (37 + 341) multiply-adds) is cut in two");
        for (String half : halves) {
            assertTrue(Pattern.compile("mulAdd(Vectors|Rows)\\d+x341\\(").matcher(half).find()
                    && Pattern.compile("mulAdd(Vectors|Rows)\\d+x37\\(").matcher(half).find(),
                    "each half multiplies its rows of W_hh and W_ih with the vector helpers:\n" + half);
        }
        assertFalse(lstm.contains("preActivationsLayer1Rows"), "layer 1 is not cut");
        assertTrue(String.join("\n", methodBodies(lstm, "headForward")).contains("mulAddVectors"), "the head is vector");
        String gru = source("CutGruDouble");
        List<String> gruHalves = methodBodies(gru, "preActivationsLayer0Rows[0-9]+To[0-9]+");
        assertEquals(2, gruHalves.size(), "the GRU's layer 0 (3 * 401 * (21 + 401)) is cut in two");
        for (String half : gruHalves) {
            assertTrue(Pattern.compile("mulAdd(Vectors|Rows)\\d+x401\\(").matcher(half).find(),
                    "each half multiplies its rows of W_hh with the vector helpers:\n" + half);
        }
    }

    @Test
    void twoThreadsGiveTheOneThreadBits() throws Exception {
        for (String name : List.of("CutLstmFloat", "CutGruDouble")) {
            boolean isFloat = name.endsWith("Float");
            RecurrentModel<Object, Object, Object, Object> model = model(name);
            SequenceStepper<Object, Object> one = stepper(model);
            SequenceStepper<Object, Object> two = parallel(model);
            SplittableRandom random = new SplittableRandom(11);
            double largest = 0;
            try {
                for (int t = 0; t < 300; t++) {
                    Object x = input(model, isFloat, random);
                    double[] expected = TestBatch.flatten(one.step(x));
                    assertArrayEquals(expected, TestBatch.flatten(two.step(x)), name + " step " + t);
                    if (t == 0) {
                        assertTrue(Thread.getAllStackTraces().keySet().stream()
                                .anyMatch(th -> th.getName().equals(name + " stepper") && th.isAlive()),
                                name + ": the parallel stepper runs a second thread");
                    }
                    for (double v : expected) {
                        largest = Math.max(largest, Math.abs(v));
                    }
                }
                assertArrayEquals(one.exportState(), two.exportState(), name + ": the states after 300 steps");
            } finally {
                ((AutoCloseable) two).close();
            }
            assertTrue(largest > 1e-3 && Double.isFinite(largest), name + ": the outputs are finite, not all zero");
        }
    }

    @Test
    void aStepperStepsWhatForwardComputes() throws Exception {
        for (String name : List.of("SmallLstmFloat", "SmallGruDouble", "SmallReluFloat")) {
            boolean isFloat = name.endsWith("Float");
            assertTrue(source(name).contains(" mulAdd"), name + " has vector kernels");
            RecurrentModel<Object, Object, Object, Object> model = model(name);
            ModelHandleFor handle = new ModelHandleFor(model);
            int steps = model.shape().steps();
            SplittableRandom random = new SplittableRandom(3);
            for (int sequence = 0; sequence < 4; sequence++) {
                Object first = input(model, isFloat, random);
                Object xs = first instanceof Integer ? new int[steps]
                        : Array.newInstance(first.getClass().getComponentType(), steps, Array.getLength(first));
                for (int t = 0; t < steps; t++) {
                    Object x = t == 0 ? first : input(model, isFloat, random);
                    if (xs instanceof int[] symbols) {
                        symbols[t] = (Integer) x;
                    } else {
                        Array.set(xs, t, x);
                    }
                }
                Object outputs = handle.forward(xs);
                SequenceStepper<Object, Object> stepper = stepper(model);
                for (int t = 0; t < steps; t++) {
                    Object x = xs instanceof int[] symbols ? (Object) symbols[t] : Array.get(xs, t);
                    assertArrayEquals(TestBatch.flatten(Array.get(outputs, t)), TestBatch.flatten(stepper.step(x)),
                            name + ", sequence " + sequence + ", step " + t + ": the stepper differs from forward()");
                }
            }
        }
    }

    /** Calls {@code forward(ws, x)} of one sequence on a model of any signature. */
    private static final class ModelHandleFor {
        private final Object model;
        private final Object workspace;

        ModelHandleFor(Object model) throws Exception {
            this.model = model;
            this.workspace = model.getClass().getMethod("newWorkspace").invoke(model);
        }

        Object forward(Object x) throws Exception {
            for (java.lang.reflect.Method m : model.getClass().getMethods()) {
                if (m.getName().equals("forward") && m.getParameterCount() == 2
                        && m.getParameterTypes()[1] == x.getClass()) {
                    return m.invoke(model, workspace, x);
                }
            }
            throw new AssertionError("no forward(ws, " + x.getClass().getSimpleName() + ")");
        }
    }
}
