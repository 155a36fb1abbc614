package dev.unroll.compiler.plan;

/**
 * How a layer reads its input at step {@code t}: what the first layer reads follows from the
 * encoding and the topology; upper layers always read the layer below densely.
 */
public enum InputMode {
    /** A dense vector at every step. */
    DENSE,
    /** A dense vector at step 0 only; later steps have no input. */
    DENSE_FIRST,
    /** A symbol at every step, from the workspace's symbols. */
    SYMBOL,
    /** A symbol at step 0 only. */
    SYMBOL_FIRST,
    /** A symbol at step 0, then dense vectors (the outputs fed back). */
    SYMBOL_THEN_DENSE,
    /**
     * The embedding row of a symbol at every step: the network copies the rows into the dense
     * input before the layers run, and, unless the table is frozen, the backward step always forms
     * {@code dL/dx_t}, which goes to the rows of the table's gradient.
     */
    EMBEDDED,
    /** The embedding row of a symbol at step 0 only. */
    EMBEDDED_FIRST,
    /**
     * {@code one_to_many ... feedback} into an embedding: the embedding row of a symbol at step 0, then at each later
     * step the rows weighted by the output fed back, {@code x_t = E^T y_{t-1}}; {@code dL/dx_t} is always formed (the
     * fed-back output's gradient, and the table's).
     */
    EMBEDDED_THEN_FED_BACK,
    /**
     * An encoder-decoder's decoder reading classes: nothing at step 0 (the zero start vector), then a symbol per step
     * (the previous target class, or the previous output's argmax) from the decoder's own buffer; no input gradient.
     */
    FED_BACK_SYMBOL,
    /**
     * An encoder-decoder's decoder reading vectors: nothing at step 0 (the zero start vector), then a dense vector per
     * step (the previous target, or the previous output) from the decoder's own buffer; no input gradient.
     */
    FED_BACK_DENSE;

    /** Returns true when every step reads an input of its own (a sequence), as a reverse pass needs. */
    public boolean everyStep() {
        return this == DENSE || this == SYMBOL || this == EMBEDDED;
    }

    /** Returns true when the input is read at step 0 only. */
    public boolean firstOnly() {
        return this == DENSE_FIRST || this == SYMBOL_FIRST || this == EMBEDDED_FIRST;
    }

    /** Returns true when some step reads a dense vector, so that {@code W_ih^T dz} can be needed. */
    public boolean readsDense() {
        return this != SYMBOL && this != SYMBOL_FIRST && this != FED_BACK_SYMBOL;
    }
}
