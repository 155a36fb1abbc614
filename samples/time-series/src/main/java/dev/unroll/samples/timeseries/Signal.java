package dev.unroll.samples.timeseries;

import dev.unroll.runtime.Trainer;
import java.util.SplittableRandom;

/**
 * A noisy sum of three sines with fixed periods (17, 29 and 53 steps) and amplitudes, observed with
 * Gaussian noise of standard deviation {@link #NOISE}. Each window starts at a random time, so the
 * phases differ from window to window; a model must infer them from what it has read so far.
 */
public final class Signal {
    static final double[] PERIODS = {17, 29, 53};
    static final double[] AMPLITUDES = {0.5, 0.3, 0.2};
    /** Standard deviation of the observation noise: no predictor can beat NOISE² on average. */
    public static final double NOISE = 0.05;

    private Signal() {}

    /** The clean signal at (real) time {@code t}. */
    public static double clean(double t) {
        double v = 0;
        for (int i = 0; i < PERIODS.length; i++) {
            v += AMPLITUDES[i] * Math.sin(2 * Math.PI * t / PERIODS[i]);
        }
        return v;
    }

    /** {@code steps + 1} noisy observations from a random start. */
    public static double[] window(int steps, SplittableRandom random) {
        double start = random.nextDouble() * 10_000;
        double[] v = new double[steps + 1];
        for (int t = 0; t < v.length; t++) {
            v[t] = clean(start + t) + NOISE * random.nextGaussian();
        }
        return v;
    }

    /** A batch: inputs are values 0..T-1 of each window, targets values 1..T. */
    public static Trainer.Batch<float[][][], float[][][]> batch(int size, SplittableRandom random) {
        int steps = NextValue.STEPS;
        float[][][] xs = new float[size][steps][1];
        float[][][] ys = new float[size][steps][1];
        for (int b = 0; b < size; b++) {
            double[] v = window(steps, random);
            for (int t = 0; t < steps; t++) {
                xs[b][t][0] = (float) v[t];
                ys[b][t][0] = (float) v[t + 1];
            }
        }
        return new Trainer.Batch<>(xs, ys);
    }

    /** Mean squared error of predicting each next value as the current one. */
    public static double repeatLastMse(Trainer.Batch<float[][][], float[][][]> batch) {
        double sum = 0;
        long n = 0;
        for (int b = 0; b < batch.inputs().length; b++) {
            for (int t = 0; t < batch.inputs()[b].length; t++) {
                double e = batch.inputs()[b][t][0] - batch.targets()[b][t][0];
                sum += e * e;
                n++;
            }
        }
        return sum / n;
    }
}
