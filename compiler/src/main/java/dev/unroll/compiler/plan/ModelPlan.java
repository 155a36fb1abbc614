package dev.unroll.compiler.plan;

import dev.unroll.dsl.model.NetworkModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Everything the writers need to know about one model, derived once by the {@link Planner}: the
 * shapes of the public API, the layers with their cells and inputs, every tensor, every workspace
 * buffer and the time schedule. The writers read only this (and the spec's own settings through
 * {@link #model()}); no writer derives a size or a name.
 *
 * @param model the validated spec: names, documentation, training settings
 * @param input one sequence's input as the API takes it
 * @param target one sequence's target
 * @param output one sequence's output
 * @param schedule the steps, the scored steps, feedback
 * @param layers the recurrent stack, input side first
 * @param head the output head and its loss
 * @param network the network's own workspace buffers
 * @param forwardFlops floating-point operations of one sequence's forward pass (matrix products only)
 * @param embedding the embedding table of an {@code embedding} input
 * @param decoder the decoder of an encoder-decoder, whose encoder {@code layers} are then
 * @param kernels how the matrix products are written (plain Java or the Vector API)
 * @param lockstep how many sequences of a training batch run together, step by step, so that the Vector API kernels
 *     load each weight once for all of them: {@link #LOCKSTEP}, or 1 (one sequence at a time)
 */
public record ModelPlan(NetworkModel model, ValueShape input, ValueShape target, ValueShape output,
        TimeSchedule schedule, List<LayerPlan> layers, HeadPlan head, NetworkBuffers network, long forwardFlops,
        Optional<EmbeddingPlan> embedding, Optional<DecoderPlan> decoder, KernelStyle kernels, int lockstep) {

    /**
     * The sequences run in lockstep: four, so that a block of four vectors of rows times four sequences is sixteen
     * accumulators in registers, with the four weight vectors and a broadcast beside them (AVX-512 has 32). Measured
     * alone (JDK 17, AVX-512, the 512 x 192 product of an LSTM-128 step): 93 multiply-adds per ns against 27 for one
     * sequence at a time.
     */
    public static final int LOCKSTEP = 4;

    public ModelPlan {
        layers = List.copyOf(layers);
        java.util.Objects.requireNonNull(kernels, "kernels");
        if (lockstep != 1 && lockstep != LOCKSTEP) {
            throw new IllegalArgumentException("lockstep " + lockstep + ": 1 or " + LOCKSTEP);
        }
    }

    /** Returns the plan of a model without a decoder. */
    public ModelPlan(NetworkModel model, ValueShape input, ValueShape target, ValueShape output,
            TimeSchedule schedule, List<LayerPlan> layers, HeadPlan head, NetworkBuffers network, long forwardFlops,
            Optional<EmbeddingPlan> embedding) {
        this(model, input, target, output, schedule, layers, head, network, forwardFlops, embedding, Optional.empty(),
                KernelStyle.PLAIN, 1);
    }

    /**
     * Returns every tensor in PyTorch's {@code state_dict} order: the embedding's, the layers', then an
     * encoder-decoder's decoder layers', then the head's.
     */
    public List<TensorSpec> tensors() {
        List<TensorSpec> all = new ArrayList<>();
        embedding.ifPresent(e -> all.add(e.table()));
        for (LayerPlan layer : layers) {
            all.addAll(layer.tensors());
        }
        decoder.ifPresent(d -> all.addAll(d.tensors()));
        all.add(head.weight());
        all.add(head.bias());
        return List.copyOf(all);
    }

    /** Returns every workspace buffer in declaration order. */
    public List<BufferSpec> buffers() {
        List<BufferSpec> all = new ArrayList<>(network.inputSide());
        for (LayerPlan layer : layers) {
            all.addAll(layer.allBuffers());
        }
        decoder.ifPresent(d -> all.addAll(d.buffers()));
        all.addAll(network.headSide());
        all.addAll(network.outputSide());
        return List.copyOf(all);
    }

    /**
     * Returns true when the network runs layer by layer: every layer over the whole sequence before the next, and
     * BPTT back from the top layer by layer; a bidirectional layer needs it, since its output at step {@code t}
     * depends on every later input. Otherwise the network runs step by step, every layer at each step.
     */
    public boolean layerByLayer() {
        return layers.stream().anyMatch(l -> l.reverse().isPresent());
    }

    /**
     * Returns true when the model has a {@code Stepper} (one step at a time over an endless stream): unless it runs
     * layer by layer or is an encoder-decoder, whose {@code newStepper()} throws.
     */
    public boolean hasStepper() {
        return !layerByLayer() && decoder.isEmpty();
    }

    /** Returns true when some layer has dropout, a decoder's included, so that training draws masks. */
    public boolean hasDropout() {
        return allLayers().stream().anyMatch(l -> l.dropout().isPresent());
    }

    /** Returns every layer: the stack's (an encoder-decoder's encoder), then a decoder's. */
    public List<LayerPlan> allLayers() {
        if (decoder.isEmpty()) {
            return layers;
        }
        List<LayerPlan> all = new ArrayList<>(layers);
        all.addAll(decoder.get().layers());
        return List.copyOf(all);
    }

    /** Returns the top layer (of an encoder-decoder's encoder). */
    public LayerPlan top() {
        return layers.get(layers.size() - 1);
    }

    /** Returns what the first layer reads per step: the input size, or the embedding dimension. */
    public int featureSize() {
        return layers.get(0).shape().inputSize();
    }

    /** Returns true when a tensor's gradient is never computed: a frozen embedding table. */
    public boolean frozen(TensorSpec tensor) {
        return embedding.map(e -> e.frozen() && e.table().equals(tensor)).orElse(false);
    }

    /** Returns true when the input is symbols. */
    public boolean symbolInput() {
        return input.symbolic();
    }
}
