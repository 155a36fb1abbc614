package dev.unroll.compiler;

import dev.unroll.runtime.Activations;
import dev.unroll.runtime.Parameter;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Test support for {@link CrossJdkReproducibilityTest}, run in this JVM and in a JVM of the other
 * installed JDK: trains each of {@link #SPECS} for a few seeded updates and prints one line per
 * spec with a hash of every weight's bits and of the last forward pass's outputs, then one line
 * per math function with a hash of its results over a fixed grid of arguments.
 */
final class TrainingHash {
    /** A float64 model (tanh, sigmoid, softmax, Adam) and a float32 one (the float activations, SGD momentum). */
    static final List<NetSpec> SPECS = List.of(
            new NetSpec("crossjdk", "Float64Lstm", List.of(new NetSpec.Layer(NetSpec.Cell.LSTM, 12),
                    new NetSpec.Layer(NetSpec.Cell.GRU, 8)), 5, false, 4, NetSpec.Head.SOFTMAX_CE,
                    NetSpec.Topo.MANY_TO_MANY, 9, 0, true),
            new NetSpec("crossjdk", "Float32Gru", List.of(new NetSpec.Layer(NetSpec.Cell.GRU, 10),
                    new NetSpec.Layer(NetSpec.Cell.RNN_TANH, 6)), 7, true, 3, NetSpec.Head.SIGMOID_BCE,
                    NetSpec.Topo.MANY_TO_ONE, 8, 0, false));

    static final int UPDATES = 25;

    private TrainingHash() {
    }

    /** Prints the hashes; {@code args} are ignored. */
    public static void main(String[] args) throws Exception {
        for (NetSpec spec : SPECS) {
            System.out.println(spec.name() + " " + train(spec));
        }
        for (String f : List.of("Math.tanh", "StrictMath.tanh", "Activations.tanh(double)", "Math.exp",
                "StrictMath.exp", "Math.log", "Math.pow", "Math.cos", "Activations.tanh(float)")) {
            System.out.println(f + " " + Long.toHexString(mathHash(f)));
        }
    }

    /** Trains a fresh model of the spec (seeded) and returns a hash of its weights and outputs, in hex. */
    static String train(NetSpec spec) throws Exception {
        Class<?> type = Class.forName(spec.qualifiedName());
        ModelHandle m = new ModelHandle(type);
        SplittableRandom random = new SplittableRandom(2026);
        TestBatch batch = null;
        for (int u = 0; u < UPDATES; u++) {
            batch = TestBatch.random(spec, 6, random);
            m.call("trainStep", batch.xs(), batch.targetsArgument());
        }
        long h = 1125899906842597L;
        for (Parameter p : m.parameters()) {
            for (int i = 0; i < p.size(); i++) {
                h = 31 * h + Double.doubleToRawLongBits(p.value(i));
            }
        }
        for (double v : TestBatch.flatten(m.call("forward", m.workspace, batch.xs()))) {
            h = 31 * h + Double.doubleToRawLongBits(v);
        }
        return Long.toHexString(h);
    }

    /** Hashes a function's results over 200,001 arguments in [-20, 20] (and [0.001, 200] for log and pow). */
    static long mathHash(String function) {
        long h = 7;
        for (int i = -100_000; i <= 100_000; i++) {
            double x = i * 2e-4 + i * 1e-13; // not only round binary fractions
            double y = switch (function) {
                case "Math.tanh" -> Math.tanh(x);
                case "StrictMath.tanh" -> StrictMath.tanh(x);
                case "Activations.tanh(double)" -> Activations.tanh(x);
                case "Math.exp" -> Math.exp(x);
                case "StrictMath.exp" -> StrictMath.exp(x);
                case "Math.log" -> Math.log(Math.abs(x) * 10 + 1e-3);
                case "Math.pow" -> Math.pow(Math.abs(x) * 10 + 1e-3, 0.37);
                case "Math.cos" -> Math.cos(x);
                case "Activations.tanh(float)" -> Activations.tanh((float) x);
                default -> throw new IllegalArgumentException(function);
            };
            h = 31 * h + Double.doubleToRawLongBits(y);
        }
        return h;
    }
}
