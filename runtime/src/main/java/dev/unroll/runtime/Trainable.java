package dev.unroll.runtime;

/**
 * A model that can do one training update on a batch. Every generated model implements it, with
 * {@code X} its batched input type and {@code Y} its batched target type (for a many-to-many
 * character model, {@code int[][]} and {@code int[][]}), so that {@link Trainer} can drive any of
 * them.
 *
 * @param <X> a batch of inputs
 * @param <Y> a batch of targets
 */
public interface Trainable<X, Y> {

    /**
     * Computes the batch's loss and gradients, checks them, clips them and updates the weights.
     *
     * @return the batch's mean loss before the update
     * @throws NonFiniteException if the loss or a gradient is not finite (nothing is updated)
     */
    double trainStep(X inputs, Y targets);

    /**
     * Does {@link #trainStep(Object, Object)} on a padded batch whose sequences have the given lengths (a model
     * with {@code variable_length}); {@code null} lengths mean every sequence has all its steps.
     *
     * @throws UnsupportedOperationException for lengths given to a model that does not take them
     */
    default double trainStep(X inputs, Y targets, int[] lengths) {
        if (lengths == null) {
            return trainStep(inputs, targets);
        }
        throw new UnsupportedOperationException(getClass().getName() + " takes no sequence lengths");
    }

    /**
     * Does {@link #trainStep(Object, Object)} on a padded batch whose inputs and targets have lengths of their own (a
     * {@code variable_length} encoder-decoder: {@code inputLengths} from 1 to its input steps, {@code targetLengths}
     * from 1 to its output steps); {@code null} target lengths mean every target has all its steps.
     *
     * @throws UnsupportedOperationException for target lengths given to a model that does not take them
     */
    default double trainStep(X inputs, Y targets, int[] inputLengths, int[] targetLengths) {
        if (targetLengths == null) {
            return trainStep(inputs, targets, inputLengths);
        }
        throw new UnsupportedOperationException(getClass().getName() + " takes no target lengths");
    }

    /** Returns the number of updates done so far. */
    long updates();

    /** Returns the learning rate the next update will use. */
    double learningRate();

    /** Returns the model's parameters. */
    ParameterSet parameters();
}
