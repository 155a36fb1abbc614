package dev.unroll.runtime.optim;

/**
 * The float32 update loops of {@link Optimizer}, on the parameter's own arrays and float32 state,
 * with no widening to double. {@link DoubleUpdates} is the same code for float64, line for line.
 *
 * <p>Every loop runs over {@code [from, to)}: the whole array, or one row of a row-sparse gradient
 * (an embedding table's, {@link dev.unroll.runtime.GradientRows}). Every loop is shaped for C2's
 * auto-vectorizer (SuperWord): a counted {@code int} loop with stride 1, all arrays indexed by {@code i}, no branch in the body (each loop-invariant
 * choice, such as Nesterov or RMSprop momentum, picks one of two loops outside). Without that
 * shape C2 compiles the loop to scalar code, 4 to 16 times slower. Mixing float and double in one
 * loop (as the previous float path did through double scratch copies) also stops JDK 17 from
 * vectorizing it, so everything here is float: {@code (float) Math.sqrt(float)} compiles to one
 * float square root.
 *
 * <p>The arithmetic follows {@code torch.optim} in float32: PyTorch keeps the state in the
 * parameter's dtype and casts each Python-float hyper-parameter ({@code 1 - beta1}, {@code -lr},
 * ...) to float before the tensor operation, so the constants are computed in double here and
 * rounded once to float by the caller.
 *
 * <p>Why two classes with the same loops rather than one: Java cannot abstract over {@code float[]}
 * and {@code double[]} without boxing, and a per-element lambda or interface call would keep C2
 * from vectorizing. The L2 weight-decay term is not a second copy of each loop but a separate
 * pass ({@link #addWeightDecay}) into a scratch gradient, as PyTorch does
 * ({@code grad = grad.add(param, alpha=weight_decay)} allocates a new tensor); it costs one extra
 * streaming pass, only when weight decay is on. {@code OptimizerTest} runs every kind through both
 * classes and checks that they agree to float rounding, so the two copies cannot drift apart.
 */
final class FloatUpdates {
    private FloatUpdates() {
    }

    /** {@code out = grad + wd * w}: the L2 term, added outside the update loops. */
    static void addWeightDecay(float[] out, float[] grad, float[] w, float wd, int from, int to) {
        for (int i = from; i < to; i++) {
            out[i] = grad[i] + wd * w[i];
        }
    }

    /** SGD: {@code w += negLr * g}. */
    static void sgd(float[] w, float[] g, float negLr, int from, int to) {
        for (int i = from; i < to; i++) {
            w[i] += negLr * g[i];
        }
    }

    /**
     * SGD with momentum: {@code b = mu * b + g}, then {@code w += negLr * (nesterov ? g + mu * b : b)}.
     * On the first step {@code b} is all zeros, so {@code b = g} as PyTorch's {@code clone}.
     */
    static void momentum(float[] w, float[] g, float[] b, float mu, boolean nesterov, float negLr, int from, int to) {
        if (nesterov) {
            for (int i = from; i < to; i++) {
                float gi = g[i];
                float bi = b[i] * mu + gi;
                b[i] = bi;
                w[i] += negLr * (gi + mu * bi);
            }
        } else {
            for (int i = from; i < to; i++) {
                float bi = b[i] * mu + g[i];
                b[i] = bi;
                w[i] += negLr * bi;
            }
        }
    }

    /** Adagrad: {@code s += g * g; w += negLr * (g / (sqrt(s) + eps))}. */
    static void adagrad(float[] w, float[] g, float[] sum, float eps, float negLr, int from, int to) {
        for (int i = from; i < to; i++) {
            float gi = g[i];
            float si = sum[i] + gi * gi;
            sum[i] = si;
            w[i] += negLr * (gi / ((float) Math.sqrt(si) + eps));
        }
    }

    /**
     * RMSprop: {@code v = alpha * v + oneMinusAlpha * g * g; a = sqrt(v) + eps}; then with momentum
     * ({@code b != null}) {@code b = mu * b + g / a; w += negLr * b}, else {@code w += negLr * (g / a)}.
     */
    static void rmsprop(float[] w, float[] g, float[] v, float[] b, float alpha, float oneMinusAlpha, float eps,
            float mu, float negLr, int from, int to) {
        if (b != null) {
            for (int i = from; i < to; i++) {
                float gi = g[i];
                float vi = v[i] * alpha + oneMinusAlpha * (gi * gi);
                v[i] = vi;
                float bi = b[i] * mu + gi / ((float) Math.sqrt(vi) + eps);
                b[i] = bi;
                w[i] += negLr * bi;
            }
        } else {
            for (int i = from; i < to; i++) {
                float gi = g[i];
                float vi = v[i] * alpha + oneMinusAlpha * (gi * gi);
                v[i] = vi;
                w[i] += negLr * (gi / ((float) Math.sqrt(vi) + eps));
            }
        }
    }

    /**
     * Adam and AdamW: {@code m = b1 * m + (1 - b1) * g; v = b2 * v + (1 - b2) * g * g;
     * w = w * decay + negStepSize * (m / (sqrt(v) / bc2Sqrt + eps))}, {@code decay} being
     * {@code 1 - lr * wd} for AdamW and exactly 1 for Adam (a multiplication by 1 changes nothing,
     * and is cheaper than a second loop).
     */
    static void adam(float[] w, float[] g, float[] m, float[] v, float b1, float oneMinusB1, float b2,
            float oneMinusB2, float bc2Sqrt, float eps, float decay, float negStepSize, int from, int to) {
        for (int i = from; i < to; i++) {
            float gi = g[i];
            float mi = m[i] * b1 + oneMinusB1 * gi;
            float vi = v[i] * b2 + oneMinusB2 * (gi * gi);
            m[i] = mi;
            v[i] = vi;
            w[i] = w[i] * decay + negStepSize * (mi / ((float) Math.sqrt(vi) / bc2Sqrt + eps));
        }
    }
}
