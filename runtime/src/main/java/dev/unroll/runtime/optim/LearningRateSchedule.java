package dev.unroll.runtime.optim;

/**
 * The learning rate of each update, as a function of {@code t}, the number of updates done so
 * far (0 for the first update).
 *
 * <ul>
 *   <li>{@link Constant}: {@code lr};</li>
 *   <li>{@link Step}: {@code lr * gamma^floor(t / every)} (PyTorch's {@code StepLR});</li>
 *   <li>{@link Cosine}: {@code min + (lr - min) * (1 + cos(pi * min(t, period) / period)) / 2}
 *       (PyTorch's {@code CosineAnnealingLR} up to {@code period}; after it the rate stays at
 *       {@code min}, where PyTorch's would rise again).</li>
 * </ul>
 */
public sealed interface LearningRateSchedule {

    /**
     * Returns the learning rate of the update that follows {@code t} updates.
     *
     * @throws IllegalArgumentException when {@code t} is negative
     */
    double learningRate(long t);

    /** A constant learning rate. */
    static LearningRateSchedule constant(double learningRate) {
        return new Constant(learningRate);
    }

    /** {@code learningRate * gamma^floor(t / every)}. */
    static LearningRateSchedule step(double learningRate, double gamma, long every) {
        return new Step(learningRate, gamma, every);
    }

    /** Cosine annealing from {@code learningRate} to {@code minimum} over {@code period} updates. */
    static LearningRateSchedule cosine(double learningRate, double minimum, long period) {
        return new Cosine(learningRate, minimum, period);
    }

    /**
     * A constant learning rate.
     *
     * @param learningRate the rate, finite and &ge; 0
     */
    record Constant(double learningRate) implements LearningRateSchedule {
        /** Validates the rate. */
        public Constant {
            checkRate("learningRate", learningRate);
        }

        @Override
        public double learningRate(long t) {
            checkT(t);
            return learningRate;
        }
    }

    /**
     * Step decay: {@code learningRate * gamma^floor(t / every)}.
     *
     * @param learningRate the initial rate, finite and &ge; 0
     * @param gamma the factor, finite and &gt; 0 (usually below 1)
     * @param every the number of updates between decays, &gt; 0
     */
    record Step(double learningRate, double gamma, long every) implements LearningRateSchedule {
        /** Validates the parameters. */
        public Step {
            checkRate("learningRate", learningRate);
            if (!(gamma > 0 && Double.isFinite(gamma))) {
                throw new IllegalArgumentException("step schedule gamma must be finite and > 0, got " + gamma);
            }
            if (every <= 0) {
                throw new IllegalArgumentException("step schedule 'every' must be > 0, got " + every);
            }
        }

        @Override
        public double learningRate(long t) {
            checkT(t);
            return learningRate * Math.pow(gamma, (double) (t / every));
        }
    }

    /**
     * Cosine annealing: {@code minimum + (learningRate - minimum) * (1 + cos(pi * min(t, period) / period)) / 2}.
     *
     * @param learningRate the initial rate, finite and &ge; 0
     * @param minimum the final rate, finite, in [0, learningRate]
     * @param period the number of updates to reach the minimum, &gt; 0
     */
    record Cosine(double learningRate, double minimum, long period) implements LearningRateSchedule {
        /** Validates the parameters. */
        public Cosine {
            checkRate("learningRate", learningRate);
            checkRate("minimum", minimum);
            if (minimum > learningRate) {
                throw new IllegalArgumentException("cosine schedule minimum " + minimum + " is above its learning rate "
                        + learningRate);
            }
            if (period <= 0) {
                throw new IllegalArgumentException("cosine schedule period must be > 0, got " + period);
            }
        }

        @Override
        public double learningRate(long t) {
            checkT(t);
            return minimum + (learningRate - minimum) * (1 + Math.cos(Math.PI * Math.min(t, period) / period)) / 2;
        }
    }

    private static void checkRate(String name, double v) {
        if (!(v >= 0 && Double.isFinite(v))) {
            throw new IllegalArgumentException("schedule " + name + " must be finite and >= 0, got " + v);
        }
    }

    private static void checkT(long t) {
        if (t < 0) {
            throw new IllegalArgumentException("the update count t must be >= 0, got " + t);
        }
    }
}
