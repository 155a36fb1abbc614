package dev.unroll.dsl.model;

/** The activation of the output head. */
public enum OutputActivation implements Keyword {
    /** No activation: {@code y = W h + b} (the default). */
    LINEAR,
    /** Probabilities over the output classes. */
    SOFTMAX,
    /** Independent probabilities per output unit. */
    SIGMOID,
    /** Values in (-1, 1). */
    TANH;

    @Override
    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
