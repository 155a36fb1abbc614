package dev.unroll.bench.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.unroll.bench.GeneratedModels;
import dev.unroll.bench.GeneratedModels.Dense32;
import dev.unroll.bench.GeneratedModels.Dense64;
import dev.unroll.bench.models.CharLstm;
import dev.unroll.bench.models.CharLstmF64;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The EJML baseline computes what the generated code computes, so that the benchmarks compare
 * two implementations of the same thing: same weights in, same outputs, streaming outputs, loss
 * and gradients out, within 1e-9 in double (and the same weights after three Adagrad updates);
 * float agrees to float rounding.
 */
class EjmlBaselineTest {
    private static final double F64 = 1e-9;
    private static final int BATCH = 3;

    @ParameterizedTest
    @ValueSource(strings = {"rnn", "lstm", "gru"})
    void doubleGridModelsAgree(String cell) {
        Dense64 model = GeneratedModels.dense64(GeneratedModels.name(cell, 32, "double", 25));
        NetworkShape shape = NetworkShape.grid(NetworkShape.Cell.valueOf(cell.toUpperCase()), 32, 25);
        EjmlNetworkF64 net = new EjmlNetworkF64(shape);
        net.copyFrom(model.parameters());
        SplittableRandom random = new SplittableRandom(7);
        double[][][] xs = dense64(random, BATCH, 25, 64);
        double[][][] ys = dense64(random, BATCH, 25, 64);

        assertClose(model.forward().forward(xs[0]), net.forward(xs[0]), F64, "forward");
        for (int t = 0; t < 25; t++) {
            assertClose(model.stepper().step(xs[1][t]), net.step(xs[1][t]), F64, "step " + t);
        }
        assertClose(model.gradients().computeGradients(xs, ys), net.computeGradients(xs, ys), F64, "loss");
        assertGradients(model.parameters(), net, F64);
        for (int update = 0; update < 3; update++) {
            assertClose(model.model().trainStep(xs, ys), net.trainStep(xs, ys), F64, "loss of update " + update);
        }
        assertValues(model.parameters(), net);
    }

    @ParameterizedTest
    @ValueSource(strings = {"rnn", "lstm", "gru"})
    void floatGridModelsAgree(String cell) {
        Dense32 model = GeneratedModels.dense32(GeneratedModels.name(cell, 32, "float", 25));
        NetworkShape shape = NetworkShape.grid(NetworkShape.Cell.valueOf(cell.toUpperCase()), 32, 25);
        EjmlNetworkF32 net = new EjmlNetworkF32(shape);
        net.copyFrom(model.parameters());
        SplittableRandom random = new SplittableRandom(7);
        float[][][] xs = dense32(random, BATCH, 25, 64);
        float[][][] ys = dense32(random, BATCH, 25, 64);

        assertClose(model.forward().forward(xs[0]), net.forward(xs[0]), 1e-5, "forward");
        for (int t = 0; t < 25; t++) {
            assertClose(model.stepper().step(xs[1][t]), net.step(xs[1][t]), 1e-5, "step " + t);
        }
        assertClose(model.gradients().computeGradients(xs, ys), net.computeGradients(xs, ys), 1e-5, "loss");
        assertGradients(model.parameters(), net, 1e-4);
    }

    @Test
    void doubleCharLstmAgrees() {
        CharLstmF64 model = new CharLstmF64();
        EjmlNetworkF64 net = new EjmlNetworkF64(NetworkShape.charLstm());
        net.copyFrom(model.parameters());
        SplittableRandom random = new SplittableRandom(11);
        int[][] xs = symbols(random, BATCH, 25);
        int[][] ys = symbols(random, BATCH, 25);

        assertClose(model.forward(model.newWorkspace(), xs[0]), net.forward(xs[0]), F64, "forward");
        CharLstmF64.Stepper stepper = model.newStepper();
        for (int t = 0; t < 25; t++) {
            assertClose(stepper.step(xs[1][t]), net.step(xs[1][t]), F64, "step " + t);
        }
        assertClose(model.computeGradients(model.newWorkspace(), xs, ys), net.computeGradients(xs, ys), F64, "loss");
        assertGradients(model.parameters(), net, F64);
        for (int update = 0; update < 3; update++) {
            assertClose(model.trainStep(xs, ys), net.trainStep(xs, ys), F64, "loss of update " + update);
        }
        assertValues(model.parameters(), net);
    }

