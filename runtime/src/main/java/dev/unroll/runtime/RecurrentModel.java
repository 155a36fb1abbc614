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

    /** Returns a stepper that runs the model one step at a time from a zero state. */
    SequenceStepper<?, ?> newStepper();
}
