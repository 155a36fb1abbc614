package dev.unroll.dsl.model;

/** Where a GRU applies its reset gate. */
public enum GruVariant implements Keyword {
    /** PyTorch's form: {@code n = tanh(W_in x + b_in + r * (W_hn h + b_hn))} (the default). */
    RESET_AFTER,
    /** The original form of Cho et al. (2014): {@code n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)}. */
    CHO;

    @Override
    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
