package dev.unroll.runtime.sample;

import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Draws an index (a symbol, a class) from a model's output, for generating sequences.
 *
 * <p>From logits {@code z} at temperature {@code T > 0}, index {@code i} is drawn with probability
 * {@code softmax(z / T)_i}; from probabilities {@code p}, with probability proportional to
 * {@code p_i^(1/T)} (the same distribution when {@code p = softmax(z)}). {@code T = 1} samples the
 * model's distribution, a lower {@code T} sharpens it, a higher one flattens it, and {@code T = 0}
 * is greedy: the argmax (the first one on ties), without drawing a random number.
 *
 * <p>Each draw uses exactly one {@link RandomGenerator#nextDouble()}, so a seeded generator
 * (e.g. {@code new SplittableRandom(seed)}) replays the same sequence. An index whose probability
 * is exactly zero (a logit of {@code -Infinity}, a probability of 0) is never drawn.
 *
 * <p>Arguments are checked, each failure an {@link IllegalArgumentException} naming the argument
 * and the index: logits must not be NaN or {@code +Infinity} and at least one must be finite;
 * probabilities must be finite, non-negative and not all zero (they need not sum to exactly 1:
 * they are normalized); the temperature must be finite and {@code >= 0}.
 */
public final class Sampling {
    private Sampling() {
    }

    /** Samples from all of {@code logits}; see {@link #fromLogits(double[], int, int, double, RandomGenerator)}. */
    public static int fromLogits(double[] logits, double temperature, RandomGenerator rng) {
        return fromLogits(logits, 0, logits == null ? 0 : logits.length, temperature, rng);
    }

    /** Samples from all of {@code logits}; see {@link #fromLogits(double[], int, int, double, RandomGenerator)}. */
    public static int fromLogits(float[] logits, double temperature, RandomGenerator rng) {
        return fromLogits(logits, 0, logits == null ? 0 : logits.length, temperature, rng);
    }

    /** Samples from {@code length} logits starting at {@code offset} of a float array. */
    public static int fromLogits(float[] logits, int offset, int length, double temperature, RandomGenerator rng) {
        checkRange(logits == null ? -1 : logits.length, offset, length, "logits");
        return fromLogits(toDouble(logits, offset, length), 0, length, temperature, rng);
    }

    /**
     * Samples an index in {@code [0, length)} from {@code length} logits starting at {@code offset}
     * (e.g. one time step of a flat output array).
     *
     * @param logits unnormalized log-probabilities; {@code -Infinity} excludes an index
     * @param offset where the logits start
     * @param length how many there are, &ge; 1
     * @param temperature {@code 0} for the argmax, else the softmax temperature
     * @param rng the random source (not used at temperature 0)
     * @return the index, relative to {@code offset}
     * @throws IllegalArgumentException for invalid arguments (see the class description)
     */
    public static int fromLogits(double[] logits, int offset, int length, double temperature, RandomGenerator rng) {
        checkRange(logits == null ? -1 : logits.length, offset, length, "logits");
        checkTemperature(temperature);
        double max = Double.NEGATIVE_INFINITY;
        int argmax = -1;
        for (int i = 0; i < length; i++) {
            double z = logits[offset + i];
            if (Double.isNaN(z) || z == Double.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("logits[" + (offset + i) + "] is " + z
                        + "; logits must be finite or -Infinity");
            }
            if (z > max) {
                max = z;
                argmax = i;
            }
        }
        if (argmax < 0) {
            throw new IllegalArgumentException("all " + length + " logits from index " + offset
                    + " are -Infinity; nothing can be sampled");
        }
        if (temperature == 0) {
            return argmax;
        }
        Objects.requireNonNull(rng, "rng");
        double[] w = new double[length];
        double total = 0;
        for (int i = 0; i < length; i++) {
            w[i] = Math.exp((logits[offset + i] - max) / temperature); // <= 1, and exactly 1 at the max
            total += w[i];
        }
        return draw(w, total, rng);
    }

    /** Samples from all of {@code probabilities}; see {@link #fromProbabilities(double[], int, int, double, RandomGenerator)}. */
    public static int fromProbabilities(double[] probabilities, double temperature, RandomGenerator rng) {
        return fromProbabilities(probabilities, 0, probabilities == null ? 0 : probabilities.length, temperature, rng);
    }

    /** Samples from all of {@code probabilities}; see {@link #fromProbabilities(double[], int, int, double, RandomGenerator)}. */
    public static int fromProbabilities(float[] probabilities, double temperature, RandomGenerator rng) {
        return fromProbabilities(probabilities, 0, probabilities == null ? 0 : probabilities.length, temperature, rng);
    }

    /** Samples from {@code length} probabilities starting at {@code offset} of a float array. */
    public static int fromProbabilities(float[] probabilities, int offset, int length, double temperature,
                                        RandomGenerator rng) {
        checkRange(probabilities == null ? -1 : probabilities.length, offset, length, "probabilities");
        return fromProbabilities(toDouble(probabilities, offset, length), 0, length, temperature, rng);
    }

    /**
     * Samples an index in {@code [0, length)} with probability proportional to {@code p_i^(1/T)}
     * (the argmax at {@code T = 0}).
     *
     * @param probabilities non-negative weights, e.g. a softmax output; normalized here
     * @param offset where they start
     * @param length how many there are, &ge; 1
     * @param temperature {@code 0} for the argmax, else the temperature
     * @param rng the random source (not used at temperature 0)
     * @return the index, relative to {@code offset}
     * @throws IllegalArgumentException for invalid arguments (see the class description)
     */
    public static int fromProbabilities(double[] probabilities, int offset, int length, double temperature,
                                        RandomGenerator rng) {
        checkRange(probabilities == null ? -1 : probabilities.length, offset, length, "probabilities");
        checkTemperature(temperature);
        double max = 0;
        int argmax = -1;
        for (int i = 0; i < length; i++) {
            double p = probabilities[offset + i];
            if (!(p >= 0 && p < Double.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException("probabilities[" + (offset + i) + "] is " + p
                        + "; probabilities must be finite and >= 0");
            }
            if (p > max) {
                max = p;
                argmax = i;
            }
        }
        if (argmax < 0) {
            throw new IllegalArgumentException("all " + length + " probabilities from index " + offset
                    + " are 0; nothing can be sampled");
        }
        if (temperature == 0) {
            return argmax;
        }
        Objects.requireNonNull(rng, "rng");
        double[] w = new double[length];
        double total = 0;
        double logMax = Math.log(max);
        for (int i = 0; i < length; i++) {
            double p = probabilities[offset + i];
            // p^(1/T), scaled by max^(-1/T) so that it cannot overflow; T = 1 keeps p exactly
            w[i] = p == 0 ? 0 : temperature == 1 ? p : Math.exp((Math.log(p) - logMax) / temperature);
            total += w[i];
        }
        return draw(w, total, rng);
    }

    /**
     * Returns the index of the largest value (the first on ties).
     *
     * @throws IllegalArgumentException for an empty array or a NaN
     */
    public static int argmax(double[] values) {
        checkRange(values == null ? -1 : values.length, 0, values == null ? 0 : values.length, "values");
        int best = 0;
        for (int i = 0; i < values.length; i++) {
            if (Double.isNaN(values[i])) {
                throw new IllegalArgumentException("values[" + i + "] is NaN");
            }
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Returns the index of the largest value (the first on ties).
     *
     * @throws IllegalArgumentException for an empty array or a NaN
     */
    public static int argmax(float[] values) {
        return argmax(toDouble(values, 0, values == null ? 0 : values.length));
    }

    /** Draws from non-negative weights with a positive total; never returns a zero-weight index. */
    private static int draw(double[] w, double total, RandomGenerator rng) {
        double u = rng.nextDouble() * total;
        double cumulative = 0;
        int last = -1;
        for (int i = 0; i < w.length; i++) {
            if (w[i] > 0) {
                cumulative += w[i];
                last = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return last; // u rounded up to the total: the last index with a positive weight
    }

    private static double[] toDouble(float[] a, int offset, int length) {
        if (a == null) {
            throw new IllegalArgumentException("the array is null");
        }
        checkRange(a.length, offset, length, "array");
        double[] d = new double[length];
        for (int i = 0; i < length; i++) {
            d[i] = a[offset + i];
        }
        return d;
    }

    private static void checkRange(int arrayLength, int offset, int length, String name) {
        if (arrayLength < 0) {
            throw new IllegalArgumentException(name + " is null");
        }
        if (length < 1) {
            throw new IllegalArgumentException(name + ": nothing to sample from (length " + length + ")");
        }
        if (offset < 0 || offset > arrayLength - length) {
            throw new IllegalArgumentException(name + ": offset " + offset + " and length " + length
                    + " do not fit an array of " + arrayLength);
        }
    }

    private static void checkTemperature(double t) {
        if (!(t >= 0 && t < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("temperature must be finite and >= 0, got " + t);
        }
    }
}
