package dev.unroll.dsl.model;

/**
 * One recurrent layer of the stack, with its sizes resolved.
 *
 * @param index the position in the stack, from 0 at the input (PyTorch's {@code _l0})
 * @param cell the cell and its options
 * @param inputSize what the layer reads each step: the network input for layer 0, else the
 *     previous layer's {@link #outputSize()}
 * @param hiddenSize the size of the hidden state {@code h} (and of {@code c} for LSTM)
 * @param direction forward only, or bidirectional and how the directions combine
 * @param dropout the probability of zeroing each element of this layer's output during training
 *     (0 disables it); never applied in inference
 */
public record LayerSpec(int index, CellSpec cell, int inputSize, int hiddenSize, Direction direction, double dropout) {

    /** Returns true when the layer also reads the sequence backwards. */
    public boolean isBidirectional() {
        return direction != Direction.FORWARD;
    }

    /** Returns the size of what this layer passes on: twice the hidden size for concat, else the hidden size. */
    public int outputSize() {
        return direction == Direction.CONCAT ? 2 * hiddenSize : hiddenSize;
    }
}
