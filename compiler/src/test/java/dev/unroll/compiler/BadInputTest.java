package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.runtime.Parameter;
import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every public entry point of generated models refuses bad arguments with an
 * {@link IllegalArgumentException} whose message names the argument and the index of the bad
 * element, and for a wrong size the expected and the found size; never with an
 * {@link ArrayIndexOutOfBoundsException}, a {@link NullPointerException}, or a silently wrong
 * result. The entry points: {@code forward} (one input and a batch), {@code loss},
 * {@code computeGradients} (with and without input gradients), {@code trainStep} and
 * {@code Stepper.step}. Bad arguments: null at every level, wrong lengths at every level (the batch,
 * the steps, the vectors), NaN and infinities, symbols outside the vocabulary, batches of inputs,
 * targets and input gradients that disagree, and a fixed {@code batch 2} given 3 sequences.
 *
 * <p>A refused call must leave everything as it was: the workspace still gives the same results,
 * a stepper's state has not advanced, and {@code trainStep} has not touched the weights.
 *
 * <p>The systematic tests derive every mutation from the structure of valid arguments; the
 * randomized test stacks random mutations and decides with its own checker of the documented
 * shapes whether the call is valid.
 */
class BadInputTest {
    @TempDir
    static Path work;

    private static Map<String, Class<?>> classes;

    /** Dense sequences in, vector targets per step; float64, any batch. */
    static final NetSpec DENSE_SEQUENCE = new NetSpec("bad", "DenseSequence", List.of(layer(NetSpec.Cell.LSTM, 4)), 3,
            false, 2, NetSpec.Head.LINEAR_MSE, NetSpec.Topo.MANY_TO_MANY, 4, 0, true);
    /** One dense vector in, one vector target; float32, fixed batch 2. */
    static final NetSpec DENSE_SINGLE = new NetSpec("bad", "DenseSingle", List.of(layer(NetSpec.Cell.GRU, 3)), 3,
            false, 2, NetSpec.Head.SIGMOID_BCE, NetSpec.Topo.ONE_TO_ONE, 1, 2, false);
    /** Symbol sequences in, one class out. */
    static final NetSpec SYMBOL_SEQUENCE = new NetSpec("bad", "SymbolSequence",
            List.of(layer(NetSpec.Cell.RNN_TANH, 3)), 5, true, 3, NetSpec.Head.SOFTMAX_CE, NetSpec.Topo.MANY_TO_ONE, 4,
            0, true);
    /** One symbol in, a class per step out, fed back; float32. */
    static final NetSpec SYMBOL_SINGLE = new NetSpec("bad", "SymbolSingle",
            List.of(layer(NetSpec.Cell.LSTM, 3), layer(NetSpec.Cell.GRU, 2)), 4, true, 4, NetSpec.Head.SOFTMAX_CE,
            NetSpec.Topo.ONE_TO_MANY_FEEDBACK, 3, 0, false);
    /** One dense vector in, a vector per step out, fed back. */
    static final NetSpec DENSE_FEEDBACK = new NetSpec("bad", "DenseFeedback",
            List.of(layer(NetSpec.Cell.RNN_RELU, 3)), 2, false, 2, NetSpec.Head.TANH_MSE,
            NetSpec.Topo.ONE_TO_MANY_FEEDBACK, 3, 0, true);
    /** Dense sequences in, a class per step; fixed batch 2. */
    static final NetSpec FIXED_BATCH = new NetSpec("bad", "FixedBatch", List.of(layer(NetSpec.Cell.GRU, 3)), 3, false,
            3, NetSpec.Head.SOFTMAX_CE, NetSpec.Topo.MANY_TO_MANY, 3, 2, true);

    static final List<NetSpec> SPECS = List.of(DENSE_SEQUENCE, DENSE_SINGLE, SYMBOL_SEQUENCE, SYMBOL_SINGLE,
            DENSE_FEEDBACK, FIXED_BATCH);

    private static NetSpec.Layer layer(NetSpec.Cell cell, int hidden) {
        return new NetSpec.Layer(cell, hidden);
    }

    @BeforeAll
    static void compile() {
        classes = GeneratedCode.compile(SPECS.stream().map(NetSpec::model).toList(), work);
    }

