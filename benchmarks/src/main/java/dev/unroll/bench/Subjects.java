package dev.unroll.bench;

import dev.unroll.bench.GeneratedModels.Dense32;
import dev.unroll.bench.GeneratedModels.Dense64;
import dev.unroll.bench.baseline.EjmlNetworkF32;
import dev.unroll.bench.baseline.EjmlNetworkF64;
import dev.unroll.bench.baseline.NetworkShape;
import dev.unroll.bench.models.CharLstm;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Creates the {@link Subject}s the benchmarks time. Both implementations of a configuration get
 * the same weights (the EJML baseline copies the generated model's initial weights) and the same
 * inputs (from a fixed seed), so their training runs follow the same trajectory.
 */
public final class Subjects {
    private Subjects() {}

    /** How many different inputs each pool holds: steps, sequences, and training batches. */
    static final int STEP_POOL = 64;
    static final int SEQUENCE_POOL = 4;
    static final int BATCH_POOL = 4;

    /** The implementation under test: {@code unroll} (generated code) or {@code ejml} (the baseline). */
    public static boolean isUnroll(String impl) {
        return switch (impl) {
            case "unroll" -> true;
            case "ejml" -> false;
            default -> throw new IllegalArgumentException("impl must be unroll or ejml: " + impl);
        };
    }

    /**
     * Returns a grid configuration: {@code cell} rnn, lstm or gru; {@code precision} float or double;
     * training batches of {@code batch} sequences.
     */
    public static Subject grid(String impl, String cell, int hidden, String precision, int steps, int batch) {
        boolean unroll = isUnroll(impl);
        String name = GeneratedModels.name(cell, hidden, precision, steps);
        NetworkShape shape = NetworkShape.grid(NetworkShape.Cell.valueOf(cell.toUpperCase(Locale.ROOT)), hidden, steps);
        long seed = 42;
        if (precision.equals("float")) {
            Dense32 model = GeneratedModels.dense32(name);
            DenseData32 data = new DenseData32(shape, batch, seed);
            if (unroll) {
                return new UnrollDense32(model, data);
            }
            EjmlNetworkF32 net = new EjmlNetworkF32(shape);
            net.copyFrom(model.parameters());
            return new EjmlDense32(net, data);
        }
        Dense64 model = GeneratedModels.dense64(name);
        DenseData64 data = new DenseData64(shape, batch, seed);
        if (unroll) {
            return new UnrollDense64(model, data);
        }
        EjmlNetworkF64 net = new EjmlNetworkF64(shape);
        net.copyFrom(model.parameters());
        return new EjmlDense64(net, data);
    }

    /**
     * Returns a float grid model of 25 steps at batch {@code batch} (64 dense inputs, 64 linear outputs) whose matrix
     * products are the plain Java kernels ({@code kernels} "plain") or the Vector API's ("vector").
     */
    public static Subject kernels(String kernels, String cell, int hidden, int batch) {
        NetworkShape shape = NetworkShape.grid(NetworkShape.Cell.valueOf(cell.toUpperCase(Locale.ROOT)), hidden, 25);
        Dense32 model = switch (kernels) {
            case "plain" -> GeneratedModels.dense32(GeneratedModels.name(cell, hidden, "float", 25));
            case "vector" -> GeneratedModels.vectorDense32(cell, hidden);
            default -> throw new IllegalArgumentException("kernels must be plain or vector: " + kernels);
        };
        return new UnrollDense32(model, new DenseData32(shape, batch, 42));
    }

    /** Returns the char-level LSTM generated with the Vector API kernels, training on batches of {@code batch}. */
    public static Subject vectorCharLstm(int batch) {
        var model = new dev.unroll.bench.vector.VCharLstm();
        SymbolData data = new SymbolData(NetworkShape.charLstm(), batch, 42);
        var workspace = model.newWorkspace();
        var stepper = model.newStepper();
        return new Subject() {
            @Override
            public Object step() {
                return stepper.step(data.step());
            }

            @Override
            public Object forward() {
                return model.forward(workspace, data.sequence());
            }

            @Override
            public double train() {
                int b = data.batch();
                return model.trainStep(data.xs[b], data.ys[b]);
            }
        };
    }

    /** Returns the char-level LSTM ({@link CharLstm}, float), training on batches of {@code batch} sequences. */
    public static Subject charLstm(String impl, int batch) {
        boolean unroll = isUnroll(impl);
        CharLstm model = new CharLstm();
        SymbolData data = new SymbolData(NetworkShape.charLstm(), batch, 42);
        if (unroll) {
            return new UnrollChar(model, data);
        }
        EjmlNetworkF32 net = new EjmlNetworkF32(NetworkShape.charLstm());
        net.copyFrom(model.parameters());
        return new EjmlChar(net, data);
    }

    // ---------------------------------------------------------------------------------------------
    // inputs

    /** Dense float inputs in [-1, 1] and mse targets in [-1, 1]. */
    static final class DenseData32 {
        final float[][] steps;
        final float[][][] sequences;
        final float[][][][] xs;
        final float[][][][] ys;
        private int nextStep;
        private int nextSequence;
        private int nextBatch;

        DenseData32(NetworkShape shape, int batch, long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            steps = new float[STEP_POOL][shape.inputSize()];
            fill(steps, random);
            sequences = new float[SEQUENCE_POOL][shape.steps()][shape.inputSize()];
            for (float[][] s : sequences) {
                fill(s, random);
            }
            xs = new float[BATCH_POOL][batch][shape.steps()][shape.inputSize()];
            ys = new float[BATCH_POOL][batch][shape.steps()][shape.outputSize()];
            for (int p = 0; p < BATCH_POOL; p++) {
                for (int b = 0; b < batch; b++) {
                    fill(xs[p][b], random);
                    fill(ys[p][b], random);
                }
            }
        }

        private static void fill(float[][] m, SplittableRandom random) {
            for (float[] row : m) {
                for (int i = 0; i < row.length; i++) {
                    row[i] = (float) (2 * random.nextDouble() - 1);
                }
            }
        }

        float[] step() {
            return steps[nextStep++ & (STEP_POOL - 1)];
        }

        float[][] sequence() {
            return sequences[nextSequence++ & (SEQUENCE_POOL - 1)];
        }

        int batch() {
            return nextBatch++ & (BATCH_POOL - 1);
        }
    }

    /** Dense double inputs in [-1, 1] and mse targets in [-1, 1]. */
    static final class DenseData64 {
        final double[][] steps;
        final double[][][] sequences;
        final double[][][][] xs;
        final double[][][][] ys;
        private int nextStep;
        private int nextSequence;
        private int nextBatch;

        DenseData64(NetworkShape shape, int batch, long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            steps = new double[STEP_POOL][shape.inputSize()];
            fill(steps, random);
            sequences = new double[SEQUENCE_POOL][shape.steps()][shape.inputSize()];
            for (double[][] s : sequences) {
                fill(s, random);
            }
            xs = new double[BATCH_POOL][batch][shape.steps()][shape.inputSize()];
            ys = new double[BATCH_POOL][batch][shape.steps()][shape.outputSize()];
            for (int p = 0; p < BATCH_POOL; p++) {
                for (int b = 0; b < batch; b++) {
                    fill(xs[p][b], random);
                    fill(ys[p][b], random);
                }
            }
        }

        private static void fill(double[][] m, SplittableRandom random) {
            for (double[] row : m) {
                for (int i = 0; i < row.length; i++) {
                    row[i] = 2 * random.nextDouble() - 1;
                }
            }
        }

        double[] step() {
            return steps[nextStep++ & (STEP_POOL - 1)];
        }

        double[][] sequence() {
            return sequences[nextSequence++ & (SEQUENCE_POOL - 1)];
        }

        int batch() {
            return nextBatch++ & (BATCH_POOL - 1);
        }
    }

    /** Random symbols; each target is the symbol that follows in the same random stream. */
    static final class SymbolData {
        final int[] steps;
        final int[][] sequences;
        final int[][][] xs;
        final int[][][] ys;
        private int nextStep;
        private int nextSequence;
        private int nextBatch;

        SymbolData(NetworkShape shape, int batch, long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            int vocabulary = shape.inputSize();
            steps = random.ints(STEP_POOL, 0, vocabulary).toArray();
            sequences = new int[SEQUENCE_POOL][];
            for (int p = 0; p < SEQUENCE_POOL; p++) {
                sequences[p] = random.ints(shape.steps(), 0, vocabulary).toArray();
            }
            xs = new int[BATCH_POOL][batch][shape.steps()];
            ys = new int[BATCH_POOL][batch][shape.steps()];
            for (int p = 0; p < BATCH_POOL; p++) {
                for (int b = 0; b < batch; b++) {
                    int[] stream = random.ints(shape.steps() + 1, 0, vocabulary).toArray();
                    System.arraycopy(stream, 0, xs[p][b], 0, shape.steps());
                    System.arraycopy(stream, 1, ys[p][b], 0, shape.steps());
                }
            }
        }

        int step() {
            return steps[nextStep++ & (STEP_POOL - 1)];
        }

        int[] sequence() {
            return sequences[nextSequence++ & (SEQUENCE_POOL - 1)];
        }

        int batch() {
            return nextBatch++ & (BATCH_POOL - 1);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // the subjects

    private static final class UnrollDense32 implements Subject {
        private final Dense32 model;
        private final DenseData32 data;

        UnrollDense32(Dense32 model, DenseData32 data) {
            this.model = model;
            this.data = data;
        }

        @Override
        public Object step() {
            return model.stepper().step(data.step());
        }

        @Override
        public Object forward() {
            return model.forward().forward(data.sequence());
        }

        @Override
        public double train() {
            int b = data.batch();
            return model.model().trainStep(data.xs[b], data.ys[b]);
        }
    }

    private static final class UnrollDense64 implements Subject {
        private final Dense64 model;
        private final DenseData64 data;

        UnrollDense64(Dense64 model, DenseData64 data) {
            this.model = model;
            this.data = data;
        }

        @Override
        public Object step() {
            return model.stepper().step(data.step());
        }

        @Override
        public Object forward() {
            return model.forward().forward(data.sequence());
        }

        @Override
        public double train() {
            int b = data.batch();
            return model.model().trainStep(data.xs[b], data.ys[b]);
        }
    }

    private static final class EjmlDense32 implements Subject {
        private final EjmlNetworkF32 net;
        private final DenseData32 data;

        EjmlDense32(EjmlNetworkF32 net, DenseData32 data) {
            this.net = net;
            this.data = data;
        }

        @Override
        public Object step() {
            return net.step(data.step());
        }

        @Override
        public Object forward() {
            return net.forward(data.sequence());
        }

        @Override
        public double train() {
            int b = data.batch();
            return net.trainStep(data.xs[b], data.ys[b]);
        }
    }

    private static final class EjmlDense64 implements Subject {
        private final EjmlNetworkF64 net;
        private final DenseData64 data;

        EjmlDense64(EjmlNetworkF64 net, DenseData64 data) {
            this.net = net;
            this.data = data;
        }

        @Override
        public Object step() {
            return net.step(data.step());
        }

        @Override
        public Object forward() {
            return net.forward(data.sequence());
        }

        @Override
        public double train() {
            int b = data.batch();
            return net.trainStep(data.xs[b], data.ys[b]);
        }
    }

    private static final class UnrollChar implements Subject {
        private final CharLstm model;
        private final CharLstm.Stepper stepper;
        private final CharLstm.Workspace workspace;
        private final SymbolData data;

        UnrollChar(CharLstm model, SymbolData data) {
            this.model = model;
            this.stepper = model.newStepper();
            this.workspace = model.newWorkspace();
            this.data = data;
        }

        @Override
        public Object step() {
            return stepper.step(data.step());
        }

        @Override
        public Object forward() {
            return model.forward(workspace, data.sequence());
        }

        @Override
        public double train() {
            int b = data.batch();
            return model.trainStep(data.xs[b], data.ys[b]);
        }
    }

    private static final class EjmlChar implements Subject {
        private final EjmlNetworkF32 net;
        private final SymbolData data;

        EjmlChar(EjmlNetworkF32 net, SymbolData data) {
            this.net = net;
            this.data = data;
        }

        @Override
        public Object step() {
            return net.step(data.step());
        }

        @Override
        public Object forward() {
            return net.forward(data.sequence());
        }

        @Override
        public double train() {
            int b = data.batch();
            return net.trainStep(data.xs[b], data.ys[b]);
        }
    }
}
