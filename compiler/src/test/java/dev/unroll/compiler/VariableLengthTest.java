package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.RecurrentModel;
import dev.unroll.runtime.Trainer;
import java.lang.reflect.Array;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import dev.unroll.compiler.plan.Planner;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code variable_length}, against the model without it: a padded batch of sequences of their own lengths computes
 * exactly what each sequence computes alone in the same spec unrolled over its length ({@code steps L}, no
 * {@code variable_length}), with the same weights (both planned with per-step weight gradients). Where the arithmetic is the same, it is the same to the last bit:
 * the outputs, and the loss and every gradient of a batch of one; a batch's gradient is the real-step-weighted sum of
 * its sequences' ({@code sum_b n_b g_b / sum_b n_b}, {@code n_b} the scored steps of sequence {@code b}). Padded inputs
 * and targets hold NaN (or -1 symbols), which no check and no step reads; their input gradients and outputs are
 * exactly zero. Bad lengths are refused naming which and where. Then a seeded training run of a variable-length
 * classifier.
 */
class VariableLengthTest {
    static final int T = 5;

    /** Specs without their topology statement, which the test adds: {@code %s} is the topology. */
    static final List<String> SPECS = List.of(
            "input 3;\n    lstm 4;\n    gru 3;\n    output 2 linear;\n    %s\n    loss mse;\n    precision float64;",
            "input 3;\n    gru 4 bidirectional;\n    rnn 3 tanh;\n    output 3 softmax;\n    %s\n"
                    + "    loss cross_entropy;\n    precision float64;",
            "input 5 one_hot;\n    lstm 4 bidirectional sum;\n    output 2 sigmoid;\n    %s\n"
                    + "    loss binary_cross_entropy;\n    precision float32;",
            "input 3;\n    rnn 4 relu bidirectional;\n    lstm 3 bidirectional;\n    output 3 softmax;\n    %s\n"
                    + "    loss cross_entropy;\n    precision float64;",
            "input 4 one_hot;\n    gru 3 cho;\n    lstm 3 peepholes;\n    output 4 softmax;\n    %s\n"
                    + "    loss cross_entropy;\n    precision float64;",
            "input 2;\n    gru 3 bidirectional;\n    output 2 tanh;\n    %s\n    loss mse;\n    precision float32;");
    static final List<String> TOPOLOGIES = List.of("many_to_many", "many_to_many", "many_to_one", "many_to_one",
            "many_to_many", "many_to_one");

    @TempDir
    static Path work;

    private static Map<String, Class<?>> classes;

    static String source(int spec, String name, int steps, boolean variable) {
        String topology = TOPOLOGIES.get(spec) + " steps " + steps + (variable ? " variable_length;" : ";");
        return "package varlen;\n\nmodel " + name + " {\n    " + SPECS.get(spec).formatted(topology) + "\n}\n";
    }

    static String name(int spec, int steps, boolean variable) {
        return "S" + spec + (variable ? "Var" : "Steps" + steps);
    }

    @BeforeAll
    static void generate() {
        List<NetworkModel> models = new ArrayList<>();
        for (int s = 0; s < SPECS.size(); s++) {
            models.add(GeneratedCode.model(name(s, T, true) + ".rnn", source(s, name(s, T, true), T, true)));
            for (int steps = 1; steps <= T; steps++) {
                models.add(GeneratedCode.model(name(s, steps, false) + ".rnn",
                        source(s, name(s, steps, false), steps, false)));
            }
        }
        models.add(GeneratedCode.model("Classifier.rnn", CLASSIFIER));
        // weight gradients per step everywhere: the fixed-length references would otherwise form them once per
        // sequence (LayerPlan.WeightGradients), in another order than a variable-length model, not to the same bits
        classes = GeneratedCode.compile(models, work, new Planner.Options(false));
    }

    // ---- data ----------------------------------------------------------------------------------

    /** One sequence's values, {@code [t][i]} (a symbol in {@code [t][0]} for one-hot inputs or class targets). */
    record Batch(double[][][] x, double[][][] y, int[] lengths) {}

    static boolean oneHot(int s) {
        return SPECS.get(s).contains("one_hot");
    }

    static boolean classes(int s) {
        return SPECS.get(s).contains("loss cross_entropy");
    }

    static boolean float32(int s) {
        return SPECS.get(s).contains("float32");
    }

