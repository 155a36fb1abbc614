package dev.unroll.dsl.model;

/** The floating-point type of the generated code. */
public enum Precision {
    /** {@code float} (the default). */
    FLOAT32,
    /** {@code double}. */
    FLOAT64;

    /** Returns the word that names this value in a {@code .rnn} file. */
    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
