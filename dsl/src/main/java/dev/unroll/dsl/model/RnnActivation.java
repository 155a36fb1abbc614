package dev.unroll.dsl.model;

/** The nonlinearity of a vanilla RNN cell. */
public enum RnnActivation {
    /** Hyperbolic tangent (the default). */
    TANH,
    /** Rectified linear unit. */
    RELU;

    /** Returns the word that names this value in a {@code .rnn} file. */
    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
