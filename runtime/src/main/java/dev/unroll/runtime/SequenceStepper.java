package dev.unroll.runtime;

/**
 * A generated model run one step at a time with explicit state, for inference over an endless
 * stream. Every generated {@code Stepper} implements it, with {@code I} the input of one step
 * ({@code float[]}, {@code double[]}, or {@link Integer} for a one-hot input, whose stepper also
 * has a {@code step(int)} without boxing) and {@code O} its output.
 *
 * @param <I> one step's input
 * @param <O> one step's output
 */
public interface SequenceStepper<I, O> {
    /**
     * Feeds one input, advances the state by one step and returns this step's output in a new array.
     *
     * @throws IllegalArgumentException if the input has the wrong size or is not finite; the state is then unchanged
     */
    O step(I input);

    /** Sets the state back to zero, to start a new stream. */
    void reset();
}