    // ---- the arguments and the calls --------------------------------------------------------------

    /** What the elements of an argument's innermost arrays (or the argument itself) must be. */
    enum Leaf { REAL, SYMBOL, ANY }

    /**
     * One argument of an entry point: its name in messages, a valid value, and its documented shape:
     * {@code dims[k]} the length at depth {@code k}, where {@link #ANY_BATCH} is any positive length and
     * {@link #XS_BATCH} the length of the call's {@code xs}.
     */
    record Arg(String name, Object valid, int[] dims, Leaf leaf, int vocabulary, boolean primitive) {}

    static final int ANY_BATCH = -1;
    static final int XS_BATCH = -2;

    /** An entry point bound to a model (or a stepper) and its valid arguments. */
    record Call(String label, NetSpec spec, Object target, Method method, List<Arg> args, boolean trains) {
        Object invoke(Object[] values) throws Throwable {
            try {
                return method.invoke(target, values);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }

        Object[] validValues() {
            return args.stream().map(a -> deepCopy(a.valid())).toArray();
        }
    }

    /** A model with a valid batch, and every entry point of its public API. */
    static final class Subject {
        final NetSpec spec;
        final ModelHandle handle;
        final TestBatch batch;
        final List<Call> calls = new ArrayList<>();
        final double baselineLoss;
        final double[] baselineForward;

        Subject(NetSpec spec) {
            this.spec = spec;
            handle = new ModelHandle(classes.get(spec.qualifiedName()));
            SplittableRandom random = new SplittableRandom(spec.name().hashCode());
            batch = TestBatch.random(spec, 2, random);
            Object ws = handle.workspace;
            Object xs = batch.xs();
            Object targets = batch.targetsArgument();
            int[] x = xDims();
            Leaf inputLeaf = spec.oneHot() ? Leaf.SYMBOL : Leaf.REAL;
            Leaf targetLeaf = spec.head().classTargets() ? Leaf.SYMBOL : Leaf.REAL;
            int batchDim = spec.fixedBatch() > 0 ? spec.fixedBatch() : ANY_BATCH;
            Arg wsArg = new Arg("ws", ws, new int[0], Leaf.ANY, 0, false);
            Arg xArg = new Arg("x", batch.x(0), x, inputLeaf, spec.inputSize(), spec.oneHot() && x.length == 0);
            Arg xsArg = new Arg("xs", xs, prepend(batchDim, x), inputLeaf, spec.inputSize(), false);
            Arg targetsArg = new Arg("targets", targets, prepend(XS_BATCH, targetDims()), targetLeaf,
                    spec.outputSize(), false);
            add("forward(ws, x)", handle.model, "forward", wsArg, xArg);
            add("forward(ws, xs)", handle.model, "forward", wsArg, xsArg);
            add("loss", handle.model, "loss", wsArg, xsArg, targetsArg);
            add("computeGradients", handle.model, "computeGradients", wsArg, xsArg, targetsArg);
            if (!spec.oneHot()) {
                Arg gradients = new Arg("inputGradients", batch.inputGradientBuffer(), prepend(XS_BATCH, x), Leaf.ANY,
                        0, false);
                add("computeGradients with input gradients", handle.model, "computeGradients", wsArg, xsArg,
                        targetsArg, gradients);
            }
            calls.add(bind("trainStep", handle.model, "trainStep", true, xsArg, targetsArg));
            Object stepper = handle.call("newStepper");
            Object step = spec.topology().sequenceInput() ? Array.get(batch.x(0), 0) : batch.x(0);
            int[] stepDims = spec.oneHot() ? new int[0] : new int[] {spec.inputSize()};
            calls.add(bind("Stepper.step", stepper, "step", false,
                    new Arg(spec.oneHot() ? "symbol" : "x", step, stepDims, inputLeaf, spec.inputSize(),
                            spec.oneHot())));
            Object y = Array.newInstance(spec.float64() ? double.class : float.class, spec.outputSize());
            calls.add(bind("Stepper.step into y", stepper, "step", false,
                    new Arg(spec.oneHot() ? "symbol" : "x", step, stepDims, inputLeaf, spec.inputSize(),
                            spec.oneHot()),
                    new Arg("y", y, new int[] {spec.outputSize()}, Leaf.ANY, 0, false)));
            baselineLoss = (double) handle.call("loss", ws, xs, targets);
            baselineForward = TestBatch.flatten(handle.call("forward", ws, xs));
        }

