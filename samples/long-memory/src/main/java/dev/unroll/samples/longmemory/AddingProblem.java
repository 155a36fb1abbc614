package dev.unroll.samples.longmemory;

import dev.unroll.runtime.Trainer;
import java.util.SplittableRandom;

/**
 * Sequences of the adding problem: at each step a value in [0, 1) and a marker (0 or 1); one
 * marked step in the first half, one in the second; the target is the sum of the two marked values.
 * Always answering 1 (the mean of the sum) has a mean squared error of 1/6, about 0.167.
 */
public final class AddingProblem {
    /** The mean squared error of always answering the mean, 1. */
    public static final double BASELINE_MSE = 1.0 / 6;

    private AddingProblem() {}

    /** {@code batch} sequences of {@code steps} steps: {@code [0]} the inputs, {@code [1]} the targets. */
    public static Trainer.Batch<float[][][], float[][]> batch(int batch, int steps, SplittableRandom random) {
        float[][][] xs = new float[batch][steps][2];
        float[][] ys = new float[batch][1];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < steps; t++) {
                xs[b][t][0] = (float) random.nextDouble();
            }
            int first = random.nextInt(steps / 2);
            int second = steps / 2 + random.nextInt(steps - steps / 2);
            xs[b][first][1] = 1;
            xs[b][second][1] = 1;
            ys[b][0] = xs[b][first][0] + xs[b][second][0];
        }
        return new Trainer.Batch<>(xs, ys);
    }

    public static Trainer.Batches<float[][][], float[][]> batches(int batch, int steps, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        return update -> batch(batch, steps, random);
    }
}
