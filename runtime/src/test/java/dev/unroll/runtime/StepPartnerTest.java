package dev.unroll.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.Reference;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The second half of every piece runs exactly once, on whichever thread claims it, and is done when {@code finish}
 * returns; what the caller wrote before {@code start} is what the half reads; a failing half surfaces at {@code
 * finish}; a closed partner refuses work.
 */
class StepPartnerTest {
    @Test
    void everyHalfRunsExactlyOnceAndIsDoneAtFinish() {
        int pieces = 200_000;
        int[] input = new int[1];
        long[] output = new long[1];
        AtomicInteger runs = new AtomicInteger();
        AtomicInteger byPartner = new AtomicInteger();
        Thread caller = Thread.currentThread();
        StepPartner.Half half = piece -> {
            runs.incrementAndGet();
            if (Thread.currentThread() != caller) {
                byPartner.incrementAndGet();
            }
            // plain (not volatile) fields: the handoff must order them
            output[0] = (long) input[0] * 3 + piece;
        };
        try (StepPartner partner = new StepPartner(half, half, "test partner")) {
            for (int i = 0; i < pieces; i++) {
                input[0] = i;
                partner.start(i % 7);
                partner.finish();
                assertEquals((long) i * 3 + i % 7, output[0], "piece " + i);
            }
        }
        assertEquals(pieces, runs.get(), "each second half ran once");
        Reference.reachabilityFence(half);
        // which thread ran how many depends on scheduling; reported for the curious
        System.out.printf("StepPartnerTest: %d of %d second halves ran on the partner%n", byPartner.get(), pieces);
    }

    @Test
    void aFailingHalfSurfacesAtFinish() {
        StepPartner.Half failing = piece -> {
            throw new ArithmeticException("boom " + piece);
        };
        try (StepPartner partner = new StepPartner(failing, failing, "failing partner")) {
            // whichever thread claims the half, finish() throws: directly, or wrapped
            for (int i = 0; i < 100; i++) {
                partner.start(i);
                RuntimeException e = assertThrows(RuntimeException.class, partner::finish);
                String message = e instanceof ArithmeticException ? e.getMessage() : e.getCause().getMessage();
                assertEquals("boom " + i, message);
            }
        }
        Reference.reachabilityFence(failing);
    }

    @Test
    void aClosedPartnerRefusesWork() throws InterruptedException {
        StepPartner.Half nothing = piece -> {};
        StepPartner partner = new StepPartner(nothing, nothing, "closed partner");
        partner.close();
        partner.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> partner.start(0));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void aDroppedOwnerEndsTheThread() throws InterruptedException {
        startAndDrop();
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (alive("dropped partner") && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(!alive("dropped partner"), "the thread of a partner whose owner is unreachable ends");
    }

    private static void startAndDrop() {
        StepPartner.Half half = new StepPartner.Half() {
            @Override
            public void run(int piece) {}
        };
        StepPartner partner = new StepPartner(half, half, "dropped partner");
        partner.start(0);
        partner.finish();
        assertTrue(alive("dropped partner"));
    }

    private static boolean alive(String name) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(name) && t.isAlive());
    }
}
