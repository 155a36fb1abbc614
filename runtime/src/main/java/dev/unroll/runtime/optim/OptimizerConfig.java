package dev.unroll.runtime.optim;

import java.util.Objects;

/**
 * The optimizer of a model and its hyper-parameters, with PyTorch's meaning and defaults.
 *
 * <p>Which fields matter depends on the kind (the others are validated but unused):
 * <ul>
 *   <li>{@link Kind#SGD}: learningRate, weightDecay ({@code torch.optim.SGD} without momentum);</li>
 *   <li>{@link Kind#MOMENTUM}: learningRate, momentum (&gt; 0), nesterov, weightDecay
 *       ({@code torch.optim.SGD} with momentum, dampening 0);</li>
 *   <li>{@link Kind#ADAGRAD}: learningRate, epsilon, weightDecay (lr_decay 0, initial accumulator 0);</li>
 *   <li>{@link Kind#RMSPROP}: learningRate, alpha, epsilon, momentum (may be 0), weightDecay (not centered);</li>
 *   <li>{@link Kind#ADAM}: learningRate, beta1, beta2, epsilon, weightDecay (L2, added to the gradient; not amsgrad);</li>
 *   <li>{@link Kind#ADAMW}: as ADAM, but weightDecay is decoupled ({@code w *= 1 - lr * weightDecay}).</li>
 * </ul>
 * For SGD, MOMENTUM, ADAGRAD, RMSPROP and ADAM, a non-zero weightDecay adds {@code weightDecay * w}
 * to the gradient, as PyTorch does.
 *
 * @param kind the algorithm
 * @param learningRate the base learning rate (a {@link LearningRateSchedule} may vary it per step), &ge; 0
 * @param momentum momentum factor in [0, 1); &gt; 0 for MOMENTUM, 0 for the kinds without momentum
 * @param nesterov Nesterov momentum (MOMENTUM only)
 * @param beta1 Adam's first-moment decay, in [0, 1)
 * @param beta2 Adam's second-moment decay, in [0, 1)
 * @param epsilon the term added to the denominator, &ge; 0
 * @param alpha RMSprop's smoothing constant, in [0, 1)
 * @param weightDecay L2 penalty (decoupled for ADAMW), &ge; 0
 */