        private void add(String label, Object target, String name, Arg... args) {
            calls.add(bind(label, target, name, false, args));
        }

        private Call bind(String label, Object target, String name, boolean trains, Arg... args) {
            Object[] values = Arrays.stream(args).map(Arg::valid).toArray();
            for (Method m : target.getClass().getMethods()) {
                if (!m.isBridge() && m.getName().equals(name) && m.getParameterCount() == args.length && accepts(m, values)) {
                    m.setAccessible(true);
                    return new Call(spec.name() + "." + label, spec, target, m, List.of(args), trains);
                }
            }
            throw new AssertionError("no " + name + " on " + target.getClass());
        }

        /** The shape of one sequence's input: [T][I], [I], [T] symbols, or one symbol. */
        int[] xDims() {
            if (spec.topology().sequenceInput()) {
                return spec.oneHot() ? new int[] {spec.inputSteps()} : new int[] {spec.inputSteps(), spec.inputSize()};
            }
            return spec.oneHot() ? new int[0] : new int[] {spec.inputSize()};
        }

        int[] targetDims() {
            boolean sequence = spec.topology().sequenceOutput();
            if (spec.head().classTargets()) {
                return sequence ? new int[] {spec.outputSteps()} : new int[0];
            }
            return sequence ? new int[] {spec.outputSteps(), spec.outputSize()} : new int[] {spec.outputSize()};
        }

        double[] weights() {
            List<Double> values = new ArrayList<>();
            for (Parameter p : handle.parameters()) {
                for (int i = 0; i < p.size(); i++) {
                    values.add(p.value(i));
                }
            }
            return values.stream().mapToDouble(Double::doubleValue).toArray();
        }

        void restore(double[] weights) {
            int k = 0;
            for (Parameter p : handle.parameters()) {
                for (int i = 0; i < p.size(); i++) {
                    p.setValue(i, weights[k++]);
                }
            }
        }

        /** After a refused call: the model and its workspace still compute what they computed before. */
        String stateProblem() {
            double loss = (double) handle.call("loss", handle.workspace, batch.xs(), batch.targetsArgument());
            if (Double.doubleToLongBits(loss) != Double.doubleToLongBits(baselineLoss)) {
                return "a valid loss() afterwards gives " + loss + " instead of " + baselineLoss;
            }
            double[] y = TestBatch.flatten(handle.call("forward", handle.workspace, batch.xs()));
            if (!Arrays.equals(y, baselineForward)) {
                return "a valid forward() afterwards gives other outputs";
            }
            return null;
        }
    }

    private static int[] prepend(int first, int[] rest) {
        int[] dims = new int[rest.length + 1];
        dims[0] = first;
        System.arraycopy(rest, 0, dims, 1, rest.length);
        return dims;
    }

    private static boolean accepts(Method m, Object[] values) {
        Class<?>[] types = m.getParameterTypes();
        for (int i = 0; i < values.length; i++) {
            Class<?> t = types[i] == int.class ? Integer.class : types[i];
            if (!t.isInstance(values[i])) {
                return false;
            }
        }
        return true;
    }

    // ---- mutations ------------------------------------------------------------------------------

    enum Kind { NULL, RESIZE, LEAF }

    /**
     * One change to one argument: at {@code path} (indices from the argument's root), set null,
     * change the array's length to {@code length}, or set the element to {@code value}.
     */
    record Mutation(int arg, Kind kind, int[] path, int length, Number value) {
        String where(List<Arg> args) {
            StringBuilder s = new StringBuilder(args.get(arg).name());
            for (int i : path) {
                s.append('[').append(i).append(']');
            }
            return s.toString();
        }

        String describe(List<Arg> args) {
            return switch (kind) {
                case NULL -> where(args) + " = null";
                case RESIZE -> where(args) + " of length " + length;
                case LEAF -> where(args) + " = " + value;
            };
        }
    }

