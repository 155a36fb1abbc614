package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.checkpoint.SafeTensors;
import dev.unroll.runtime.checkpoint.Tensor;
import dev.unroll.runtime.checkpoint.TensorFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Truncated BPTT against PyTorch's detach-per-window loop, update for update
 * ({@code compiler/src/test/python/make_tbptt_fixtures.py}): from the same initial weights and
 * batch, the generated {@code trainStep} must leave the weights PyTorch's loop leaves, after one
 * call and after a second (the optimizer's state carried over), and return the mean of the
 * windows' losses; {@code computeGradients} must give the truncated gradient of the whole batch
 * (every window's, summed with the weights fixed). Everything in float64, at 1e-9 relative to each
 * tensor's largest magnitude.
 *
 * <p>The {@code varlen} fixtures are {@code variable_length} models trained on padded batches
 * ({@code trainStep(xs, targets, lengths)}): PyTorch's loop there holds each sequence's state past its
 * length (masks, checked against {@code pack_padded_sequence} by the script) and averages each window's
 * loss over the outputs it scores. The padding handed to the generated code is NaN (dense inputs and
 * targets) or an out-of-range symbol, so that reading it would fail.
 */
class TruncatedBpttTest {
    static final Path FIXTURES = Path.of(System.getProperty("unroll.sourceRoot", "."),
            "src/test/resources/fixtures/tbptt");
    static final double TOLERANCE = 1e-9;

    @TempDir
    static Path work;

    private static final Map<String, TensorFile> fixtures = new LinkedHashMap<>();
    private static Map<String, Class<?>> classes;

    @BeforeAll
    static void generateAndCompile() throws IOException {
        List<NetworkModel> models = new ArrayList<>();
        try (Stream<Path> files = Files.list(FIXTURES)) {
            for (Path file : files.sorted().toList()) {
                String name = file.getFileName().toString();
                if (name.endsWith(".safetensors") && !name.endsWith(".init.safetensors")) {
                    TensorFile f = SafeTensors.read(file);
                    fixtures.put(name.substring(0, name.length() - ".safetensors".length()), f);
                    models.add(GeneratedCode.model(name, f.metadata().get("spec")));
                }
            }
        }
        assertTrue(fixtures.size() >= 5, "fixtures in " + FIXTURES + ": " + fixtures.keySet());
        classes = GeneratedCode.compile(models, work.resolve("classes"));
    }

    @TestFactory
    Stream<DynamicTest> trainStepMakesPyTorchsUpdatePerWindow() {
        return fixtures.keySet().stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            TensorFile f = fixtures.get(name);
            ModelHandle model = load(name);
            Object xs = inputs(f);
            Object targets = targets(f);
            int[] lengths = lengths(f);
            for (int call = 0; call < 2; call++) {
                double[] windows = f.tensor("windows." + call).toDoubleArray();
                double expected = java.util.Arrays.stream(windows).average().orElseThrow();
                double loss = ((Number) (lengths == null ? model.call("trainStep", xs, targets)
                        : model.call("trainStep", xs, targets, lengths))).doubleValue();
                assertEquals(expected, loss, TOLERANCE * Math.abs(expected), name + " call " + call + " loss");
                assertEquals((call + 1) * windows.length, ((Number) model.call("updates")).longValue(),
                        name + ": one update per window that holds an output");
                for (Parameter p : model.parameters()) {
                    double[] want = f.tensor("trained." + call + "." + p.name()).toDoubleArray();
                    assertClose(want, p, false, name + " call " + call + " " + p.name());
                }
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> computeGradientsGivesTheTruncatedGradientOfTheBatch() {
        return fixtures.keySet().stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            TensorFile f = fixtures.get(name);
            ModelHandle model = load(name);
            Object xs = inputs(f);
            Object targets = targets(f);
            int[] lengths = lengths(f);
            double loss = ((Number) (lengths == null ? model.call("computeGradients", model.workspace, xs, targets)
                    : model.call("computeGradients", model.workspace, xs, targets, lengths))).doubleValue();
            double expected = f.tensor("loss").getDouble(0);
            assertEquals(expected, loss, TOLERANCE * Math.abs(expected), name + " loss");
            for (Parameter p : model.parameters()) {
                assertClose(f.tensor("grad." + p.name()).toDoubleArray(), p, true, name + " grad " + p.name());
            }
        }));
    }

    /**
     * A window cuts the gradient: the same models without {@code truncated_bptt} get PyTorch's full-BPTT gradient,
     * which differs from the truncated one (so the truncated comparison above can fail).
     */
    @TestFactory
    Stream<DynamicTest> withoutTheWindowTheGradientIsFullBptt() throws IOException {
        List<NetworkModel> full = new ArrayList<>();
        for (TensorFile f : fixtures.values()) {
            String spec = f.metadata().get("spec").replaceAll("truncated_bptt \\d+;", "").replace("model ", "model Full");
            full.add(GeneratedCode.model("full.rnn", spec));
        }
        Map<String, Class<?>> types = GeneratedCode.compile(full, work.resolve("full"));
        return fixtures.keySet().stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            TensorFile f = fixtures.get(name);
            String qualified = f.metadata().get("model").replace("tbptt.", "tbptt.Full");
            ModelHandle model = new ModelHandle(types.get(qualified));
            model.call("importPyTorch", FIXTURES.resolve(name + ".init.safetensors"));
            int[] lengths = lengths(f);
            if (lengths == null) {
                model.call("computeGradients", model.workspace, inputs(f), targets(f));
            } else {
                model.call("computeGradients", model.workspace, inputs(f), targets(f), lengths);
            }
            double differs = 0;
            for (Parameter p : model.parameters()) {
                assertClose(f.tensor("full_grad." + p.name()).toDoubleArray(), p, true, name + " full grad " + p.name());
                double[] truncated = f.tensor("grad." + p.name()).toDoubleArray();
                for (int i = 0; i < p.size(); i++) {
                    differs = Math.max(differs, Math.abs(p.grad(i) - truncated[i]));
                }
            }
            assertTrue(differs > 1e-6, name + ": full BPTT's gradient differs from the truncated one by only " + differs);
        }));
    }

    /**
     * A sequence twenty times longer than the window: each output is the input three steps before, a dependency
     * inside the window, which truncated BPTT learns although no gradient crosses a window's start (the state does).
     */
    @Test
    void learnsADependencyWithinTheWindowOnALongSequence() {
        String spec = "package fixtures.tbptt;\n\nmodel Delay {\n    input 4 one_hot;\n    gru 24;\n    output 4 softmax;\n"
                + "    many_to_many steps 200;\n    truncated_bptt 10;\n    loss cross_entropy;\n"
                + "    optimizer adam learning_rate 0.01;\n    clip norm 5.0;\n    seed 7;\n}\n";
        Class<?> type = GeneratedCode.compile(List.of(GeneratedCode.model("delay.rnn", spec)), work.resolve("delay"))
                .values().iterator().next();
        ModelHandle model = new ModelHandle(type);
        java.util.SplittableRandom random = new java.util.SplittableRandom(11);
        int delay = 3;
        double before = accuracy(model, random, delay);
        for (int call = 0; call < 60; call++) {
            int[][][] batch = delayed(random, 8, delay);
            model.call("trainStep", batch[0], batch[1]);
        }
        double after = accuracy(model, random, delay);
        System.out.printf("TruncatedBpttTest: delay-%d recall over 200 steps, window 10: accuracy %.3f before, %.3f"
                + " after 60 calls (%d updates)%n", delay, before, after, ((Number) model.call("updates")).longValue());
        assertTrue(before < 0.4, "chance is 0.25; before training " + before);
        assertTrue(after > 0.95, "accuracy after training " + after);
    }

    /** A variable_length spec of many_to_many (or many_to_one) over {@code steps}, with a window of 3, batch any. */
    private static String varlenSpec(String name, String topology, int steps, boolean variable) {
        String dropout = topology.endsWith(" dropout") ? " dropout 0.5" : "";
        topology = topology.replace(" dropout", "");
        return "package fixtures.tbptt;\n\nmodel " + name + " {\n    input 3;\n    lstm 4" + dropout + ";\n    gru 3;\n"
                + "    output 3 softmax;\n    " + topology + " steps " + steps + (variable ? " variable_length" : "")
                + ";\n    truncated_bptt 3;\n    loss cross_entropy;\n    optimizer adam learning_rate 0.05;\n"
                + "    precision float64;\n    seed 5;\n}\n";
    }

    /**
     * Where a padded batch equals its sequences alone: a batch of one sequence of length {@code L} padded to 9 steps
     * trains exactly (bit for bit, update for update) as the same sequence in a model unrolled over {@code L} steps;
     * and {@code computeGradients} of a padded batch is the mean of each sequence's gradient alone, weighted by
     * its real outputs. Where it does not: {@code trainStep} on the batch is not its sequences trained one after
     * another, since each window's update mixes the sequences that have outputs in it. With dropout too: the masks
     * are keyed by the update, the sequence and the element, never by the padding.
     */
    @TestFactory
    Stream<DynamicTest> aPaddedBatchEqualsItsSequencesAloneWhereThatHolds() throws IOException {
        List<String> topologies = List.of("many_to_many", "many_to_one", "many_to_many dropout");
        int[] lengths = {9, 5, 7};
        List<NetworkModel> models = new ArrayList<>();
        for (String topology : topologies) {
            String t = tag(topology);
            models.add(GeneratedCode.model("p.rnn", varlenSpec("Padded" + t, topology, 9, true)));
            for (int length : new int[] {5, 7}) {
                models.add(GeneratedCode.model("a.rnn", varlenSpec("Alone" + t + length, topology, length, false)));
            }
        }
        Map<String, Class<?>> types = GeneratedCode.compile(models, work.resolve("alone"));
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        double[][][] xs = new double[3][9][3];
        int[][] ys = new int[3][9];
        for (int b = 0; b < 3; b++) {
            for (int t = 0; t < 9; t++) {
                for (int i = 0; i < 3; i++) {
                    xs[b][t][i] = t < lengths[b] ? random.nextDouble(-1, 1) : Double.NaN;
                }
                ys[b][t] = t < lengths[b] ? random.nextInt(3) : -1;
            }
        }
        return topologies.stream().map(topology -> DynamicTest.dynamicTest(topology, () -> {
            boolean everyStep = topology.startsWith("many_to_many");
            String t = tag(topology);
            Path init = work.resolve("alone-" + t + ".safetensors");
            ModelHandle padded = new ModelHandle(types.get("fixtures.tbptt.Padded" + t));
            padded.call("saveWeights", init);
            for (int b = 1; b < 3; b++) {
                int length = lengths[b];
                ModelHandle alone = new ModelHandle(types.get("fixtures.tbptt.Alone" + t + length));
                alone.call("load", init);
                ModelHandle one = new ModelHandle(types.get("fixtures.tbptt.Padded" + t));
                one.call("load", init);
                double[][][] x = {java.util.Arrays.copyOf(xs[b], length)};
                Object y = everyStep ? new int[][] {java.util.Arrays.copyOf(ys[b], length)}
                        : new int[] {ys[b][length - 1]};
                Object yPadded = everyStep ? new int[][] {ys[b]} : new int[] {ys[b][length - 1]};
                for (int call = 0; call < 2; call++) {
                    double want = ((Number) alone.call("trainStep", x, y)).doubleValue();
                    double got = ((Number) one.call("trainStep", new double[][][] {xs[b]}, yPadded,
                            new int[] {length})).doubleValue();
                    assertEquals(want, got, 0, t + " length " + length + " call " + call + " loss");
                    assertEquals(((Number) alone.call("updates")).longValue(), ((Number) one.call("updates")).longValue());
                    for (Parameter p : alone.parameters()) {
                        Parameter q = one.parameters().get(p.name());
                        for (int i = 0; i < p.size(); i++) {
                            assertEquals(p.value(i), q.value(i), 0, t + " length " + length + " " + p.name());
                        }
                    }
                }
            }
            Object yBatch = everyStep ? ys : new int[] {ys[0][lengths[0] - 1], ys[1][lengths[1] - 1],
                    ys[2][lengths[2] - 1]};
            // computeGradients: the batch's gradient is each sequence's alone, weighted by its share of the outputs
            // (without dropout, whose masks depend on the sequence's index in the batch)
            boolean dropout = topology.endsWith("dropout");
            padded.call("computeGradients", padded.workspace, xs, yBatch, lengths);
            int total = everyStep ? java.util.Arrays.stream(lengths).sum() : 3;
            Map<String, double[]> mixed = new LinkedHashMap<>();
            for (Parameter p : padded.parameters()) {
                mixed.put(p.name(), new double[p.size()]);
            }
            for (int b = 0; b < (dropout ? 0 : 3); b++) {
                Object yb = everyStep ? new int[][] {ys[b]} : new int[] {ys[b][lengths[b] - 1]};
                padded.call("computeGradients", padded.workspace, new double[][][] {xs[b]}, yb, new int[] {lengths[b]});
                double share = everyStep ? (double) lengths[b] / total : 1.0 / total;
                for (Parameter p : padded.parameters()) {
                    for (int i = 0; i < p.size(); i++) {
                        mixed.get(p.name())[i] += share * p.grad(i);
                    }
                }
            }
            padded.call("computeGradients", padded.workspace, xs, yBatch, lengths);
            for (Parameter p : dropout ? List.<Parameter>of() : padded.parameters().list()) {
                assertClose(mixed.get(p.name()), p, true, t + " batch gradient " + p.name());
            }
            // trainStep: one update per window over the whole batch, not the sequences one after another
            ModelHandle batch = new ModelHandle(types.get("fixtures.tbptt.Padded" + t));
            batch.call("load", init);
            batch.call("trainStep", xs, yBatch, lengths);
            ModelHandle oneByOne = new ModelHandle(types.get("fixtures.tbptt.Padded" + t));
            oneByOne.call("load", init);
            for (int b = 0; b < 3; b++) {
                Object yb = everyStep ? new int[][] {ys[b]} : new int[] {ys[b][lengths[b] - 1]};
                oneByOne.call("trainStep", new double[][][] {xs[b]}, yb, new int[] {lengths[b]});
            }
            double differs = 0;
            for (Parameter p : batch.parameters()) {
                for (int i = 0; i < p.size(); i++) {
                    differs = Math.max(differs, Math.abs(p.value(i) - oneByOne.parameters().get(p.name()).value(i)));
                }
            }
            assertTrue(differs > 1e-4, t + ": a batch's updates mix its sequences, yet differ by only " + differs);
        }));
    }

    /** A short name of a topology (and dropout) for the models' names. */
    private static String tag(String topology) {
        return (topology.startsWith("many_to_many") ? "M2m" : "M2o") + (topology.endsWith("dropout") ? "Dropout" : "");
    }

    /** Lengths out of range, a missing length and bad real steps are refused before anything is trained. */
    @Test
    void aBadPaddedBatchIsRefusedBeforeAnyUpdate() {
        Class<?> type = GeneratedCode.compile(List.of(GeneratedCode.model("bad.rnn",
                varlenSpec("BadPadded", "many_to_many", 6, true))), work.resolve("bad")).values().iterator().next();
        ModelHandle model = new ModelHandle(type);
        double[][][] xs = new double[2][6][3];
        int[][] ys = new int[2][6];
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> model.call("trainStep", xs, ys, new int[] {6, 7}));
        assertEquals("lengths[1] is 7, outside [1, 6]: the model is unrolled over 6 steps", e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> model.call("trainStep", xs, ys, new int[] {6}));
        assertTrue(e.getMessage().startsWith("lengths: expected 2 lengths"), e.getMessage());
        xs[1][3][2] = Double.NaN;
        ys[0][5] = 3;
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> model.call("trainStep", xs, ys, new int[] {5, 4}));
        assertTrue(e.getMessage().contains("xs[1]"), e.getMessage());
        xs[1][3][2] = 0;
        // past each length nothing is read: NaN inputs and class 3 of 3 in the padding train
        xs[1][4][0] = Double.NaN;
        model.call("trainStep", xs, ys, new int[] {5, 4});
        assertEquals(2L, ((Number) model.call("updates")).longValue(), "windows [0,3) and [3,6) both score");
    }

    /** Random symbol sequences and, as targets, the same shifted by {@code delay} steps (0 before). */
    private static int[][][] delayed(java.util.SplittableRandom random, int batch, int delay) {
        int[][] xs = new int[batch][200];
        int[][] ys = new int[batch][200];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < 200; t++) {
                xs[b][t] = random.nextInt(4);
                ys[b][t] = t >= delay ? xs[b][t - delay] : 0;
            }
        }
        return new int[][][] {xs, ys};
    }

    /** The fraction of steps t >= delay of fresh sequences whose most likely output is the input at t - delay. */
    private static double accuracy(ModelHandle model, java.util.SplittableRandom random, int delay) {
        int[][][] batch = delayed(random, 16, delay);
        Object out = model.call("forward", model.workspace, batch[0]);
        int right = 0;
        int total = 0;
        for (int b = 0; b < 16; b++) {
            for (int t = delay; t < 200; t++) {
                Object y = java.lang.reflect.Array.get(java.lang.reflect.Array.get(out, b), t); // float[] here
                int best = 0;
                for (int o = 1; o < java.lang.reflect.Array.getLength(y); o++) {
                    best = java.lang.reflect.Array.getDouble(y, o) > java.lang.reflect.Array.getDouble(y, best) ? o : best;
                }
                right += best == batch[1][b][t] ? 1 : 0;
                total++;
            }
        }
        return (double) right / total;
    }

    /** The fixture's input batch; a variable-length one with its padding made unreadable (NaN, or symbol -1). */
    private static Object inputs(TensorFile f) {
        return padded(f, batch(f.tensor("x"), f.metadata().get("one_hot").equals("true")));
    }

    /** The fixture's target batch, its padded steps unreadable as the inputs'. */
    private static Object targets(TensorFile f) {
        return padded(f, batch(f.tensor("target"), f.metadata().get("class_targets").equals("true")));
    }

    /** The fixture's lengths ({@code variable_length}), or null. */
    private static int[] lengths(TensorFile f) {
        if (!f.names().contains("lengths")) {
            return null;
        }
        return java.util.Arrays.stream(f.tensor("lengths").toDoubleArray()).mapToInt(v -> (int) v).toArray();
    }

    /** Overwrites the steps past each sequence's length of a [batch][steps]... array, when the fixture has lengths. */
    private static Object padded(TensorFile f, Object batch) {
        int[] lengths = lengths(f);
        if (lengths == null) {
            return batch;
        }
        for (int b = 0; b < lengths.length; b++) {
            Object sequence = java.lang.reflect.Array.get(batch, b);
            if (!sequence.getClass().isArray()) {
                continue; // many_to_one: one target per sequence, nothing padded
            }
            int steps = java.lang.reflect.Array.getLength(sequence);
            if (sequence instanceof double[] && f.metadata().get("spec").contains("many_to_one")) {
                continue; // one target vector per sequence
            }
            for (int t = lengths[b]; t < steps; t++) {
                if (sequence instanceof int[] symbols) {
                    symbols[t] = -1;
                } else {
                    java.util.Arrays.fill((double[]) java.lang.reflect.Array.get(sequence, t), Double.NaN);
                }
            }
        }
        return batch;
    }

    private static ModelHandle load(String name) {
        TensorFile f = fixtures.get(name);
        ModelHandle model = new ModelHandle(classes.get(f.metadata().get("model")));
        model.call("importPyTorch", FIXTURES.resolve(name + ".init.safetensors"));
        return model;
    }

    private static void assertClose(double[] want, Parameter p, boolean gradient, String what) {
        assertEquals(want.length, p.size(), what + " size");
        double scale = 0;
        for (double v : want) {
            scale = Math.max(scale, Math.abs(v));
        }
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            double got = gradient ? p.grad(i) : p.value(i);
            worst = Math.max(worst, Math.abs(got - want[i]));
        }
        assertTrue(worst <= TOLERANCE * Math.max(scale, 1e-300), what + ": max |Unroll - PyTorch| = " + worst
                + " against a largest magnitude of " + scale);
    }

    /** A [batch, ...] float64 tensor as the nested double (or, for symbols and classes, int) arrays of its shape. */
    private static Object batch(Tensor t, boolean ints) {
        int[] shape = t.shape();
        double[] v = t.toDoubleArray();
        Object out = java.lang.reflect.Array.newInstance(ints ? int.class : double.class, shape);
        int[] index = new int[shape.length];
        for (int i = 0; i < v.length; i++) {
            int rest = i;
            for (int d = shape.length - 1; d >= 0; d--) {
                index[d] = rest % shape[d];
                rest /= shape[d];
            }
            Object row = out;
            for (int d = 0; d < shape.length - 1; d++) {
                row = java.lang.reflect.Array.get(row, index[d]);
            }
            if (ints) {
                java.lang.reflect.Array.setInt(row, index[shape.length - 1], (int) v[i]);
            } else {
                java.lang.reflect.Array.setDouble(row, index[shape.length - 1], v[i]);
            }
        }
        return out;
    }
}
