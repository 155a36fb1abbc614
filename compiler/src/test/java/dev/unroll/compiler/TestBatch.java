package dev.unroll.compiler;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Test support: one batch of inputs and targets for a {@link NetSpec}, held as plain numbers
 * ({@code double}, or symbol indices), and turned into the arrays a generated model's public
 * methods take: {@code x[t][i]} or {@code int[t]} per sequence for sequence inputs, {@code x[i]} or
 * one {@code int} otherwise, in {@code float} or {@code double}; targets likewise.
 *
 * @param spec the network the batch is for
 * @param symbols input symbols {@code [b][t]} when the input is one-hot, else null
 * @param dense input vectors {@code [b][t][i]} when the input is dense, else null
 * @param classes target classes {@code [b][s]} for cross-entropy, else null
 * @param targets target vectors {@code [b][s][o]} otherwise, else null
 */
record TestBatch(NetSpec spec, int[][] symbols, double[][][] dense, int[][] classes, double[][][] targets) {

    int size() {
        return spec.oneHot() ? symbols.length : dense.length;
    }

    /**
     * A random batch: dense inputs uniform in [-1, 1), symbols uniform; targets: classes uniform,
     * and values in the range of the head's activation ([0, 1] for sigmoid and softmax, (-0.9, 0.9)
     * for tanh, [-1, 1) for linear). For float32 models every value is a float.
     */
    static TestBatch random(NetSpec spec, int batch, SplittableRandom random) {
        int steps = spec.inputSteps();
        int outputs = spec.outputSteps();
        int[][] symbols = null;
        double[][][] dense = null;
        if (spec.oneHot()) {
            symbols = new int[batch][steps];
            for (int[] row : symbols) {
                for (int t = 0; t < steps; t++) {
                    row[t] = random.nextInt(spec.inputSize());
                }
            }
        } else {
            dense = new double[batch][steps][spec.inputSize()];
            for (double[][] sequence : dense) {
                for (double[] x : sequence) {
                    for (int i = 0; i < x.length; i++) {
                        x[i] = value(spec, random.nextDouble(-1, 1));
                    }
                }
            }
        }
        int[][] classes = null;
        double[][][] targets = null;
        if (spec.head().classTargets()) {
            classes = new int[batch][outputs];
            for (int[] row : classes) {
                for (int s = 0; s < outputs; s++) {
                    row[s] = random.nextInt(spec.outputSize());
                }
            }
        } else {
            targets = new double[batch][outputs][spec.outputSize()];
            for (double[][] sequence : targets) {
                for (double[] t : sequence) {
                    for (int o = 0; o < t.length; o++) {
                        double v = switch (spec.head().activation) {
                            case "sigmoid", "softmax" -> random.nextDouble();
                            case "tanh" -> random.nextDouble(-0.9, 0.9);
                            default -> random.nextDouble(-1, 1);
                        };
                        t[o] = value(spec, v);
                    }
                }
            }
        }
        return new TestBatch(spec, symbols, dense, classes, targets);
    }

    private static double value(NetSpec spec, double v) {
        return spec.float64() ? v : (float) v;
    }

    /** The input of sequence {@code b} at input step {@code t} as a vector (one-hot for symbols). */
    double[] inputVector(int b, int t) {
        if (!spec.oneHot()) {
            return dense[b][t].clone();
        }
        double[] v = new double[spec.inputSize()];
        v[symbols[b][t]] = 1;
        return v;
    }

    /** A batch of one: sequence {@code b} of this batch. */
    TestBatch subset(int b) {
        return new TestBatch(spec, symbols == null ? null : new int[][] {symbols[b]},
                dense == null ? null : new double[][][] {dense[b]}, classes == null ? null : new int[][] {classes[b]},
                targets == null ? null : new double[][][] {targets[b]});
    }

    /** The batched input argument: {@code xs}. */
    Object xs() {
        Class<?> real = spec.float64() ? double.class : float.class;
        int batch = size();
        if (spec.oneHot()) {
            if (spec.topology().sequenceInput()) {
                int[][] xs = new int[batch][];
                for (int b = 0; b < batch; b++) {
                    xs[b] = symbols[b].clone();
                }
                return xs;
            }
            int[] xs = new int[batch];
            for (int b = 0; b < batch; b++) {
                xs[b] = symbols[b][0];
            }
            return xs;
        }
        Object xs = Array.newInstance(real, spec.topology().sequenceInput()
                ? new int[] {batch, spec.inputSteps(), spec.inputSize()} : new int[] {batch, spec.inputSize()});
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < spec.inputSteps(); t++) {
                Object row = spec.topology().sequenceInput() ? Array.get(Array.get(xs, b), t) : Array.get(xs, b);
                fill(row, dense[b][t]);
            }
        }
        return xs;
    }

    /** The input of sequence {@code b} alone, as {@code forward(ws, x)} takes it. */
    Object x(int b) {
        return Array.get(xs(), b);
    }

    /** The batched target argument. */
    Object targetsArgument() {
        Class<?> real = spec.float64() ? double.class : float.class;
        int batch = size();
        boolean sequence = spec.topology().sequenceOutput();
        if (spec.head().classTargets()) {
            if (sequence) {
                int[][] ys = new int[batch][];
                for (int b = 0; b < batch; b++) {
                    ys[b] = classes[b].clone();
                }
                return ys;
            }
            int[] ys = new int[batch];
            for (int b = 0; b < batch; b++) {
                ys[b] = classes[b][0];
            }
            return ys;
        }
        Object ys = Array.newInstance(real, sequence ? new int[] {batch, spec.outputSteps(), spec.outputSize()}
                : new int[] {batch, spec.outputSize()});
        for (int b = 0; b < batch; b++) {
            for (int s = 0; s < spec.outputSteps(); s++) {
                Object row = sequence ? Array.get(Array.get(ys, b), s) : Array.get(ys, b);
                fill(row, targets[b][s]);
            }
        }
        return ys;
    }

    /** A zero array shaped like {@link #xs()} for dense inputs, to receive input gradients. */
    Object inputGradientBuffer() {
        Class<?> real = spec.float64() ? double.class : float.class;
        return Array.newInstance(real, spec.topology().sequenceInput()
                ? new int[] {size(), spec.inputSteps(), spec.inputSize()} : new int[] {size(), spec.inputSize()});
    }

    private static void fill(Object row, double[] values) {
        for (int i = 0; i < values.length; i++) {
            if (row instanceof float[] f) {
                f[i] = (float) values[i];
            } else {
                ((double[]) row)[i] = values[i];
            }
        }
    }

    /** Every number of a (nested) primitive array, in index order. */
    static double[] flatten(Object array) {
        List<Double> values = new ArrayList<>();
        flattenInto(array, values);
        double[] out = new double[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    private static void flattenInto(Object array, List<Double> out) {
        if (array instanceof double[] d) {
            for (double v : d) {
                out.add(v);
            }
        } else if (array instanceof float[] f) {
            for (float v : f) {
                out.add((double) v);
            }
        } else {
            int n = Array.getLength(array);
            for (int i = 0; i < n; i++) {
                flattenInto(Array.get(array, i), out);
            }
        }
    }

    /**
     * The innermost rows of a (nested) {@code double[]} array, in index order: handles through
     * which a test can perturb elements of an argument it has already built.
     */
    static List<double[]> rows(Object array) {
        List<double[]> rows = new ArrayList<>();
        if (array instanceof double[] d) {
            rows.add(d);
        } else {
            int n = Array.getLength(array);
            for (int i = 0; i < n; i++) {
                rows.addAll(rows(Array.get(array, i)));
            }
        }
        return rows;
    }
}
