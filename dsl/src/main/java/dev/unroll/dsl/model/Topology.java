package dev.unroll.dsl.model;

/** How inputs and outputs line up in time. */
public enum Topology implements Keyword {
    /** One input, one step, one output. */
    ONE_TO_ONE,
    /** One input at the first step, an output at every step. */
    ONE_TO_MANY,
    /** An input at every step, one output after the last. */
    MANY_TO_ONE,
    /** An input and an output at every step. */
    MANY_TO_MANY,
    /** {@code T_x} inputs read by an encoder, then {@code T_y} outputs written by a decoder. */
    ENCODER_DECODER;

    @Override
    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
