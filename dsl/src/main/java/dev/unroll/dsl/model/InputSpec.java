package dev.unroll.dsl.model;

/**
 * What the network reads at each step.
 *
 * @param size the vector size, or the vocabulary size for {@link InputEncoding#ONE_HOT}
 * @param encoding dense vectors or symbol indices
 */
public record InputSpec(int size, InputEncoding encoding) {}
