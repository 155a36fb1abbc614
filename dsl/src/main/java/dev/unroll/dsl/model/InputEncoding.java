package dev.unroll.dsl.model;

/** How the network's input arrives. */
public enum InputEncoding {
    /** A dense vector of {@code size} numbers per step. */
    DENSE,
    /** A symbol index in {@code [0, size)} per step, equivalent to a one-hot vector. */
    ONE_HOT;

    /** Returns the word that names this value in a {@code .rnn} file. */
    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
