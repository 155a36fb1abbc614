package dev.unroll.runtime;

/**
 * What every generated model offers generic code, without reflection: its shape, workspaces, the
 * forward pass, the loss and the gradients of a batch, training updates (from {@link Trainable})
 * and a stepper. The type arguments are the generated model's own: for a many-to-many character
 * model {@code RecurrentModel<CharLstm.Workspace, int[][], int[][], float[][][]>}. The argument,
 * target and result types of every topology, head and encoding are listed in {@code docs/java-api.md}.
 *
 * <pre>{@code
 * static <W, X, Y, O> double evaluate(RecurrentModel<W, X, Y, O> model, X inputs, Y targets) {
 *     return model.loss(model.newWorkspace(), inputs, targets);
 * }
 * }</pre>
 *
 * <p><b>Variable-length sequences.</b> A model whose spec declares {@code variable_length} takes a batch padded to
 * its {@code steps} and, beside it, each sequence's own length ({@code int[] lengths}, one per sequence, each from 1
 * to {@code steps}): the overloads below. Padding is never read; outputs at padded steps are zero. Without lengths,
 * every sequence has all its steps. A model without {@code variable_length} accepts the overloads too, as long as
 * every length is its {@code steps} (so that generic code can always pass lengths), and refuses any other length.
 *
 * @param <W> the model's workspace
 * @param <X> a batch of inputs
 * @param <Y> a batch of targets
 * @param <O> a batch of outputs
 */
public interface RecurrentModel<W, X, Y, O> extends Trainable<X, Y> {
    /** Returns the model's sizes and structure. */
    ModelShape shape();

    /** Returns a new workspace; give each thread its own. */
    W newWorkspace();

    /**
     * Runs the network over a batch and returns the outputs of each sequence.
     *
     * @throws IllegalArgumentException if an input has the wrong size or a non-finite value
     */
    O forward(W workspace, X inputs);

    /** Returns the batch's mean loss, as PyTorch's {@code reduction='mean'}; computes no gradients. */
    double loss(W workspace, X inputs, Y targets);

    /** Sets every parameter's gradient to that of the batch's mean loss and returns the loss. */
    double computeGradients(W workspace, X inputs, Y targets);

    /**
     * Does a training update from the gradients in the parameters' {@code grad} arrays: what {@code trainStep} does
     * after its backward pass (a finiteness check, the spec's clipping, its optimizer and schedule). With
     * {@link #computeGradients} it splits an update in two, so that gradients can be computed on several workers,
     * summed, and applied once (synchronous data parallelism).
     *
     * @throws NonFiniteException if a gradient is not finite (nothing is updated)
     */
    void applyGradients();

    /**
     * Runs the network over a padded batch whose sequences have the given lengths and returns the outputs of each;
     * outputs at padded steps are zero.
     *
     * @throws IllegalArgumentException if a length is not in {@code [1, steps]} (for a model without
     *     {@code variable_length}, not {@code steps}), there is not one per sequence, or an input is wrong
     */
    default O forward(W workspace, X inputs, int[] lengths) {
        requireFullLengths(inputs, lengths);
        return forward(workspace, inputs);
    }

    /** Returns the mean loss of a padded batch of sequences of the given lengths, over their real steps only. */
    default double loss(W workspace, X inputs, Y targets, int[] lengths) {
        requireFullLengths(inputs, lengths);
        return loss(workspace, inputs, targets);
    }

    /** Sets every parameter's gradient to that of the mean loss of a padded batch of the given lengths. */
    default double computeGradients(W workspace, X inputs, Y targets, int[] lengths) {
        requireFullLengths(inputs, lengths);
        return computeGradients(workspace, inputs, targets);
    }

    /** Does one training update on a padded batch of sequences of the given lengths. */
    @Override
    default double trainStep(X inputs, Y targets, int[] lengths) {
        requireFullLengths(inputs, lengths);
        return trainStep(inputs, targets);
    }

    /** What a model without {@code variable_length} accepts as lengths: its {@code steps}, one per sequence. */
    private void requireFullLengths(X inputs, int[] lengths) {
        Checks.notNull(inputs, "xs");
        ModelShape shape = shape();
        Checks.lengths(lengths, java.lang.reflect.Array.getLength(inputs), shape.steps(), "lengths");
        for (int b = 0; b < lengths.length; b++) {
            if (lengths[b] != shape.steps()) {
                throw new IllegalArgumentException("lengths[" + b + "] is " + lengths[b] + ", but "
                        + shape.name() + " has no variable_length: every sequence has its " + shape.steps()
                        + " steps");
            }
        }
    }

    /** Returns a stepper that runs the model one step at a time from a zero state. */
    SequenceStepper<?, ?> newStepper();
}
