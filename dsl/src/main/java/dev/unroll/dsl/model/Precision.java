package dev.unroll.dsl.model;

/** The floating-point type of the generated code. */
public enum Precision implements Keyword {
    /** {@code float} (the default). */
    FLOAT32,
    /** {@code double}. */
    FLOAT64;

    @Override
    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
