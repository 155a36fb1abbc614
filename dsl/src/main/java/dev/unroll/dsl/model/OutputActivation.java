package dev.unroll.dsl.model;

/** The activation of the output head. */
public enum OutputActivation {
    /** No activation: {@code y = W h + b} (the default). */
    LINEAR,
    /** Probabilities over the output classes. */
    SOFTMAX,
    /** Independent probabilities per output unit. */
    SIGMOID,
    /** Values in (-1, 1). */
    TANH;

    /** Returns the word that names this value in a {@code .rnn} file. */
    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
