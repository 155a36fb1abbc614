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
 * @param tensorPrefix the PyTorch prefix of the layer's tensors: {@code rnn.}, or an encoder-decoder's
 *     {@code encoder.} or {@code decoder.} (whose Java names end in {@code Decoder})
 */
public record LayerShape(int index, int inputSize, int hiddenSize, int gateCount, int steps, boolean reverse,
        String tensorPrefix) {

    /** The prefix of the tensors of an encoder-decoder's decoder. */
    public static final String DECODER = "decoder.";

    /** Returns the shape of a layer's forward pass. */
    public LayerShape(int index, int inputSize, int hiddenSize, int gateCount, int steps) {
        this(index, inputSize, hiddenSize, gateCount, steps, false, "rnn.");
    }

    /** Returns the shape of a pass of a layer whose tensors are {@code rnn.*}. */
    public LayerShape(int index, int inputSize, int hiddenSize, int gateCount, int steps, boolean reverse) {
        this(index, inputSize, hiddenSize, gateCount, steps, reverse, "rnn.");
    }

    /** Returns true for a layer of an encoder-decoder's decoder. */
    public boolean decoder() {
        return tensorPrefix.equals(DECODER);
    }

    /**
     * Returns the PyTorch name of one of this pass's tensors, e.g. {@code tensorName("weight_ci")} is
     * {@code rnn.weight_ci_l0}, {@code rnn.weight_ci_l0_reverse} or {@code decoder.weight_ci_l0}.
     */
    public String tensorName(String base) {
        return tensorPrefix + base + "_l" + index + (reverse ? "_reverse" : "");
    }

    /** Returns the rows of the stacked weights, {@code gateCount * hiddenSize}. */
    public int gateRows() {
        return gateCount * hiddenSize;
    }

    /**
     * Returns what this pass's buffer names end with: {@code "0"} for layer 0's forward pass, {@code "0Reverse"} for
     * its reverse pass, {@code "0Decoder"} for layer 0 of a decoder. Emitters name their buffers
     * {@code "gates" + key()}, never with the bare index.
     */
    public String key() {
        return index + (reverse ? "Reverse" : "") + (decoder() ? "Decoder" : "");
    }

    /**
     * Returns {@code "Layer k: "} (or {@code "Layer k reverse: "}, {@code "Decoder layer k: "}), the prefix of this
     * pass's buffer documentation.
     */
    public String docPrefix() {
        return (decoder() ? "Decoder layer " : "Layer ") + index + (reverse ? " reverse" : "") + ": ";
    }
}
