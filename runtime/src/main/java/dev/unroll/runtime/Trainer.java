package dev.unroll.runtime;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Objects;

/**
 * A small training loop: asks a {@link Batches} source for a batch, calls
 * {@link Trainable#trainStep}, and reports progress to a {@link Listener}.
 *
 * <pre>{@code
 * Trainer.Progress last = Trainer.train(model, update -> nextBatch(), 2000, Trainer.progressBar(System.out, 2000));
 * }</pre>
 */
public final class Trainer {
    private Trainer() {}

    /**
     * One batch: inputs and their targets, and for a model with {@code variable_length} each sequence's length.
     *
     * @param inputs a batch of inputs (padded, when lengths are given)
     * @param targets their targets
     * @param lengths each sequence's length (an encoder-decoder's input lengths), or {@code null} when every sequence
     *     has all its steps
     * @param targetLengths a {@code variable_length} encoder-decoder's target lengths, or {@code null} when every
     *     target has all its steps
     */
    public record Batch<X, Y>(X inputs, Y targets, int[] lengths, int[] targetLengths) {
        /** Returns a batch whose sequences have all their steps. */
        public Batch(X inputs, Y targets) {
            this(inputs, targets, null, null);
        }

        /** Returns a batch whose sequences have the given lengths, and whose targets all their steps. */
        public Batch(X inputs, Y targets, int[] lengths) {
            this(inputs, targets, lengths, null);
        }
    }

    /** Supplies the batch for each update. */
    @FunctionalInterface
    public interface Batches<X, Y> {
        /** Returns batch number {@code n} of this run, counted from 0 (skipped batches are counted too). */
        Batch<X, Y> next(long update);
    }

    /**
     * Where training stands after an update.
     *
     * @param update the updates done in this run
     * @param totalUpdates the updates this run will do
     * @param loss the last batch's loss
     * @param smoothedLoss an exponential moving average of the loss (factor 0.05 per update; the plain
     *     mean over the first 20 updates)
     * @param learningRate the learning rate the next update will use
     * @param elapsedNanos time since the run started
     * @param skippedBatches batches skipped so far because their loss or gradients were not finite
     *     (only with {@link OnNonFinite#SKIP_BATCH})
     */
    public record Progress(long update, long totalUpdates, double loss, double smoothedLoss, double learningRate,
            long elapsedNanos, long skippedBatches) {}

    /** What to do when a batch's loss or gradients are NaN or infinite. */
    public enum OnNonFinite {
        /** Stop training: the {@link NonFiniteException} propagates (the weights are unchanged). */
        THROW,
        /**
         * Skip the batch, count it in {@link Progress#skippedBatches()}, and go on with the next; after
         * {@link #MAX_CONSECUTIVE_SKIPS} skipped batches in a row training has diverged, and the
         * exception propagates.
         */
        SKIP_BATCH;

        /** Consecutive skipped batches after which {@link #SKIP_BATCH} gives up. */
        public static final int MAX_CONSECUTIVE_SKIPS = 100;
    }

    /** Receives progress after every update. */
    @FunctionalInterface
    public interface Listener {
        /** Called after each update. */
        void onUpdate(Progress progress);
    }

    /**
     * Runs {@code updates} training updates.
     *
     * @return the progress after the last update
     * @throws NonFiniteException if an update meets a non-finite loss or gradient
     */
    public static <X, Y> Progress train(Trainable<X, Y> model, Batches<X, Y> batches, long updates, Listener listener) {
        return train(model, batches, updates, listener, OnNonFinite.THROW);
    }

    /**
     * Runs {@code updates} training updates, handling non-finite batches as {@code onNonFinite} says.
     * Skipped batches do not count as updates.
     *
     * @return the progress after the last update
     */
    public static <X, Y> Progress train(Trainable<X, Y> model, Batches<X, Y> batches, long updates, Listener listener,
            OnNonFinite onNonFinite) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(onNonFinite, "onNonFinite");
        Objects.requireNonNull(batches, "batches");
        if (updates < 1) {
            throw new IllegalArgumentException("updates must be at least 1, got " + updates);
        }
        Listener report = listener == null ? p -> { } : listener;
        long start = System.nanoTime();
        double smoothed = 0;
        Progress progress = null;
        long skipped = 0;
        int consecutiveSkips = 0;
        long batchNumber = 0;
        for (long u = 0; u < updates; ) {
            Batch<X, Y> batch = batches.next(batchNumber++);
            if (batch == null) {
                throw new IllegalStateException("the batch source returned null for update " + u);
            }
            double loss;
            try {
                loss = batch.targetLengths() != null
                        ? model.trainStep(batch.inputs(), batch.targets(), batch.lengths(), batch.targetLengths())
                        : batch.lengths() == null ? model.trainStep(batch.inputs(), batch.targets())
                        : model.trainStep(batch.inputs(), batch.targets(), batch.lengths());
            } catch (NonFiniteException e) {
                if (onNonFinite == OnNonFinite.THROW || ++consecutiveSkips > OnNonFinite.MAX_CONSECUTIVE_SKIPS) {
                    throw e;
                }
                skipped++;
                continue;
            }
            consecutiveSkips = 0;
            long n = ++u;
            smoothed = n <= 20 ? smoothed + (loss - smoothed) / n : smoothed + 0.05 * (loss - smoothed);
            progress = new Progress(n, updates, loss, smoothed, model.learningRate(), System.nanoTime() - start,
                    skipped);
            report.onUpdate(progress);
        }
        return progress;
    }

    /**
     * Returns a listener that draws a one-line progress bar with the smoothed loss, redrawn in place
     * ({@code \r}) about {@code redraws} times over the run, and ends the line after the last update.
     */
    public static Listener progressBar(PrintStream out, int redraws) {
        return p -> {
            long every = Math.max(1, p.totalUpdates() / Math.max(1, redraws));
            if (p.update() % every != 0 && p.update() != p.totalUpdates()) {
                return;
            }
            int width = 30;
            int filled = (int) (width * p.update() / p.totalUpdates());
            double seconds = p.elapsedNanos() / 1e9;
            out.print(String.format(Locale.ROOT, "\r[%s%s] %d/%d  loss %.4f  lr %.3g  %.1f s",
                    "=".repeat(filled), " ".repeat(width - filled), p.update(), p.totalUpdates(), p.smoothedLoss(),
                    p.learningRate(), seconds));
            if (p.update() == p.totalUpdates()) {
                out.println();
            }
            out.flush();
        };
    }
}
