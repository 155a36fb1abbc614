package dev.unroll.compiler.plan;

import java.util.ArrayList;
import java.util.List;

/**
 * The decoder of an encoder-decoder ({@code many_to_many input_steps TX output_steps TY}): a second
 * layer stack with its own parameters ({@code decoder.*}), which starts from the encoder's final
 * states and writes the {@code TY} outputs through the head. The model's {@link ModelPlan#layers()}
 * are then the encoder ({@code encoder.*}), which reads the {@code TX} inputs and writes nothing.
 *
 * <p>The decoder's input at step {@code s} is the previous output's value, from {@link #input()}:
 * nothing at step 0 (the zero start vector), then, in training (teacher forcing), the target of
 * step {@code s - 1}, and in inference what the decoder wrote at step {@code s - 1}:
 *
 * <pre>
 *   class targets (cross_entropy):  the class, as a symbol: one-hot of target[s - 1], or of argmax y[s - 1]
 *   vector targets:                 target[s - 1], or y[s - 1] (its one-hot argmax for a softmax head)
 * </pre>
 *
 * @param layers the decoder stack, input side first, each unrolled over {@code TY} steps
 * @param input the decoder's input per step: symbols, step {@code s} at {@code s}, or vectors of the output size,
 *     step {@code s} at {@code s * O}; step 0 is never read
 * @param symbolInput whether {@link #input()} holds classes (the loss is cross-entropy) rather than vectors
 * @param argmaxFeedback whether inference feeds back the argmax of the output (a softmax head) rather than the
 *     output itself
 * @param inputSteps {@code TX}, the encoder's steps
 * @param outputSteps {@code TY}, the decoder's steps
 * @param stateSize the numbers of the decoder's state (every layer's {@code h}, and {@code c} for an LSTM), which
 *     a hypothesis of beam search carries
 */
public record DecoderPlan(List<LayerPlan> layers, BufferSpec input, boolean symbolInput, boolean argmaxFeedback,
        int inputSteps, int outputSteps, int stateSize) {

    public DecoderPlan {
        layers = List.copyOf(layers);
    }

    /** Returns the decoder's top layer, which the head reads. */
    public LayerPlan top() {
        return layers.get(layers.size() - 1);
    }

    /** Returns the decoder's tensors in {@code state_dict} order. */
    public List<TensorSpec> tensors() {
        List<TensorSpec> all = new ArrayList<>();
        for (LayerPlan layer : layers) {
            all.addAll(layer.tensors());
        }
        return List.copyOf(all);
    }

    /** Returns the decoder's workspace buffers: its input, then its layers'. */
    public List<BufferSpec> buffers() {
        List<BufferSpec> all = new ArrayList<>(List.of(input));
        for (LayerPlan layer : layers) {
            all.addAll(layer.allBuffers());
        }
        return List.copyOf(all);
    }
}