public record OptimizerConfig(Kind kind, double learningRate, double momentum, boolean nesterov, double beta1,
                              double beta2, double epsilon, double alpha, double weightDecay) {

    /** The optimization algorithms, each exactly as its {@code torch.optim} counterpart. */
    public enum Kind {
        /** Plain stochastic gradient descent. */
        SGD,
        /** SGD with (optionally Nesterov) momentum. */
        MOMENTUM,
        /** Adagrad. */
        ADAGRAD,
        /** RMSprop. */
        RMSPROP,
        /** Adam with L2 weight decay. */
        ADAM,
        /** Adam with decoupled weight decay. */
        ADAMW
    }

    /**
     * Validates the hyper-parameters.
     *
     * @throws IllegalArgumentException naming the field and its value when one is out of range or
     *     does not fit the kind
     */
    public OptimizerConfig {
        Objects.requireNonNull(kind, "kind");
        check("learningRate", learningRate, 0, Double.MAX_VALUE, true);
        check("momentum", momentum, 0, 1, false);
        check("beta1", beta1, 0, 1, false);
        check("beta2", beta2, 0, 1, false);
        check("epsilon", epsilon, 0, Double.MAX_VALUE, true);
        check("alpha", alpha, 0, 1, false);
        check("weightDecay", weightDecay, 0, Double.MAX_VALUE, true);
        if (kind == Kind.MOMENTUM && momentum == 0) {
            throw new IllegalArgumentException("optimizer MOMENTUM needs a momentum > 0 (use SGD for none)");
        }
        if (momentum != 0 && kind != Kind.MOMENTUM && kind != Kind.RMSPROP) {
            throw new IllegalArgumentException("optimizer " + kind + " has no momentum, but momentum is " + momentum
                    + (kind == Kind.SGD ? " (use MOMENTUM)" : ""));
        }
        if (nesterov && kind != Kind.MOMENTUM) {
            throw new IllegalArgumentException("nesterov applies to MOMENTUM only, not " + kind);
        }
    }

    private static void check(String name, double v, double min, double max, boolean maxInclusive) {
        if (!(v >= min && (maxInclusive ? v <= max : v < max))) {
            throw new IllegalArgumentException("optimizer " + name + " must be in [" + min + ", "
                    + (max == Double.MAX_VALUE ? "infinity)" : max + (maxInclusive ? "]" : ")")) + ", got " + v);
        }
    }

    /**
     * Returns {@code kind} with PyTorch's default hyper-parameters: momentum 0.9 for MOMENTUM
     * (PyTorch has no default; 0.9 is the usual value), betas (0.9, 0.999), epsilon 1e-10 for
     * Adagrad and 1e-8 otherwise, alpha 0.99, weight decay 0.01 for ADAMW and 0 otherwise.
     */
    public static OptimizerConfig defaults(Kind kind, double learningRate) {
        return new OptimizerConfig(kind, learningRate, kind == Kind.MOMENTUM ? 0.9 : 0, false, 0.9, 0.999,
                kind == Kind.ADAGRAD ? 1e-10 : 1e-8, 0.99, kind == Kind.ADAMW ? 0.01 : 0);
    }

    /** Plain SGD. */
    public static OptimizerConfig sgd(double learningRate) {
        return defaults(Kind.SGD, learningRate);
    }

    /** SGD with momentum, Nesterov or not. */
    public static OptimizerConfig momentum(double learningRate, double momentum, boolean nesterov) {
        return defaults(Kind.MOMENTUM, learningRate).withMomentum(momentum).withNesterov(nesterov);
    }

    /** Adagrad with PyTorch's defaults (epsilon 1e-10). */
    public static OptimizerConfig adagrad(double learningRate) {
        return defaults(Kind.ADAGRAD, learningRate);
    }

    /** RMSprop with PyTorch's defaults (alpha 0.99, epsilon 1e-8, no momentum). */
    public static OptimizerConfig rmsprop(double learningRate) {
        return defaults(Kind.RMSPROP, learningRate);
    }

    /** Adam with PyTorch's defaults (betas 0.9, 0.999, epsilon 1e-8, no weight decay). */
    public static OptimizerConfig adam(double learningRate) {
        return defaults(Kind.ADAM, learningRate);
    }

    /** AdamW with PyTorch's defaults (betas 0.9, 0.999, epsilon 1e-8, weight decay 0.01). */
    public static OptimizerConfig adamW(double learningRate) {
        return defaults(Kind.ADAMW, learningRate);
    }

    /** Returns a copy with another learning rate. */
    public OptimizerConfig withLearningRate(double v) {
        return new OptimizerConfig(kind, v, momentum, nesterov, beta1, beta2, epsilon, alpha, weightDecay);
    }

    /** Returns a copy with another momentum. */
    public OptimizerConfig withMomentum(double v) {
        return new OptimizerConfig(kind, learningRate, v, nesterov, beta1, beta2, epsilon, alpha, weightDecay);
    }

    /** Returns a copy with Nesterov momentum on or off. */
    public OptimizerConfig withNesterov(boolean v) {
        return new OptimizerConfig(kind, learningRate, momentum, v, beta1, beta2, epsilon, alpha, weightDecay);
    }

    /** Returns a copy with other Adam betas. */
    public OptimizerConfig withBetas(double b1, double b2) {
        return new OptimizerConfig(kind, learningRate, momentum, nesterov, b1, b2, epsilon, alpha, weightDecay);
    }

    /** Returns a copy with another epsilon. */
    public OptimizerConfig withEpsilon(double v) {
        return new OptimizerConfig(kind, learningRate, momentum, nesterov, beta1, beta2, v, alpha, weightDecay);
    }

    /** Returns a copy with another RMSprop alpha. */
    public OptimizerConfig withAlpha(double v) {
        return new OptimizerConfig(kind, learningRate, momentum, nesterov, beta1, beta2, epsilon, v, weightDecay);
    }

    /** Returns a copy with another weight decay. */
    public OptimizerConfig withWeightDecay(double v) {
        return new OptimizerConfig(kind, learningRate, momentum, nesterov, beta1, beta2, epsilon, alpha, v);
    }
}
