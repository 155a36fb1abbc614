package dev.unroll.bench.baseline;

/**
 * What the hand-written EJML baselines compute: one recurrent layer over a fixed number of steps
 * and a head at every step, trained with Adagrad after clipping every gradient element by value.
 * The two kinds the benchmarks use are the grid models ({@link #grid}: 64 dense inputs, linear head
 * of 64 outputs, mse) and the char-level LSTM ({@link #charLstm}: 65 one-hot symbols, softmax head,
 * cross-entropy).
 *
 * @param cell the recurrent cell
 * @param inputSize the input vector size, or the vocabulary size for one-hot inputs
 * @param oneHot whether inputs are symbols (one-hot) rather than dense vectors
 * @param hidden the hidden size
 * @param outputSize the head's output size
 * @param softmax softmax head with cross-entropy loss; otherwise a linear head with mse
 * @param steps the sequence length
 * @param learningRate Adagrad's learning rate
 * @param clipValue every gradient element is clamped to {@code [-clipValue, clipValue]}
 */
public record NetworkShape(Cell cell, int inputSize, boolean oneHot, int hidden, int outputSize,
        boolean softmax, int steps, double learningRate, double clipValue) {

    /** The recurrent cells, with PyTorch's equations and gate order. */
    public enum Cell {
        /** {@code h = tanh(W_ih x + b_ih + W_hh h + b_hh)}. */
        RNN(1),
        /** Gates i, f, g, o. */
        LSTM(4),
        /** Gates r, z, n. */
        GRU(3);

        /** The number of gate blocks stacked in {@code W_ih} and {@code W_hh}. */
        public final int gates;

        Cell(int gates) {
            this.gates = gates;
        }
    }

    /** Adagrad's epsilon, PyTorch's default. */
    public static final double ADAGRAD_EPSILON = 1e-10;

    /** A grid model: 64 dense inputs, linear head of 64 outputs, mse, Adagrad 0.1, clip value 5. */
    public static NetworkShape grid(Cell cell, int hidden, int steps) {
        return new NetworkShape(cell, 64, false, hidden, 64, false, steps, 0.1, 5.0);
    }

    /** The char-level LSTM: 65 one-hot symbols, lstm 128, softmax 65, 25 steps, Adagrad 0.1, clip 5. */
    public static NetworkShape charLstm() {
        return new NetworkShape(Cell.LSTM, 65, true, 128, 65, true, 25, 0.1, 5.0);
    }
}
