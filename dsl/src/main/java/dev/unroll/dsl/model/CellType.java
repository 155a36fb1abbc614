package dev.unroll.dsl.model;

/** The recurrent cell of a layer. */
public enum CellType implements Keyword {
    /** Elman cell: {@code h' = act(W_ih x + b_ih + W_hh h + b_hh)}. */
    RNN,
    /** Long short-term memory, gates i, f, g, o as in PyTorch. */
    LSTM,
    /** Gated recurrent unit, gates r, z, n as in PyTorch. */
    GRU;

    @Override
    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
