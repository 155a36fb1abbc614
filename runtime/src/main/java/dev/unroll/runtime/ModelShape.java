package dev.unroll.runtime;

import java.util.List;
import java.util.Objects;

/**
 * The sizes and structure of a generated model, for generic code (an evaluation loop, a harness
 * that drives many models, a distributed job, an exporter) that must not read the generated class.
 *
 * @param name the model's fully qualified class name
 * @param inputSize the size of each input vector, or the vocabulary of a one-hot input
 * @param symbolInput whether inputs are symbol indices ({@code int}) rather than vectors
 * @param sequenceInput whether one input is a sequence ({@code x[t][i]}, {@code int[t]}) rather than one value
 * @param steps the number of steps the network is unrolled over; for an encoder-decoder the input's steps
 *     {@code TX}, which the encoder reads (the decoder runs {@code outputSteps} more)
 * @param outputSize the size of each output vector
 * @param outputSteps the number of outputs per sequence
 * @param sequenceOutput whether one output is a sequence ({@code y[s][o]}) rather than one vector
 * @param symbolTargets whether targets are class indices rather than vectors
 * @param layers the recurrent stack, input side first
 * @param topology the spec's topology keyword: one_to_one, one_to_many, many_to_one, many_to_many, or
 *     encoder_decoder for {@code many_to_many input_steps TX output_steps TY}
 * @param outputActivation the head's activation keyword: linear, softmax, sigmoid or tanh
 * @param fixedBatchSize the batch size the spec fixes, or 0 for any
 * @param float32 whether the model computes in float rather than double
 * @param variableLength whether the spec declares {@code variable_length}: each sequence of a batch may have its own
 *     length, from 1 to {@code steps}, given beside the padded arrays
 */
public record ModelShape(String name, int inputSize, boolean symbolInput, boolean sequenceInput, int steps,
        int outputSize, int outputSteps, boolean sequenceOutput, boolean symbolTargets, List<Layer> layers,
        String topology, String outputActivation, int fixedBatchSize, boolean float32, boolean variableLength) {

    /** Returns the shape of a model without {@code variable_length} (what models generated before it call). */
    public ModelShape(String name, int inputSize, boolean symbolInput, boolean sequenceInput, int steps,
            int outputSize, int outputSteps, boolean sequenceOutput, boolean symbolTargets, List<Layer> layers,
            String topology, String outputActivation, int fixedBatchSize, boolean float32) {
        this(name, inputSize, symbolInput, sequenceInput, steps, outputSize, outputSteps, sequenceOutput,
                symbolTargets, layers, topology, outputActivation, fixedBatchSize, float32, false);
    }

    /**
     * One recurrent layer, as the spec's layer statement says it.
     *
     * @param cell the cell keyword: {@code rnn}, {@code lstm} or {@code gru}
     * @param options the cell's options as the spec writes them, e.g. {@code [tanh]}, {@code [relu]},
     *     {@code [peepholes, cell_clip 3.0]}, {@code [cho]}; empty for the defaults
     * @param direction {@code forward}, or {@code concat} or {@code sum} for a bidirectional layer
     * @param inputSize what it reads per step
     * @param hiddenSize the size of its {@code h}
     */
    public record Layer(String cell, List<String> options, String direction, int inputSize, int hiddenSize) {
        public Layer {
            Objects.requireNonNull(cell, "cell");
            Objects.requireNonNull(direction, "direction");
            options = List.copyOf(options);
        }
    }

    public ModelShape {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(outputActivation, "outputActivation");
        Objects.requireNonNull(topology, "topology");
        layers = List.copyOf(layers);
    }
}
