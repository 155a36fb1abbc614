package dev.unroll.dsl.model;

/** A gradient clipping rule. */
public enum ClipKind implements Keyword {
    /** Clamps every gradient element to {@code [-threshold, threshold]}. */
    VALUE,
    /** Rescales all gradients together when their global L2 norm exceeds the threshold. */
    NORM,
    /** Rescales each parameter's gradient when its own L2 norm exceeds the threshold. */
    PER_PARAMETER_NORM;

    @Override
    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
