package dev.unroll.dsl.model;

import java.util.OptionalInt;

/**
 * How the network is unrolled in time and batched.
 *
 * @param kind how inputs and outputs line up
 * @param inputSteps {@code T_x}: steps that read an input (1 for one_to_one and one_to_many)
 * @param outputSteps {@code T_y}: steps that produce an output (1 for one_to_one and many_to_one)
 * @param feedback one_to_many only: each output becomes the next step's input
 * @param variableLength whether shorter sequences are allowed, padded and masked
 * @param batchSize a fixed number of sequences per call, or empty for any
 * @param bpttWindow truncated BPTT: gradients flow back at most this many steps, or empty for
 *     full BPTT
 */
public record TopologySpec(Topology kind, int inputSteps, int outputSteps, boolean feedback,
        boolean variableLength, OptionalInt batchSize, OptionalInt bpttWindow) {

    /** Returns the number of steps the recurrent stack runs: {@code T_x + T_y} for encoder-decoder, else the longer of the two. */
    public int unrolledSteps() {
        return kind == Topology.ENCODER_DECODER ? inputSteps + outputSteps : Math.max(inputSteps, outputSteps);
    }
}
