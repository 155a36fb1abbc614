package dev.unroll.dsl.model;

/** How the network's input arrives. */
public enum InputEncoding implements Keyword {
    /** A dense vector of {@code size} numbers per step. */
    DENSE,
    /** A symbol index in {@code [0, size)} per step, equivalent to a one-hot vector. */
    ONE_HOT,
    /**
     * A symbol index in {@code [0, size)} per step, looked up in a trainable {@code size x D} table
     * ({@link EmbeddingSpec}), as PyTorch's {@code nn.Embedding}: the first layer reads the row.
     */
    EMBEDDING;

    @Override
    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
