package dev.unroll.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The masks against their definition, written with the JDK's own {@link SplittableRandom} rather than with
 * {@link Dropout}'s mixing: the key is a chain of first draws, the uniforms the key's stream of doubles.
 */
class DropoutTest {

    private static long first(long z) {
        return new SplittableRandom(z).nextLong();
    }

    @Test
    void keysAndUniformsAreTheDocumentedSplittableRandomDraws() {
        long[] seeds = {0, 7, -1, Long.MAX_VALUE, 20240611L};
        for (long seed : seeds) {
            for (long update : new long[] {0, 1, 12345}) {
                for (int sequence : new int[] {0, 3}) {
                    for (int layer : new int[] {0, 2}) {
                        long key = first(first(first(first(seed) + update) + sequence) + layer);
                        assertEquals(key, Dropout.key(seed, update, sequence, layer));
                        SplittableRandom stream = new SplittableRandom(key);
                        for (int e = 0; e < 50; e++) {
                            assertEquals(stream.nextDouble(), Dropout.uniform(key, e), 0.0);
                        }
                    }
                }
            }
        }
    }

    @Test
    void masksAreZeroOrTheInvertedScaleAtTheRequestedRate() {
        long key = Dropout.key(7, 3, 1, 0);
        double p = 0.3;
        int n = 200_000;
        double[] mask = new double[n + 5];
        Dropout.mask(key, 0, p, mask, 5, n);
        float[] floats = new float[n];
        Dropout.mask(key, 0, p, floats, 0, n);
        int dropped = 0;
        for (int i = 0; i < n; i++) {
            double m = mask[5 + i];
            assertTrue(m == 0 || m == 1 / (1 - p), "element " + i + ": " + m);
            assertEquals((float) m, floats[i], 0.0f, "float and double masks drop the same elements");
            dropped += m == 0 ? 1 : 0;
        }
        // binomial: standard deviation sqrt(n p (1 - p)) = 205, the bound is six of them
        assertEquals(p * n, dropped, 1230);
        // a slice is the same elements as the whole: element e depends on e alone
        double[] slice = new double[10];
        Dropout.mask(key, 1000, p, slice, 0, 10);
        for (int i = 0; i < 10; i++) {
            assertEquals(mask[5 + 1000 + i], slice[i], 0.0);
        }
    }

    @Test
    void everyPartOfTheKeyChangesTheMask() {
        long base = Dropout.key(7, 3, 1, 0);
        assertNotEquals(base, Dropout.key(8, 3, 1, 0));
        assertNotEquals(base, Dropout.key(7, 4, 1, 0));
        assertNotEquals(base, Dropout.key(7, 3, 2, 0));
        assertNotEquals(base, Dropout.key(7, 3, 1, 1));
        assertNotEquals(Dropout.key(1, 0, 0, 0), Dropout.key(0, 1, 0, 0), "seed and update do not commute");
    }

    @Test
    void aProbabilityOutsideZeroToOneIsRefused() {
        for (double p : new double[] {-0.1, 1, 1.5, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Dropout.mask(0, 0, p, new double[1], 0, 1));
            assertTrue(e.getMessage().contains("[0, 1)"), e.getMessage());
        }
        assertEquals(1.0, Dropout.scale(0), 0.0);
        assertEquals(2.0, Dropout.scale(0.5), 0.0);
    }
}
