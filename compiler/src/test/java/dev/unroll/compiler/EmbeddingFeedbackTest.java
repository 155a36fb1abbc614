package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.checkpoint.SafeTensors;
import dev.unroll.runtime.checkpoint.Tensor;
import dev.unroll.runtime.checkpoint.TensorFile;
import java.io.IOException;
import java.lang.reflect.Array;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code one_to_many ... feedback} into an embedding input against PyTorch
 * ({@code compiler/src/test/python/make_embedding_feedback_fixtures.py}): step 0 reads its symbol's row, every later
 * step the table's rows weighted by the softmax output fed back ({@code x_t = y_{t-1} @ embedding.weight}), and the
 * gradient flows through the fed-back outputs and into every row of the table. From PyTorch's initial weights, the
 * generated code must give PyTorch's outputs, loss and gradients, and its weights after each of three optimizer
 * steps: in float64 at 1e-9, in float32 at 1e-4, relative to each tensor's largest magnitude. A frozen table stays
 * as it is and still passes the gradient on to the outputs fed back. {@code FiniteDifferenceTest} holds the
 * gradients of random such specs to central differences.
 */
class EmbeddingFeedbackTest {
    static final Path FIXTURES = Path.of(System.getProperty("unroll.sourceRoot", "."),
            "src/test/resources/fixtures/embedding_feedback");

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
                    String spec = f.metadata().get("spec");
                    models.add(GeneratedCode.model(name, spec));
                    models.add(GeneratedCode.model("f32-" + name, spec.replace("precision float64;",
                            "precision float32;").replace("model ", "model Float32")));
                }
            }
        }
        assertTrue(fixtures.size() >= 4, "fixtures in " + FIXTURES + ": " + fixtures.keySet());
        classes = GeneratedCode.compile(models, work.resolve("classes"));
    }

    @TestFactory
    Stream<DynamicTest> outputsLossAndGradientsArePyTorchs() {
        return fixtures.keySet().stream().flatMap(name -> Stream.of(false, true).map(f32 -> DynamicTest.dynamicTest(
                name + (f32 ? " float32" : " float64"), () -> {
                    TensorFile f = fixtures.get(name);
                    double tolerance = f32 ? 1e-4 : 1e-9;
                    ModelHandle model = load(name, f32);
                    Object xs = batch(f.tensor("x"), true);
                    Object targets = targets(f, f32);
                    Object out = model.call("forward", model.workspace, xs);
                    assertCloseTo(f.tensor("y").toDoubleArray(), flatten(out), tolerance, name + " y");
                    double loss = ((Number) model.call("computeGradients", model.workspace, xs, targets))
                            .doubleValue();
                    double expected = f.tensor("loss").getDouble(0);
                    assertEquals(expected, loss, tolerance * Math.abs(expected), name + " loss");
                    boolean frozen = f.metadata().get("frozen").equals("true");
                    for (Parameter p : model.parameters()) {
                        if (frozen && p.name().equals("embedding.weight")) {
                            assertFalse(p.requiresGrad(), "a frozen table has no gradient");
                            continue;
                        }
                        double[] grad = new double[p.size()];
                        for (int i = 0; i < grad.length; i++) {
                            grad[i] = p.grad(i);
                        }
                        assertCloseTo(f.tensor("grad." + p.name()).toDoubleArray(), grad, tolerance,
                                name + " grad " + p.name());
                    }
                })));
    }

    @TestFactory
    Stream<DynamicTest> trainStepMakesPyTorchsUpdates() {
        return fixtures.keySet().stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            TensorFile f = fixtures.get(name);
            ModelHandle model = load(name, false);
            Object xs = batch(f.tensor("x"), true);
            Object targets = targets(f, false);
            double[] losses = f.tensor("losses").toDoubleArray();
            for (int k = 0; k < losses.length; k++) {
                double loss = ((Number) model.call("trainStep", xs, targets)).doubleValue();
                assertEquals(losses[k], loss, 1e-9 * Math.abs(losses[k]), name + " loss before update " + k);
                for (Parameter p : model.parameters()) {
                    double[] value = new double[p.size()];
                    for (int i = 0; i < value.length; i++) {
                        value[i] = p.value(i);
                    }
                    assertCloseTo(f.tensor("trained." + k + "." + p.name()).toDoubleArray(), value, 1e-9,
                            name + " after update " + k + " " + p.name());
                }
            }
        }));
    }

    /** The fixture's targets: classes, or (mse) vectors of the model's precision. */
    private static Object targets(TensorFile f, boolean f32) {
        boolean classes = f.metadata().get("loss").equals("cross_entropy");
        return classes ? batch(f.tensor("target"), true) : f32 ? floats(f.tensor("target")) : batch(f.tensor("target"),
                false);
    }

    /** A [B, T, V] float64 tensor as float[B][T][V]. */
    private static float[][][] floats(Tensor t) {
        int[] shape = t.shape();
        double[] v = t.toDoubleArray();
        float[][][] out = new float[shape[0]][shape[1]][shape[2]];
        for (int i = 0; i < v.length; i++) {
            out[i / (shape[1] * shape[2])][i / shape[2] % shape[1]][i % shape[2]] = (float) v[i];
        }
        return out;
    }

    private static ModelHandle load(String name, boolean f32) {
        TensorFile f = fixtures.get(name);
        String qualified = f.metadata().get("model");
        if (f32) {
            int dot = qualified.lastIndexOf('.');
            qualified = qualified.substring(0, dot + 1) + "Float32" + qualified.substring(dot + 1);
        }
        ModelHandle model = new ModelHandle(classes.get(qualified));
        model.call("importPyTorch", FIXTURES.resolve(name + ".init.safetensors"));
        return model;
    }

    private static void assertCloseTo(double[] want, double[] got, double tolerance, String what) {
        assertEquals(want.length, got.length, what + " size");
        double scale = 0;
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            scale = Math.max(scale, Math.abs(want[i]));
            worst = Math.max(worst, Math.abs(got[i] - want[i]));
        }
        assertTrue(scale > 0, what + ": PyTorch's tensor is zero, which proves nothing");
        assertTrue(worst <= tolerance * scale, what + ": max |Unroll - PyTorch| = " + worst
                + " against a largest magnitude of " + scale);
    }

    /** The numbers of a nested float or double array, row-major. */
    private static double[] flatten(Object array) {
        List<Double> values = new ArrayList<>();
        flattenInto(array, values);
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static void flattenInto(Object array, List<Double> values) {
        for (int i = 0; i < Array.getLength(array); i++) {
            Object e = Array.get(array, i);
            if (e.getClass().isArray()) {
                flattenInto(e, values);
            } else {
                values.add(((Number) e).doubleValue());
            }
        }
    }

    /** A float64 tensor as the nested double (or, for symbols and classes, int) arrays of its shape. */
    private static Object batch(Tensor t, boolean ints) {
        int[] shape = t.shape();
        double[] v = t.toDoubleArray();
        Object out = Array.newInstance(ints ? int.class : double.class, shape);
        int[] index = new int[shape.length];
        for (int i = 0; i < v.length; i++) {
            int rest = i;
            for (int d = shape.length - 1; d >= 0; d--) {
                index[d] = rest % shape[d];
                rest /= shape[d];
            }
            Object row = out;
            for (int d = 0; d < shape.length - 1; d++) {
                row = Array.get(row, index[d]);
            }
            if (ints) {
                Array.setInt(row, index[shape.length - 1], (int) v[i]);
            } else {
                Array.setDouble(row, index[shape.length - 1], v[i]);
            }
        }
        return out;
    }
}
