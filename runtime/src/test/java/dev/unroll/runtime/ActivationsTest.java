package dev.unroll.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ActivationsTest {

    @Test
    void floatTanhIsWithinAFewUlpsEverywhere() {
        double maxAbs = 0;
        double maxRel = 0;
        // every float in [-20, 20] at a fine step, plus every power-of-1.01 scale down to the subnormals
        for (float x = -20f; x <= 20f; x += 1e-4f) {
            double exact = Math.tanh(x);
            double error = Math.abs(Activations.tanh(x) - exact);
            maxAbs = Math.max(maxAbs, error);
            if (exact != 0) {
                maxRel = Math.max(maxRel, error / Math.abs(exact));
            }
        }
        for (float x = Float.MIN_NORMAL; x < 1f; x *= 1.01f) {
            maxRel = Math.max(maxRel, Math.abs(Activations.tanh(x) - Math.tanh(x)) / Math.tanh(x));
            maxRel = Math.max(maxRel, Math.abs(Activations.tanh(-x) + Math.tanh(x)) / Math.tanh(x));
        }
        assertTrue(maxAbs < 4e-7, "max absolute error " + maxAbs);
        assertTrue(maxRel < 4e-7, "max relative error " + maxRel);
        assertEquals(0f, Activations.tanh(0f));
        assertTrue(Float.isNaN(Activations.tanh(Float.NaN)));
        assertEquals(-Activations.tanh(Float.MAX_VALUE), Activations.tanh(-Float.MAX_VALUE));
        assertTrue(Activations.tanh(Float.POSITIVE_INFINITY) > 0.9999997f);
    }

    @Test
    void floatSigmoidIsWithinAbsoluteTolerance() {
        double maxAbs = 0;
        for (float x = -40f; x <= 40f; x += 1e-4f) {
            double exact = 1.0 / (1.0 + Math.exp(-x));
            maxAbs = Math.max(maxAbs, Math.abs(Activations.sigmoid(x) - exact));
        }
        assertTrue(maxAbs < 2.5e-7, "max absolute error " + maxAbs);
        assertEquals(0.5f, Activations.sigmoid(0f));
    }

    @Test
    void lstmGateLoopGivesTheBitsOfSigmoidAndTanh() {
        float[] scales = Activations.lstmGateScales(3);
        float[] shifts = Activations.lstmGateShifts(3);
        assertEquals(12, scales.length);
        assertEquals(12, shifts.length);
        for (int k = 0; k < 12; k++) {
            boolean g = k >= 6 && k < 9;
            assertEquals(g ? 1f : 0.5f, scales[k], "scale of row " + k);
            assertEquals(g ? 0f : 0.5f, shifts[k], "shift of row " + k);
        }
        for (float x = -40f; x <= 40f; x += 1.7e-4f) {
            assertEquals(Float.floatToIntBits(Activations.sigmoid(x)),
                    Float.floatToIntBits(Activations.gate(x, 0.5f, 0.5f)), "sigmoid at " + x);
            // tanh's -0 becomes +0 (x + 0): equal as numbers
            assertEquals(Activations.tanh(x), Activations.gate(x, 1f, 0f), 0f, "tanh at " + x);
        }
        assertTrue(Float.isNaN(Activations.gate(Float.NaN, 0.5f, 0.5f)));
    }

    @Test
    void doubleVersionsAreExact() {
        for (double x = -30; x <= 30; x += 0.01) {
            assertEquals(Math.tanh(x), Activations.tanh(x), 0.0);
            assertEquals(1.0 / (1.0 + Math.exp(-x)), Activations.sigmoid(x), 0.0);
        }
    }

    @Test
    void softmaxIsStableForLargeLogits() {
        double[] z = {1000, 1001, 1002};
        double[] y = new double[3];
        Activations.softmax(z, 0, 3, y, 0);
        double e = Math.exp(-1);
        double sum = e * e + e + 1;
        assertEquals(e * e / sum, y[0], 1e-15);
        assertEquals(1 / sum, y[2], 1e-15);
        float[] zf = {-1000f, 0f, 1000f};
        float[] yf = new float[3];
        Activations.softmax(zf, 0, 3, yf, 0);
        assertEquals(1f, yf[2]);
        assertEquals(0f, yf[0]);
    }

    /**
     * Double tanh is StrictMath's, bit for bit: over a dense grid, the special values, subnormals,
     * the region where tanh saturates, and random bit patterns (the cross-JDK promise rests on it).
     */
    @Test
    void doubleTanhIsStrictMathsBitForBit() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(17);
        java.util.List<Double> xs = new java.util.ArrayList<>(java.util.List.of(0.0, -0.0, Double.NaN,
                Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE, -Double.MIN_VALUE,
                Double.MIN_NORMAL, Double.MAX_VALUE, -Double.MAX_VALUE, 0x1p-28, 22.0, -22.0, 1e-300));
        for (int i = -200_000; i <= 200_000; i++) {
            xs.add(i * 1.37e-4);
        }
        for (int i = 0; i < 200_000; i++) {
            xs.add(Double.longBitsToDouble(random.nextLong()));
        }
        for (double x : xs) {
            assertEquals(Double.doubleToRawLongBits(StrictMath.tanh(x)), Double.doubleToRawLongBits(Activations.tanh(x)),
                    () -> "tanh(" + x + ")");
        }
    }
}
