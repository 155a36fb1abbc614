package dev.unroll.compiler.plan;

import dev.unroll.dsl.model.LossKind;
import dev.unroll.dsl.model.OutputActivation;

/**
 * The output head, {@code y = act(W h_t + b)} on the top layer's output, and the loss it is scored by.
 *
 * @param weight {@code W}, shape {@code [O, F]}
 * @param bias {@code b}, shape {@code [O]}
 * @param source the buffer the head reads {@code h_t} from: the top layer's output ({@code h}, or a bidirectional
 *     layer's merged output)
 * @param sourceOffset the expression of {@code h_t}'s offset in {@code source} at step {@code t}
 * @param sourceGradient where {@code W^T dz} goes: the top layer's {@code dh}, or, when the network runs layer by
 *     layer, a scratch the sequence writer passes on
 * @param inputSize {@code F}, the top layer's output size
 * @param size {@code O}
 * @param activation the output activation
 * @param loss the loss
 */
public record HeadPlan(TensorSpec weight, TensorSpec bias, BufferSpec source, String sourceOffset,
        BufferSpec sourceGradient, int inputSize,
        int size, OutputActivation activation, LossKind loss) {

    /** Returns true when the loss reads targets as class indices. */
    public boolean symbolTargets() {
        return loss == LossKind.CROSS_ENTROPY;
    }
}
