package dev.unroll.samples.longmemory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.runtime.Trainer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LongMemorySampleTest {
    @Test
    void theTargetIsTheSumOfTheTwoMarkedValues() {
        Trainer.Batch<float[][][], float[][]> batch = AddingProblem.batch(50, 10, new SplittableRandom(3));
        for (int b = 0; b < 50; b++) {
            double sum = 0;
            int marks = 0;
            for (int t = 0; t < 10; t++) {
                if (batch.inputs()[b][t][1] == 1) {
                    sum += batch.inputs()[b][t][0];
                    marks++;
                    assertTrue(marks == 1 ? t < 5 : t >= 5, "mark " + marks + " at step " + t);
                }
            }
            assertEquals(2, marks);
            assertEquals(sum, batch.targets()[b][0], 1e-6);
        }
    }

    @Test
    void gatedCellsSolveShortSequences() {
        for (String cell : new String[] {"lstm", "gru"}) {
            LongMemorySample.Run run = LongMemorySample.train(Nets.adding(cell, 10), 500, 1, null,
                    Trainer.OnNonFinite.THROW);
            assertNull(run.failure());
            System.out.printf("long-memory: %s over 10 steps, test mse %.4f (must be < 0.02)%n", cell, run.testMse());
            assertTrue(run.testMse() < 0.02, cell + " over 10 steps: test mse " + run.testMse()
                    + " (answering 1 scores 0.167)");
        }
    }

    @Test
    void clippingKeepsExplodingGradientsFromWreckingTraining() {
        LongMemorySample.Run unclipped = LongMemorySample.train(Nets.exploding(false), 40, 1, null,
                Trainer.OnNonFinite.SKIP_BATCH);
        assertNotNull(unclipped.failure(), "training without clipping should have diverged");
        assertTrue(unclipped.maxGradientNorm() > 100, "largest gradient norm " + unclipped.maxGradientNorm());

        LongMemorySample.Run clipped = LongMemorySample.train(Nets.exploding(true), 40, 1, null,
                Trainer.OnNonFinite.SKIP_BATCH);
        System.out.printf("long-memory: unclipped %s (largest gradient norm %.3g); clipped test mse %.4f%n",
                unclipped.failure(), unclipped.maxGradientNorm(), clipped.testMse());
        assertNull(clipped.failure());
        assertEquals(0, clipped.skipped());
        assertTrue(clipped.testMse() < 0.5, "test mse with clipping " + clipped.testMse());
    }
}
