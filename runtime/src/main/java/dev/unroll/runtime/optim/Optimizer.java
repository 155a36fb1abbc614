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
 * per parameter name, in the parameter's precision, as PyTorch keeps it in the parameter's dtype:
 * a {@link FloatParameter} is updated in float32 on its own arrays, with no copy, a
 * {@link DoubleParameter} in float64. Before touching anything,
 * {@link #step} checks every gradient for NaN and infinity ({@link NonFinite#findInGradients}) and
 * that the parameters fit the state it holds, so a refused step changes nothing.
 * {@link #stepWithoutGradientCheck} skips the first check, for a caller that has just done it
 * (see {@link GradientClipping#checkFiniteAndClip}).
 *
 * <p>Not thread-safe: one optimizer per training loop.
 */
public final class Optimizer {
    private final OptimizerConfig config;
    private final Map<String, State> states = new HashMap<>();
    private long steps;

    /**
     * Per-parameter state: the step count and the buffers the kind needs, allocated on first use in
     * the parameter's precision. The buffers start at zero, which also gives MOMENTUM's first step
     * {@code b = g} ({@code 0 * momentum + g}) without a separate first-step loop.
     */
    private abstract static sealed class State permits FloatState, DoubleState {
        final int size;
        long step;

        State(int size) {
            this.size = size;
        }

        /** Returns "float32" or "float64", for messages. */
        abstract String precision();
    }

    private static final class FloatState extends State {
        final float[] first; // momentum buffer, Adagrad sum, RMSprop square average, Adam m; null for SGD
        final float[] second; // RMSprop momentum buffer, Adam v; else null
        final float[] decayed; // grad + weightDecay * w when there is an L2 term; else null

        FloatState(int size, Buffers b) {
            super(size);
            first = b.first ? new float[size] : null;
            second = b.second ? new float[size] : null;
            decayed = b.decayed ? new float[size] : null;
        }

        @Override
        String precision() {
            return "float32";
        }
    }

    private static final class DoubleState extends State {
        final double[] first;
        final double[] second;
        final double[] decayed;

        DoubleState(int size, Buffers b) {
            super(size);
            first = b.first ? new double[size] : null;
            second = b.second ? new double[size] : null;
            decayed = b.decayed ? new double[size] : null;
        }

        @Override
        String precision() {
            return "float64";
        }
    }

    /** Which state buffers a configuration needs. */
    private record Buffers(boolean first, boolean second, boolean decayed) {
        static Buffers of(OptimizerConfig c) {
            OptimizerConfig.Kind k = c.kind();
            boolean adam = k == OptimizerConfig.Kind.ADAM || k == OptimizerConfig.Kind.ADAMW;
            return new Buffers(k != OptimizerConfig.Kind.SGD,
                    adam || (k == OptimizerConfig.Kind.RMSPROP && c.momentum() > 0),
                    c.weightDecay() != 0 && k != OptimizerConfig.Kind.ADAMW);
        }
    }

    /**
     * Adam's per-step scalars, in double as PyTorch computes them in Python floats.
     *
     * @param stepSize {@code lr / (1 - beta1^t)}
     * @param bc2Sqrt {@code sqrt(1 - beta2^t)}
     * @param decay {@code 1 - lr * weightDecay} for ADAMW, 1 for ADAM
     */
    private record AdamScalars(double stepSize, double bc2Sqrt, double decay) {
        static AdamScalars of(OptimizerConfig c, long t, double lr) {
            return new AdamScalars(lr / (1 - Math.pow(c.beta1(), t)), Math.sqrt(1 - Math.pow(c.beta2(), t)),
                    c.kind() == OptimizerConfig.Kind.ADAMW ? 1 - lr * c.weightDecay() : 1);
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
     * @param parameters the parameters; the same names, sizes and precisions on every call
     * @param learningRate this step's learning rate, finite and &ge; 0
     * @throws NonFiniteException when a gradient holds NaN or an infinity (nothing is changed)
     * @throws IllegalArgumentException for a bad learning rate (nothing is changed)
     * @throws IllegalStateException when a parameter's size or precision differs from the state
     *     kept under its name (nothing is changed)
     */
    public void step(ParameterSet parameters, double learningRate) {
        checkLearningRate(learningRate);
        NonFinite.findInGradients(parameters).ifPresent(at -> {
            throw new NonFiniteException(at.message() + "; the optimizer step was refused, nothing was updated");
        });
        checkStates(parameters);
        update(parameters, learningRate);
    }

    /**
     * Updates the parameters as {@link #step(ParameterSet, LearningRateSchedule)} does, but without
     * scanning the gradients for NaN and infinity: for a caller that has just established that
     * every gradient is finite and has not changed them since, which saves a pass over all
     * gradients. The generated {@code trainStep} calls it right after
     * {@link GradientClipping#checkFiniteAndClip}, whose norm doubles as the check.
     *
     * <p>A NaN or an infinity passed here anyway is not detected: it goes into the weights and the
     * optimizer state. When in doubt, call {@link #step(ParameterSet, LearningRateSchedule)}.
     *
     * @throws IllegalArgumentException for a bad learning rate from the schedule (nothing is changed)
     * @throws IllegalStateException when a parameter's size or precision differs from the state
     *     kept under its name (nothing is changed)
     */
    public void stepWithoutGradientCheck(ParameterSet parameters, LearningRateSchedule schedule) {
        stepWithoutGradientCheck(parameters, schedule.learningRate(steps));
    }

    /**
     * Updates the parameters as {@link #step(ParameterSet, double)} does, but without scanning the
     * gradients for NaN and infinity; see {@link #stepWithoutGradientCheck(ParameterSet,
     * LearningRateSchedule)} for when that is safe.
     *
     * @throws IllegalArgumentException for a bad learning rate (nothing is changed)
     * @throws IllegalStateException when a parameter's size or precision differs from the state
     *     kept under its name (nothing is changed)
     */
    public void stepWithoutGradientCheck(ParameterSet parameters, double learningRate) {
        checkLearningRate(learningRate);
        checkStates(parameters);
        update(parameters, learningRate);
    }

    private static void checkLearningRate(double learningRate) {
        if (!(learningRate >= 0 && Double.isFinite(learningRate))) {
            throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + learningRate);
        }
    }

    /** Checks, before anything changes, that each parameter fits the state kept under its name. */
    private void checkStates(ParameterSet parameters) {
        for (Parameter p : parameters) {
            State s = states.get(p.name());
            if (s == null) {
                continue;
            }
            if (s.size != p.size()) {
                throw new IllegalStateException("parameter '" + p.name() + "' has " + p.size()
                        + " elements, but the optimizer's state for it has " + s.size);
            }
            String precision = p instanceof FloatParameter ? "float32" : "float64";
            if (!s.precision().equals(precision)) {
                throw new IllegalStateException("parameter '" + p.name() + "' is " + precision
                        + ", but the optimizer's state for it is " + s.precision());
            }
        }
    }

    /** The update proper, once every check has passed. */
    private void update(ParameterSet parameters, double learningRate) {
        Buffers buffers = Buffers.of(config);
        for (Parameter p : parameters) {
            if (p instanceof FloatParameter f) {
                FloatState s = (FloatState) states.computeIfAbsent(p.name(), k -> new FloatState(p.size(), buffers));
                s.step++;
                update(f, s, learningRate);
            } else {
                DoubleParameter d = (DoubleParameter) p;
                DoubleState s = (DoubleState) states.computeIfAbsent(p.name(), k -> new DoubleState(p.size(), buffers));
                s.step++;
                update(d, s, learningRate);
            }
            p.markChanged();
        }
        steps++;
    }

    /** One float32 update; every hyper-parameter is rounded to float once, as torch does. */
    private void update(FloatParameter p, FloatState s, double lr) {
        OptimizerConfig c = config;
        float[] w = p.value;
        float[] g = p.grad;
        if (s.decayed != null) {
            FloatUpdates.addWeightDecay(s.decayed, g, w, (float) c.weightDecay());
            g = s.decayed;
        }
        float negLr = (float) -lr;
        switch (c.kind()) {
            case SGD -> FloatUpdates.sgd(w, g, negLr);
            case MOMENTUM -> FloatUpdates.momentum(w, g, s.first, (float) c.momentum(), c.nesterov(), negLr);
            case ADAGRAD -> FloatUpdates.adagrad(w, g, s.first, (float) c.epsilon(), negLr);
            case RMSPROP -> FloatUpdates.rmsprop(w, g, s.first, s.second, (float) c.alpha(), (float) (1 - c.alpha()),
                    (float) c.epsilon(), (float) c.momentum(), negLr);
            case ADAM, ADAMW -> {
                AdamScalars a = AdamScalars.of(c, s.step, lr);
                FloatUpdates.adam(w, g, s.first, s.second, (float) c.beta1(), (float) (1 - c.beta1()),
                        (float) c.beta2(), (float) (1 - c.beta2()), (float) a.bc2Sqrt(), (float) c.epsilon(),
                        (float) a.decay(), (float) -a.stepSize());
            }
            default -> throw new AssertionError(c.kind());
        }
    }

    /** One float64 update: the float32 one with double. */
    private void update(DoubleParameter p, DoubleState s, double lr) {
        OptimizerConfig c = config;
        double[] w = p.value;
        double[] g = p.grad;
        if (s.decayed != null) {
            DoubleUpdates.addWeightDecay(s.decayed, g, w, c.weightDecay());
            g = s.decayed;
        }
        double negLr = -lr;
        switch (c.kind()) {
            case SGD -> DoubleUpdates.sgd(w, g, negLr);
            case MOMENTUM -> DoubleUpdates.momentum(w, g, s.first, c.momentum(), c.nesterov(), negLr);
            case ADAGRAD -> DoubleUpdates.adagrad(w, g, s.first, c.epsilon(), negLr);
            case RMSPROP -> DoubleUpdates.rmsprop(w, g, s.first, s.second, c.alpha(), 1 - c.alpha(), c.epsilon(),
                    c.momentum(), negLr);
            case ADAM, ADAMW -> {
                AdamScalars a = AdamScalars.of(c, s.step, lr);
                DoubleUpdates.adam(w, g, s.first, s.second, c.beta1(), 1 - c.beta1(), c.beta2(), 1 - c.beta2(),
                        a.bc2Sqrt(), c.epsilon(), a.decay(), -a.stepSize());
            }
            default -> throw new AssertionError(c.kind());
        }
    }
}