    /** Applies mutations to copies of the valid values. */
    static Object[] apply(Call call, List<Mutation> mutations) {
        Object[] values = call.validValues();
        for (Mutation m : mutations) {
            if (m.path().length == 0) {
                values[m.arg()] = switch (m.kind()) {
                    case NULL -> null;
                    case RESIZE -> values[m.arg()] == null ? null : resized(values[m.arg()], m.length());
                    case LEAF -> m.value().intValue(); // a scalar symbol argument
                };
                continue;
            }
            Object parent = values[m.arg()];
            for (int k = 0; k < m.path().length - 1 && parent != null; k++) {
                int i = m.path()[k];
                parent = i < Array.getLength(parent) ? Array.get(parent, i) : null;
            }
            int last = m.path()[m.path().length - 1];
            if (parent == null || !parent.getClass().isArray() || last >= Array.getLength(parent)) {
                continue; // an earlier mutation removed this element
            }
            switch (m.kind()) {
                case NULL -> {
                    if (!parent.getClass().getComponentType().isPrimitive()) {
                        Array.set(parent, last, null);
                    }
                }
                case RESIZE -> {
                    Object element = Array.get(parent, last);
                    if (element != null && element.getClass().isArray()) {
                        Array.set(parent, last, resized(element, m.length()));
                    }
                }
                case LEAF -> {
                    Class<?> component = parent.getClass().getComponentType();
                    if (component == double.class) {
                        Array.setDouble(parent, last, m.value().doubleValue());
                    } else if (component == float.class) {
                        Array.setFloat(parent, last, m.value().floatValue());
                    } else if (component == int.class) {
                        Array.setInt(parent, last, m.value().intValue());
                    }
                }
            }
        }
        return values;
    }

    /** A copy of {@code array} with another length; new elements copy the last one (or are 0). */
    static Object resized(Object array, int length) {
        int n = Array.getLength(array);
        Object copy = Array.newInstance(array.getClass().getComponentType(), length);
        for (int i = 0; i < length; i++) {
            if (i < n) {
                Array.set(copy, i, deepCopy(Array.get(array, i)));
            } else if (n > 0 && !array.getClass().getComponentType().isPrimitive()) {
                Array.set(copy, i, deepCopy(Array.get(array, n - 1)));
            }
        }
        return copy;
    }

    static Object deepCopy(Object value) {
        if (value == null || !value.getClass().isArray()) {
            return value;
        }
        int n = Array.getLength(value);
        Object copy = Array.newInstance(value.getClass().getComponentType(), n);
        for (int i = 0; i < n; i++) {
            Array.set(copy, i, deepCopy(Array.get(value, i)));
        }
        return copy;
    }

    /** Every single mutation of a call's arguments, walking the valid values. */
    static List<Mutation> systematicMutations(Call call) {
        List<Mutation> out = new ArrayList<>();
        for (int a = 0; a < call.args().size(); a++) {
            Arg arg = call.args().get(a);
            if (!arg.primitive()) {
                out.add(new Mutation(a, Kind.NULL, new int[0], 0, null));
            }
            walk(a, arg, arg.valid(), new int[0], out);
        }
        return out;
    }

    private static void walk(int a, Arg arg, Object node, int[] path, List<Mutation> out) {
        if (node instanceof Integer) {
            for (int bad : badSymbols(arg.vocabulary())) {
                out.add(new Mutation(a, Kind.LEAF, path, 0, bad));
            }
            return;
        }
        if (node == null || !node.getClass().isArray()) {
            return; // the workspace
        }
        int n = Array.getLength(node);
        for (int length : new int[] {n - 1, n + 1, 0}) {
            if (length >= 0 && (length != 0 || n != 1)) {
                out.add(new Mutation(a, Kind.RESIZE, path, length, null));
            }
        }
        Class<?> component = node.getClass().getComponentType();
        List<Integer> indices = n > 1 ? List.of(0, n - 1) : List.of(0);
        for (int i : indices) {
            int[] child = Arrays.copyOf(path, path.length + 1);
            child[path.length] = i;
            if (component.isPrimitive()) {
                if (arg.leaf() == Leaf.REAL) {
                    for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
                        out.add(new Mutation(a, Kind.LEAF, child, 0, bad));
                    }
                } else if (arg.leaf() == Leaf.SYMBOL) {
                    for (int bad : badSymbols(arg.vocabulary())) {
                        out.add(new Mutation(a, Kind.LEAF, child, 0, bad));
                    }
                }
            } else {
                out.add(new Mutation(a, Kind.NULL, child, 0, null));
                if (i == n - 1) {
                    walk(a, arg, Array.get(node, i), child, out);
                }
            }
        }
    }

