package dev.unroll.runtime;

/**
 * Losses for one output step, with their gradients with respect to the head's pre-activation
 * logits {@code z} (or its output {@code y} for MSE). Each returns the step's unscaled loss sum
 * and writes {@code scale * dLoss/dz}, so that the caller gets PyTorch's 'mean' reduction by
 * passing {@code scale = 1 / count}.
 */
public final class Losses {
    private Losses() {}

    /**
     * Softmax cross-entropy: {@code logsumexp(z) - z[target]}; gradient {@code scale * (softmax(z) - onehot(target))}.
     *
     * @param probs receives {@code softmax(z)} at {@code off}
     */
    public static double crossEntropy(double[] z, int off, int n, int target, double[] probs, double scale,
            double[] dz, int dzOff) {
        final double logSumExp = Activations.softmax(z, off, n, probs, off);
        for (int i = 0; i < n; i++) {
            dz[dzOff + i] = scale * probs[off + i];
        }
        dz[dzOff + target] -= scale;
        return logSumExp - z[off + target];
    }

    /** Float version of {@link #crossEntropy(double[], int, int, int, double[], double, double[], int)}. */
    public static double crossEntropy(float[] z, int off, int n, int target, float[] probs, double scale,
            float[] dz, int dzOff) {
        final double logSumExp = Activations.softmax(z, off, n, probs, off);
        for (int i = 0; i < n; i++) {
            dz[dzOff + i] = (float) (scale * probs[off + i]);
        }
        dz[dzOff + target] -= (float) scale;
        return logSumExp - z[off + target];
    }

    /**
     * Binary cross-entropy on logits, element-wise and numerically stable:
     * {@code max(z,0) - z*t + log(1 + e^-|z|)}; gradient {@code scale * (sigmoid(z) - t)}.
     */
    public static double binaryCrossEntropy(double[] z, int off, int n, double[] t, int tOff, double scale,
            double[] dz, int dzOff) {
        double loss = 0;
        for (int i = 0; i < n; i++) {
            double zi = z[off + i];
            double ti = t[tOff + i];
            loss += Math.max(zi, 0) - zi * ti + Math.log1p(Math.exp(-Math.abs(zi)));
            dz[dzOff + i] = scale * (Activations.sigmoid(zi) - ti);
        }
        return loss;
    }

    /** Float version of {@link #binaryCrossEntropy(double[], int, int, double[], int, double, double[], int)}. */
    public static double binaryCrossEntropy(float[] z, int off, int n, float[] t, int tOff, double scale,
            float[] dz, int dzOff) {
        double loss = 0;
        for (int i = 0; i < n; i++) {
            double zi = z[off + i];
            double ti = t[tOff + i];
            loss += Math.max(zi, 0) - zi * ti + Math.log1p(Math.exp(-Math.abs(zi)));
            dz[dzOff + i] = (float) (scale * (Activations.sigmoid(zi) - ti));
        }
        return loss;
    }

    /** Squared error {@code sum (y - t)^2}; gradient with respect to {@code y}: {@code scale * 2 (y - t)}. */
    public static double squaredError(double[] y, int off, int n, double[] t, int tOff, double scale,
            double[] dy, int dyOff) {
        double loss = 0;
        for (int i = 0; i < n; i++) {
            double d = y[off + i] - t[tOff + i];
            loss += d * d;
            dy[dyOff + i] = scale * 2 * d;
        }
        return loss;
    }

    /** Float version of {@link #squaredError(double[], int, int, double[], int, double, double[], int)}. */
    public static double squaredError(float[] y, int off, int n, float[] t, int tOff, double scale,
            float[] dy, int dyOff) {
        double loss = 0;
        for (int i = 0; i < n; i++) {
            double d = (double) y[off + i] - t[tOff + i];
            loss += d * d;
            dy[dyOff + i] = (float) (scale * 2 * d);
        }
        return loss;
    }
}
