package dev.unroll.compiler.codegen.cell;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import dev.unroll.compiler.codegen.LayerCode;
import dev.unroll.compiler.plan.BufferSpec;
import dev.unroll.compiler.plan.LayerPlan;
import dev.unroll.compiler.plan.TensorSpec;
import java.util.List;

/**
 * What is particular to one kind of recurrent cell, for one layer: its buffers, its state, its
 * step code forward and backward, and how it is named and documented. Everything a cell shares
 * with the others (the input and recurrent projections, the weight gradients, the sequence loops,
 * direction, the head) is written around it by {@link LayerCode} and the writers, so that adding
 * a cell or a variant is one new class here and one case in the planner.
 *
 * <p>An emitter is made for one layer, with its sizes, and declares its buffers as
 * {@link BufferSpec}s that its own code refers to; the workspace writer declares them. It names
 * them with {@link dev.unroll.compiler.plan.LayerShape#key()} ({@code "gates" + shape.key()}):
 * a bidirectional layer has a second emitter for its reverse pass, whose buffers must differ.
 */
public sealed interface CellEmitter permits RowSplitCell, ChoGruCell {

    /** Returns how the cell is named in documentation, e.g. {@code lstm} or {@code rnn relu}. */
    String description();

    /**
     * Returns the PyTorch module that computes the same layer, as written in PyTorch, e.g.
     * {@code nn.RNN(4, 8, nonlinearity='relu')}.
     */
    String pytorchModule();

    /** Returns the cell's equations, as Javadoc text. */
    String equations();

    /** Returns the cell's own workspace buffers, in declaration order. */
    List<BufferSpec> buffers();

    /** Returns state vectors besides {@code h} carried from step to step (an LSTM's {@code c}). */
    default List<BufferSpec> extraState() {
        return List.of();
    }

    /** Returns gradients besides {@code dL/dh} carried backwards from step to step (an LSTM's {@code dL/dc}). */
    default List<BufferSpec> extraCarriedGradients() {
        return List.of();
    }

    /** Returns tensors besides {@code W_ih, W_hh, b_ih, b_hh} (e.g. peepholes), in {@code state_dict} order. */
    default List<TensorSpec> extraTensors() {
        return List.of();
    }

    /**
     * Returns the rows of {@code W_hh}, from the first, that {@link LayerCode} multiplies by {@code h_{t-1}} in the
     * forward step and differentiates in the backward step ({@code dW_hh += dz_h h_{t-1}^T},
     * {@code dh_{t-1} += W_hh^T dz_h}): all {@code G * H} of them, unless the cell multiplies the last gate blocks by
     * something else than {@code h_{t-1}} and does those rows itself (the Cho GRU's {@code W_hn (r * h_{t-1})}).
     */
    default int recurrentRows(LayerPlan layer) {
        return layer.gateRows();
    }

    /**
     * Returns whether {@link #backward} leaves the hidden side's pre-activation gradient in a buffer of its own
     * (a GRU's {@code dzh}) rather than in {@code dz}: deferred weight gradients then keep both per step.
     */
    default boolean separateHiddenGradient() {
        return false;
    }

    /** Returns static constants of the model that the cell's step code reads (a float LSTM's gate scales). */
    default List<FieldSpec> constants(LayerCode code) {
        return List.of();
    }

    /** Emits what the constructor does after the spec's initialization (an LSTM's forget bias). */
    default void initialize(CodeBlock.Builder b, LayerPlan layer) {}

    /**
     * Emits the cell's forward step: from the pre-activations (with {@link LayerCode#inputProjection} and
     * {@link LayerCode#recurrentProjection}) to {@code h_t} stored at {@code out}, keeping what the backward
     * step needs.
     */
    void forward(CodeBlock.Builder b, LayerCode code);

    /**
     * Emits the cell's backward step: from {@code dh} (and the cell's carried gradients) to the gate
     * pre-activation gradients in {@code dz}, leaving in {@code dh} what of {@code dL/dh_{t-1}} bypasses
     * {@code W_hh}.
     *
     * @return the local holding the gradient of the hidden-side pre-activations, which {@code W_hh} and
     *     {@code b_hh} get: {@code dz} unless the cell's two sides differ
     */
    String backward(CodeBlock.Builder b, LayerCode code);
}
