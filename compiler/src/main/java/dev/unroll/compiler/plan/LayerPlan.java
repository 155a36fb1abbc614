package dev.unroll.compiler.plan;

import dev.unroll.compiler.codegen.cell.CellEmitter;
import java.util.List;
import java.util.Optional;

/**
 * One recurrent layer as the writers see it: its cell's emitter, its sizes, where it reads its
 * input, its tensors and the buffers every cell shares (the emitter declares its own others).
 *
 * <p>A bidirectional layer is two passes over the sequence: this plan is its forward pass, and
 * {@link #reverse()} its reverse pass, a plan of its own with its own emitter (the same cell's),
 * tensors ({@code _reverse}) and buffers ({@code ...Reverse}). The reverse pass's step {@code t}
 * reads time {@code T - 1 - t} ({@link Pass#time()}), so that to its emitter it is an ordinary
 * forward recurrence; only the layer's input and gradient offsets, written by {@code LayerCode},
 * know the direction. {@link #merge()} says how the two passes' {@code h} make the layer's output.
 *
 * <p>{@link #dropout()} masks what the layer passes on (its {@code h}, or its merged output) into a buffer of
 * its own, which the layer above or the head reads instead; the layer's own recurrence reads the unmasked
 * {@code h}, as in PyTorch.
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
 * @param pass where this pass sits in time, and where gradients reach and leave it when the network
 *     runs layer by layer
 * @param reverse the reverse pass of a bidirectional layer
 * @param merge how a bidirectional layer's two passes make its output
 * @param dropout the dropout on the layer's output (on the forward pass's plan, which stands for the layer)
 * @param sequenceBuffers the buffers a network that runs layer by layer adds to this layer: the gradient of its
 *     output per step, the scratch its input gradient is formed in, its merged output
 * @param weightGradients when the weight gradients are formed: at every backward step, or once per sequence
 */
