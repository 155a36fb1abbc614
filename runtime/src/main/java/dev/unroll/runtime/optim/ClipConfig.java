package dev.unroll.runtime.optim;

import java.util.Objects;

/**
 * One gradient-clipping rule: a mode and its threshold. See {@link GradientClipping}.
 *
 * @param mode what is clipped
 * @param threshold the limit, finite and &gt; 0
 */
public record ClipConfig(Mode mode, double threshold) {

    /** What a rule clips; {@link GradientClipping} applies them in this order. */
    public enum Mode {
        /** Each gradient element clamped to [-threshold, threshold] ({@code clip_grad_value_}). */
        VALUE,
        /** Each parameter's gradient rescaled when its L2 norm exceeds threshold ({@code clip_grad_norm_} per parameter). */
        PER_PARAMETER_NORM,
        /** All gradients rescaled together when their global L2 norm exceeds threshold ({@code clip_grad_norm_}). */
        GLOBAL_NORM
    }

    /** Validates the threshold. */
    public ClipConfig {
        Objects.requireNonNull(mode, "mode");
        if (!(threshold > 0 && Double.isFinite(threshold))) {
            throw new IllegalArgumentException("clip " + mode + " threshold must be finite and > 0, got " + threshold);
        }
    }

    /** Clamps each element to [-c, c]. */
    public static ClipConfig value(double c) {
        return new ClipConfig(Mode.VALUE, c);
    }

    /** Rescales each parameter's gradient to L2 norm at most c. */
    public static ClipConfig perParameterNorm(double c) {
        return new ClipConfig(Mode.PER_PARAMETER_NORM, c);
    }

    /** Rescales all gradients to a global L2 norm of at most c. */
    public static ClipConfig globalNorm(double c) {
        return new ClipConfig(Mode.GLOBAL_NORM, c);
    }
}
