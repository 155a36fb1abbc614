package dev.unroll.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The element names the generated checks pass, and the messages they end up in. */
class ChecksTest {
    @Test
    void namesAnElementAsTheMessagesPrintIt() {
        assertEquals("xs[0]", Checks.element("xs", 0));
        assertEquals("targets[31]", Checks.element("targets", 31));
        assertEquals("inputGradients[2][24]", Checks.element("inputGradients", 2, 24));
    }

    @Test
    void aSequenceCheckNamesTheStepThatFails() {
        float[][] xs = {{1, 2}, {3, Float.NaN}};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Checks.sequence(xs, 2, 2, "xs[4]", "inputs"));
        assertEquals("xs[4][1][1] is NaN; inputs must be finite", e.getMessage());
        double[][] wrong = {{1, 2}, {3}};
        e = assertThrows(IllegalArgumentException.class, () -> Checks.sequence(wrong, 2, 2, 2, "xs", "inputs"));
        assertEquals("xs[1]: expected 2 values (inputs), got 1", e.getMessage());
        double[][] missing = {{1, 2}, null};
        e = assertThrows(IllegalArgumentException.class, () -> Checks.sequence(missing, 2, 2, "xs", "inputs"));
        assertEquals("xs[1] is null", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Checks.symbols(new int[] {1, -1, 2}, 3, 3, 65, "ys"));
        assertEquals("ys[1] is -1, outside [0, 65)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Checks.lengths(new int[] {3, 0}, 2, 5, "lengths"));
        assertEquals(true, e.getMessage().startsWith("lengths[1] is 0, outside [1, 5]"), e.getMessage());
        // valid sequences pass, padding unchecked
        Checks.sequence(new float[][] {{1, 2}, {3, 4}}, 2, 2, "xs", "inputs");
        Checks.symbols(new int[] {1, 2, -1}, 3, 2, 65, "ys");
    }

    @Test
    void theNameReachesTheMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Checks.symbols(new int[] {0, 70}, 2, 65, Checks.element("xs", 3)));
        assertEquals(true, e.getMessage().startsWith("xs[3]"), e.getMessage());
    }

    @Test
    void aFloatVectorCheckFindsEveryNonFiniteValueAndPassesEveryFiniteOne() {
        float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
            Float.intBitsToFloat(0x7fc00001), Float.intBitsToFloat(0xffffffff)};
        for (int size : new int[] {1, 7, 64, 129}) {
            for (float bad : specials) {
                for (int at : new int[] {0, size / 2, size - 1}) {
                    float[] x = new float[size];
                    java.util.Arrays.fill(x, 1.5f);
                    x[at] = bad;
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> Checks.vector(x, size, "x", "the input size"));
                    assertEquals("x[" + at + "] is " + bad + "; inputs must be finite", e.getMessage());
                }
            }
            // the largest finite values, subnormals and signed zeros pass
            float[] x = new float[size];
            float[] finite = {Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, -0.0f, 0.0f, Float.MIN_NORMAL};
            for (int i = 0; i < size; i++) {
                x[i] = finite[i % finite.length];
            }
            Checks.vector(x, size, "x", "the input size");
        }
    }
}
