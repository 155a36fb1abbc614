package dev.unroll.runtime;

import java.lang.ref.Cleaner;
import java.lang.ref.WeakReference;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A second thread for one stepper, which computes half of each large layer's step while the stepper's own thread
 * computes the other half: the handoff of a two-thread step, tens of nanoseconds when both threads are awake.
 *
 * <p>A batch-1 step is a chain of small pieces of work (one layer's step needs the one before it), too short for a
 * thread pool: submitting a task and waiting for it costs microseconds. The partner therefore waits for work by
 * spinning ({@link Thread#onSpinWait()}) for a while after each piece, so that back-to-back steps hand over without
 * waking a thread, and only then parks, so that an idle stepper costs no CPU. The thread is a daemon, started with
 * the partner, and ends at {@link #close()}, or once the owner is unreachable (a {@link Cleaner} closes it).
 *
 * <p>The second half of a piece is claimed, by whichever thread comes first: the partner when it sees the piece, or
 * the caller when it has finished its own half and finds the second one unclaimed. So a partner that the operating
 * system has not scheduled (a machine whose cores are busy) costs the step its second core, not a wait: the caller
 * computes both halves, as a one-thread stepper does. Either way each half is computed by the same code, so the bits
 * do not depend on which thread ran it.
 *
 * <p>Memory ordering: the caller's writes before {@link #start(int)} happen before the partner's half (the claim reads
 * the state the start wrote), and the partner's writes happen before what the caller reads after {@link #finish()}
 * (it reads the state the partner wrote after its half). Not thread-safe: one caller thread at a time, as a stepper
 * is used.
 */
public final class StepPartner implements AutoCloseable {
    /** The work the partner runs: the second half of piece {@code piece}. */
    @FunctionalInterface
    public interface Half {
        /** Runs the second half of piece {@code piece}. */
        void run(int piece);
    }

    /** How long the partner spins for the next piece before it parks, in nanoseconds. */
    private static final long SPIN_NANOS = 50_000;

    // the state is (sequence number of the piece << 2) | phase
    private static final long POSTED = 0;
    private static final long BY_PARTNER = 1;
    private static final long BY_CALLER = 2;
    private static final long DONE = 3;

    /**
     * The owner's half, held weakly: the thread must not keep an owner that its user dropped without closing it
     * reachable (the owner holds the half, a cleaner closes the partner once the owner is unreachable).
     */
    private final WeakReference<Half> half;
    private final Thread thread;
    private final AtomicLong state = new AtomicLong(DONE);
    /** The last piece's sequence number; the caller's alone. */
    private long sequence;
    /** The piece the partner runs next. Written before the state that posts it, read after it. */
    private volatile int piece;
    /**
     * The half, held strongly while a piece is in flight (between {@link #start} and the end of {@link #finish}), so
     * that the owner's reachability during a step does not depend on what the JIT keeps of the caller's frame.
     */
    private Half inFlight;
    /** Whether the partner is parked (or about to park) and needs an unpark to see a new piece. */
    private volatile boolean parked;
    private volatile boolean closed;
    /** What the partner's half threw, rethrown by {@link #finish()}. */
    private volatile Throwable failure;

    /** Closes the partners of owners that became unreachable unclosed; its thread starts with the first partner. */
    private static final class Unclosed {
        static final Cleaner CLEANER = Cleaner.create();
    }

    /**
     * Starts the partner's thread.
     *
     * @param owner what the partner works for (a stepper), which must hold {@code half} strongly: once the owner is
     *     unreachable the partner closes itself, so that a stepper dropped without {@link #close()} does not keep a
     *     thread
     * @param half the second half of each piece
     * @param name the thread's name
     */
    public StepPartner(Object owner, Half half, String name) {
        Checks.notNull(owner, "owner");
        Checks.notNull(half, "half");
        this.half = new WeakReference<>(half);
        this.thread = new Thread(this::loop, name);
        thread.setDaemon(true);
        thread.start();
        // the action holds this partner, not the owner: the partner reaches the owner's half only weakly
        Unclosed.CLEANER.register(owner, new Ender(this));
    }

    /** What the cleaner runs: ends the partner's thread. */
    private record Ender(StepPartner partner) implements Runnable {
        @Override
        public void run() {
            partner.close();
        }
    }

    /**
     * Offers the second half of piece {@code piece} to the partner and returns at once; the caller then runs its own
     * half and calls {@link #finish()}.
     *
     * @throws IllegalStateException if the partner is closed
     */
    public void start(int piece) {
        if (closed) {
            throw new IllegalStateException("this stepper was closed: its second thread has ended");
        }
        Half h = half.get();
        if (h == null) {
            // not reachable from a caller that holds the owner, which holds the half
            throw new IllegalStateException("the stepper this second thread worked for is gone");
        }
        this.inFlight = h;
        this.piece = piece;
        sequence++;
        state.set(sequence << 2 | POSTED);
        if (parked) {
            LockSupport.unpark(thread);
        }
    }

    /**
     * Returns when the second half of the piece {@link #start(int)} offered is done: runs it on the caller's thread
     * if the partner has not claimed it, or waits for the partner to finish it.
     *
     * @throws IllegalStateException if the partner's half failed (an internal error), with its exception as cause
     */
    public void finish() {
        long posted = sequence << 2 | POSTED;
        if (state.compareAndSet(posted, sequence << 2 | BY_CALLER)) {
            Half h = inFlight;
            inFlight = null;
            h.run(piece);
            return;
        }
        long done = sequence << 2 | DONE;
        int spins = 0;
        while (state.get() != done) {
            if (++spins < 1 << 12) {
                Thread.onSpinWait();
            } else {
                // the partner's thread was descheduled in the middle of its half: let it run
                Thread.yield();
            }
        }
        inFlight = null;
        Throwable t = failure;
        if (t != null) {
            failure = null;
            throw new IllegalStateException("the second thread of a two-thread step failed: " + t, t);
        }
    }

    /** Ends the partner's thread; a later {@link #start(int)} is refused. Idempotent. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
    }

    private void loop() {
        long seen = DONE;
        while (!closed) {
            long s = state.get();
            if (s != seen && (s & 3) == POSTED) {
                seen = s;
                if (state.compareAndSet(s, (s & ~3L) | BY_PARTNER)) {
                    try {
                        inFlight.run(piece);
                    } catch (Throwable t) {
                        failure = t;
                    }
                    state.set((s & ~3L) | DONE);
                }
                continue;
            }
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (!posted(seen) && !closed && System.nanoTime() < spinUntil) {
                Thread.onSpinWait();
            }
            if (!posted(seen) && !closed) {
                parked = true;
                // re-checked after the volatile write: a start() that did not see parked == true posted first
                if (!posted(seen) && !closed) {
                    LockSupport.park(this);
                }
                parked = false;
            }
        }
    }

    /** Whether a piece other than {@code seen} is posted and unclaimed. */
    private boolean posted(long seen) {
        long s = state.get();
        return s != seen && (s & 3) == POSTED;
    }
}