    private static int[] badSymbols(int vocabulary) {
        return new int[] {-1, vocabulary, Integer.MIN_VALUE, Integer.MAX_VALUE};
    }

    // ---- the checker of documented shapes ------------------------------------------------------------

    /** Returns null when the values are valid arguments of the call, else what is wrong. */
    static String invalid(Call call, Object[] values) {
        Integer xsBatch = null;
        for (int a = 0; a < values.length; a++) {
            if (call.args().get(a).name().equals("xs") && values[a] != null) {
                xsBatch = Array.getLength(values[a]);
            }
        }
        for (int a = 0; a < values.length; a++) {
            Arg arg = call.args().get(a);
            String problem = conforms(arg, values[a], 0, arg.name(), xsBatch);
            if (problem != null) {
                return problem;
            }
        }
        return null;
    }

    private static String conforms(Arg arg, Object value, int depth, String where, Integer xsBatch) {
        if (value == null) {
            return where + " is null";
        }
        if (depth == arg.dims().length) {
            if (value instanceof Integer symbol && arg.leaf() == Leaf.SYMBOL
                    && (symbol < 0 || symbol >= arg.vocabulary())) {
                return where + " is out of range";
            }
            return null;
        }
        int expected = arg.dims()[depth];
        int n = Array.getLength(value);
        if (expected == ANY_BATCH ? n < 1 : expected == XS_BATCH ? xsBatch != null && n != xsBatch : n != expected) {
            return where + " has length " + n;
        }
        if (expected == XS_BATCH && n == 0) {
            return where + " is empty";
        }
        for (int i = 0; i < n; i++) {
            String inner = where + "[" + i + "]";
            if (depth + 1 == arg.dims().length) {
                if (arg.leaf() == Leaf.REAL && !Double.isFinite(Array.getDouble(value, i))) {
                    return inner + " is not finite";
                }
                if (arg.leaf() == Leaf.SYMBOL) {
                    int s = Array.getInt(value, i);
                    if (s < 0 || s >= arg.vocabulary()) {
                        return inner + " is out of range";
                    }
                }
            } else {
                String problem = conforms(arg, Array.get(value, i), depth + 1, inner, xsBatch);
                if (problem != null) {
                    return problem;
                }
            }
        }
        return null;
    }

    // ---- running a mutation ---------------------------------------------------------------------------

    /**
     * Calls with mutated arguments. Returns null when the outcome is right: success for a valid call;
     * for an invalid one, an IllegalArgumentException whose message passes {@code messageCheck}, with
     * nothing changed. Otherwise describes what went wrong.
     */
    static String run(Subject subject, Call call, List<Mutation> mutations, boolean checkMessage) {
        Object[] values = apply(call, mutations);
        String problem = invalid(call, values);
        String what = call.label() + " with " + mutations.stream().map(m -> m.describe(call.args()))
                .collect(Collectors.joining(", "));
        double[] weights = call.trains() ? subject.weights() : null;
        boolean stepper = call.label().contains("Stepper.step");
        double[] expectedStep = null;
        if (stepper) {
            // a refused step must not advance the state: from a reset, a valid step after the bad one
            // must give what it gives alone
            ModelHandle.invoke(call.target(), "reset");
            expectedStep = stepOnce(call);
            ModelHandle.invoke(call.target(), "reset");
        }
        Throwable thrown = null;
        try {
            call.invoke(values);
        } catch (Throwable t) {
            thrown = t;
        }
        if (call.trains() && problem == null) {
            subject.restore(weights); // a valid training step changed the weights; put them back
        }
        if (problem == null) {
            return thrown == null ? null : what + ": valid, but threw " + thrown;
        }
        if (thrown == null) {
            return what + ": accepted, but " + problem;
        }
        if (!(thrown instanceof IllegalArgumentException)) {
            return what + ": threw " + thrown + " instead of IllegalArgumentException (" + problem + ")";
        }
        String message = String.valueOf(thrown.getMessage());
        if (checkMessage) {
            String complaint = messageComplaint(call, mutations.get(0), message);
            if (complaint != null) {
                return what + ": message \"" + message + "\" " + complaint;
            }
        } else if (call.args().stream().noneMatch(a -> message.contains(a.name()))
                && !message.contains("inputs and targets")) {
            return what + ": message \"" + message + "\" names no argument";
        }
        if (call.trains() && !Arrays.equals(weights, subject.weights())) {
            return what + ": refused, but the weights changed";
        }
        if (stepper && !Arrays.equals(expectedStep, stepOnce(call))) {
            return what + ": refused, but the stepper's state changed";
        }
        String state = subject.stateProblem();
        return state == null ? null : what + ": refused, but " + state;
    }

