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
            Object xs = batch(f.tensor("x"), f.metadata().get("one_hot").equals("true"));
            Object targets = batch(f.tensor("target"), f.metadata().get("class_targets").equals("true"));
            for (int call = 0; call < 2; call++) {
                double[] windows = f.tensor("windows." + call).toDoubleArray();
                double expected = java.util.Arrays.stream(windows).average().orElseThrow();
                double loss = ((Number) model.call("trainStep", xs, targets)).doubleValue();
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
            Object xs = batch(f.tensor("x"), f.metadata().get("one_hot").equals("true"));
            Object targets = batch(f.tensor("target"), f.metadata().get("class_targets").equals("true"));
            double loss = ((Number) model.call("computeGradients", model.workspace, xs, targets)).doubleValue();
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
            model.call("computeGradients", model.workspace, batch(f.tensor("x"), f.metadata().get("one_hot").equals("true")),
                    batch(f.tensor("target"), f.metadata().get("class_targets").equals("true")));
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
