package dev.unroll.dsl.model;

import java.util.OptionalDouble;

/** The cell of a recurrent layer with its cell-specific options. */
public sealed interface CellSpec {

    /** Returns which cell this is. */
    CellType type();

    /**
     * Returns how many gate blocks the cell's weight matrices stack (1 RNN, 4 LSTM, 3 GRU),
     * the {@code G} in PyTorch's {@code weight_ih} shape {@code (G*H, I)}.
     */
    int gateCount();

    /**
     * A vanilla (Elman) RNN cell.
     *
     * @param activation tanh or relu
     */
    record Rnn(RnnActivation activation) implements CellSpec {
        @Override
        public CellType type() {
            return CellType.RNN;
        }

        @Override
        public int gateCount() {
            return 1;
        }
    }

    /**
     * An LSTM cell.
     *
     * @param forgetBias the value the forget-gate bias {@code b_if} starts at (PyTorch: 0)
     * @param peepholes whether gates also see the cell state (Gers and Schmidhuber, 2000)
     * @param cellClip when present, the cell state is clamped to {@code [-clip, clip]} every step
     */
    record Lstm(double forgetBias, boolean peepholes, OptionalDouble cellClip) implements CellSpec {
        @Override
        public CellType type() {
            return CellType.LSTM;
        }

        @Override
        public int gateCount() {
            return 4;
        }
    }

    /**
     * A GRU cell.
     *
     * @param variant PyTorch's reset-after form or Cho's original
     */
    record Gru(GruVariant variant) implements CellSpec {
        @Override
        public CellType type() {
            return CellType.GRU;
        }

        @Override
        public int gateCount() {
            return 3;
        }
    }
}
