package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.runtime.RecurrentModel;
import dev.unroll.runtime.SequenceStepper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A two-thread stepper ({@code newParallelStepper()}, each large layer's pre-activations cut by rows between the
 * caller's thread and a second one) gives the same outputs and states as the one-thread stepper, to the bit, for
 * every cell that can be cut, with dense and one-hot inputs, in float and double, with a small layer (not cut) and a
 * cut one in one stack; it ends its thread at {@code close()} and refuses to step after it.
 */
class TwoThreadStepperTest {
    @TempDir
    static Path work;

    private static Map<String, Class<?>> classes;

    /** Sizes chosen so that G * H * (I + H) is at least 450,000 in the layers meant to be cut, odd where it can be. */
    private static final List<String> SPECS = List.of("""
            package cut.test;
            model LstmFloat {
                input 37;
                lstm 341;
                lstm 12;
                output 9 softmax;
                many_to_many steps 4;
                precision float32;
            }
            """, """
            package cut.test;
            model GruDouble {
                input 21 one_hot;
                gru 401;
                output 5 sigmoid;
                many_to_many steps 4;
                loss binary_cross_entropy;
                precision float64;
            }
            """, """
            package cut.test;
            model RnnFloat {
                input 64;
                rnn 14 tanh;
                rnn 701 relu;
                output 3 linear;
                many_to_many steps 4;
                loss mse;
                precision float32;
            }
            """, """
            package cut.test;
            model PeepholeDouble {
                input 50;
                lstm 351 peepholes cell_clip 3.0;
                output 4 softmax;
                many_to_one steps 4;
                precision float64;
            }
            """, """
            package cut.test;
            model Small {
                input 8;
                lstm 16;
                output 2 softmax;
                many_to_many steps 4;
                precision float32;
            }
            """);

    @BeforeAll
    static void compile() {
        List<NetworkModel> models = new ArrayList<>();
        for (int i = 0; i < SPECS.size(); i++) {
            models.add(GeneratedCode.model("cut" + i + ".rnn", SPECS.get(i)));
        }
        classes = GeneratedCode.compile(models, work);
    }

    /** The model with its spec's initialization (PyTorch's, U(-1/sqrt(H), 1/sqrt(H))), from a seed. */
    @SuppressWarnings("unchecked")
    private static RecurrentModel<Object, Object, Object, Object> model(String name) throws Exception {
        return (RecurrentModel<Object, Object, Object, Object>) classes.get("cut.test." + name)
                .getConstructor(long.class).newInstance((long) name.hashCode());
    }

    @SuppressWarnings("unchecked")
    private static SequenceStepper<Object, Object> parallel(RecurrentModel<?, ?, ?, ?> model) throws Exception {
        return (SequenceStepper<Object, Object>) model.getClass().getMethod("newParallelStepper").invoke(model);
    }

    @SuppressWarnings("unchecked")
    private static SequenceStepper<Object, Object> plain(RecurrentModel<?, ?, ?, ?> model) {
        return (SequenceStepper<Object, Object>) model.newStepper();
    }

    private static Object input(RecurrentModel<?, ?, ?, ?> model, SplittableRandom random) {
        if (model.shape().symbolInput()) {
            return random.nextInt(model.shape().inputSize());
        }
        boolean isFloat = !model.getClass().getSimpleName().endsWith("Double");
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
    void twoThreadsGiveTheOneThreadBits() throws Exception {
        for (String name : List.of("LstmFloat", "GruDouble", "RnnFloat", "PeepholeDouble")) {
            RecurrentModel<Object, Object, Object, Object> model = model(name);
            SequenceStepper<Object, Object> one = plain(model);
            SequenceStepper<Object, Object> two = parallel(model);
            SplittableRandom random = new SplittableRandom(5);
            double largest = 0;
            for (int t = 0; t < 300; t++) {
                Object x = input(model, random);
                double[] expected = flat(one.step(x));
                assertArrayEquals(expected, flat(two.step(x)), name + " step " + t);
                for (double v : expected) {
                    largest = Math.max(largest, Math.abs(v));
                }
            }
            assertTrue(largest > 1e-3 && Double.isFinite(largest), name + ": the outputs are finite, not all (near) zero");
            assertArrayEquals(one.exportState(), two.exportState(), name);
            ((AutoCloseable) two).close();
        }
    }

    @Test
    void onlyLargeLayersAreCut() throws Exception {
        String lstm = UnrollCompiler.generate(GeneratedCode.model("cut0.rnn", SPECS.get(0))).toString();
        assertTrue(lstm.contains("preActivationsLayer0Rows0To"), "layer 0 (4 * 341 * 378 multiply-adds) is cut");
        assertFalse(lstm.contains("preActivationsLayer1Rows"), "layer 1 (4 * 12 * 353) is not");
        String small = UnrollCompiler.generate(GeneratedCode.model("cut4.rnn", SPECS.get(4))).toString();
        assertFalse(small.contains("StepPartner"), "a model without a large layer has no second thread");
        RecurrentModel<Object, Object, Object, Object> model = model("Small");
        SequenceStepper<Object, Object> stepper = parallel(model);
        assertSame(plain(model).getClass(), stepper.getClass());
        ((AutoCloseable) stepper).close();
    }

    @Test
    void closeEndsTheSecondThreadAndLaterStepsAreRefused() throws Exception {
        RecurrentModel<Object, Object, Object, Object> model = model("GruDouble");
        SequenceStepper<Object, Object> two = parallel(model);
        two.step(3);
        assertTrue(threadAlive("GruDouble stepper"), "the second thread runs while the stepper is open");
        ((AutoCloseable) two).close();
        ((AutoCloseable) two).close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> two.step(3));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (threadAlive("GruDouble stepper") && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertFalse(threadAlive("GruDouble stepper"), "close() ends the second thread");
    }

    @Test
    void aStepperDroppedWithoutCloseDoesNotKeepItsThread() throws Exception {
        RecurrentModel<Object, Object, Object, Object> model = model("RnnFloat");
        stepAndDrop(model);
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (threadAlive("RnnFloat stepper") && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertFalse(threadAlive("RnnFloat stepper"), "an unreachable stepper's second thread ends");
    }

    private static void stepAndDrop(RecurrentModel<Object, Object, Object, Object> model) throws Exception {
        SequenceStepper<Object, Object> two = parallel(model);
        two.step(input(model, new SplittableRandom(1)));
        assertTrue(threadAlive("RnnFloat stepper"));
    }

    @Test
    void aStepperHandedFromThreadToThreadStaysExact() throws Exception {
        // as a stream processor does: one stepper per key, stepped by whichever worker thread has the key
        RecurrentModel<Object, Object, Object, Object> model = model("LstmFloat");
        SequenceStepper<Object, Object> one = plain(model);
        SequenceStepper<Object, Object> two = parallel(model);
        ExecutorService workers = Executors.newFixedThreadPool(3);
        try {
            SplittableRandom random = new SplittableRandom(9);
            for (int t = 0; t < 60; t++) {
                Object x = input(model, random);
                Future<Object> y = workers.submit(() -> two.step(x));
                assertArrayEquals(flat(one.step(x)), flat(y.get()), "step " + t);
            }
        } finally {
            workers.shutdown();
            ((AutoCloseable) two).close();
        }
    }

    @Test
    void aBadInputIsRefusedAndTheStreamGoesOn() throws Exception {
        RecurrentModel<Object, Object, Object, Object> model = model("LstmFloat");
        SequenceStepper<Object, Object> one = plain(model);
        SequenceStepper<Object, Object> two = parallel(model);
        SplittableRandom random = new SplittableRandom(2);
        for (int t = 0; t < 5; t++) {
            Object x = input(model, random);
            assertArrayEquals(flat(one.step(x)), flat(two.step(x)));
        }
        assertThrows(IllegalArgumentException.class, () -> two.step(new float[3]));
        float[] nan = new float[37];
        nan[4] = Float.NaN;
        assertThrows(IllegalArgumentException.class, () -> two.step(nan));
        for (int t = 0; t < 5; t++) {
            Object x = input(model, random);
            assertArrayEquals(flat(one.step(x)), flat(two.step(x)), "after a refused input, step " + t);
        }
        assertEquals(one.exportState().length, two.exportState().length);
        ((AutoCloseable) two).close();
    }

    private static boolean threadAlive(String name) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(name) && t.isAlive());
    }
}
