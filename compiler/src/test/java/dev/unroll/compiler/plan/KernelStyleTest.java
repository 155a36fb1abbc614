package dev.unroll.compiler.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The kernel styles the plugin and the command line accept, and what they refuse with which message. */
class KernelStyleTest {
    @Test
    void plainAndTheThreeVectorWidths() {
        assertFalse(KernelStyle.PLAIN.isVector());
        assertEquals(KernelStyle.PLAIN, new KernelStyle(0));
        for (int bits : new int[] {128, 256, 512}) {
            KernelStyle style = KernelStyle.vector(bits);
            assertTrue(style.isVector());
            assertEquals(bits / 32, style.lanes(32));
            assertEquals(bits / 64, style.lanes(64));
            assertEquals("jdk.incubator.vector, " + bits + "-bit vectors", style.description());
        }
        assertThrows(IllegalStateException.class, () -> KernelStyle.PLAIN.lanes(32));
    }

    @Test
    void anyOtherWidthIsRefusedWithTheOnesThereAre() {
        for (int bits : new int[] {-256, 1, 64, 384, 1024}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new KernelStyle(bits));
            assertEquals("vector width " + bits + " bits: the Vector API's are 128, 256 and 512 (or 0 for plain"
                    + " Java loops)", e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> KernelStyle.vector(0));
    }
}
