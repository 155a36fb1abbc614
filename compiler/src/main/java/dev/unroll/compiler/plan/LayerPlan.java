package dev.unroll.compiler.plan;

import dev.unroll.compiler.codegen.cell.CellEmitter;
import java.util.List;
import java.util.Optional;

/**
 * One recurrent layer as the writers see it: its cell's emitter, its sizes, where it reads its
 * input, its tensors and the buffers every cell shares (the emitter declares its own others).
 *
 * @param shape the sizes
 * @param cell the emitter of the cell's step code
 * @param inputMode how the layer reads its input at step {@code t}
 * @param source the buffer the input is read from: the network input, or {@code h} of the layer below
 * @param sourceOffset the expression of the input's offset in {@code source} at step {@code t}
 * @param sourceGradient where {@code dL/dx_t} goes when the input is the layer below: its {@code dh}
 * @param weightIh {@code W_ih}
 * @param weightHh {@code W_hh}
 * @param biasIh {@code b_ih}
 * @param biasHh {@code b_hh}
 * @param buffers the buffers every cell has
 */
public record LayerPlan(LayerShape shape, CellEmitter cell, InputMode inputMode, Optional<BufferSpec> source,
        String sourceOffset, Optional<BufferSpec> sourceGradient, TensorSpec weightIh, TensorSpec weightHh, TensorSpec biasIh, TensorSpec biasHh,
        LayerBuffers buffers) {

    /**
     * The buffers of a layer that every cell has.
     *
     * @param h {@code h_t} of every step at {@code (t + 1) * H}, with {@code h_{-1} = 0} at offset 0
     * @param hPrev {@code h_{t-1}} of the step being back-propagated, at offset 0
     * @param hStep scratch of one step's hidden size
     * @param inStep {@code x_t} of the step being back-propagated, when some step reads a dense input
     * @param dh {@code dL/dh} of the step being back-propagated
     * @param dz the gradient of the gate pre-activations
     */
    public record LayerBuffers(BufferSpec h, BufferSpec hPrev, BufferSpec hStep, Optional<BufferSpec> inStep,
            BufferSpec dh, BufferSpec dz) {
        /** Returns them in declaration order. */
        public List<BufferSpec> all() {
            return inStep.isPresent() ? List.of(h, hPrev, hStep, inStep.get(), dh, dz) : List.of(h, hPrev, hStep, dh, dz);
        }
    }

    /** Returns the layer's index in the stack. */
    public int index() {
        return shape.index();
    }

    /** Returns the hidden size. */
    public int hiddenSize() {
        return shape.hiddenSize();
    }

    /** Returns the rows of the stacked weights, {@code G * H}. */
    public int gateRows() {
        return shape.gateRows();
    }

    /** Returns the layer's tensors in PyTorch's {@code state_dict} order, the cell's own ones last. */
    public List<TensorSpec> tensors() {
        return concat(List.of(weightIh, weightHh, biasIh, biasHh), cell.extraTensors());
    }

    /**
     * Returns the layer's state vectors, {@code h} first: what a stepper carries from one step to the next and
     * {@code reset} zeroes, each laid out like {@code h} (step {@code t} at {@code (t + 1) * H}).
     */
    public List<BufferSpec> state() {
        return concat(List.of(buffers.h()), cell.extraState());
    }

    /** Returns the gradients carried backwards from step to step, {@code dL/dh} first, zeroed before BPTT. */
    public List<BufferSpec> carriedGradients() {
        return concat(List.of(buffers.dh()), cell.extraCarriedGradients());
    }

    /** Returns every workspace buffer of the layer: the shared ones, then the cell's. */
    public List<BufferSpec> allBuffers() {
        return concat(buffers.all(), cell.buffers());
    }

    /** Returns the name of the forward step method. */
    public String forwardMethod() {
        return "forwardLayer" + index();
    }

    /** Returns the name of the backward step method. */
    public String backwardMethod() {
        return "backwardLayer" + index();
    }

    private static <T> List<T> concat(List<T> first, List<T> second) {
        if (second.isEmpty()) {
            return first;
        }
        List<T> all = new java.util.ArrayList<>(first);
        all.addAll(second);
        return List.copyOf(all);
    }
}
