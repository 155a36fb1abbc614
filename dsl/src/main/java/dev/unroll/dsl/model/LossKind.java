package dev.unroll.dsl.model;

/** The training loss. Every loss is averaged the way PyTorch's {@code reduction='mean'} does. */
public enum LossKind implements Keyword {
    /** Softmax cross-entropy over classes, averaged over batch and output steps. */
    CROSS_ENTROPY,
    /** Sigmoid binary cross-entropy, averaged over every output element. */
    BINARY_CROSS_ENTROPY,
    /** Mean squared error, averaged over every output element. */
    MSE;

    @Override
    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