    static int size(int s, String statement) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(statement + " (\\d+)").matcher(SPECS.get(s));
        assertTrue(m.find(), statement);
        return Integer.parseInt(m.group(1));
    }

    static Batch random(int s, int[] lengths, SplittableRandom random) {
        int inputs = size(s, "input");
        int outputs = size(s, "output");
        boolean sequenceOut = TOPOLOGIES.get(s).equals("many_to_many");
        double[][][] x = new double[lengths.length][T][];
        double[][][] y = new double[lengths.length][sequenceOut ? T : 1][];
        for (int b = 0; b < lengths.length; b++) {
            for (int t = 0; t < T; t++) {
                boolean padded = t >= lengths[b];
                x[b][t] = oneHot(s) ? new double[] {padded ? -1 : random.nextInt(inputs)}
                        : random.doubles(inputs, -1, 1).map(v -> padded ? Double.NaN : v).toArray();
            }
            for (int t = 0; t < y[b].length; t++) {
                boolean padded = sequenceOut && t >= lengths[b];
                y[b][t] = classes(s) ? new double[] {padded ? -1 : random.nextInt(outputs)}
                        : random.doubles(outputs, SPECS.get(s).contains("sigmoid") ? 0 : -0.9, 0.9)
                                .map(v -> padded ? Double.NaN : v).toArray();
            }
        }
        return new Batch(x, y, lengths);
    }

    /** The batch's inputs (or targets) as the model takes them, each sequence cut to {@code steps} when not -1. */
    static Object argument(int s, double[][][] values, boolean input, int from, int to, int steps) {
        boolean symbols = input ? oneHot(s) : classes(s);
        boolean sequence = input || TOPOLOGIES.get(s).equals("many_to_many");
        Class<?> real = float32(s) ? float.class : double.class;
        Object out = Array.newInstance(symbols ? (sequence ? int[].class : int.class)
                : sequence ? Array.newInstance(real, 0, 0).getClass() : Array.newInstance(real, 0).getClass(),
                to - from);
        for (int b = from; b < to; b++) {
            int n = sequence ? (steps < 0 ? values[b].length : steps) : 1;
            Object one;
            if (symbols) {
                int[] row = new int[n];
                for (int t = 0; t < n; t++) {
                    row[t] = (int) values[b][t][0];
                }
                one = sequence ? row : (Object) row[0];
            } else {
                Object rows = Array.newInstance(real, n, values[b][0].length);
                for (int t = 0; t < n; t++) {
                    for (int i = 0; i < values[b][t].length; i++) {
                        if (real == float.class) {
                            ((float[][]) rows)[t][i] = (float) values[b][t][i];
                        } else {
                            ((double[][]) rows)[t][i] = values[b][t][i];
                        }
                    }
                }
                one = sequence ? rows : Array.get(rows, 0);
            }
            Array.set(out, b - from, one);
        }
        return out;
    }

    static void copyWeights(ModelHandle from, ModelHandle to) {
        for (Parameter p : from.parameters()) {
            Parameter q = to.parameters().get(p.name());
            for (int i = 0; i < p.size(); i++) {
                q.setValue(i, p.value(i));
            }
        }
    }

    static Map<String, double[]> gradients(ModelHandle model) {
        Map<String, double[]> grads = new LinkedHashMap<>();
        for (Parameter p : model.parameters()) {
            double[] g = new double[p.size()];
            for (int i = 0; i < g.length; i++) {
                g[i] = p.grad(i);
            }
            grads.put(p.name(), g);
        }
        return grads;
    }

    /** An input-gradient buffer shaped like the (padded) dense inputs of {@code n} sequences of {@code steps}. */
    static Object inputGradients(int s, int n, int steps) {
        return Array.newInstance(float32(s) ? float.class : double.class, n, steps, size(s, "input"));
    }

    // ---- the property: a padded batch is each sequence alone -----------------------------------

    @TestFactory
    Stream<DynamicTest> aPaddedBatchComputesWhatEachSequenceComputesAlone() {
        return Stream.iterate(0, s -> s + 1).limit(SPECS.size()).map(s -> DynamicTest.dynamicTest(
                name(s, T, true) + " (" + TOPOLOGIES.get(s) + ")", () -> checkAgainstAlone(s)));
    }

    private static void checkAgainstAlone(int s) {
        ModelHandle variable = new ModelHandle(classes.get("varlen." + name(s, T, true)));
        variable.call("setParallel", false);
        int[] lengths = {3, 5, 1, 4, 2};
        Batch batch = random(s, lengths, new SplittableRandom(11 + s));
        boolean sequenceOut = TOPOLOGIES.get(s).equals("many_to_many");
        Object xs = argument(s, batch.x(), true, 0, lengths.length, -1);
        Object ys = argument(s, batch.y(), false, 0, lengths.length, -1);
        Object outputs = variable.call("forward", variable.workspace, xs, lengths);
        double batchLoss;
        Object batchInputGradients = null;
        if (oneHot(s)) {
            batchLoss = (double) variable.call("computeGradients", variable.workspace, xs, ys, lengths);
        } else {
            batchInputGradients = inputGradients(s, lengths.length, T);
            batchLoss = (double) variable.call("computeGradients", variable.workspace, xs, ys, lengths,
                    batchInputGradients);
        }
        Map<String, double[]> batchGradients = gradients(variable);
        Map<String, double[]> weighted = new LinkedHashMap<>();
        double weightedLoss = 0;
        int scored = 0;
        for (int length : lengths) {
            scored += sequenceOut ? length : 1;
        }
        for (int b = 0; b < lengths.length; b++) {
            int n = lengths[b];
            String what = name(s, T, true) + " sequence " + b + " (length " + n + ")";
            ModelHandle alone = new ModelHandle(classes.get("varlen." + name(s, n, false)));
            copyWeights(variable, alone);
            Object x = argument(s, batch.x(), true, b, b + 1, n);
            Object y = argument(s, batch.y(), false, b, b + 1, sequenceOut ? n : -1);
            // outputs: bit for bit, and zero past the length
            double[] expected = TestBatch.flatten(alone.call("forward", alone.workspace, x));
            Object mine = Array.get(outputs, b);
            double[] real = TestBatch.flatten(sequenceOut ? java.util.Arrays.copyOf((Object[]) mine, n) : mine);
            assertArrayEquals(expected, real, what + ": outputs");
            if (sequenceOut) {
                for (int t = n; t < T; t++) {
                    for (double v : TestBatch.flatten(Array.get(mine, t))) {
                        assertEquals(0.0, v, 0.0, what + ": output at padded step " + t);
                    }
                }
            }
            assertArrayEquals(real, TestBatch.flatten(sequenceOut ? java.util.Arrays.copyOf((Object[]) variable.call(
                    "forward", variable.workspace, Array.get(xs, b), n), n) : variable.call("forward",
                    variable.workspace, Array.get(xs, b), n)), what + ": forward(ws, x, length)");
            // a batch of one: loss, every gradient and the input gradient, bit for bit
            int[] one = {n};
            Object xb = argument(s, batch.x(), true, b, b + 1, -1);
            Object yb = argument(s, batch.y(), false, b, b + 1, -1);
            double lossAlone;
            double lossPadded;
            Object gradAlone = null;
            Object gradPadded = null;
            if (oneHot(s)) {
                lossAlone = (double) alone.call("computeGradients", alone.workspace, x, y);
                lossPadded = (double) variable.call("computeGradients", variable.workspace, xb, yb, one);
            } else {
                gradAlone = inputGradients(s, 1, n);
                gradPadded = inputGradients(s, 1, T);
                lossAlone = (double) alone.call("computeGradients", alone.workspace, x, y, gradAlone);
                lossPadded = (double) variable.call("computeGradients", variable.workspace, xb, yb, one, gradPadded);
            }
            assertEquals(lossAlone, lossPadded, 0.0, what + ": loss");
            Map<String, double[]> expectedGradients = gradients(alone);
            Map<String, double[]> paddedGradients = gradients(variable);
            for (String p : expectedGradients.keySet()) {
                assertArrayEquals(expectedGradients.get(p), paddedGradients.get(p), what + ": gradient of " + p);
            }
            if (!oneHot(s)) {
                Object[] rows = (Object[]) Array.get(gradPadded, 0);
                assertArrayEquals(TestBatch.flatten(gradAlone), TestBatch.flatten(java.util.Arrays.copyOf(rows, n)),
                        what + ": input gradient");
                for (int t = n; t < T; t++) {
                    for (double v : TestBatch.flatten(rows[t])) {
                        assertEquals(0.0, v, 0.0, what + ": input gradient at padded step " + t);
                    }
                    for (double v : TestBatch.flatten(((Object[]) Array.get(batchInputGradients, b))[t])) {
                        assertEquals(0.0, v, 0.0, what + ": batch input gradient at padded step " + t);
                    }
                }
            }
            double weight = (double) (sequenceOut ? n : 1) / scored;
            weightedLoss += weight * lossAlone;
            for (Map.Entry<String, double[]> g : expectedGradients.entrySet()) {
                double[] sum = weighted.computeIfAbsent(g.getKey(), k -> new double[g.getValue().length]);
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += weight * g.getValue()[i];
                }
            }
        }
        // the batch: the loss is the mean over the scored steps, the gradient the weighted sum of the sequences'
        double tolerance = float32(s) ? 1e-5 : 1e-12;
        assertEquals(weightedLoss, batchLoss, tolerance * Math.abs(weightedLoss), "batch loss");
        for (String p : weighted.keySet()) {
            double[] expected = weighted.get(p);
            double[] actual = batchGradients.get(p);
            double scale = 0;
            for (double v : expected) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], tolerance * scale, "batch gradient of " + p + "[" + i + "]");
            }
        }
        // without lengths, every sequence has all its steps: the model unrolled over T, bit for bit
        ModelHandle full = new ModelHandle(classes.get("varlen." + name(s, T, false)));
        copyWeights(variable, full);
        Batch dense = random(s, new int[] {T, T}, new SplittableRandom(99 + s));
        Object fx = argument(s, dense.x(), true, 0, 2, -1);
        Object fy = argument(s, dense.y(), false, 0, 2, -1);
        assertEquals((double) full.call("loss", full.workspace, fx, fy),
                (double) variable.call("loss", variable.workspace, fx, fy), 0.0, "loss without lengths");
        assertEquals((double) full.call("loss", full.workspace, fx, fy),
                (double) variable.call("loss", variable.workspace, fx, fy, new int[] {T, T}), 0.0,
                "loss with full lengths");
    }

    // ---- bad lengths ---------------------------------------------------------------------------

    @Test
    void badLengthsAreRefusedSayingWhichAndWhere() {
        int s = 1;
        ModelHandle model = new ModelHandle(classes.get("varlen." + name(s, T, true)));
        Batch batch = random(s, new int[] {2, 3}, new SplittableRandom(5));
        Object xs = argument(s, batch.x(), true, 0, 2, -1);
        Object ys = argument(s, batch.y(), false, 0, 2, -1);
        Map<int[], String> bad = new LinkedHashMap<>();
        bad.put(new int[] {2, 0}, "lengths[1] is 0, outside [1, 5]: a sequence has at least one step");
        bad.put(new int[] {6, 3}, "lengths[0] is 6, outside [1, 5]: the model is unrolled over 5 steps");
        bad.put(new int[] {2}, "lengths: expected 2 lengths, one per sequence of the batch, got 1");
        bad.put(new int[] {-3, 2}, "lengths[0] is -3, outside [1, 5]");
        for (Map.Entry<int[], String> e : bad.entrySet()) {
            for (String method : List.of("loss", "computeGradients")) {
                IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                        () -> model.call(method, model.workspace, xs, ys, e.getKey()));
                assertTrue(refused.getMessage().startsWith(e.getValue()), method + ": " + refused.getMessage());
            }
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> model.call("forward", model.workspace, xs, e.getKey()));
            assertTrue(refused.getMessage().startsWith(e.getValue()), refused.getMessage());
            refused = assertThrows(IllegalArgumentException.class, () -> model.call("trainStep", xs, ys, e.getKey()));
            assertTrue(refused.getMessage().startsWith(e.getValue()), refused.getMessage());
        }
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> model.call("forward", model.workspace, Array.get(xs, 0), 0));
        assertEquals("length is 0, outside [1, 5]: a sequence has at least one step", refused.getMessage());
        refused = assertThrows(IllegalArgumentException.class,
                () -> model.call("loss", model.workspace, xs, ys, (Object) null));
        assertEquals("lengths is null", refused.getMessage());
        // a NaN in a real step is still refused; the same NaN in the padding is not read
        double[][][] x = batch.x();
        x[1][2][0] = Double.NaN;
        refused = assertThrows(IllegalArgumentException.class, () -> model.call("loss", model.workspace,
                argument(s, x, true, 0, 2, -1), ys, new int[] {2, 3}));
        assertEquals("xs[1][2][0] is NaN; inputs must be finite", refused.getMessage());
        model.call("loss", model.workspace, argument(s, x, true, 0, 2, -1), ys, new int[] {2, 2});
        // a padded array must still have STEPS rows
        refused = assertThrows(IllegalArgumentException.class, () -> model.call("loss", model.workspace,
                argument(s, batch.x(), true, 0, 2, 3), ys, new int[] {2, 3}));
        assertEquals("xs[0]: expected 5 steps (padded), got 3", refused.getMessage());
    }

    @Test
    void aModelWithoutVariableLengthTakesOnlyFullLengths() {
        int s = 0;
        @SuppressWarnings("unchecked")
        RecurrentModel<Object, Object, Object, Object> fixed = (RecurrentModel<Object, Object, Object, Object>)
                new ModelHandle(classes.get("varlen." + name(s, T, false))).model;
        Batch batch = random(s, new int[] {T, T}, new SplittableRandom(3));
        Object xs = argument(s, batch.x(), true, 0, 2, -1);
        Object ys = argument(s, batch.y(), false, 0, 2, -1);
        Object ws = fixed.newWorkspace();
        assertEquals(fixed.loss(ws, xs, ys), fixed.loss(ws, xs, ys, new int[] {T, T}), 0.0);
        assertTrue(!fixed.shape().variableLength());
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> fixed.forward(ws, xs, new int[] {T, 3}));
        assertEquals("lengths[1] is 3, but varlen.S0Steps5 has no variable_length: every sequence has its 5 steps",
                refused.getMessage());
        @SuppressWarnings("unchecked")
        RecurrentModel<Object, Object, Object, Object> variable = (RecurrentModel<Object, Object, Object, Object>)
                new ModelHandle(classes.get("varlen." + name(s, T, true))).model;
        assertTrue(variable.shape().variableLength());
    }

    // ---- training ------------------------------------------------------------------------------

    static final String CLASSIFIER = """
            package varlen;

            /** Says (first symbol + last symbol) mod 3 of a sequence of 2 to 12 symbols. */
            model Classifier {
                input 3 one_hot;
                lstm 24;
                output 3 softmax;
                many_to_one steps 12 variable_length;
                optimizer adam learning_rate 0.02;
                clip norm 5.0;
                precision float32;
                seed 7;
            }
            """;

    record Labelled(int[][] xs, int[] labels, int[] lengths) {}

    static Labelled sequences(int n, SplittableRandom random) {
        int[][] xs = new int[n][12];
        int[] labels = new int[n];
        int[] lengths = new int[n];
        for (int b = 0; b < n; b++) {
            lengths[b] = 2 + random.nextInt(11);
            for (int t = 0; t < 12; t++) {
                xs[b][t] = random.nextInt(3); // past the length: padding, which must not matter
            }
            labels[b] = (xs[b][0] + xs[b][lengths[b] - 1]) % 3;
        }
        return new Labelled(xs, labels, lengths);
    }

    static double accuracy(RecurrentModel<Object, int[][], int[], float[][]> model, Labelled data, boolean lengths) {
        float[][] y = lengths ? model.forward(model.newWorkspace(), data.xs(), data.lengths())
                : model.forward(model.newWorkspace(), data.xs());
        int right = 0;
        for (int b = 0; b < y.length; b++) {
            int best = 0;
            for (int o = 1; o < y[b].length; o++) {
                best = y[b][o] > y[b][best] ? o : best;
            }
            right += best == data.labels()[b] ? 1 : 0;
        }
        return (double) right / y.length;
    }

    @Test
    void aVariableLengthClassifierLearnsToReadEachSequenceToItsOwnEnd() {
        @SuppressWarnings("unchecked")
        RecurrentModel<Object, int[][], int[], float[][]> model = (RecurrentModel<Object, int[][], int[], float[][]>)
                new ModelHandle(classes.get("varlen.Classifier")).model;
        SplittableRandom random = new SplittableRandom(2024);
        Labelled heldOut = sequences(1000, new SplittableRandom(77));
        double before = accuracy(model, heldOut, true);
        Trainer.Progress done = Trainer.train(model, update -> {
            Labelled batch = sequences(32, random);
            return new Trainer.Batch<>(batch.xs(), batch.labels(), batch.lengths());
        }, 1500, Trainer.progressBar(System.out, 5));
        double after = accuracy(model, heldOut, true);
        double ignoringLengths = accuracy(model, heldOut, false);
        System.out.printf("VariableLengthTest: held-out accuracy %.3f before, %.3f after %d updates (loss %.4f);"
                + " %.3f when the lengths are dropped (the padding read as input)%n", before, after, model.updates(),
                done.smoothedLoss(), ignoringLengths);
        assertTrue(after >= 0.95, "held-out accuracy " + after);
        assertTrue(ignoringLengths < 0.7, "without lengths the padding is read: " + ignoringLengths);
    }
}
