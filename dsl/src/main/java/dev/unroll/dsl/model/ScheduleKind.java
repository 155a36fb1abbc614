package dev.unroll.dsl.model;

/** How the learning rate changes with the number of updates. */
public enum ScheduleKind implements Keyword {
    /** The learning rate never changes (the default). */
    CONSTANT,
    /** Multiplied by {@code gamma} every {@code every} updates. */
    STEP,
    /** Cosine annealing from the learning rate down to {@code min_learning_rate} over {@code period} updates. */
    COSINE;

    @Override
    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
