package dev.unroll.compiler.plan;

import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The workspace buffers that belong to the network rather than to a layer: its input, the head's
 * values, the targets and the gradients that cross the head. Which exist depends on the encoding,
 * the topology and the loss; the planner decides, the writers only read.
 *
 * @param symbols input symbols, one per step (one-hot input)
 * @param x dense inputs, {@code x[t * I + i]} (dense input, or outputs fed back)
 * @param dxStep {@code dL/dx_t} of the step being back-propagated
 * @param dx {@code dL/dx}, laid out like {@code x} (dense input)
 * @param logits the head's pre-activations per output
 * @param headAcc the head's pre-activations of the output being computed
 * @param headIn the head's input {@code h_t} of the output being back-propagated
 * @param y the outputs
 * @param dLogits the loss gradient with respect to the logits
 * @param targetSymbols target classes, one per output (cross-entropy)
 * @param targets target vectors, laid out like {@code y}
 * @param dy {@code dL/dy} of one output (mean squared error)
 * @param dyFeedback {@code dL/dy_t} through the feedback path into {@code x_{t+1}}
 * @param headInputGradient {@code dL/d(head input)} of the output being back-propagated, when the network runs
 *     layer by layer (it is then passed on to the top layer's output gradient)
 */
public record NetworkBuffers(Optional<BufferSpec> symbols, Optional<BufferSpec> x, Optional<BufferSpec> dxStep,
        Optional<BufferSpec> dx, BufferSpec logits, BufferSpec headAcc, BufferSpec headIn, BufferSpec y,
        BufferSpec dLogits, Optional<BufferSpec> targetSymbols, Optional<BufferSpec> targets, Optional<BufferSpec> dy,
        Optional<BufferSpec> dyFeedback, Optional<BufferSpec> headInputGradient) {

    /** The workspace flag that says whether the backward pass fills {@code dx}. */
    public static final String WANT_INPUT_GRADIENT = "wantInputGradient";

    /** Returns the expression of the flag that says whether the backward pass fills {@code dx}. */
    public String wantInputGradient() {
        return "ws." + WANT_INPUT_GRADIENT;
    }

    /** Returns the input-side buffers, in declaration order. */
    public List<BufferSpec> inputSide() {
        return present(symbols, x, dxStep, dx);
    }

    /** Returns the head's buffers, in declaration order. */
    public List<BufferSpec> headSide() {
        return Stream.concat(Stream.of(logits, headAcc, headIn), headInputGradient.stream()).toList();
    }

    /** Returns the output-side buffers, in declaration order. */
    public List<BufferSpec> outputSide() {
        return Stream.concat(Stream.of(y, dLogits), present(targetSymbols, targets, dy, dyFeedback).stream()).toList();
    }

    @SafeVarargs
    private static List<BufferSpec> present(Optional<BufferSpec>... buffers) {
        return Stream.of(buffers).flatMap(Optional::stream).toList();
    }
}
