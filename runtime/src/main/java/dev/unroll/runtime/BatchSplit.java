package dev.unroll.runtime;

import java.util.concurrent.ForkJoinTask;
import java.util.function.DoubleSupplier;

/**
 * How generated models split a batch over two threads. The split depends only on the batch size
 * and the model's work per sequence, never on the machine or on whether gradients are computed, and
 * the halves are summed in one fixed order: results are the same to the last bit however many
 * cores run them.
 */
public final class BatchSplit {
    /**
     * The least forward work in floating-point operations for which a batch is split: about 0.1 ms forward
     * (0.4 ms with the backward pass) at the 10 GFLOP/s the generated loops reach, against a hand-off to a pool
     * thread and an addition of the gradient buffers that cost tens of microseconds.
     */
    public static final long MIN_FLOPS_PER_HALF = 1_000_000L;

    private BatchSplit() {}

    /**
     * Returns where a batch is split between two threads, or 0 if it is too small to gain from it.
     *
     * @param batch the number of sequences
     * @param forwardFlops the forward work of one sequence
     */
    public static int half(int batch, long forwardFlops) {
        int half = batch / 2;
        return (long) half * forwardFlops >= MIN_FLOPS_PER_HALF ? half : 0;
    }

    /**
     * Returns {@code first + second}, computing {@code second} on a thread of the common pool while the caller
     * computes {@code first} when {@code parallel}, else both on the caller's thread; in that order either way.
     * An exception of either half is rethrown.
     */
    public static double sumOfHalves(boolean parallel, DoubleSupplier first, DoubleSupplier second) {
        ForkJoinTask<Double> task = ForkJoinTask.adapt(second::getAsDouble);
        if (parallel) {
            task.fork();
        }
        double sum = first.getAsDouble();
        return sum + (parallel ? task.join() : task.invoke());
    }
}
