package dev.unroll.runtime;

/**
 * The scalar and vector activations generated code calls. Each is small enough for HotSpot to
 * inline at every call site.
 *
 * <p>The double versions are exact to the last bit or two ({@link StrictMath#tanh}, {@link Math#exp}).
 * What is and is not bit-reproducible across JDKs is in docs/robustness.md.
 * The float versions use a rational approximation of tanh (the one Eigen uses for float: a
 * degree-13/6 odd/even polynomial ratio on {@code [-7.905, 7.905]}), built only from multiplies,
 * adds, a divide and min/max, so that C2 can vectorize a loop of them; {@link Math#tanh} has no
 * intrinsic before JDK 24 and costs tens of nanoseconds a call. Its error is below
 * {@code 4e-7} absolute and relative over all floats (a few float ulps; tested), far inside the
 * 1e-4 tolerance of the float32 comparison with PyTorch.
 */
public final class Activations {
    private Activations() {}

    /** Returns {@code 1 / (1 + e^-x)}. */
    public static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }

    /**
     * Returns {@code sigmoid(x) = 0.5 + 0.5 tanh(x / 2)} in float, through {@link #tanh(float)}:
     * absolute error below {@code 2e-7}.
     */
    public static float sigmoid(float x) {
        return 0.5f + 0.5f * tanh(0.5f * x);
    }

    /**
     * Returns {@code scale * tanh(scale * x) + shift} in float: {@link #sigmoid(float)} with {@code scale} and
     * {@code shift} 0.5 (the same operations, so the same bits), {@link #tanh(float)} with 1 and 0. One loop of
     * it over an LSTM's four gates, with the per-row constants of {@link #lstmGateScales} and
     * {@link #lstmGateShifts}, runs one vectorized loop where three short ones spent much of their time in C2's
     * scalar pre- and post-loops.
     */
    public static float gate(float x, float scale, float shift) {
        return scale * tanh(scale * x) + shift;
    }

    /** Returns the {@code scale} of {@link #gate} for each of the {@code 4 * hidden} rows of LSTM gates i, f, g, o. */
    public static float[] lstmGateScales(int hidden) {
        float[] scales = new float[4 * hidden];
        java.util.Arrays.fill(scales, 0.5f);
        java.util.Arrays.fill(scales, 2 * hidden, 3 * hidden, 1f);
        return scales;
    }

    /** Returns the {@code shift} of {@link #gate} for each of the {@code 4 * hidden} rows of LSTM gates i, f, g, o. */
    public static float[] lstmGateShifts(int hidden) {
        float[] shifts = new float[4 * hidden];
        java.util.Arrays.fill(shifts, 0.5f);
        java.util.Arrays.fill(shifts, 2 * hidden, 3 * hidden, 0f);
        return shifts;
    }

    /**
     * Returns {@code tanh(x)}, as {@link StrictMath#tanh} computes it (fdlibm's algorithm, the same
     * bits on every JDK and CPU). Not {@link Math#tanh}: from JDK 24 that is a HotSpot intrinsic
     * whose results differ from JDK 17's in the last bit for some arguments, which made float64
     * training differ between JDK 17 and JDK 25 (CrossJdkReproducibilityTest). On JDK 17 the two are
     * the same call ({@code Math.tanh} delegates to {@code StrictMath.tanh} there), so this costs
     * nothing there; on JDK 24+ it gives up the intrinsic's speed for reproducibility.
     */
    public static double tanh(double x) {
        return StrictMath.tanh(x);
    }

    /**
     * Returns {@code tanh(x)} in float by a rational approximation (see the class comment); inputs
     * beyond {@code +-7.905} give {@code +-0.99999976}, NaN gives NaN.
     */
    public static float tanh(float x) {
        final float clamped = Math.max(-7.90531110763549805f, Math.min(7.90531110763549805f, x));
        final float x2 = clamped * clamped;
        float p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
        p = x2 * p + -8.60467152213735e-11f;
        p = x2 * p + 5.12229709037114e-08f;
        p = x2 * p + 1.48572235717979e-05f;
        p = x2 * p + 6.37261928875436e-04f;
        p = x2 * p + 4.89352455891786e-03f;
        float q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
        q = x2 * q + 2.26843463243900e-03f;
        q = x2 * q + 4.89352518554385e-03f;
        return clamped * (p / q);
    }

    /**
     * Writes {@code softmax(z[zOff .. zOff+n))} to {@code y[yOff ..]}, shifted by the maximum for
     * stability, and returns {@code log(sum(exp(z)))}, which cross-entropy needs.
     */
    public static double softmax(double[] z, int zOff, int n, double[] y, int yOff) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, z[zOff + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double e = Math.exp(z[zOff + i] - max);
            y[yOff + i] = e;
            sum += e;
        }
        double inv = 1.0 / sum;
        for (int i = 0; i < n; i++) {
            y[yOff + i] *= inv;
        }
        return max + Math.log(sum);
    }

    /** Float version of {@link #softmax(double[], int, int, double[], int)}; sums in double. */
    public static double softmax(float[] z, int zOff, int n, float[] y, int yOff) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, z[zOff + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double e = Math.exp(z[zOff + i] - max);
            y[yOff + i] = (float) e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) {
            y[yOff + i] *= inv;
        }
        return max + Math.log(sum);
    }
}
