package dev.unroll.runtime.optim;

/**
 * The float64 update loops of {@link Optimizer}: {@link FloatUpdates} with {@code double} for
 * {@code float}, line for line (see there for the loop shape and why there are two copies).
 * Keep the two in step: a change to one is a change to both.
 */
final class DoubleUpdates {
    private DoubleUpdates() {
    }

    /** {@code out = grad + wd * w}: the L2 term, added outside the update loops. */
    static void addWeightDecay(double[] out, double[] grad, double[] w, double wd, int from, int to) {
        for (int i = from; i < to; i++) {
            out[i] = grad[i] + wd * w[i];
        }
    }

    /** SGD: {@code w += negLr * g}. */
    static void sgd(double[] w, double[] g, double negLr, int from, int to) {
        for (int i = from; i < to; i++) {
            w[i] += negLr * g[i];
        }
    }

    /**
     * SGD with momentum: {@code b = mu * b + g}, then {@code w += negLr * (nesterov ? g + mu * b : b)}.
     * On the first step {@code b} is all zeros, so {@code b = g} as PyTorch's {@code clone}.
     */
    static void momentum(double[] w, double[] g, double[] b, double mu, boolean nesterov, double negLr, int from, int to) {
        if (nesterov) {
            for (int i = from; i < to; i++) {
                double gi = g[i];
                double bi = b[i] * mu + gi;
                b[i] = bi;
                w[i] += negLr * (gi + mu * bi);
            }
        } else {
            for (int i = from; i < to; i++) {
                double bi = b[i] * mu + g[i];
                b[i] = bi;
                w[i] += negLr * bi;
            }
        }
    }

    /** Adagrad: {@code s += g * g; w += negLr * (g / (sqrt(s) + eps))}. */
    static void adagrad(double[] w, double[] g, double[] sum, double eps, double negLr, int from, int to) {
        for (int i = from; i < to; i++) {
            double gi = g[i];
            double si = sum[i] + gi * gi;
            sum[i] = si;
            w[i] += negLr * (gi / (Math.sqrt(si) + eps));
        }
    }

    /**
     * RMSprop: {@code v = alpha * v + oneMinusAlpha * g * g; a = sqrt(v) + eps}; then with momentum
     * ({@code b != null}) {@code b = mu * b + g / a; w += negLr * b}, else {@code w += negLr * (g / a)}.
     */
    static void rmsprop(double[] w, double[] g, double[] v, double[] b, double alpha, double oneMinusAlpha, double eps,
            double mu, double negLr, int from, int to) {
        if (b != null) {
            for (int i = from; i < to; i++) {
                double gi = g[i];
                double vi = v[i] * alpha + oneMinusAlpha * (gi * gi);
                v[i] = vi;
                double bi = b[i] * mu + gi / (Math.sqrt(vi) + eps);
                b[i] = bi;
                w[i] += negLr * bi;
            }
        } else {
            for (int i = from; i < to; i++) {
                double gi = g[i];
                double vi = v[i] * alpha + oneMinusAlpha * (gi * gi);
                v[i] = vi;
                w[i] += negLr * (gi / (Math.sqrt(vi) + eps));
            }
        }
    }

    /**
     * Adam and AdamW: {@code m = b1 * m + (1 - b1) * g; v = b2 * v + (1 - b2) * g * g;
     * w = w * decay + negStepSize * (m / (sqrt(v) / bc2Sqrt + eps))}, {@code decay} being
     * {@code 1 - lr * wd} for AdamW and exactly 1 for Adam (a multiplication by 1 changes nothing,
     * and is cheaper than a second loop).
     */
    static void adam(double[] w, double[] g, double[] m, double[] v, double b1, double oneMinusB1, double b2,
            double oneMinusB2, double bc2Sqrt, double eps, double decay, double negStepSize, int from, int to) {
        for (int i = from; i < to; i++) {
            double gi = g[i];
            double mi = m[i] * b1 + oneMinusB1 * gi;
            double vi = v[i] * b2 + oneMinusB2 * (gi * gi);
            m[i] = mi;
            v[i] = vi;
            w[i] = w[i] * decay + negStepSize * (mi / (Math.sqrt(vi) / bc2Sqrt + eps));
        }
    }
}
