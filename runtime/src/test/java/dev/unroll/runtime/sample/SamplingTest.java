package dev.unroll.runtime.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.function.IntSupplier;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class SamplingTest {
    static final int N = 100_000;

    /** Counts draws and checks each frequency against {@code expected} within 5 standard errors. */
    static void assertFrequencies(double[] expected, IntSupplier draw) {
        int[] counts = new int[expected.length];
        for (int i = 0; i < N; i++) {
            counts[draw.getAsInt()]++;
        }
        double sum = 0;
        for (double e : expected) {
            sum += e;
        }
        for (int i = 0; i < expected.length; i++) {
            double p = expected[i] / sum;
            double se = Math.sqrt(p * (1 - p) / N);
            double f = counts[i] / (double) N;
            assertTrue(Math.abs(f - p) <= 5 * se + 1e-12, "index " + i + ": frequency " + f + ", expected " + p);
        }
    }

    @Test
    void samplesTheSoftmaxOfTheLogits() {
        RandomGenerator rng = new SplittableRandom(1);
        double[] logits = {0, Math.log(2), Math.log(4)};
        assertFrequencies(new double[] {1, 2, 4}, () -> Sampling.fromLogits(logits, 1, rng));
        // T = 2: softmax(z / 2) is proportional to sqrt(1, 2, 4)
        assertFrequencies(new double[] {1, Math.sqrt(2), 2}, () -> Sampling.fromLogits(logits, 2, rng));
        float[] f = {0, (float) Math.log(2), (float) Math.log(4), Float.NEGATIVE_INFINITY};
        assertFrequencies(new double[] {1, 2, 4, 0}, () -> Sampling.fromLogits(f, 1, rng));
    }

    @Test
    void samplesProbabilitiesWithATemperature() {
        RandomGenerator rng = new SplittableRandom(2);
        double[] p = {0.1, 0.0, 0.3, 0.6};
        assertFrequencies(p, () -> Sampling.fromProbabilities(p, 1, rng));
        assertFrequencies(new double[] {0.01, 0, 0.09, 0.36}, () -> Sampling.fromProbabilities(p, 0.5, rng));
        float[] unnormalized = {2, 6};
        assertFrequencies(new double[] {1, 3}, () -> Sampling.fromProbabilities(unnormalized, 1, rng));
    }

    @Test
    void temperatureZeroIsTheArgmaxAndDrawsNothing() {
        RandomGenerator failing = new RandomGenerator() {
            @Override
            public long nextLong() {
                throw new AssertionError("temperature 0 must not draw");
            }
        };
        assertEquals(2, Sampling.fromLogits(new double[] {1, 3, 5, 5}, 0, failing));
        assertEquals(0, Sampling.fromProbabilities(new double[] {0.5, 0.5}, 0, failing));
        assertEquals(1, Sampling.fromLogits(new float[] {9, -1, 7, 8}, 1, 2, 0, failing)); // offset 1: [-1, 7]
        assertEquals(1, Sampling.argmax(new double[] {Double.NEGATIVE_INFINITY, -3, -4}));
        assertEquals(0, Sampling.argmax(new float[] {2, 2}));
        // a tiny temperature behaves like the argmax, a huge one like uniform
        RandomGenerator rng = new SplittableRandom(3);
        for (int i = 0; i < 1000; i++) {
            assertEquals(2, Sampling.fromLogits(new double[] {1, 2, 2.001}, 1e-9, rng));
        }
        assertFrequencies(new double[] {1, 1, 1}, () -> Sampling.fromLogits(new double[] {1, 2, 3}, 1e9, rng));
    }

    @Test
    void neverDrawsAZeroProbabilityIndex() {
        RandomGenerator almostOne = new RandomGenerator() {
            @Override
            public long nextLong() {
                return -1L; // nextDouble() = 1 - 2^-53, as high as it gets
            }
        };
        assertEquals(1, Sampling.fromProbabilities(new double[] {0.3, 0.7, 0, 0}, 1, almostOne));
        assertEquals(0, Sampling.fromLogits(new double[] {0, Double.NEGATIVE_INFINITY}, 1, almostOne));
    }

    @Test
    void theSameSeedGivesTheSameSequence() {
        double[] logits = {0.1, 0.5, -0.3, 2.0, 1.1};
        RandomGenerator a = new SplittableRandom(99);
        RandomGenerator b = new SplittableRandom(99);
        StringBuilder sa = new StringBuilder();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            sa.append(Sampling.fromLogits(logits, 0.8, a));
            sb.append(Sampling.fromLogits(logits, 0.8, b));
        }
        assertEquals(sa.toString(), sb.toString());
    }

    @Test
    void refusesInvalidArguments() {
        RandomGenerator rng = new SplittableRandom(0);
        assertEquals("logits[1] is NaN; logits must be finite or -Infinity", assertThrows(IllegalArgumentException.class,
                () -> Sampling.fromLogits(new double[] {0, Double.NaN}, 1, rng)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Sampling.fromLogits(new double[] {Double.POSITIVE_INFINITY}, 1, rng));
        assertEquals("all 2 logits from index 0 are -Infinity; nothing can be sampled", assertThrows(
                IllegalArgumentException.class, () -> Sampling.fromLogits(
                        new double[] {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY}, 1, rng)).getMessage());
        assertEquals("temperature must be finite and >= 0, got -1.0", assertThrows(IllegalArgumentException.class,
                () -> Sampling.fromLogits(new double[] {1}, -1, rng)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Sampling.fromLogits(new double[] {1}, Double.NaN, rng));
        assertThrows(IllegalArgumentException.class, () -> Sampling.fromLogits(new double[] {1}, Double.POSITIVE_INFINITY, rng));
        assertThrows(IllegalArgumentException.class, () -> Sampling.fromLogits(new double[0], 1, rng));
        assertEquals("logits: offset 2 and length 2 do not fit an array of 3", assertThrows(IllegalArgumentException.class,
                () -> Sampling.fromLogits(new double[3], 2, 2, 1, rng)).getMessage());
        assertEquals("probabilities[0] is -0.1; probabilities must be finite and >= 0", assertThrows(
                IllegalArgumentException.class, () -> Sampling.fromProbabilities(new double[] {-0.1, 1}, 1, rng)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Sampling.fromProbabilities(new double[] {0, 0}, 1, rng));
        assertThrows(IllegalArgumentException.class, () -> Sampling.fromProbabilities(new double[] {Double.NaN}, 0, rng));
        assertThrows(IllegalArgumentException.class, () -> Sampling.argmax(new double[] {1, Double.NaN}));
        assertThrows(IllegalArgumentException.class, () -> Sampling.argmax(new float[0]));
        assertEquals("logits is null", assertThrows(IllegalArgumentException.class,
                () -> Sampling.fromLogits((double[]) null, 1, rng)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Sampling.fromProbabilities((float[]) null, 1, rng));
    }
}
