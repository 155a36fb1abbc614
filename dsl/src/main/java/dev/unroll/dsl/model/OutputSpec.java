package dev.unroll.dsl.model;

/**
 * The output head {@code y = activation(W h + b)}, applied to the top layer's output.
 *
 * @param inputSize the top layer's output size
 * @param size the number of outputs (classes for softmax)
 * @param activation the head's activation
 */
public record OutputSpec(int inputSize, int size, OutputActivation activation) {}