public record LayerPlan(LayerShape shape, CellEmitter cell, InputMode inputMode, Optional<BufferSpec> source,
        String sourceOffset, Optional<BufferSpec> sourceGradient, TensorSpec weightIh, TensorSpec weightHh, TensorSpec biasIh, TensorSpec biasHh,
        LayerBuffers buffers, Pass pass, Optional<LayerPlan> reverse, Optional<Merge> merge,
        Optional<Dropout> dropout, List<BufferSpec> sequenceBuffers, WeightGradients weightGradients) {

    public LayerPlan {
        sequenceBuffers = List.copyOf(sequenceBuffers);
    }

    /**
     * Where a pass sits in time, and how gradients cross it when the network runs layer by layer (a network with a
     * bidirectional layer: every layer runs over the whole sequence before the next one, and BPTT goes back layer by
     * layer from the top). A network without one runs step by step and uses none of this.
     *
     * @param time the expression of the time step that step {@code t} of this pass reads: {@code t} forwards,
     *     {@code (T - 1 - t)} for a reverse pass (also {@code t} when {@code T = 1})
     * @param outputGradient when present, each backward step begins with {@code dh += } this slice at {@code time}:
     *     {@code dL/d(the layer's output)} that the layer above or the head left there
     * @param inputGradient when present, {@code dL/dx} of each step is added to this slice at {@code time} (the layer
     *     below's output gradient, or the network's {@code dx}) instead of into {@link #sourceGradient()}
     * @param inputGradientStep the offset-0 scratch that {@code dL/dx} of the step is formed in first
     * @param outputMask when present, the dropout mask that {@link #outputGradient()} is multiplied by as it is
     *     added, laid out like it
     */
    public record Pass(String time, Optional<StepSlice> outputGradient, Optional<StepSlice> inputGradient,
            Optional<BufferSpec> inputGradientStep, Optional<StepSlice> outputMask) {
        /** Returns the pass of a network that runs step by step. */
        public static Pass stepByStep() {
            return new Pass("t", Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
        }
    }

    /**
     * When a layer's weight and bias gradients are formed, as the planner chose, with its reason.
     *
     * <p>Per step, each backward step adds {@code dz_t h_{t-1}^T} to every row of {@code dW_hh} (and
     * {@code dz_t x_t^T} to {@code dW_ih}): a read-modify-write of the whole gradient per step. Deferred, the
     * backward steps only keep {@code dz_t}, and after BPTT one pass forms
     * {@code dW_hh += sum_t dz_t h_{t-1}^T} four steps at a time,
     * {@code gRow[j] += (d_0 h_0[j] + d_1 h_1[j]) + (d_2 h_2[j] + d_3 h_3[j])}, so that each gradient row is read
     * and written once per four steps ({@code dZ^T [X H]} of the sequence, in blocks of four).
     *
     * @param deferred the buffers of the deferred form, absent when the gradients are formed per step
     * @param reason why the planner chose the form, for the generated Javadoc and for tests
     */
    public record WeightGradients(Optional<Deferred> deferred, String reason) {
        /** Returns the per-step form, for the given reason. */
        public static WeightGradients perStep(String reason) {
            return new WeightGradients(Optional.empty(), reason);
        }

        /** Returns whether the gradients are formed once per sequence. */
        public boolean isDeferred() {
            return deferred.isPresent();
        }
    }

    /**
     * The buffers of deferred weight gradients.
     *
     * @param dzSteps {@code dz_t} of every step at {@code t * G H}, kept by the backward steps
     * @param dzHiddenSteps the hidden side's {@code dz_t} per step, when the cell's two sides differ (GRU)
     * @param dzBlock four steps' {@code dz} at offset 0, {@code G H} apart
     * @param dzHiddenBlock four steps' hidden-side {@code dz}, when they differ
     * @param hBlock four steps' {@code h_{t-1}} at offset 0, {@code H} apart
     * @param inputBlock four steps' dense input at offset 0, when {@code dW_ih} is deferred too (a dense input at
     *     every step; a one-hot input keeps its per-step column update)
     */
    public record Deferred(BufferSpec dzSteps, Optional<BufferSpec> dzHiddenSteps, BufferSpec dzBlock,
            Optional<BufferSpec> dzHiddenBlock, BufferSpec hBlock, Optional<BufferSpec> inputBlock) {
        /** The steps formed in one pass over the gradient rows. */
        public static final int BLOCK = 4;

        /** Returns the buffers, in declaration order. */
        public List<BufferSpec> buffers() {
            List<BufferSpec> all = new java.util.ArrayList<>();
            all.add(dzSteps);
            dzHiddenSteps.ifPresent(all::add);
            all.add(dzBlock);
            dzHiddenBlock.ifPresent(all::add);
            all.add(hBlock);
            inputBlock.ifPresent(all::add);
            return List.copyOf(all);
        }
    }

    /**
     * A part of a buffer laid out by time step: step {@code tau} at {@code tau * stride + offset}.
     *
     * @param buffer the buffer
     * @param stride the elements per step
     * @param offset where the part starts within a step (the reverse half of a concatenation)
     */
    public record StepSlice(BufferSpec buffer, int stride, int offset) {
        /** Returns the expression of the part's start at time {@code time}. */
        public String at(String time) {
            return time + " * " + stride + (offset == 0 ? "" : " + " + offset);
        }
    }

    /**
     * How a bidirectional layer makes its output from its two passes' {@code h}.
     *
     * @param sum {@code h_fwd + h_bwd} (size H), else the concatenation {@code [h_fwd; h_bwd]} (size 2H)
     * @param output the merged output: time {@code t} at {@code (t + 1) * size} (offset 0 stays zero, as in
     *     {@code h}); or, when {@link #finalOnly()}, only the merge of the passes' last states at offset 0
     * @param size the output's size per step
     * @param finalOnly whether only the final states are merged, as PyTorch's {@code h_n}: the forward pass after
     *     time {@code T - 1} and the reverse pass after time 0 (the top layer when the head reads the last step)
     */
    public record Merge(boolean sum, BufferSpec output, int size, boolean finalOnly) {}

    /**
     * Inverted dropout on what a layer passes on: during training, {@code output = mask * (the layer's output)},
     * each mask element {@code 0} or {@code 1 / (1 - p)} as {@code dev.unroll.runtime.Dropout} draws it; in
     * inference, {@code output} is a copy of the layer's output. The backward pass multiplies the gradient that
     * reaches {@code output} by the same mask.
     *
     * @param p the probability of dropping an element, in {@code (0, 1)}
     * @param output the masked output, laid out like the layer's output: time {@code t} at {@code (t + 1) * size}
     *     (offset 0 stays zero), or the one output at offset 0 when {@link #finalOnly()}
     * @param mask the mask of time {@code t} at {@code t * size}, or the one output's at offset 0
     * @param gradient in a network that runs step by step, {@code dL/d(output)} of the step being
     *     back-propagated, which the layer above (or the head) adds to and the layer's backward step takes
     * @param size the output's size per step
     * @param finalOnly whether only the final states are masked (the merge's {@link Merge#finalOnly()})
     * @param maskKey the layer's part of the masks' key, {@code Dropout.key(seed, update, sequence, maskKey)}: the
     *     layer's index, or in an encoder-decoder's decoder the number of layers plus its index
     */
    public record Dropout(double p, BufferSpec output, BufferSpec mask, Optional<BufferSpec> gradient, int size,
            boolean finalOnly, int maskKey) {
        /** Returns the buffers, in declaration order. */
        public List<BufferSpec> buffers() {
            return gradient.isPresent() ? List.of(output, mask, gradient.get()) : List.of(output, mask);
        }
    }

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

    /**
     * Returns the layer's tensors in PyTorch's {@code state_dict} order, the cell's own ones last: the forward
     * pass's, then the reverse pass's.
     */
    public List<TensorSpec> tensors() {
        List<TensorSpec> own = concat(List.of(weightIh, weightHh, biasIh, biasHh), cell.extraTensors());
        return reverse.isPresent() ? concat(own, reverse.get().tensors()) : own;
    }

    /** Returns the passes over the sequence: this one, then the reverse one of a bidirectional layer. */
    public List<LayerPlan> passes() {
        return reverse.isPresent() ? List.of(this, reverse.get()) : List.of(this);
    }

    /** Returns true for the reverse pass of a bidirectional layer. */
    public boolean isReverse() {
        return shape.reverse();
    }

    /** Returns the size of what the layer passes on: its merged output's, else {@code H}. */
    public int outputSize() {
        return merge.map(Merge::size).orElse(shape.hiddenSize());
    }

    /** Returns the buffer the layer above or the head reads: the masked output, else the merged output, else {@code h}. */
    public BufferSpec output() {
        return dropout.map(Dropout::output).orElse(merge.map(Merge::output).orElse(buffers.h()));
    }

    /**
     * Returns where, in a network that runs step by step, the layer above or the head adds {@code dL/d(output)} of
     * the step: the dropout's gradient, which the backward step masks into {@code dh}, else {@code dh} itself.
     */
    public BufferSpec stepOutputGradient() {
        return dropout.flatMap(Dropout::gradient).orElse(buffers.dh());
    }

    /** Returns the name of the method that applies the layer's dropout. */
    public String dropoutMethod() {
        return "dropoutLayer" + shape.key();
    }

    /** Returns the PyTorch module that computes the same layer, e.g. {@code nn.LSTM(3, 4, bidirectional=True)}. */
    public String pytorchModule() {
        String module = cell.pytorchModule();
        if (reverse.isEmpty()) {
            return module;
        }
        return module.substring(0, module.length() - 1) + ", bidirectional=True)";
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

    /**
     * Returns every workspace buffer of the layer: the shared ones, then the cell's, then the reverse pass's, then
     * those of a network that runs layer by layer, then the dropout's.
     */
    public List<BufferSpec> allBuffers() {
        List<BufferSpec> all = concat(buffers.all(), cell.buffers());
        if (reverse.isPresent()) {
            all = concat(all, reverse.get().allBuffers());
        }
        all = concat(all, sequenceBuffers);
        if (weightGradients.isDeferred()) {
            all = concat(all, weightGradients.deferred().get().buffers());
        }
        return dropout.isPresent() ? concat(all, dropout.get().buffers()) : all;
    }

    /** Returns the name of the forward step method. */
    public String forwardMethod() {
        return "forwardLayer" + shape.key();
    }

    /**
     * The least multiply-adds of a layer's step, {@code G * H * (I + H)}, at which a two-thread stepper cuts it in two.
     * Measured (docs/performance.md, "A second core for one large step", 64 inputs, float, JMH, quiet): two threads
     * took 0.73-0.81 of the one-thread step for a GRU at H = 384 (516,096 multiply-adds) and 512 and an LSTM at 512,
     * 0.93 for an LSTM at 384, but 1.03-1.30 at H = 160 and 256 (up to 327,680), where the handoff and the second
     * core's cache misses cost more than the half step saves.
     */
    public static final long TWO_THREAD_MIN_MULTIPLY_ADDS = 450_000;

    /**
     * Returns the gate row at which a two-thread stepper cuts this layer's step (the second thread forms the
     * pre-activations of the rows from it on), or empty when the step is too small to pay for the handoff or the cell
     * cannot be cut by rows. The cut is a multiple of 16 near the middle, so that both halves' loops start aligned.
     */
    public java.util.OptionalInt twoThreadCut() {
        long multiplyAdds = (long) gateRows() * (shape.inputSize() + hiddenSize());
        if (!(cell instanceof dev.unroll.compiler.codegen.cell.RowSplitCell) || multiplyAdds < TWO_THREAD_MIN_MULTIPLY_ADDS
                || isReverse() || shape.decoder()) {
            return java.util.OptionalInt.empty();
        }
        return java.util.OptionalInt.of((gateRows() / 2 + 8) / 16 * 16);
    }

    /** Returns the name of the method that forms this layer's pre-activations from row {@code from} to {@code to - 1}. */
    public String preActivationsMethod(int from, int to) {
        return "preActivationsLayer" + shape.key() + "Rows" + from + "To" + to;
    }

    /** Returns the name of the method that finishes this layer's forward step once its pre-activations are formed. */
    public String activateMethod() {
        return "activateLayer" + shape.key();
    }

    /** Returns the name of the backward step method. */
    public String backwardMethod() {
        return "backwardLayer" + shape.key();
    }

    /** Returns the name of the forward step of the sequences run in lockstep ({@link ModelPlan#lockstep()}). */
    public String forwardLockstepMethod() {
        return forwardMethod() + "Lockstep";
    }

    /** Returns the name of the part of a lockstep forward step each sequence does alone. */
    public String forwardAloneMethod() {
        return forwardMethod() + "Alone";
    }

    /** Returns the name of the backward step of the sequences run in lockstep. */
    public String backwardLockstepMethod() {
        return backwardMethod() + "Lockstep";
    }

    /** Returns the name of the part of a lockstep backward step each sequence does alone. */
    public String backwardAloneMethod() {
        return backwardMethod() + "Alone";
    }

    /** Returns the name of the method that forms the deferred weight gradients after BPTT. */
    public String weightGradientsMethod() {
        return "weightGradientsLayer" + shape.key();
    }

    /** Returns the name of the method that merges a bidirectional layer's passes. */
    public String mergeMethod() {
        return "mergeLayer" + index();
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
