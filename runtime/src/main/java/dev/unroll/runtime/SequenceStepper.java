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

    /**
     * Returns the names of the state vectors, in the order {@link #exportState} gives them: {@code h0},
     * {@code c0} (an LSTM layer's cell state), {@code h1}, ... by layer from the input.
     */
    java.util.List<String> stateNames();

    /**
     * Returns a copy of the state, one vector per {@link #stateNames() name}: what a stream processor keeps per
     * key (in a Kafka Streams store, a Flink {@code ValueState}) to resume a stream exactly where it stopped.
     * A float model's state widens to double exactly.
     */
    double[][] exportState();

    /**
     * Replaces the state with one that {@link #exportState} gave (here or on another stepper of the same model):
     * the next step continues from it, bit for bit.
     *
     * @throws IllegalArgumentException if the number of vectors, a size or a value is wrong (not finite, or not
     *     finite as a float for a float model); the state is then unchanged
     */
    void importState(double[][] state);
}
