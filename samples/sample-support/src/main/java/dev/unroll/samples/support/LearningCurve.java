package dev.unroll.samples.support;

import dev.unroll.runtime.Trainer;

/**
 * A {@link Trainer.Listener} that records the smoothed training loss (Trainer's moving average)
 * every {@code every} updates, offset by the updates done before this run (so that a resumed run
 * continues the curve), for {@link Chart}.
 */
public final class LearningCurve implements Trainer.Listener {
    private final Series series;
    private final int every;
    private final long offset;

    public LearningCurve(String name, int every) {
        this(name, every, 0);
    }

    public LearningCurve(String name, int every, long offset) {
        this.series = new Series(name);
        this.every = Math.max(1, every);
        this.offset = offset;
    }

    @Override
    public void onUpdate(Trainer.Progress p) {
        if (p.update() % every == 0 || p.update() == p.totalUpdates()) {
            series.add(offset + p.update(), p.smoothedLoss());
        }
    }

    public Series series() {
        return series;
    }

    /** Both listeners, in order. */
    public static Trainer.Listener both(Trainer.Listener first, Trainer.Listener second) {
        return p -> {
            first.onUpdate(p);
            second.onUpdate(p);
        };
    }
}
