package dev.unroll.dsl.validate;

/** The largest values the language accepts, and the thresholds of its warnings. */
final class Limits {
    /** Largest input or output size: a generous vocabulary. */
    static final int MAX_IO_SIZE = 1 << 20;
    /**
     * Largest hidden size. It keeps the recurrent weights {@code weight_hh} ({@code 4H x H} at
     * most, 2^30 elements) within a Java array, but not every parameter: the input weights
     * {@code weight_ih} ({@code G*H x I}) and the head ({@code O x F}) also depend on the sizes
     * around the layer, so the resolved model is checked tensor by tensor against
     * {@link #MAX_TENSOR_ELEMENTS}.
     */
    static final int MAX_HIDDEN_SIZE = 1 << 14;
    /**
     * Most elements of one parameter tensor: parameters are stored in one flat Java array each,
     * and {@code Integer.MAX_VALUE - 8} is the longest array the JDK relies on allocating (its
     * own collections stop there; some JVMs refuse lengths closer to {@code Integer.MAX_VALUE}).
     */
    static final long MAX_TENSOR_ELEMENTS = Integer.MAX_VALUE - 8;
    /**
     * Largest embedding dimension; the table ({@code V x D}) is also checked against
     * {@link #MAX_TENSOR_ELEMENTS}.
     */
    static final int MAX_EMBEDDING_SIZE = 1 << 16;
    /** Longest unrolling. */
    static final int MAX_STEPS = 1_000_000;
    /** Largest fixed batch. */
    static final int MAX_BATCH = 1 << 20;
    /** A vanilla RNN unrolled this far without clipping gets a warning. */
    static final int LONG_VANILLA_RNN_STEPS = 50;

    private Limits() {}
}
