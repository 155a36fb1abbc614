package dev.unroll.dsl.model;

/** The nonlinearity of a vanilla RNN cell. */
public enum RnnActivation implements Keyword {
    /** Hyperbolic tangent (the default). */
    TANH,
    /** Rectified linear unit. */
    RELU;

    @Override
    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
