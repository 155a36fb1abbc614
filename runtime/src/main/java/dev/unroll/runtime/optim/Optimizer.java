package dev.unroll.runtime.optim;

import dev.unroll.runtime.DoubleParameter;
import dev.unroll.runtime.FloatParameter;
import dev.unroll.runtime.NonFiniteException;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Updates parameters from their gradients, reproducing {@code torch.optim} exactly (to rounding)
 * for every {@link OptimizerConfig.Kind}.
 *
 * <p>Per element, with {@code g} the gradient, {@code w} the value, {@code wd} the weight decay and
 * {@code lr} the learning rate of this step; first, for all kinds but ADAMW, {@code g = g + wd * w}:
 * <pre>
 *   SGD       w -= lr * g
 *   MOMENTUM  b = g on the first step, else b = momentum * b + g;
 *             w -= lr * (nesterov ? g + momentum * b : b)
 *   ADAGRAD   s += g * g;  w -= lr * g / (sqrt(s) + eps)                     (s starts at 0)
 *   RMSPROP   v = alpha * v + (1 - alpha) * g * g;  a = sqrt(v) + eps;
 *             momentum &gt; 0: b = momentum * b + g / a;  w -= lr * b   else  w -= lr * g / a
 *   ADAM      m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g;
 *             w -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)     (t counts from 1)
 *   ADAMW     w *= 1 - lr * wd, then ADAM without the L2 term
 * </pre>
 *
 * <p>The state (momentum buffers, accumulators, moments, the step count of each parameter) is kept
 * per parameter name, in float64 for both precisions; {@link FloatParameter}s are updated through
 * double arithmetic and rounded to float at the end. Before touching anything, {@link #step}
 * checks every gradient for NaN and infinity ({@link NonFinite#requireFiniteGradients}) and that
 * the parameters fit the state it holds, so a refused step changes nothing.
 *
 * <p>Not thread-safe: one optimizer per training loop.
 */
public final class Optimizer {
    private final OptimizerConfig config;
    private final Map<String, State> states = new HashMap<>();
    private long steps;

    /** Per-parameter state; the buffers are allocated on first use. */
    private static final class State {
        final int size;
        long step;
        double[] first; // momentum buffer, Adagrad sum, RMSprop square average, Adam m
        double[] second; // RMSprop momentum buffer, Adam v
        double[] scratchValue; // float parameters: the values in double
        double[] scratchGrad; // float parameters: the gradient in double

        State(int size) {
            this.size = size;
        }
    }

    /** Creates an optimizer with no state. */
    public Optimizer(OptimizerConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /** Returns the configuration. */
    public OptimizerConfig config() {
        return config;
    }

    /** Returns the number of steps taken since creation or the last {@link #reset()}. */
    public long stepCount() {
        return steps;
    }

    /** Forgets all state, as a fresh {@code torch.optim} optimizer. */
    public void reset() {
        states.clear();
        steps = 0;
    }

    /** Updates the parameters with the configured learning rate. */
    public void step(ParameterSet parameters) {
        step(parameters, config.learningRate());
    }

    /** Updates the parameters with the learning rate {@code schedule} gives after {@link #stepCount()} updates. */
    public void step(ParameterSet parameters, LearningRateSchedule schedule) {
        step(parameters, schedule.learningRate(steps));
    }

    /**
     * Updates every parameter from its gradient with the given learning rate (the other
     * hyper-parameters come from the configuration). The gradients are not modified or zeroed.
     *
     * @param parameters the parameters; the same names and sizes on every call
     * @param learningRate this step's learning rate, finite and &ge; 0
     * @throws NonFiniteException when a gradient holds NaN or an infinity (nothing is changed)
     * @throws IllegalArgumentException for a bad learning rate (nothing is changed)
     * @throws IllegalStateException when a parameter's size differs from the state kept under its
     *     name (nothing is changed)
     */
    public void step(ParameterSet parameters, double learningRate) {
        if (!(learningRate >= 0 && Double.isFinite(learningRate))) {
            throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + learningRate);
        }
        NonFinite.findInGradients(parameters).ifPresent(at -> {
            throw new NonFiniteException(at.message() + "; the optimizer step was refused, nothing was updated");
        });
        for (Parameter p : parameters) {
            State s = states.get(p.name());
            if (s != null && s.size != p.size()) {
                throw new IllegalStateException("parameter '" + p.name() + "' has " + p.size()
                        + " elements, but the optimizer's state for it has " + s.size);
            }
        }
        for (Parameter p : parameters) {
            State s = states.computeIfAbsent(p.name(), k -> new State(p.size()));
            s.step++;
            if (p instanceof DoubleParameter d) {
                update(d.value, d.grad, s, learningRate);
            } else {
                FloatParameter f = (FloatParameter) p;
                if (s.scratchValue == null) {
                    s.scratchValue = new double[s.size];
                    s.scratchGrad = new double[s.size];
                }
                for (int i = 0; i < s.size; i++) {
                    s.scratchValue[i] = f.value[i];
                    s.scratchGrad[i] = f.grad[i];
                }
                update(s.scratchValue, s.scratchGrad, s, learningRate);
                for (int i = 0; i < s.size; i++) {
                    f.value[i] = (float) s.scratchValue[i];
                }
            }
            p.markChanged();
        }
        steps++;
    }

    /** One update of {@code w}; {@code grad} is read only. */
    private void update(double[] w, double[] grad, State s, double lr) {
        OptimizerConfig c = config;
        double wd = c.weightDecay();
        boolean l2 = wd != 0 && c.kind() != OptimizerConfig.Kind.ADAMW;
        int n = w.length;
        switch (c.kind()) {
            case SGD -> {
                for (int i = 0; i < n; i++) {
                    double g = l2 ? grad[i] + wd * w[i] : grad[i];
                    w[i] += -lr * g;
                }
            }
            case MOMENTUM -> {
                double mu = c.momentum();
                boolean first = s.first == null;
                if (first) {
                    s.first = new double[n];
                }
                double[] b = s.first;
                for (int i = 0; i < n; i++) {
                    double g = l2 ? grad[i] + wd * w[i] : grad[i];
                    b[i] = first ? g : b[i] * mu + g;
                    double d = c.nesterov() ? g + mu * b[i] : b[i];
                    w[i] += -lr * d;
                }
            }
            case ADAGRAD -> {
                if (s.first == null) {
                    s.first = new double[n];
                }
                double[] sum = s.first;
                double eps = c.epsilon();
                for (int i = 0; i < n; i++) {
                    double g = l2 ? grad[i] + wd * w[i] : grad[i];
                    sum[i] += g * g;
                    double std = Math.sqrt(sum[i]) + eps;
                    w[i] += -lr * (g / std);
                }
            }
            case RMSPROP -> {
                if (s.first == null) {
                    s.first = new double[n];
                    if (c.momentum() > 0) {
                        s.second = new double[n];
                    }
                }
                double[] v = s.first;
                double[] b = s.second;
                double alpha = c.alpha();
                double eps = c.epsilon();
                double mu = c.momentum();
                for (int i = 0; i < n; i++) {
                    double g = l2 ? grad[i] + wd * w[i] : grad[i];
                    v[i] = v[i] * alpha + (1 - alpha) * (g * g);
                    double avg = Math.sqrt(v[i]) + eps;
                    if (mu > 0) {
                        b[i] = b[i] * mu + g / avg;
                        w[i] += -lr * b[i];
                    } else {
                        w[i] += -lr * (g / avg);
                    }
                }
            }
            case ADAM, ADAMW -> {
                if (s.first == null) {
                    s.first = new double[n];
                    s.second = new double[n];
                }
                double[] m = s.first;
                double[] v = s.second;
                double b1 = c.beta1();
                double b2 = c.beta2();
                double eps = c.epsilon();
                double biasCorrection1 = 1 - Math.pow(b1, s.step);
                double biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(b2, s.step));
                double stepSize = lr / biasCorrection1;
                double decay = c.kind() == OptimizerConfig.Kind.ADAMW ? 1 - lr * wd : 1;
                for (int i = 0; i < n; i++) {
                    if (decay != 1) {
                        w[i] *= decay;
                    }
                    double g = l2 ? grad[i] + wd * w[i] : grad[i];
                    m[i] = m[i] * b1 + (1 - b1) * g;
                    v[i] = v[i] * b2 + (1 - b2) * (g * g);
                    double denom = Math.sqrt(v[i]) / biasCorrection2Sqrt + eps;
                    w[i] += -stepSize * (m[i] / denom);
                }
            }
            default -> throw new AssertionError(c.kind());
        }
    }
}
