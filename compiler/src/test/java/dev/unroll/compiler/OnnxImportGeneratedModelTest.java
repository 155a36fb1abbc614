package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.unroll.compiler.plan.Planner;
import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.onnx.ModelDescription;
import dev.unroll.onnx.OnnxExport;
import dev.unroll.onnx.OnnxImport;
import dev.unroll.runtime.checkpoint.DType;
import dev.unroll.runtime.checkpoint.SafeTensors;
import dev.unroll.runtime.checkpoint.Tensor;
import dev.unroll.runtime.checkpoint.TensorFile;
import java.lang.reflect.Array;
import java.nio.FloatBuffer;
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
 * ONNX import and export end to end, with generated code.
 *
 * <p>Import: each torch.onnx.export fixture of unroll-onnx is imported, its spec
 * generated and compiled, its checkpoint loaded with the generated {@code load}, and the generated
 * {@code forward} must reproduce PyTorch's outputs: 1e-5 for float32 exports, 1e-9 for float64.
 * Fixtures whose graphs take initial states are left out (a generated model starts from zeros),
 * and so would be any the generator refused ({@link Planner#plan}'s refusals; none today).
 *
 * <p>Export: the generated model's own parameters are exported with {@link OnnxExport#write(
 * ModelDescription, dev.unroll.runtime.ParameterSet, Path)} (what a generated {@code exportOnnx}
 * calls), from the description {@link ModelDescription#from} derives from the spec; ONNX Runtime
 * runs the file on the same inputs and must agree with the generated {@code forward} within 1e-5
 * (float32; ONNX Runtime has no float64 recurrent kernels, so float64 exports are checked by
 * importing them back to the same spec and bits).
 */
class OnnxImportGeneratedModelTest {
    static final Path FIXTURES = Path.of(System.getProperty("unroll.sourceRoot", "."),
            "../onnx/src/test/resources/fixtures");
    static final List<String> FIXTURES_WITHOUT_STATES = List.of("lstm_l1", "lstm_l2_bi_softmax", "lstm_l2_yh_tanh",
            "gru_l1_yh_tanh", "gru_l2_bi_hn_softmax", "gru_l1_bi_hn_sum_tanh", "lstm_l1_bi_hn_f64", "rnn_l1_tanh",
            "rnn_l2_bi_relu_hn_sigmoid", "lstm_l2_bi_f64",
            "rnn_l2_f64", "gru_l2_softmax", "lstm_l1_last_f64", "gru_l2_yh_f64");
    /** Every one of them must run: the generator supports them all. */
    static final List<String> REQUIRED = FIXTURES_WITHOUT_STATES;
    static final List<String> CASES = new ArrayList<>();

    @TempDir
    static Path work;

    private static final Map<String, NetworkModel> models = new LinkedHashMap<>();
    private static Map<String, Class<?>> classes;

    @BeforeAll
    static void importGenerateAndCompile() throws Exception {
        List<NetworkModel> all = new ArrayList<>();
        for (String name : FIXTURES_WITHOUT_STATES) {
            OnnxImport.Result r = OnnxImport.read(FIXTURES.resolve(name + ".onnx"));
            OnnxImport.write(r, work.resolve("import"));
            NetworkModel model = GeneratedCode.model(r.model().name() + ".rnn", r.spec());
            if (!Planner.plan(model).refusals().isEmpty()) {
                continue;
            }
            CASES.add(name);
            models.put(name, model);
            all.add(model);
        }
        assertTrue(CASES.containsAll(REQUIRED), "the generator should support " + REQUIRED + ", ran " + CASES);
        classes = GeneratedCode.compile(all, work.resolve("classes"));
    }

    /**
     * What generic code exports through the common interface ({@link dev.unroll.onnx.OnnxModels}) is what the spec
     * says: the generated {@code shape()} describes the model as {@link ModelDescription#from} does from the spec,
     * and an export through it imports back into a fresh model bit for bit.
     */
    @TestFactory
    Stream<DynamicTest> theCommonInterfaceExportsWhatTheSpecSays() {
        return CASES.stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            NetworkModel m = models.get(name);
            dev.unroll.runtime.RecurrentModel<?, ?, ?, ?> model = (dev.unroll.runtime.RecurrentModel<?, ?, ?, ?>)
                    classes.get(m.qualifiedName()).getConstructor(long.class).newInstance(3L);
            assertEquals(ModelDescription.from(m), dev.unroll.onnx.OnnxModels.describe(model.shape()));
            Path file = work.resolve("generic-" + name + ".onnx");
            dev.unroll.onnx.OnnxModels.exportOnnx(model, file);
            dev.unroll.runtime.RecurrentModel<?, ?, ?, ?> other = (dev.unroll.runtime.RecurrentModel<?, ?, ?, ?>)
                    classes.get(m.qualifiedName()).getConstructor(long.class).newInstance(77L);
            dev.unroll.onnx.OnnxModels.importOnnx(file, other);
            for (dev.unroll.runtime.Parameter p : model.parameters()) {
                dev.unroll.runtime.Parameter q = other.parameters().get(p.name());
                for (int i = 0; i < p.size(); i++) {
                    assertEquals(p.value(i), q.value(i), 0.0, name + " " + p.name() + "[" + i + "]");
                }
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> generatedModelMatchesPyTorch() {
        return CASES.stream().map(name -> DynamicTest.dynamicTest(name, () -> check(name)));
    }

    private static void check(String name) throws Exception {
        NetworkModel m = models.get(name);
        ModelHandle model = new ModelHandle(classes.get(m.qualifiedName()));
        model.call("load", work.resolve("import").resolve(m.name() + ".safetensors"));
        TensorFile io = SafeTensors.read(FIXTURES.resolve(name + ".io.safetensors"));
        Tensor x = io.tensor("x");
        boolean f64 = x.dtype() == DType.F64;
        boolean timeMajor = x.shape()[0] == m.topology().inputSteps() && x.shape()[1] != m.topology().inputSteps();
        int batch = timeMajor ? x.shape()[1] : x.shape()[0];
        int steps = m.topology().inputSteps();
        int in = x.shape()[2];
        Object xs = Array.newInstance(f64 ? double.class : float.class, batch, steps, in);
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < steps; t++) {
                Object row = Array.get(Array.get(xs, b), t);
                for (int i = 0; i < in; i++) {
                    double v = x.getDouble(((timeMajor ? t * batch + b : b * steps + t)) * in + i);
                    if (f64) {
                        Array.setDouble(row, i, v);
                    } else {
                        Array.setFloat(row, i, (float) v);
                    }
                }
            }
        }
        Object ys = model.call("forward", model.workspace, xs);
        Tensor y = io.tensor("y");
        int o = y.shape()[y.shape().length - 1];
        double diff = 0;
        int compared = 0;
        for (int b = 0; b < batch; b++) {
            Object yb = Array.get(ys, b);
            boolean perStep = y.shape().length == 3;
            for (int t = 0; t < (perStep ? steps : 1); t++) {
                Object row = perStep ? Array.get(yb, t) : yb;
                for (int j = 0; j < o; j++) {
                    int at = perStep ? (timeMajor ? (t * batch + b) * o + j : (b * steps + t) * o + j) : b * o + j;
                    diff = Math.max(diff, Math.abs(Array.getDouble(row, j) - y.getDouble(at)));
                    compared++;
                }
            }
        }
        assertEquals(y.elementCount(), compared, "every PyTorch output compared");
        double tolerance = f64 ? 1e-9 : 1e-5;
        assertTrue(diff <= tolerance, name + ": max |generated - PyTorch| = " + diff + " > " + tolerance);
        System.out.printf("%s: max |generated - PyTorch| = %.3g%n", name, diff);
        exportAndCompare(name, m, model, xs, ys, f64, batch, steps, in);
    }

    private static void exportAndCompare(String name, NetworkModel m, ModelHandle model, Object xs, Object ys,
            boolean f64, int batch, int steps, int in) throws Exception {
        ModelDescription description = ModelDescription.from(m);
        Path onnx = work.resolve("export").resolve(m.name() + ".onnx");
        OnnxExport.write(description, model.parameters(), onnx);
        OnnxImport.Result back = OnnxImport.read(onnx);
        assertEquals(description.toSpec(), back.spec());
        for (dev.unroll.runtime.Parameter p : model.parameters()) {
            double[] v = back.tensors().get(p.name());
            for (int i = 0; i < p.size(); i++) {
                assertEquals(p.value(i), v[i], 0.0, p.name() + "[" + i + "]");
            }
        }
        if (f64) {
            return;
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[] x = new float[steps * batch * in];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < steps; t++) {
                for (int i = 0; i < in; i++) {
                    x[(t * batch + b) * in + i] = Array.getFloat(Array.get(Array.get(xs, b), t), i);
                }
            }
        }
        Map<String, OnnxTensor> feed = new LinkedHashMap<>();
        try (OrtSession session = env.createSession(onnx.toString(), new OrtSession.SessionOptions())) {
            feed.put("input", OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {steps, batch, in}));
            for (int k = 0; k < description.layers().size(); k++) {
                ModelDescription.Layer layer = description.layers().get(k);
                long[] shape = {layer.directions(), batch, layer.hiddenSize()};
                float[] zeros = new float[layer.directions() * batch * layer.hiddenSize()];
                feed.put("h0_l" + k, OnnxTensor.createTensor(env, FloatBuffer.wrap(zeros), shape));
                if (layer.cell() == ModelDescription.Cell.LSTM) {
                    feed.put("c0_l" + k, OnnxTensor.createTensor(env, FloatBuffer.wrap(zeros.clone()), shape));
                }
            }
            try (OrtSession.Result result = session.run(feed)) {
                FloatBuffer y = ((OnnxTensor) result.get("output").get()).getFloatBuffer();
                boolean perStep = description.topology() == ModelDescription.Topology.MANY_TO_MANY;
                int o = description.outputSize();
                double diff = 0;
                for (int b = 0; b < batch; b++) {
                    Object yb = Array.get(ys, b);
                    for (int t = 0; t < (perStep ? steps : 1); t++) {
                        Object row = perStep ? Array.get(yb, t) : yb;
                        for (int j = 0; j < o; j++) {
                            float got = y.get(perStep ? (t * batch + b) * o + j : b * o + j);
                            diff = Math.max(diff, Math.abs(got - Array.getDouble(row, j)));
                        }
                    }
                }
                assertTrue(diff <= 1e-5, name + ": max |ONNX Runtime (export) - generated| = " + diff);
                System.out.printf("%s: max |ONNX Runtime (export) - generated| = %.3g%n", name, diff);
            }
        } finally {
            for (OnnxTensor t : feed.values()) {
                t.close();
            }
        }
    }
}
