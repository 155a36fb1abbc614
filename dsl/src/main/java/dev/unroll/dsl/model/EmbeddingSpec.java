package dev.unroll.dsl.model;

/**
 * The embedding table of an {@link InputEncoding#EMBEDDING} input: {@code V x size}, {@code V} the
 * vocabulary ({@link InputSpec#size()}), as PyTorch's {@code nn.Embedding(V, size)}.
 *
 * @param size the embedding dimension {@code D}: what the first layer reads per step
 * @param frozen whether the table is fixed: no gradient, no update, no optimizer state
 */
public record EmbeddingSpec(int size, boolean frozen) {
    public EmbeddingSpec {
        if (size <= 0) {
            throw new IllegalArgumentException("embedding size must be positive, got " + size);
        }
    }
}
