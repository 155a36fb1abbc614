package dev.unroll.dsl.model;

/** Whether a layer also reads the sequence backwards, and how the two directions combine. */
public enum Direction implements Keyword {
    /** Reads the sequence forwards only (the default). */
    FORWARD,
    /** Bidirectional; the output is the concatenation {@code [h_fwd; h_bwd]} (twice the hidden size). */
    CONCAT,
    /** Bidirectional; the output is the sum {@code h_fwd + h_bwd}. */
    SUM;

    @Override
    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
