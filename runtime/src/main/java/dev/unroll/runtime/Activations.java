package dev.unroll.runtime;

/**
 * The scalar and vector activations generated code calls. Each is small enough for HotSpot to
 * inline at every call site; float versions compute in float where that is exact enough for the
 * float32 tolerance of the PyTorch comparison tests.
 */
public final class Activations {
    private Activations() {}

    /** Returns {@code 1 / (1 + e^-x)}. */
    public static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }

    /** Returns {@code 1 / (1 + e^-x)} in float. */
    public static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }

    /** Returns {@code tanh(x)}. */
    public static double tanh(double x) {
        return Math.tanh(x);
    }

    /** Returns {@code tanh(x)} in float. */
    public static float tanh(float x) {
        return (float) Math.tanh(x);
    }

    /** Writes {@code softmax(z[zOff .. zOff+n))} to {@code y[yOff ..]}, shifted by the maximum for stability. */
    public static void softmax(double[] z, int zOff, int n, double[] y, int yOff) {
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
    }

    /** Float version of {@link #softmax(double[], int, int, double[], int)}; sums in double. */
    public static void softmax(float[] z, int zOff, int n, float[] y, int yOff) {
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
    }
}
