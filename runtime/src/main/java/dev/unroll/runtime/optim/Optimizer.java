package dev.unroll.runtime.optim;

import dev.unroll.runtime.DoubleParameter;
import dev.unroll.runtime.FloatParameter;
import dev.unroll.runtime.GradientRows;
import dev.unroll.runtime.NonFiniteException;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import dev.unroll.runtime.checkpoint.DType;
import dev.unroll.runtime.checkpoint.OutputTensor;
import dev.unroll.runtime.checkpoint.Tensor;
import dev.unroll.runtime.checkpoint.TensorFile;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

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
 * <p>A row-sparse parameter (an embedding table, {@link Parameter#gradientRows()}) is updated exactly as the
 * dense one would be, visiting only the rows whose update is not a no-op (see {@code rowsToUpdate}); a frozen
 * parameter ({@link Parameter#requiresGrad()} false) is skipped and gets no state.
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
        /**
         * For a row-sparse parameter under an optimizer whose state keeps moving a row: the rows of
         * every gradient so far (those whose state may be non-zero); null otherwise.
         */
        GradientRows live;

        State(int size) {
            this.size = size;
        }

        /** Returns "float32" or "float64", for messages. */
        abstract String precision();

        /** Returns true when a state buffer holds a non-zero value at element {@code i}. */
        abstract boolean nonZeroAt(int i);
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

        @Override
        boolean nonZeroAt(int i) {
            return first != null && first[i] != 0 || second != null && second[i] != 0;
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

        @Override
        boolean nonZeroAt(int i) {
            return first != null && first[i] != 0 || second != null && second[i] != 0;
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

    // ---- state in checkpoints ------------------------------------------------------------------

    /** The prefix of the optimizer's tensors in a checkpoint: {@code optimizer.<parameter>.<buffer>}. */
    public static final String TENSOR_PREFIX = "optimizer.";
    /** Checkpoint metadata: the optimizer kind whose state the file holds. */
    public static final String KIND_KEY = "unroll.optimizer";
    /** Checkpoint metadata: the number of updates done. */
    public static final String STEPS_KEY = "unroll.optimizer.steps";

    /** The names of a kind's state buffers, as {@code torch.optim} names them in its state_dict. */
    private String[] bufferNames() {
        return switch (config.kind()) {
            case SGD -> new String[0];
            case MOMENTUM -> new String[] {"momentum_buffer"};
            case ADAGRAD -> new String[] {"sum"};
            case RMSPROP -> config.momentum() > 0 ? new String[] {"square_avg", "momentum_buffer"}
                    : new String[] {"square_avg"};
            case ADAM, ADAMW -> new String[] {"exp_avg", "exp_avg_sq"};
        };
    }

    /**
     * Returns the optimizer's state as checkpoint tensors, {@code optimizer.<parameter>.<buffer>} in the parameter's
     * shape and precision (buffers named as {@code torch.optim} names them: {@code exp_avg}, {@code sum}...), for
     * {@link dev.unroll.runtime.checkpoint.Checkpoints#save(java.nio.file.Path, ParameterSet, Optimizer, Map)}.
     */
    public List<OutputTensor> stateTensors(ParameterSet parameters) {
        List<OutputTensor> tensors = new ArrayList<>();
        String[] names = bufferNames();
        for (Parameter p : parameters) {
            State s = states.get(p.name());
            if (s == null) {
                continue;
            }
            for (int b = 0; b < names.length; b++) {
                String name = TENSOR_PREFIX + p.name() + "." + names[b];
                if (s instanceof FloatState f) {
                    tensors.add(OutputTensor.of(name, b == 0 ? f.first : f.second, p.shape()));
                } else {
                    DoubleState d = (DoubleState) s;
                    tensors.add(OutputTensor.of(name, b == 0 ? d.first : d.second, p.shape()));
                }
            }
        }
        return tensors;
    }

    /** Returns the checkpoint metadata of the state: the kind, the update count and each parameter's step. */
    public Map<String, String> stateMetadata() {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put(KIND_KEY, config.kind().name().toLowerCase(java.util.Locale.ROOT));
        metadata.put(STEPS_KEY, Long.toString(steps));
        for (Map.Entry<String, State> e : states.entrySet()) {
            metadata.put(STEPS_KEY + "." + e.getKey(), Long.toString(e.getValue().step));
        }
        return metadata;
    }

    /**
     * Reads the state a checkpoint holds for these parameters and returns what replaces this optimizer's state
     * when applied, or {@code null} when the file holds none for this kind (a checkpoint of weights only, or of
     * another optimizer). Nothing changes until {@link Restore#apply()}, so that a caller can validate the weights
     * too before changing anything.
     *
     * @param problems where each problem found is added (a tensor missing, mis-shaped, of the wrong dtype or
     *     not finite, a step count that is not a number); the state is usable only when none was added
     */
    public Restore prepareRestore(TensorFile file, ParameterSet parameters, List<String> problems) {
        Map<String, String> meta = file.metadata();
        String kind = config.kind().name().toLowerCase(java.util.Locale.ROOT);
        if (!kind.equals(meta.get(KIND_KEY))) {
            return null;
        }
        long total = parseCount(meta.get(STEPS_KEY), STEPS_KEY, problems);
        Buffers buffers = Buffers.of(config);
        String[] names = bufferNames();
        Map<String, State> restored = new HashMap<>();
        for (Parameter p : parameters) {
            String stepText = meta.get(STEPS_KEY + "." + p.name());
            if (stepText == null) {
                continue;
            }
            boolean isFloat = p instanceof FloatParameter;
            State s = isFloat ? new FloatState(p.size(), buffers) : new DoubleState(p.size(), buffers);
            s.step = parseCount(stepText, STEPS_KEY + "." + p.name(), problems);
            for (int b = 0; b < names.length; b++) {
                String name = TENSOR_PREFIX + p.name() + "." + names[b];
                Tensor t = file.find(name).orElse(null);
                if (t == null) {
                    problems.add("optimizer state tensor '" + name + "' is missing");
                    continue;
                }
                DType expected = isFloat ? DType.F32 : DType.F64;
                if (t.dtype() != expected || !java.util.Arrays.equals(t.shape(), p.shape())) {
                    problems.add("optimizer state tensor '" + name + "' is " + t.dtype() + " "
                            + java.util.Arrays.toString(t.shape()) + ", expected " + expected + " "
                            + java.util.Arrays.toString(p.shape()));
                    continue;
                }
                for (int i = 0; i < t.elementCount(); i++) {
                    if (!Double.isFinite(t.getDouble(i))) {
                        problems.add("optimizer state tensor '" + name + "' holds " + t.getDouble(i) + " at index " + i);
                        break;
                    }
                }
                if (s instanceof FloatState f) {
                    System.arraycopy(t.toFloatArray(), 0, b == 0 ? f.first : f.second, 0, p.size());
                } else {
                    DoubleState d = (DoubleState) s;
                    System.arraycopy(t.toDoubleArray(), 0, b == 0 ? d.first : d.second, 0, p.size());
                }
            }
            s.live = liveRows(p, s);
            restored.put(p.name(), s);
        }
        return new Restore(this, total, restored);
    }

    /** For a row-sparse parameter, the rows whose restored state is not all zero (see {@link #rowsToUpdate}). */
    private static GradientRows liveRows(Parameter p, State s) {
        GradientRows rows = p.gradientRows();
        if (rows == null) {
            return null;
        }
        GradientRows live = new GradientRows(rows.tableRows(), rows.width());
        int width = rows.width();
        for (int r = 0; r < rows.tableRows(); r++) {
            for (int j = r * width; j < r * width + width; j++) {
                if (s.nonZeroAt(j)) {
                    live.add(r);
                    break;
                }
            }
        }
        return live;
    }

    private static long parseCount(String text, String key, List<String> problems) {
        try {
            long n = Long.parseLong(text == null ? "" : text);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        problems.add("metadata '" + key + "' is '" + text + "', not an update count");
        return 0;
    }

    /** A validated optimizer state read from a checkpoint, applied by {@link #apply()}. */
    public static final class Restore {
        private final Optimizer optimizer;
        private final long steps;
        private final Map<String, State> states;

        private Restore(Optimizer optimizer, long steps, Map<String, State> states) {
            this.optimizer = optimizer;
            this.steps = steps;
            this.states = states;
        }

        /** Returns the number of updates the state was saved after. */
        public long steps() {
            return steps;
        }

        /** Replaces the optimizer's state with this one. */
        public void apply() {
            optimizer.states.clear();
            optimizer.states.putAll(states);
            optimizer.steps = steps;
        }
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
        // no ifPresent lambda: its invokedynamic would link on every first call, a non-finite gradient or not
        Optional<NonFinite.Location> at = NonFinite.findInGradients(parameters);
        if (at.isPresent()) {
            throw new NonFiniteException(at.get().message() + "; the optimizer step was refused, nothing was updated");
        }
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
            if (!p.requiresGrad()) {
                continue; // frozen: no update, no state
            }
            // get and put rather than computeIfAbsent with a lambda: the first lambda a JVM runs bootstraps the
            // lambda machinery (about 15 ms), which every model's first training update would pay
            State s = states.get(p.name());
            if (s == null) {
                s = p instanceof FloatParameter ? new FloatState(p.size(), buffers) : new DoubleState(p.size(), buffers);
                states.put(p.name(), s);
            }
            s.step++;
            GradientRows rows = rowsToUpdate(p, s);
            if (rows == null) {
                update(p, s, learningRate, 0, p.size());
            } else {
                int width = rows.width();
                for (int i = 0; i < rows.count(); i++) {
                    int from = rows.row(i) * width;
                    update(p, s, learningRate, from, from + width);
                }
            }
            p.markChanged();
        }
        steps++;
    }

    /**
     * The rows of a row-sparse parameter (an embedding table) whose update is not exactly a no-op,
     * or null for every element. PyTorch's {@code nn.Embedding} (with its default dense gradient)
     * gives every row a gradient, zero for the rows no symbol of the batch used, and the optimizers
     * update every row. For a row whose gradient is zero that update changes nothing, bit for bit,
     * when it has no state yet (the moments, momentum or average are zero: {@code w + (-lr) * 0 = w})
     * or keeps none (SGD, Adagrad, whose sum does not grow). So: with weight decay every row moves
     * ({@code g = λθ}, or AdamW's {@code θ *= 1 - lr λ}) and every row is updated, as PyTorch does;
     * SGD and Adagrad update the rows of this gradient; momentum, RMSprop, Adam and AdamW the rows of
     * every gradient so far (their state keeps moving a row, or decaying its average, after its
     * symbols are gone), which the state lists in {@code live}.
     */
    private GradientRows rowsToUpdate(Parameter p, State s) {
        GradientRows rows = p.gradientRows();
        if (rows == null || config.weightDecay() != 0) {
            return null;
        }
        if (config.kind() == OptimizerConfig.Kind.SGD || config.kind() == OptimizerConfig.Kind.ADAGRAD) {
            return rows;
        }
        if (s.live == null) {
            s.live = new GradientRows(rows.tableRows(), rows.width());
        }
        s.live.addAll(rows);
        return s.live;
    }

    private void update(Parameter p, State s, double lr, int from, int to) {
        if (p instanceof FloatParameter f) {
            update(f, (FloatState) s, lr, from, to);
        } else {
            update((DoubleParameter) p, (DoubleState) s, lr, from, to);
        }
    }

    /** One float32 update of elements {@code [from, to)}; every hyper-parameter is rounded to float once, as torch does. */
    private void update(FloatParameter p, FloatState s, double lr, int from, int to) {
        OptimizerConfig c = config;
        float[] w = p.value;
        float[] g = p.grad;
        if (s.decayed != null) {
            FloatUpdates.addWeightDecay(s.decayed, g, w, (float) c.weightDecay(), from, to);
            g = s.decayed;
        }
        float negLr = (float) -lr;
        switch (c.kind()) {
            case SGD -> FloatUpdates.sgd(w, g, negLr, from, to);
            case MOMENTUM -> FloatUpdates.momentum(w, g, s.first, (float) c.momentum(), c.nesterov(), negLr, from, to);
            case ADAGRAD -> FloatUpdates.adagrad(w, g, s.first, (float) c.epsilon(), negLr, from, to);
            case RMSPROP -> FloatUpdates.rmsprop(w, g, s.first, s.second, (float) c.alpha(), (float) (1 - c.alpha()),
                    (float) c.epsilon(), (float) c.momentum(), negLr, from, to);
            case ADAM, ADAMW -> {
                AdamScalars a = AdamScalars.of(c, s.step, lr);
                FloatUpdates.adam(w, g, s.first, s.second, (float) c.beta1(), (float) (1 - c.beta1()),
                        (float) c.beta2(), (float) (1 - c.beta2()), (float) a.bc2Sqrt(), (float) c.epsilon(),
                        (float) a.decay(), (float) -a.stepSize(), from, to);
            }
            default -> throw new AssertionError(c.kind());
        }
    }

    /** One float64 update: the float32 one with double. */
    private void update(DoubleParameter p, DoubleState s, double lr, int from, int to) {
        OptimizerConfig c = config;
        double[] w = p.value;
        double[] g = p.grad;
        if (s.decayed != null) {
            DoubleUpdates.addWeightDecay(s.decayed, g, w, c.weightDecay(), from, to);
            g = s.decayed;
        }
        double negLr = -lr;
        switch (c.kind()) {
            case SGD -> DoubleUpdates.sgd(w, g, negLr, from, to);
            case MOMENTUM -> DoubleUpdates.momentum(w, g, s.first, c.momentum(), c.nesterov(), negLr, from, to);
            case ADAGRAD -> DoubleUpdates.adagrad(w, g, s.first, c.epsilon(), negLr, from, to);
            case RMSPROP -> DoubleUpdates.rmsprop(w, g, s.first, s.second, c.alpha(), 1 - c.alpha(), c.epsilon(),
                    c.momentum(), negLr, from, to);
            case ADAM, ADAMW -> {
                AdamScalars a = AdamScalars.of(c, s.step, lr);
                DoubleUpdates.adam(w, g, s.first, s.second, c.beta1(), 1 - c.beta1(), c.beta2(), 1 - c.beta2(),
                        a.bc2Sqrt(), c.epsilon(), a.decay(), -a.stepSize(), from, to);
            }
            default -> throw new AssertionError(c.kind());
        }
    }
}
