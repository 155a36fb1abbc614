package dev.unroll.dsl.model;

import java.util.Optional;

/**
 * What the network reads at each step.
 *
 * @param size the vector size, or the vocabulary size for {@link InputEncoding#ONE_HOT} and
 *     {@link InputEncoding#EMBEDDING}
 * @param encoding dense vectors, symbol indices, or symbol indices looked up in an embedding
 * @param embedding the embedding table, present exactly for {@link InputEncoding#EMBEDDING}
 */
public record InputSpec(int size, InputEncoding encoding, @PrintedWhenPresent Optional<EmbeddingSpec> embedding) {
    public InputSpec {
        if (embedding.isPresent() != (encoding == InputEncoding.EMBEDDING)) {
            throw new IllegalArgumentException(encoding + " input with embedding " + embedding);
        }
    }

    /** An input without an embedding table ({@link InputEncoding#DENSE} or {@link InputEncoding#ONE_HOT}). */
    public InputSpec(int size, InputEncoding encoding) {
        this(size, encoding, Optional.empty());
    }

    /** Returns true when each step's input is a symbol index (one-hot or embedding). */
    public boolean symbolic() {
        return encoding != InputEncoding.DENSE;
    }

    /**
     * Returns what the first layer reads per step: the vector size, the vocabulary for one-hot, the
     * embedding dimension for an embedding.
     */
    public int featureSize() {
        return embedding.map(EmbeddingSpec::size).orElse(size);
    }
}
