package dev.unroll.bench.startup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.bench.models.LstmH32F32T25;
import org.junit.jupiter.api.Test;

/** The memory figures' arithmetic, and what a generated model and its stepper hold. */
class DeepSizeTest {
    static final class Holder {
        final float[] a = new float[10];   // 16 + 40
        final double[][] b = {new double[3], new double[3]};   // 16 + 2 * 4 -> 24; 2 * (16 + 24)
        final int n = 1;
    }

    @Test
    void sizesArraysAndObjectsAsHotSpotLaysThemOut() {
        assertEquals(56, DeepSize.of(new float[10]));
        assertEquals(24, DeepSize.of(new byte[1]));
        // header 12 + 2 references + an int = 24; the arrays 56 + 24 + 2 * 40
        assertEquals(24 + 56 + 24 + 80, DeepSize.of(new Holder()));
        Holder h = new Holder();
        assertEquals(24 + 24 + 80, DeepSize.of(h, h.a), "an excluded object is not counted");
    }

    @Test
    void aGeneratedModelHoldsItsWeightsSeveralTimesOverAndAStepperItsWorkspace() {
        LstmH32F32T25 model = new LstmH32F32T25();
        long weights = model.parameters().elementCount() * 4;
        long size = DeepSize.of(model);
        // values and gradients, the transposed and the row-split copies, the training workspace
        assertTrue(size > 3 * weights && size < 8 * weights, size + " bytes for " + weights + " bytes of weights");
        long stepper = DeepSize.of(model.newStepper(), model);
        assertTrue(stepper > 0 && stepper < size, "stepper " + stepper);
    }
}
