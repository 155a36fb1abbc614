package dev.unroll.dsl.model;

/** How weight matrices are initialized (biases start at zero except where stated). */
public enum WeightInit implements Keyword {
    /** PyTorch's default: uniform in {@code [-1/sqrt(H), 1/sqrt(H)]} for every weight and bias. */
    PYTORCH,
    /** Glorot uniform: {@code U(-a, a)}, {@code a = sqrt(6 / (fan_in + fan_out))}, per gate block. */
    XAVIER,
    /** A (semi-)orthogonal matrix per gate block, from a QR decomposition. */
    ORTHOGONAL;

    @Override
    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