    private static double[] stepOnce(Call call) {
        try {
            return TestBatch.flatten(call.invoke(call.validValues()));
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Null when the message names the argument and index, and for a size the expected and found sizes. */
    static String messageComplaint(Call call, Mutation m, String message) {
        Arg arg = call.args().get(m.arg());
        String where = m.where(call.args());
        boolean batchLevel = m.path().length == 0 && m.kind() == Kind.RESIZE;
        boolean named = message.contains(where) || message.contains(where + " ")
                || batchLevel && message.contains("inputs and targets");
        if (!named) {
            return "does not name " + where;
        }
        switch (m.kind()) {
            case RESIZE -> {
                Object original = valueAt(arg.valid(), m.path());
                int expected = Array.getLength(original);
                if (m.length() == 0 && message.contains("empty")) {
                    return null;
                }
                if (!word(message, m.length()) || !word(message, expected)) {
                    return "does not give the expected size " + expected + " and the size found " + m.length();
                }
            }
            case LEAF -> {
                String value = arg.leaf() == Leaf.SYMBOL ? Integer.toString(m.value().intValue())
                        : Double.toString(m.value().doubleValue());
                if (!message.contains(value)) {
                    return "does not give the bad value " + value;
                }
            }
            case NULL -> {
                if (!message.contains("null")) {
                    return "does not say null";
                }
            }
        }
        return null;
    }

    private static boolean word(String message, int n) {
        return Pattern.compile("(?<![\\w.])" + n + "(?![\\w.])").matcher(message).find();
    }

    private static Object valueAt(Object root, int[] path) {
        Object node = root;
        for (int i : path) {
            node = Array.get(node, i);
        }
        return node;
    }

    private static List<Subject> subjects() {
        return SPECS.stream().map(Subject::new).toList();
    }

    private static boolean isWorkspace(Call call, Mutation m) {
        return call.args().get(m.arg()).name().equals("ws");
    }

    private static boolean isInputGradients(Call call, Mutation m) {
        return call.args().get(m.arg()).name().equals("inputGradients");
    }

    // ---- the tests ----------------------------------------------------------------------------------

    @Test
    void everyEntryPointRefusesEveryBadArgumentWithANamedIllegalArgumentException() {
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (Subject subject : subjects()) {
            for (Call call : subject.calls) {
                for (Mutation m : systematicMutations(call)) {
                    if (isInputGradients(call, m) && m.path().length > 0 || isWorkspace(call, m)) {
                        continue; // tested on their own below
                    }
                    checked++;
                    String failure = run(subject, call, List.of(m), true);
                    if (failure != null) {
                        failures.add(failure);
                    }
                }
            }
        }
        System.out.println("BadInputTest: " + checked + " systematic bad calls");
        assertTrue(failures.isEmpty(), failures.size() + " of " + checked + " bad calls were not refused as they should"
                + " be:\n" + summary(failures));
    }

    /** Every method that takes a workspace refuses a null one by name. */
    @Test
    void aNullWorkspaceIsRefusedByEveryEntryPoint() {
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (Subject subject : subjects()) {
            for (Call call : subject.calls) {
                for (Mutation m : systematicMutations(call)) {
                    if (isWorkspace(call, m)) {
                        checked++;
                        String failure = run(subject, call, List.of(m), true);
                        if (failure != null) {
                            failures.add(failure);
                        }
                    }
                }
            }
        }
        assertTrue(checked >= SPECS.size() * 4, "every model has at least four methods taking a workspace");
        assertTrue(failures.isEmpty(), failures.size() + " of " + checked + " calls with a null workspace were not"
                + " refused as they should be:\n" + summary(failures));
    }

    /**
     * The buffer {@code computeGradients} writes input gradients into must have the shape of
     * {@code xs}, at every level, like every other argument.
     */
    @Test
    void inputGradientBuffersOfTheWrongShapeAreRefused() {
        List<String> failures = new ArrayList<>();
        int checked = 0;
        SplittableRandom random = new SplittableRandom(3);
        for (Subject subject : subjects()) {
            for (Call call : subject.calls) {
                for (Mutation m : systematicMutations(call)) {
                    if (isInputGradients(call, m) && m.path().length > 0) {
                        checked++;
                        String failure = run(subject, call, List.of(m), true);
                        if (failure != null) {
                            failures.add(failure);
                        }
                    }
                }
                int gradients = indexOf(call, "inputGradients");
                for (int round = 0; gradients >= 0 && round < 100; round++) {
                    checked++;
                    String failure = run(subject, call, List.of(randomMutation(call, gradients, random)), false);
                    if (failure != null) {
                        failures.add(failure);
                    }
                }
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + checked + " calls with a wrong input-gradient buffer"
                + " were not refused as they should be:\n" + summary(failures));
    }

    @Test
    void randomWrongShapesAreRefused() {
        SplittableRandom random = new SplittableRandom(2024);
        List<String> failures = new ArrayList<>();
        int checked = 0;
        int valid = 0;
        for (Subject subject : subjects()) {
            for (Call call : subject.calls) {
                for (int round = 0; round < 150; round++) {
                    List<Mutation> mutations = new ArrayList<>();
                    int count = 1 + random.nextInt(3);
                    for (int k = 0; k < count; k++) {
                        int a = random.nextInt(call.args().size());
                        String name = call.args().get(a).name();
                        if (name.equals("inputGradients") || name.equals("ws")) {
                            continue; // the tests of the input-gradient buffer and of a null workspace
                        }
                        mutations.add(randomMutation(call, a, random));
                    }
                    if (mutations.isEmpty()) {
                        continue;
                    }
                    checked++;
                    if (invalid(call, apply(call, mutations)) == null) {
                        valid++;
                    }
                    String failure = run(subject, call, mutations, false);
                    if (failure != null) {
                        failures.add(failure);
                    }
                }
            }
        }
        System.out.println("BadInputTest: " + checked + " random calls, " + valid + " of them valid");
        assertTrue(valid > 0 && valid < checked, "the random calls mix valid and invalid ones");
        assertTrue(failures.isEmpty(), failures.size() + " of " + checked + " random calls went wrong:\n"
                + summary(failures));
    }

    /** Failures grouped by entry point and outcome: a count and the first example of each. */
    static String summary(List<String> failures) {
        Map<String, List<String>> groups = new java.util.LinkedHashMap<>();
        for (String f : failures) {
            String entry = f.substring(0, f.indexOf(" with "));
            String outcome = f.substring(f.lastIndexOf(": ") + 2).replaceAll("[\\[(\"].*", "").trim();
            groups.computeIfAbsent(entry + " -> " + outcome, k -> new ArrayList<>()).add(f);
        }
        StringBuilder s = new StringBuilder();
        groups.forEach((k, v) -> s.append("  ").append(v.size()).append(" x ").append(k).append("\n      e.g. ")
                .append(v.get(0)).append('\n'));
        return s.toString();
    }

    private static int indexOf(Call call, String name) {
        for (int a = 0; a < call.args().size(); a++) {
            if (call.args().get(a).name().equals(name)) {
                return a;
            }
        }
        return -1;
    }

    /** A random change somewhere in argument {@code a}: possibly harmless (a valid length or value). */
    static Mutation randomMutation(Call call, int a, SplittableRandom random) {
        Arg arg = call.args().get(a);
        Object node = arg.valid();
        List<Integer> path = new ArrayList<>();
        while (node != null && node.getClass().isArray() && random.nextInt(3) != 0) {
            int n = Array.getLength(node);
            if (n == 0) {
                break;
            }
            int i = random.nextInt(n);
            if (node.getClass().getComponentType().isPrimitive()) {
                path.add(i);
                node = Array.get(node, i);
                break;
            }
            path.add(i);
            node = Array.get(node, i);
        }
        int[] p = path.stream().mapToInt(Integer::intValue).toArray();
        if (node instanceof Number) {
            Number value;
            if (arg.leaf() == Leaf.SYMBOL) {
                value = random.nextBoolean() ? random.nextInt(-3, arg.vocabulary() + 3)
                        : badSymbols(arg.vocabulary())[random.nextInt(4)];
            } else {
                double[] specials = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.5, -1e30};
                value = specials[random.nextInt(specials.length)];
            }
            return new Mutation(a, Kind.LEAF, p, 0, value);
        }
        if (node == null || !node.getClass().isArray()) {
            return new Mutation(a, arg.primitive() ? Kind.LEAF : Kind.NULL, p, 0, arg.primitive() ? -1 : null);
        }
        if (random.nextInt(4) == 0 && !(p.length == 0 && arg.primitive())) {
            return new Mutation(a, Kind.NULL, p, 0, null);
        }
        int n = Array.getLength(node);
        return new Mutation(a, Kind.RESIZE, p, Math.max(0, n + random.nextInt(-n, 4)), null);
    }

    // ---- a few cases spelled out ------------------------------------------------------------------------

    @Test
    void aFixedBatchOfTwoRefusesThreeSequences() {
        ModelHandle model = new ModelHandle(classes.get(FIXED_BATCH.qualifiedName()));
        TestBatch three = TestBatch.random(FIXED_BATCH, 3, new SplittableRandom(1));
        for (String method : List.of("forward", "loss", "computeGradients")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
                if (method.equals("forward")) {
                    model.call(method, model.workspace, three.xs());
                } else {
                    model.call(method, model.workspace, three.xs(), three.targetsArgument());
                }
            });
            assertTrue(e.getMessage().contains("xs") && word(e.getMessage(), 2) && word(e.getMessage(), 3),
                    e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> model.call("trainStep", three.xs(), three.targetsArgument()));
        assertTrue(e.getMessage().contains("xs") && word(e.getMessage(), 2) && word(e.getMessage(), 3),
                e.getMessage());
        // two sequences are fine
        TestBatch two = TestBatch.random(FIXED_BATCH, 2, new SplittableRandom(1));
        assertEquals(2, Array.getLength(model.call("forward", model.workspace, two.xs())));
    }

    @Test
    void messagesNameTheArgumentTheIndexAndTheSizes() {
        ModelHandle model = new ModelHandle(classes.get(DENSE_SEQUENCE.qualifiedName()));
        double[][][] xs = new double[2][4][3];
        double[][][] targets = new double[2][4][2];
        xs[1][2] = new double[5];
        assertMessage(model, "xs[1][2]", xs, targets, "3", "5");
        xs[1][2] = new double[3];
        xs[1] = new double[6][3];
        assertMessage(model, "xs[1]", xs, targets, "4", "6");
        xs[1] = new double[4][3];
        xs[0][3][1] = Double.NaN;
        assertMessage(model, "xs[0][3][1]", xs, targets, "NaN");
        xs[0][3][1] = 0;
        targets[1][0][1] = Double.NEGATIVE_INFINITY;
        assertMessage(model, "targets[1][0][1]", xs, targets, "Infinity");
        targets[1][0][1] = 0;
        assertMessage(model, "targets", xs, new double[3][4][2], "2", "3");
        assertEquals(4, ((double[][]) model.call("forward", model.workspace, new double[4][3])).length);
    }

    private static void assertMessage(ModelHandle model, String where, Object xs, Object targets, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> model.call("loss", model.workspace, xs, targets));
        assertTrue(e.getMessage().contains(where), () -> "\"" + e.getMessage() + "\" names " + where);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "\"" + e.getMessage() + "\" contains " + part);
        }
    }
}
