package dev.unroll.dsl.model;

/**
 * Weight initialization.
 *
 * @param weights the scheme for input-to-hidden and head weights
 * @param recurrent the scheme for hidden-to-hidden weights
 */
public record InitSpec(WeightInit weights, WeightInit recurrent) {}
