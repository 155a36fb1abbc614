package it.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class VectorCharsTest {
    @Test
    void trainingLowersTheLoss() {
        VectorChars model = new VectorChars();
        int[][] xs = new int[5][VectorChars.STEPS];
        int[][] ys = new int[5][VectorChars.STEPS];
        for (int b = 0; b < 5; b++) {
            for (int t = 0; t < VectorChars.STEPS; t++) {
                xs[b][t] = (b + t) % 5;
                ys[b][t] = (b + t + 1) % 5;
            }
        }
        double first = model.trainStep(xs, ys);
        double last = first;
        for (int update = 1; update < 40; update++) {
            last = model.trainStep(xs, ys);
        }
        assertEquals(40, model.updates());
        assertTrue(last < 0.5 * first, "loss went from " + first + " to " + last);
    }
}
