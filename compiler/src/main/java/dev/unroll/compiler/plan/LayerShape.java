package dev.unroll.compiler.plan;

/**
 * The sizes of one recurrent layer's pass over the sequence, which its cell emitter sizes its buffers
 * and tensors from. A bidirectional layer has two: the forward pass and the reverse pass, each with
 * its own emitter, tensors and buffers; {@link #key()} keeps their names apart.
 *
 * @param index the position in the stack, from 0 at the input (PyTorch's {@code _l0})
 * @param inputSize what the layer reads per step
 * @param hiddenSize the size of {@code h}
 * @param gateCount how many gate blocks the weights stack
 * @param steps the number of unrolled steps
 * @param reverse whether this is the reverse pass of a bidirectional layer (PyTorch's {@code _reverse})
 */
public record LayerShape(int index, int inputSize, int hiddenSize, int gateCount, int steps, boolean reverse) {

    /** Returns the shape of a layer's forward pass. */
    public LayerShape(int index, int inputSize, int hiddenSize, int gateCount, int steps) {
        this(index, inputSize, hiddenSize, gateCount, steps, false);
    }

    /** Returns the rows of the stacked weights, {@code gateCount * hiddenSize}. */
    public int gateRows() {
        return gateCount * hiddenSize;
    }

    /**
     * Returns what this pass's buffer names end with: {@code "0"} for layer 0's forward pass, {@code "0Reverse"} for
     * its reverse pass. Emitters name their buffers {@code "gates" + key()}, never with the bare index.
     */
    public String key() {
        return index + (reverse ? "Reverse" : "");
    }

    /** Returns {@code "Layer k: "} (or {@code "Layer k reverse: "}), the prefix of this pass's buffer documentation. */
    public String docPrefix() {
        return "Layer " + index + (reverse ? " reverse" : "") + ": ";
    }
}
