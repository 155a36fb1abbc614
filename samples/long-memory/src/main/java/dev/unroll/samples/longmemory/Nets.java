package dev.unroll.samples.longmemory;

import dev.unroll.runtime.Trainable;
import java.util.function.DoubleSupplier;

/** The generated models of {@code adding.rnn}, behind one small interface. */
public final class Nets {
    private Nets() {}

    /** A model, its mean squared error on a batch, and its last gradient norm (before clipping). */
    public record Net(String name, int steps, Trainable<float[][][], float[][]> model, Loss loss,
            DoubleSupplier lastGradientNorm) {
        public double mse(float[][][] xs, float[][] ys) {
            return loss.of(xs, ys);
        }
    }

    /** A model's loss on a batch. */
    @FunctionalInterface
    public interface Loss {
        double of(float[][][] xs, float[][] ys);
    }

    /** Cells, in table order. */
    public static final String[] CELLS = {"rnn", "lstm", "gru"};
    /** Sequence lengths with a model for every cell. */
    public static final int[] LENGTHS = {10, 25, 50, 100};

    /** The model of {@code cell} ("rnn", "lstm" or "gru") over {@code steps} steps. */
    public static Net adding(String cell, int steps) {
        return switch (cell + steps) {
            case "rnn10" -> { var m = new AddRnn10(); yield new Net(cell, steps, m, (x, y) -> m.loss(m.newWorkspace(), x, y), m::lastGradientNorm); }
            case "lstm10" -> { var m = new AddLstm10(); yield new Net(cell, steps, m, (x, y) -> m.loss(m.newWorkspace(), x, y), m::lastGradientNorm); }
            case "gru10" -> { var m = new AddGru10(); yield new Net(cell, steps, m, (x, y) -> m.loss(m.newWorkspace(), x, y), m::lastGradientNorm); }
            case "rnn25" -> { var m = new AddRnn25(); yield new Net(cell, steps, m, (x, y) -> m.loss(m.newWorkspace(), x, y), m::lastGradientNorm); }
            case "lstm25" -> { var m = new AddLstm25(); yield new Net(cell, steps, m, (x, y) -> m.loss(m.newWorkspace(), x, y), m::lastGradientNorm); }
            case "gru25" -> { var m = new AddGru25(); yield new Net(cell, steps, m, (x, y) -> m.loss(m.newWorkspace(), x, y), m::lastGradientNorm); }
            case "rnn50" -> { var m = new AddRnn50(); yield new Net(cell, steps, m, (x, y) -> m.loss(m.newWorkspace(), x, y), m::lastGradientNorm); }
            case "lstm50" -> { var m = new AddLstm50(); yield new Net(cell, steps, m, (x, y) -> m.loss(m.newWorkspace(), x, y), m::lastGradientNorm); }
            case "gru50" -> { var m = new AddGru50(); yield new Net(cell, steps, m, (x, y) -> m.loss(m.newWorkspace(), x, y), m::lastGradientNorm); }
            case "rnn100" -> { var m = new AddRnn100(); yield new Net(cell, steps, m, (x, y) -> m.loss(m.newWorkspace(), x, y), m::lastGradientNorm); }
            case "lstm100" -> { var m = new AddLstm100(); yield new Net(cell, steps, m, (x, y) -> m.loss(m.newWorkspace(), x, y), m::lastGradientNorm); }
            case "gru100" -> { var m = new AddGru100(); yield new Net(cell, steps, m, (x, y) -> m.loss(m.newWorkspace(), x, y), m::lastGradientNorm); }
            default -> throw new IllegalArgumentException("no model for " + cell + " over " + steps + " steps");
        };
    }

    /** The ReLU RNN trained with SGD, without clipping ({@code clipped = false}) or with {@code clip norm 1.0}. */
    public static Net exploding(boolean clipped) {
        if (clipped) {
            var m = new ClippedRnn();
            return new Net("relu rnn, clip norm 1.0", ClippedRnn.STEPS, m, (x, y) -> m.loss(m.newWorkspace(), x, y),
                    m::lastGradientNorm);
        }
        var m = new ExplodingRnn();
        return new Net("relu rnn, no clipping", ExplodingRnn.STEPS, m, (x, y) -> m.loss(m.newWorkspace(), x, y),
                m::lastGradientNorm);
    }
}
