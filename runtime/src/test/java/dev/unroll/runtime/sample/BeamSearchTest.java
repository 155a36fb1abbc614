package dev.unroll.runtime.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Beam search with an end class, over a toy decoder whose logits at each step depend on the step and the previous
 * class (a random table): against enumerating every sequence cut at its first end class, and against greedy
 * decoding.
 */
class BeamSearchTest {
    static final int CLASSES = 4;
    static final int STEPS = 4;
    static final int END = 3;

    /** logits[s][previous + 1][o]: the toy decoder, previous -1 at step 0. */
    private static double[][][] decoder(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[][][] z = new double[STEPS][CLASSES + 1][CLASSES];
        for (double[][] step : z) {
            for (double[] row : step) {
                for (int o = 0; o < CLASSES; o++) {
                    row[o] = random.nextDouble(-2, 2);
                }
            }
        }
        return z;
    }

    private static List<BeamSearch.Hypothesis> search(double[][][] z, int width) {
        BeamSearch search = new BeamSearch(width, STEPS, CLASSES, END);
        for (int s = 0; s < STEPS && !search.done(); s++) {
            for (int k = 0; k < search.size(); k++) {
                search.score(k, z[s][s == 0 ? 0 : search.lastSymbol(k) + 1], 0);
            }
            search.advance();
        }
        assertTrue(search.done(), "done after the last step");
        return search.hypotheses();
    }

    private static double logSoftmax(double[] row, int o) {
        double max = Arrays.stream(row).max().orElseThrow();
        double sum = 0;
        for (double v : row) {
            sum += Math.exp(v - max);
        }
        return row[o] - max - Math.log(sum);
    }

    /** Every sequence of up to STEPS classes that ends at its first end class (or has STEPS), with its score. */
    private static List<BeamSearch.Hypothesis> enumerate(double[][][] z) {
        List<BeamSearch.Hypothesis> all = new ArrayList<>();
        extend(z, new int[0], 0.0, all);
        all.sort(Comparator.comparingDouble(h -> -h.logProbability()));
        return all;
    }

    private static void extend(double[][][] z, int[] prefix, double score, List<BeamSearch.Hypothesis> out) {
        int s = prefix.length;
        if (s == STEPS || s > 0 && prefix[s - 1] == END) {
            out.add(new BeamSearch.Hypothesis(prefix, score));
            return;
        }
        double[] row = z[s][s == 0 ? 0 : prefix[s - 1] + 1];
        for (int o = 0; o < CLASSES; o++) {
            int[] next = Arrays.copyOf(prefix, s + 1);
            next[s] = o;
            extend(z, next, score + logSoftmax(row, o), out);
        }
    }

    @Test
    void aBeamWideEnoughToKeepEverythingReturnsTheMostProbableSequencesEndingAtTheEndClass() {
        for (long seed = 1; seed <= 50; seed++) {
            double[][][] z = decoder(seed);
            List<BeamSearch.Hypothesis> expected = enumerate(z);
            List<BeamSearch.Hypothesis> found = search(z, 256);
            assertEquals(expected.size(), found.size(), "every sequence is kept");
            for (int k = 0; k < 6; k++) {
                assertArrayEquals(expected.get(k).symbols(), found.get(k).symbols(), "seed " + seed + ", rank " + k);
                assertEquals(expected.get(k).logProbability(), found.get(k).logProbability(), 1e-12);
            }
        }
    }

    @Test
    void widthOneIsGreedyDecodingThatStopsAtTheEndClass() {
        boolean stoppedEarly = false;
        for (long seed = 1; seed <= 50; seed++) {
            double[][][] z = decoder(seed);
            List<Integer> greedy = new ArrayList<>();
            for (int s = 0; s < STEPS; s++) {
                double[] row = z[s][s == 0 ? 0 : greedy.get(s - 1) + 1];
                int best = 0;
                for (int o = 1; o < CLASSES; o++) {
                    best = row[o] > row[best] ? o : best;
                }
                greedy.add(best);
                if (best == END) {
                    break;
                }
            }
            stoppedEarly |= greedy.size() < STEPS;
            List<BeamSearch.Hypothesis> one = search(z, 1);
            assertEquals(1, one.size());
            assertArrayEquals(greedy.stream().mapToInt(Integer::intValue).toArray(), one.get(0).symbols(),
                    "seed " + seed);
        }
        assertTrue(stoppedEarly, "some greedy sequence ends early");
    }

    @Test
    void theSearchStopsWhenNoUnfinishedHypothesisCanBeatTheFinishedOnes() {
        // step 0: the end class is almost certain, so the one finished hypothesis beats every continuation
        double[] certainEnd = {-10, -10, -10, 10};
        BeamSearch search = new BeamSearch(1, STEPS, CLASSES, END);
        assertFalse(search.done());
        search.score(0, certainEnd, 0);
        int[] parents = search.advance();
        assertEquals(1, parents.length, "the best candidate that does not end stays alive");
        assertTrue(search.done(), "its score is below the finished hypothesis's");
        assertArrayEquals(new int[] {END}, search.hypotheses().get(0).symbols());
        assertEquals(1, search.hypotheses().size());
    }

    @Test
    void anEndClassOutsideTheClassesIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BeamSearch(2, 3, 4, 4));
        assertTrue(e.getMessage().contains("end class 4 is outside [0, 4)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BeamSearch(2, 3, 4, -2));
    }
}
