package dev.unroll.compiler.plan;

/**
 * The sizes of one recurrent layer, which its cell emitter sizes its buffers and tensors from.
 *
 * @param index the position in the stack, from 0 at the input (PyTorch's {@code _l0})
 * @param inputSize what the layer reads per step
 * @param hiddenSize the size of {@code h}
 * @param gateCount how many gate blocks the weights stack
 * @param steps the number of unrolled steps
 */
public record LayerShape(int index, int inputSize, int hiddenSize, int gateCount, int steps) {
    /** Returns the rows of the stacked weights, {@code gateCount * hiddenSize}. */
    public int gateRows() {
        return gateCount * hiddenSize;
    }

    /** Returns {@code "Layer k: "}, the prefix of this layer's buffer documentation. */
    public String docPrefix() {
        return "Layer " + index + ": ";
    }
}
