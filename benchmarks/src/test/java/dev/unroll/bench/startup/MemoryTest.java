package dev.unroll.bench.startup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.bench.models.LstmH32F32T25;
import org.junit.jupiter.api.Test;

/** The memory figures: JOL's deep sizes against a count by hand, and what a model holds before and after training. */
class MemoryTest {
    /** An array as 64-bit HotSpot lays it out with compressed class pointers: a 16-byte header, 8-byte aligned. */
    private static long floatArray(long n) {
        return (16 + 4 * n + 7) / 8 * 8;
    }

    @Test
    void theWeightsAreTheParametersArraysCountedByHand() throws Exception {
        LstmH32F32T25 model = new LstmH32F32T25();
        Memory.Parts parts = Memory.Parts.of(model);
        // input 64, lstm 32 (4 gates: 128 rows), head 64: W_ih 128x64, W_hh 128x32, two biases of 128, W 64x32, b 64
        long[] sizes = {128 * 64, 128 * 32, 128, 128, 64 * 32, 64};
        long elements = 0;
        long byHand = 0;
        for (long n : sizes) {
            elements += n;
            byHand += floatArray(n);
        }
        assertEquals(model.parameters().elementCount(), elements);
        assertEquals(4 * elements, parts.weights());
        assertEquals(58_720, byHand);
        assertEquals(byHand, parts.values(), "JOL's size of the value arrays");
        assertEquals(byHand, parts.grads(), "one gradient array per parameter, of its size");
        // the transposed and row-split copies: more than one copy of the weights, fewer than three
        assertTrue(parts.packed() > parts.values() && parts.packed() < 3 * parts.values(), parts.toString());
    }

    @Test
    void trainingAddsGradientBuffersAndOptimizerStateAndAStepperHoldsOneStep() throws Exception {
        LstmH32F32T25 model = new LstmH32F32T25();
        long fresh = Memory.deep(model);
        long workspace = Memory.deep(Memory.field(model, "trainingWorkspace"));
        long optimizer = Memory.deep(Memory.field(model, "optimizer"));
        long[] b1 = Memory.trained(new LstmH32F32T25(), 1);
        Memory.Parts parts = Memory.Parts.of(model);
        // Adagrad keeps one sum per weight: at least the values' bytes once the first update made them
        assertTrue(b1[1] - optimizer >= parts.values(), "optimizer " + optimizer + " -> " + b1[1]);
        // the workspace's gradient buffers, one row array per weight row: at least the weights' bytes
        assertTrue(b1[2] - workspace >= parts.weights(), "workspace " + workspace + " -> " + b1[2]);
        assertTrue(b1[0] >= fresh + (b1[1] - optimizer) + (b1[2] - workspace) - 1024, "model " + fresh + " -> " + b1[0]);
        long stepper = Memory.stepperBytes(model.newStepper());
        long forward = Memory.deep(model.newWorkspace());
        assertTrue(stepper > 0 && stepper < forward, "stepper " + stepper + ", workspace " + forward);
        assertTrue(stepper < fresh / 10, "a stepper leaves its model out: " + stepper + " of " + fresh);
    }
}
