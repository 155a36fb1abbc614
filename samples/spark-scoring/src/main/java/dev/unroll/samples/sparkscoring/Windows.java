package dev.unroll.samples.sparkscoring;

import dev.unroll.runtime.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Synthetic sensor data: three channels of Gaussian noise; in half of the windows (label 1) channel
 * 0 also carries a burst, four consecutive steps raised by 1.5, at a random place.
 */
public final class Windows {
    private Windows() {}

    /** Makes {@code count} windows, ids {@code firstId} on, from {@code seed}. */
    public static List<SensorWindow> generate(int count, long firstId, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<SensorWindow> windows = new ArrayList<>(count);
        int channels = BurstScorer.INPUT_SIZE;
        for (int i = 0; i < count; i++) {
            float[] readings = new float[BurstScorer.STEPS * channels];
            for (int k = 0; k < readings.length; k++) {
                readings[k] = (float) (0.5 * gaussian(random));
            }
            int label = random.nextBoolean() ? 1 : 0;
            if (label == 1) {
                int start = random.nextInt(BurstScorer.STEPS - 3);
                for (int t = start; t < start + 4; t++) {
                    readings[t * channels] += 1.5f;
                }
            }
            windows.add(new SensorWindow(firstId + i, readings, label));
        }
        return windows;
    }

    private static double gaussian(SplittableRandom random) {
        // Box-Muller: SplittableRandom has no nextGaussian on Java 17
        return Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
    }

    /** Returns random training batches of {@code size} windows of {@code set}. */
    public static Trainer.Batches<float[][][], float[][]> batches(List<SensorWindow> set, int size, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        return update -> {
            float[][][] xs = new float[size][][];
            float[][] ys = new float[size][1];
            for (int b = 0; b < size; b++) {
                SensorWindow window = set.get(random.nextInt(set.size()));
                xs[b] = window.sequence();
                ys[b][0] = window.getLabel();
            }
            return new Trainer.Batch<>(xs, ys);
        };
    }
}
