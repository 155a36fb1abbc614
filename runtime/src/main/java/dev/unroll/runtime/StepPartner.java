package dev.unroll.runtime;

import java.util.concurrent.locks.LockSupport;

/**
 * A second thread for one stepper, which computes half of each large layer's step while the stepper's own thread
 * computes the other half: the handoff of a two-thread step, tens of nanoseconds when both threads are awake.
 *
 * <p>A batch-1 step is a chain of small pieces of work (one layer's step needs the one before it), too short for a
 * thread pool: submitting a task and waiting for it costs microseconds. The partner therefore waits for work by
 * spinning ({@link Thread#onSpinWait()}) for a while after each piece, so that back-to-back steps hand over without
 * waking a thread, and only then parks, so that an idle stepper costs no CPU. The thread is a daemon, started with
 * the partner, and ends at {@link #close()}.
 *
 * <p>The protocol: {@link #start(int)} publishes a piece (a volatile write) and returns; the caller computes its own half, then {@link #await()} spins until the partner has published that it
 * is done (a volatile write after its half). The two volatile writes order every array element the partner wrote
 * before what the caller reads after {@code await}, and everything the caller wrote before {@code start} before
 * what the partner reads. Not thread-safe: one caller thread at a time, as a stepper is used.
 */
public final class StepPartner implements AutoCloseable {
    /** The work the partner runs: the half of piece {@code piece} that is the partner's. */
    @FunctionalInterface
    public interface Half {
        /** Runs the partner's half of piece {@code piece}. */
        void run(int piece);
    }

    /** How long the partner spins for the next piece before it parks, in nanoseconds. */
    private static final long SPIN_NANOS = 50_000;

    private final Half half;
    private final Thread thread;
    /** The number of pieces started; written by the caller. */
    private volatile long started;
    /** The piece the partner runs next. Written before {@link #started}, read after it. */
    private int piece;
    /** The number of pieces the partner has finished; written by the partner. */
    private volatile long finished;
    /** Whether the partner is parked (or about to park) and needs an unpark to see a new piece. */
    private volatile boolean parked;
    private volatile boolean closed;
    /** What the partner's half threw, rethrown by {@link #await()}. */
    private volatile Throwable failure;

    /**
     * Starts the partner's thread.
     *
     * @param half the partner's half of each piece
     * @param name the thread's name
     */
    public StepPartner(Half half, String name) {
        Checks.notNull(half, "half");
        this.half = half;
        this.thread = new Thread(this::loop, name);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Hands piece {@code piece} to the partner and returns at once; the caller then runs its own half and calls
     * {@link #await()}.
     *
     * @throws IllegalStateException if the partner is closed
     */
    public void start(int piece) {
        if (closed) {
            throw new IllegalStateException("this stepper was closed: its second thread has ended");
        }
        this.piece = piece;
        started = started + 1;
        if (parked) {
            LockSupport.unpark(thread);
        }
    }

    /**
     * Waits until the partner has finished the piece {@link #start(int)} gave it.
     *
     * @throws IllegalStateException if the partner's half failed (an internal error), with its exception as cause
     */
    public void await() {
        long target = started;
        int spins = 0;
        while (finished != target) {
            if (++spins < 1 << 16) {
                Thread.onSpinWait();
            } else {
                // the partner's thread is descheduled (a loaded machine): let it run
                Thread.yield();
            }
        }
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

    /** Returns whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    private void loop() {
        long done = 0;
        while (!closed) {
            if (started != done) {
                try {
                    half.run(piece);
                } catch (Throwable t) {
                    failure = t;
                }
                done++;
                finished = done;
                continue;
            }
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (started == done && !closed && System.nanoTime() < spinUntil) {
                Thread.onSpinWait();
            }
            if (started == done && !closed) {
                parked = true;
                // re-checked after the volatile write: a start() that did not see parked == true wrote started first
                if (started == done && !closed) {
                    LockSupport.park(this);
                }
                parked = false;
            }
        }
    }
}