    @Test
    void floatCharLstmAgrees() {
        CharLstm model = new CharLstm();
        EjmlNetworkF32 net = new EjmlNetworkF32(NetworkShape.charLstm());
        net.copyFrom(model.parameters());
        SplittableRandom random = new SplittableRandom(11);
        int[][] xs = symbols(random, BATCH, 25);
        int[][] ys = symbols(random, BATCH, 25);

        assertClose(model.forward(model.newWorkspace(), xs[0]), net.forward(xs[0]), 1e-5, "forward");
        CharLstm.Stepper stepper = model.newStepper();
        for (int t = 0; t < 25; t++) {
            assertClose(stepper.step(xs[1][t]), net.step(xs[1][t]), 1e-5, "step " + t);
        }
        assertClose(model.computeGradients(model.newWorkspace(), xs, ys), net.computeGradients(xs, ys), 1e-5, "loss");
        assertGradients(model.parameters(), net, 1e-4);
    }

    // ---------------------------------------------------------------------------------------------

    private static void assertGradients(ParameterSet parameters, EjmlNetworkF64 net, double tolerance) {
        for (String name : EjmlNetworkF64.NAMES) {
            Parameter p = parameters.get(name);
            double[] expected = net.gradient(name).data;
            double scale = scale(expected);
            for (int i = 0; i < p.size(); i++) {
                assertClose(p.grad(i), expected[i], tolerance * scale, "gradient of " + name + " [" + i + "]");
            }
        }
    }

    private static void assertGradients(ParameterSet parameters, EjmlNetworkF32 net, double tolerance) {
        for (String name : EjmlNetworkF64.NAMES) {
            Parameter p = parameters.get(name);
            float[] expected = net.gradient(name).data;
            double[] widened = new double[expected.length];
            for (int i = 0; i < expected.length; i++) {
                widened[i] = expected[i];
            }
            double scale = scale(widened);
            for (int i = 0; i < p.size(); i++) {
                assertClose(p.grad(i), expected[i], tolerance * scale, "gradient of " + name + " [" + i + "]");
            }
        }
    }

    private static void assertValues(ParameterSet parameters, EjmlNetworkF64 net) {
        for (String name : EjmlNetworkF64.NAMES) {
            Parameter p = parameters.get(name);
            double[] expected = net.value(name).data;
            for (int i = 0; i < p.size(); i++) {
                assertClose(p.value(i), expected[i], F64, "value of " + name + " [" + i + "]");
            }
        }
    }

    /** The largest magnitude of a tensor, at least 1: tolerances are relative to it. */
    private static double scale(double[] values) {
        double max = 1e-3;
        for (double v : values) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }

    private static void assertClose(double expected, double actual, double tolerance, String what) {
        assertEquals(expected, actual, tolerance * Math.max(1, Math.abs(expected)), what);
    }

    private static void assertClose(double[] expected, double[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            assertClose(expected[i], actual[i], tolerance, what + " [" + i + "]");
        }
    }

    private static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            assertClose(expected[i], actual[i], tolerance, what + " [" + i + "]");
        }
    }

    private static void assertClose(double[][] expected, double[][] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": steps");
        for (int t = 0; t < expected.length; t++) {
            assertClose(expected[t], actual[t], tolerance, what + " at step " + t);
        }
    }

    private static void assertClose(float[][] expected, float[][] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": steps");
        for (int t = 0; t < expected.length; t++) {
            assertClose(expected[t], actual[t], tolerance, what + " at step " + t);
        }
    }

    private static double[][][] dense64(SplittableRandom random, int batch, int steps, int size) {
        double[][][] m = new double[batch][steps][size];
        for (double[][] sequence : m) {
            for (double[] v : sequence) {
                for (int i = 0; i < size; i++) {
                    v[i] = 2 * random.nextDouble() - 1;
                }
            }
        }
        return m;
    }

    private static float[][][] dense32(SplittableRandom random, int batch, int steps, int size) {
        float[][][] m = new float[batch][steps][size];
        for (float[][] sequence : m) {
            for (float[] v : sequence) {
                for (int i = 0; i < size; i++) {
                    v[i] = (float) (2 * random.nextDouble() - 1);
                }
            }
        }
        return m;
    }

    private static int[][] symbols(SplittableRandom random, int batch, int steps) {
        int[][] s = new int[batch][];
        for (int b = 0; b < batch; b++) {
            s[b] = random.ints(steps, 0, 65).toArray();
        }
        return s;
    }
}
