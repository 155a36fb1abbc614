package dev.unroll.runtime;

/**
 * The dropout masks of generated models: counter-based, so that a mask element is a pure function
 * of where it is used and never of the order in which it is drawn. The same seed and update give
 * the same masks whether a batch runs on one thread or is split over two, and the backward pass
 * reads the masks its forward pass wrote.
 *
 * <p>With {@code s(z)} the first {@code nextLong()} of {@code new java.util.SplittableRandom(z)}
 * (that is, {@code mix64(z + 0x9E3779B97F4A7C15)}, SplitMix64), all arithmetic 64-bit and
 * wrapping:
 * <pre>
 * key(seed, update, sequence, layer) = s(s(s(s(seed) + update) + sequence) + layer)
 * u(key, e)  = the (e + 1)-th nextDouble() of new SplittableRandom(key), in [0, 1)
 *            = (mix64(key + (e + 1) * 0x9E3779B97F4A7C15) &gt;&gt;&gt; 11) * 2^-53
 * mask(e)    = u(key, e) &lt; p ? 0 : 1 / (1 - p)
 * </pre>
 * where {@code seed} is the spec's {@code seed}, {@code update} the number of training updates
 * done before this one, {@code sequence} the sequence's index in its batch, {@code layer} the
 * layer's index, and {@code e = t * size + j} the element's index in the layer's output over the
 * sequence ({@code t} the time step, {@code j} the unit; a single output, as a bidirectional top
 * layer's final states, has {@code t = 0}).
 *
 * <pre>{@code
 * long key = Dropout.key(seed, model.updates(), b, 0);
 * Dropout.mask(key, t * 8, 0.25, mask, t * 8, 8);   // layer 0's mask of step t, 8 units
 * }</pre>
 */
public final class Dropout {
    /** The golden gamma of {@link java.util.SplittableRandom}, which each draw adds to the state. */
    private static final long GAMMA = 0x9E3779B97F4A7C15L;
    private static final double DOUBLE_UNIT = 0x1.0p-53;

    private Dropout() {}

    /** Returns the key of one layer's mask in one sequence of the batch of one update. */
    public static long key(long seed, long update, int sequence, int layer) {
        return first(first(first(first(seed) + update) + sequence) + layer);
    }

    /** Returns the uniform number in {@code [0, 1)} of element {@code e} of the mask with this key. */
    public static double uniform(long key, int element) {
        return (mix64(key + (element + 1L) * GAMMA) >>> 11) * DOUBLE_UNIT;
    }

    /**
     * Writes the elements {@code first .. first + length - 1} of the mask with this key: {@code 0} for a dropped
     * element, {@code 1 / (1 - p)} for a kept one, at {@code mask[offset ..]}.
     *
     * @throws IllegalArgumentException if {@code p} is not in {@code [0, 1)}
     */
    public static void mask(long key, int first, double p, double[] mask, int offset, int length) {
        final double scale = scale(p);
        for (int i = 0; i < length; i++) {
            mask[offset + i] = uniform(key, first + i) < p ? 0 : scale;
        }
    }

    /** {@link #mask(long, int, double, double[], int, int)} for float models: the same draws, the scale rounded. */
    public static void mask(long key, int first, double p, float[] mask, int offset, int length) {
        final float scale = (float) scale(p);
        for (int i = 0; i < length; i++) {
            mask[offset + i] = uniform(key, first + i) < p ? 0 : scale;
        }
    }

    /**
     * Returns the factor kept elements are multiplied by, {@code 1 / (1 - p)}.
     *
     * @throws IllegalArgumentException if {@code p} is not in {@code [0, 1)}
     */
    public static double scale(double p) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        return 1 / (1 - p);
    }

    /** The first {@code nextLong()} of {@code new SplittableRandom(z)}. */
    private static long first(long z) {
        return mix64(z + GAMMA);
    }

    /** SplitMix64's finalizer (Stafford's variant 13), as {@link java.util.SplittableRandom} mixes. */
    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
