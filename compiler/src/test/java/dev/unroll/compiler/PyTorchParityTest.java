package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.compiler.plan.Planner;
import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import dev.unroll.runtime.optim.ClipConfig;
import dev.unroll.runtime.optim.GradientClipping;
import dev.unroll.runtime.checkpoint.OutputTensor;
import dev.unroll.runtime.checkpoint.SafeTensors;
import dev.unroll.runtime.checkpoint.Tensor;
import dev.unroll.runtime.checkpoint.TensorFile;
import java.io.IOException;
import java.lang.reflect.Array;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generated code against PyTorch: for every fixture written by
 * {@code src/test/python/make_pytorch_fixtures.py} (cell x layers x topology x head x input
 * encoding; and bidirectional stacks, concat and sum, 1 and 2 layers, mixed with forward layers,
 * many_to_many, many_to_one and one_to_one), the generated model loads PyTorch's weights and must
 * reproduce PyTorch's outputs, loss and every gradient, to 1e-9 relative in float64 and 1e-4 in
 * float32. The cells PyTorch has no module for (LSTM peepholes, cell clip, both, the Cho GRU) are
 * small modules the script writes from their equations, differentiated by autograd; for those cases
 * the import of their {@code state_dict} and a checkpoint round trip are checked too. Embedding cases (an
 * {@code nn.Embedding} in front of the recurrent module, every cell, 1 and 2 layers, three topologies) check the
 * table's gradient with the others, three optimizer steps against {@code torch.optim} and the import of the table.
 *
 * <p>Variable-length fixtures ({@code varlen-*}: 1 and 2 layers, uni- and bidirectional, rnn, lstm and gru,
 * many_to_one and many_to_many) hold a padded batch and each sequence's length, run in PyTorch through
 * {@code pack_padded_sequence} with the loss over the real steps only; the generated model takes the same padded
 * arrays and {@code lengths}, and must also give exactly zero for every padded input's gradient and output.
 *
 * <p>Dropout cases: per-layer modules with fixed masks between them and before the head (nn.Dropout with its
 * mask given), the masks drawn by the script's reimplementation of the documented mask function (checked
 * against the runtime's {@code Dropout} element by element): {@code computeGradients} and
 * {@code trainingLoss} must reproduce PyTorch's training loss and gradients with those masks, while
 * {@code forward}, {@code loss} and the stepper reproduce PyTorch without dropout.
 *
 * <p>Tolerances are element-wise, {@code |java - torch| <= rtol * |torch| + atol}, with an
 * absolute floor relative to the tensor's scale: {@code atol = 1e-12 * max|torch tensor|} in
 * float64, {@code 1e-6 * max|torch tensor|} in float32. The floor only matters for elements far
 * smaller than the tensor's largest, such as gradients that are structurally zero or that come out
 * of cancellation, where float32 rounding (epsilon 6e-8, summed over a few hundred terms) cannot
 * give 1e-4 relative accuracy.
 */
class PyTorchParityTest {
    static final Path FIXTURES = Path.of(System.getProperty("unroll.sourceRoot", "."),
            "src/test/resources/fixtures/pytorch");

    @TempDir
    static Path work;

    private static final List<Case> cases = new ArrayList<>();

    /** One fixture in one precision, the class generated for it, and a folder for the files its checks write. */
    record Case(String name, TensorFile data, NetworkModel model, boolean isFloat, Class<?> type, Path work) {}

    @BeforeAll
    static void generateAndCompileEveryCase() throws Exception {
        cases.addAll(load(work, Planner.Options.DEFAULT));
    }

    /**
     * Reads every fixture (or those named by {@code -Dunroll.parity.only}) and generates and compiles its model in
     * float64 and float32 under {@code work}, planned with {@code options}.
     */
    static List<Case> load(Path work, Planner.Options options) throws Exception {
        List<Case> pending = new ArrayList<>();
        List<Path> files;
        // -Dunroll.parity.only=varlen runs only the fixtures whose name contains it (while working on them)
        String only = System.getProperty("unroll.parity.only", "");
        try (Stream<Path> list = Files.list(FIXTURES)) {
            files = list.filter(p -> p.toString().endsWith(".safetensors"))
                    .filter(p -> p.getFileName().toString().contains(only)).sorted().toList();
        }
        assertTrue(!only.isEmpty() || files.size() >= 334, "expected the 334 PyTorch fixtures in " + FIXTURES + ", found "
                + files.size());
        assertTrue(!only.isEmpty() || files.stream().filter(f -> f.toString().endsWith("-embedding.safetensors")).count()
                == 24, "24 embedding fixtures");
        List<NetworkModel> models = new ArrayList<>();
        for (Path file : files) {
            TensorFile data = SafeTensors.read(file);
            String spec = data.metadata().get("spec");
            String name = file.getFileName().toString().replace(".safetensors", "");
            NetworkModel f64 = GeneratedCode.model(name + ".rnn", spec);
            NetworkModel f32 = GeneratedCode.model(name + "-f32.rnn", spec
                    .replace("package fixtures;", "package fixtures.f32;")
                    .replace("precision float64;", "precision float32;"));
            pending.add(new Case(name, data, f64, false, null, work));
            pending.add(new Case(name + " (float32)", data, f32, true, null, work));
            models.add(f64);
            models.add(f32);
        }
        Map<String, Class<?>> classes = GeneratedCode.compile(models, work, options);
        return pending.stream().map(c -> new Case(c.name(), c.data(), c.model(), c.isFloat(),
                classes.get(c.model().qualifiedName()), work)).toList();
    }

    @TestFactory
    Stream<DynamicTest> matchesPyTorch() {
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    }

    static void check(Case c) throws Exception {
        ModelHandle model = new ModelHandle(c.type());
        TensorFile data = c.data();
        for (Parameter p : model.parameters()) {
            Tensor source = data.tensor("param." + p.name());
            assertEquals(p.size(), source.elementCount(), p.name());
            for (int i = 0; i < p.size(); i++) {
                p.setValue(i, source.getDouble(i));
            }
        }
        Map<String, String> meta = data.metadata();
        boolean oneHot = !meta.get("input").equals("dense"); // symbol input: one_hot or embedding
        boolean crossEntropy = meta.get("loss").equals("cross_entropy");
        String topology = meta.get("topology");
        boolean sequenceIn = topology.startsWith("many_to");
        boolean sequenceOut = topology.equals("many_to_many") || topology.startsWith("one_to_many");
        Class<?> real = c.isFloat() ? float.class : double.class;
        Object xs = batch(data.tensor("x"), oneHot ? int.class : real, sequenceIn);
        Object targets = batch(data.tensor("target"), crossEntropy ? int.class : real, sequenceOut);
        double rtol = c.isFloat() ? 1e-4 : 1e-9;
        int[] lengths = meta.containsKey("lengths") ? lengths(data.tensor("lengths")) : null;

        Object inputGrads = null;
        double loss;
        if (oneHot) {
            loss = lengths == null ? (double) model.call("computeGradients", model.workspace, xs, targets)
                    : (double) model.call("computeGradients", model.workspace, xs, targets, lengths);
        } else {
            inputGrads = zerosLike(xs);
            loss = lengths == null ? (double) model.call("computeGradients", model.workspace, xs, targets, inputGrads)
                    : (double) model.call("computeGradients", model.workspace, xs, targets, lengths, inputGrads);
        }
        assertClose("loss", data.tensor("loss"), new double[] {loss}, rtol);
        for (Parameter p : model.parameters()) {
            double[] grad = new double[p.size()];
            for (int i = 0; i < grad.length; i++) {
                grad[i] = p.grad(i);
            }
            assertClose("grad." + p.name(), data.tensor("grad." + p.name()), grad, rtol);
        }
        if (!oneHot) {
            assertClose("grad.x", data.tensor("grad.x"), flatten(inputGrads), rtol);
            // what training calls, without input gradients, must give the same parameter gradients, bit for bit
            // (a fed-back output's gradient flows through dL/dx_t whether or not the caller asked for it)
            List<double[]> withInputGradients = new ArrayList<>();
            for (Parameter p : model.parameters()) {
                double[] grad = new double[p.size()];
                for (int i = 0; i < grad.length; i++) {
                    grad[i] = p.grad(i);
                }
                withInputGradients.add(grad);
            }
            if (lengths == null) {
                model.call("computeGradients", model.workspace, xs, targets);
            } else {
                model.call("computeGradients", model.workspace, xs, targets, lengths);
            }
            int k = 0;
            for (Parameter p : model.parameters()) {
                double[] before = withInputGradients.get(k++);
                for (int i = 0; i < before.length; i++) {
                    assertEquals(before[i], p.grad(i), 0.0, "grad." + p.name() + "[" + i + "] without input gradients");
                }
            }
        }
        Object outputs = lengths == null ? model.call("forward", model.workspace, xs)
                : model.call("forward", model.workspace, xs, lengths);
        assertClose("y", data.tensor("y"), flatten(outputs), rtol);
        if (lengths != null) {
            checkPadding(lengths, oneHot ? null : inputGrads, sequenceOut ? outputs : null);
        }
        if (c.name().startsWith("clip-")) {
            checkClipping(model, data, rtol);
        }
        if (meta.containsKey("directions") && !meta.get("directions").replace("forward", "").replace(",", "").isEmpty()) {
            // a bidirectional model has no step-by-step form, and says so
            UnsupportedOperationException refused = org.junit.jupiter.api.Assertions.assertThrows(
                    UnsupportedOperationException.class, () -> model.call("newStepper"));
            assertTrue(refused.getMessage().contains("bidirectional"), refused.getMessage());
        } else if (topology.equals("many_to_many")) {
            // streaming one step at a time computes exactly what the whole-sequence pass computes
            Object stepper = model.call("newStepper");
            Object first = Array.get(xs, 0);
            Object expected = Array.get(outputs, 0);
            for (int t = 0; t < (lengths == null ? Array.getLength(first) : lengths[0]); t++) {
                Object y = ModelHandle.invoke(stepper, "step", Array.get(first, t));
                assertTrue(java.util.Arrays.equals(flatten(y), flatten(Array.get(expected, t))),
                        "stepper output at step " + t + " differs from forward()");
            }
        }
        double lossOnly = lengths == null ? (double) model.call("loss", model.workspace, xs, targets)
                : (double) model.call("loss", model.workspace, xs, targets, lengths);
        if (meta.containsKey("dropout")) {
            // computeGradients trains, with the masks; loss() evaluates, without them, as PyTorch's model.eval()
            assertClose("loss without dropout", data.tensor("loss_eval"), new double[] {lossOnly}, rtol);
            assertEquals(loss, (double) model.call("trainingLoss", model.workspace, xs, targets), 0.0,
                    "trainingLoss() must equal the loss of computeGradients()");
            checkMasks(data);
        } else {
            assertEquals(loss, lossOnly, 0.0, "loss() must equal the loss of computeGradients()");
        }
        if (meta.containsKey("variant")) {
            checkImportAndCheckpoint(c, data);
        }
        if (c.name().startsWith("bidi_concat-")) {
            checkImport(c, data);
        }
        if (meta.containsKey("update_steps")) {
            checkUpdates(c, data, xs.getClass().getComponentType(), real);
            checkEmbeddingImport(c, data);
        }
    }

    /**
     * An embedding case's optimizer steps: from the fixture's weights, {@code trainStep} on each step's batch (symbols
     * from a window of the vocabulary that moves, so rows read earlier are left out later) gives PyTorch's loss and,
     * after the step, PyTorch's parameters, every row of the embedding included. PyTorch's gradient is dense and its
     * optimizer updates every row; Unroll's gradient is row-sparse and its update visits only the rows whose update
     * is not a no-op, which must come to the same numbers. In float32 the parameters agree to 1e-4 of each tensor's
     * largest magnitude.
     */
    private static void checkUpdates(Case c, TensorFile data, Class<?> inputType, Class<?> real) {
        ModelHandle model = new ModelHandle(c.type());
        for (Parameter p : model.parameters()) {
            Tensor source = data.tensor("param." + p.name());
            for (int i = 0; i < p.size(); i++) {
                p.setValue(i, source.getDouble(i));
            }
        }
        Map<String, String> meta = data.metadata();
        boolean sequenceIn = meta.get("topology").startsWith("many_to");
        boolean sequenceOut = !meta.get("topology").equals("many_to_one");
        boolean crossEntropy = meta.get("loss").equals("cross_entropy");
        int steps = Integer.parseInt(meta.get("update_steps"));
        for (int k = 1; k <= steps; k++) {
            Object xs = batch(data.tensor("update" + k + ".x"), int.class, sequenceIn);
            Object targets = batch(data.tensor("update" + k + ".target"), crossEntropy ? int.class : real, sequenceOut);
            double loss = (double) model.call("trainStep", xs, targets);
            assertClose("update" + k + ".loss", data.tensor("update" + k + ".loss"), new double[] {loss},
                    c.isFloat() ? 1e-4 : 1e-9);
            for (Parameter p : model.parameters()) {
                double[] value = new double[p.size()];
                for (int i = 0; i < value.length; i++) {
                    value[i] = p.value(i);
                }
                Tensor expected = data.tensor("update" + k + ".param." + p.name());
                if (c.isFloat()) {
                    assertCloseToScale("update" + k + ".param." + p.name() + " (" + meta.get("optimizer") + ")",
                            expected, value, 1e-4);
                } else {
                    assertClose("update" + k + ".param." + p.name() + " (" + meta.get("optimizer") + ")", expected,
                            value, 1e-9);
                }
            }
        }
    }

    /**
     * An embedding case's weights saved as a user's {@code state_dict} (an {@code nn.Embedding} {@code emb}, the
     * recurrent module {@code lstm} or {@code gru}..., the head {@code fc}): {@code importPyTorch} finds the table by
     * its shape (a weight without a bias), {@code ImportOptions.withEmbeddingPrefix} names it, and the canonical
     * {@code embedding.weight} needs neither; the model then computes PyTorch's outputs.
     */
    private static void checkEmbeddingImport(Case c, TensorFile data) throws Exception {
        Class<?> type = c.type();
        String recurrent = data.metadata().get("cell").replace("rnn_tanh", "rnn").replace("rnn_relu", "rnn") + ".";
        for (String embedding : List.of("emb.", "embedding.")) {
            List<OutputTensor> stateDict = new ArrayList<>();
            for (String name : data.metadata().get("parameters").split(",")) {
                Tensor t = data.tensor("param." + name);
                stateDict.add(OutputTensor.of(name.replace("rnn.", recurrent).replace("head.", "fc.")
                        .replace("embedding.", embedding), t.toDoubleArray(), t.shape()));
            }
            Path file = c.work().resolve(c.model().qualifiedName() + "-" + embedding + "safetensors");
            SafeTensors.write(file, stateDict, Map.of());
            for (boolean named : new boolean[] {false, true}) {
                ModelHandle fresh = new ModelHandle(type);
                if (named) {
                    fresh.call("importPyTorch", file, dev.unroll.runtime.checkpoint.PyTorchImport.ImportOptions.defaults()
                            .withEmbeddingPrefix(embedding));
                } else {
                    fresh.call("importPyTorch", file);
                }
                Tensor table = data.tensor("param.embedding.weight");
                Parameter imported = fresh.parameters().get("embedding.weight");
                for (int i = 0; i < table.elementCount(); i++) {
                    double expected = c.isFloat() ? (float) table.getDouble(i) : table.getDouble(i);
                    assertEquals(expected, imported.value(i), 0.0, "embedding.weight[" + i + "] imported from "
                            + embedding + "weight");
                }
                Object xs = batch(data.tensor("x"), int.class, data.metadata().get("topology").startsWith("many_to"));
                assertClose("y after importPyTorch", data.tensor("y"), flatten(fresh.call("forward", fresh.workspace,
                        xs)), c.isFloat() ? 1e-4 : 1e-9);
            }
        }
    }

    /** {@code |actual - expected| <= tol * max|expected|} element by element: agreement to the tensor's scale. */
    static void assertCloseToScale(String what, Tensor expected, double[] actual, double tol) {
        assertEquals(expected.elementCount(), actual.length, what + ": element count");
        double scale = 0;
        for (int i = 0; i < actual.length; i++) {
            scale = Math.max(scale, Math.abs(expected.getDouble(i)));
        }
        for (int i = 0; i < actual.length; i++) {
            double e = expected.getDouble(i);
            if (!(Math.abs(actual[i] - e) <= tol * scale)) {
                throw new AssertionError(String.format("%s[%d]: expected %.17g (PyTorch), got %.17g; |diff| %.3g >"
                        + " %.1g of the largest magnitude %.3g", what, i, e, actual[i], Math.abs(actual[i] - e), tol,
                        scale));
            }
        }
    }

    /**
     * A variant's extra tensors (the LSTM peepholes) go through {@code importPyTorch} and {@code save}/{@code load}:
     * the fixture's weights, saved as a user's module would ({@code lstm.weight_ci_l0}, ..., {@code fc.weight}),
     * import into a fresh model, survive a checkpoint, and a state_dict without the peepholes is refused by name.
     */
    private static void checkImportAndCheckpoint(Case c, TensorFile data) throws Exception {
        Class<?> type = c.type();
        String prefix = data.metadata().get("cell").startsWith("lstm") ? "lstm." : "gru.";
        List<OutputTensor> stateDict = new ArrayList<>();
        for (String name : data.metadata().get("parameters").split(",")) {
            Tensor t = data.tensor("param." + name);
            double[] values = new double[t.elementCount()];
            for (int i = 0; i < values.length; i++) {
                values[i] = t.getDouble(i);
            }
            stateDict.add(OutputTensor.of(name.replace("rnn.", prefix).replace("head.", "fc."), values, t.shape()));
        }
        Path file = c.work().resolve(c.model().qualifiedName() + ".torch.safetensors");
        SafeTensors.write(file, stateDict, Map.of());
        ModelHandle imported = new ModelHandle(type);
        imported.call("importPyTorch", file);
        Path checkpoint = c.work().resolve(c.model().qualifiedName() + ".unroll.safetensors");
        imported.call("save", checkpoint);
        ModelHandle loaded = new ModelHandle(type);
        loaded.call("load", checkpoint);
        for (Parameter p : loaded.parameters()) {
            Tensor source = data.tensor("param." + p.name());
            for (int i = 0; i < p.size(); i++) {
                double expected = c.isFloat() ? (float) source.getDouble(i) : source.getDouble(i);
                assertEquals(expected, p.value(i), 0.0, p.name() + "[" + i + "] after importPyTorch, save and load");
            }
        }
        List<OutputTensor> withoutPeepholes = stateDict.stream().filter(t -> !t.name().contains("weight_c")).toList();
        if (withoutPeepholes.size() < stateDict.size()) {
            SafeTensors.write(file, withoutPeepholes, Map.of());
            Exception refused = assertThrows(Exception.class, () -> new ModelHandle(type).call("importPyTorch", file));
            assertTrue(refused.getMessage().contains("missing tensors") && refused.getMessage().contains(
                    "rnn.weight_ci_l0"), refused.getMessage());
        }
    }

    /**
     * A bidirectional concat stack's tensors are those of one {@code nn.X(num_layers=L, bidirectional=True)} (the
     * fixture script checks the names against that module's {@code state_dict}): saved as a user's
     * {@code state_dict} of a module with attributes {@code encoder} and {@code classifier}, {@code importPyTorch}
     * maps every one, the {@code _reverse} ones included, and the model then computes PyTorch's outputs.
     */
    private static void checkImport(Case c, TensorFile data) throws Exception {
        ModelHandle fresh = new ModelHandle(c.type());
        List<OutputTensor> stateDict = new ArrayList<>();
        for (Parameter p : fresh.parameters()) {
            Tensor t = data.tensor("param." + p.name());
            String name = p.name().startsWith("rnn.") ? "encoder." + p.name().substring(4)
                    : "classifier." + p.name().substring("head.".length());
            stateDict.add(OutputTensor.of(name, t.toDoubleArray(), t.shape()));
        }
        assertTrue(stateDict.stream().anyMatch(t -> t.name().endsWith("_l0_reverse")), "reverse tensors");
        Path file = c.work().resolve(c.model().name() + (c.isFloat() ? "-f32" : "") + "-state_dict.safetensors");
        SafeTensors.write(file, stateDict, Map.of());
        fresh.call("importPyTorch", file);
        Map<String, String> meta = data.metadata();
        Class<?> real = c.isFloat() ? float.class : double.class;
        boolean oneHot = meta.get("input").equals("one_hot");
        Object xs = batch(data.tensor("x"), oneHot ? int.class : real, meta.get("topology").startsWith("many_to"));
        assertClose("y after importPyTorch", data.tensor("y"), flatten(fresh.call("forward", fresh.workspace, xs)),
                c.isFloat() ? 1e-4 : 1e-9);
    }

    /**
     * The fixture's masks, drawn by the script's own implementation of the function of docs/language.md 4.8, are
     * the runtime's: {@code mask.l<k>} of sequence {@code b} is {@code Dropout.mask(Dropout.key(seed, 0, b, k), ...)}
     * element for element (a mismatch here explains any other failure of a dropout case).
     */
    private static void checkMasks(TensorFile data) {
        Map<String, String> meta = data.metadata();
        long seed = Long.parseLong(meta.get("dropout_seed"));
        String[] p = meta.get("dropout").split(",");
        int found = 0;
        for (int k = 0; k < p.length; k++) {
            if (Double.parseDouble(p[k]) == 0) {
                continue;
            }
            Tensor mask = data.tensor("mask.l" + k);
            int[] shape = mask.shape();
            int perSequence = mask.elementCount() / shape[0];
            for (int b = 0; b < shape[0]; b++) {
                double[] ours = new double[perSequence];
                dev.unroll.runtime.Dropout.mask(dev.unroll.runtime.Dropout.key(seed, 0, b, k), 0,
                        Double.parseDouble(p[k]), ours, 0, perSequence);
                for (int e = 0; e < perSequence; e++) {
                    assertEquals(mask.getDouble(b * perSequence + e), ours[e], 0.0,
                            "mask.l" + k + " of sequence " + b + ", element " + e);
                }
            }
            found++;
        }
        assertTrue(found > 0, "a dropout case has a mask");
    }

    /**
     * The runtime's clipping rules applied to the generated model's gradients reproduce
     * {@code clip_grad_value_}, per-parameter norms and {@code clip_grad_norm_}, alone and chained.
     */
    private static void checkClipping(ModelHandle model, TensorFile data, double rtol) {
        Map<String, String> meta = data.metadata();
        double value = Double.parseDouble(meta.get("clip_value"));
        double perParameter = Double.parseDouble(meta.get("clip_per_parameter_norm"));
        double norm = Double.parseDouble(meta.get("clip_norm"));
        Map<String, GradientClipping> rules = Map.of(
                "clip_value", GradientClipping.of(ClipConfig.value(value)),
                "clip_per_parameter", GradientClipping.of(ClipConfig.perParameterNorm(perParameter)),
                "clip_norm", GradientClipping.of(ClipConfig.globalNorm(norm)),
                "clip_all", GradientClipping.of(ClipConfig.value(value), ClipConfig.perParameterNorm(perParameter),
                        ClipConfig.globalNorm(norm)));
        ParameterSet parameters = model.parameters();
        double[][] unclipped = new double[parameters.size()][];
        for (int k = 0; k < parameters.size(); k++) {
            Parameter p = parameters.list().get(k);
            unclipped[k] = new double[p.size()];
            for (int i = 0; i < p.size(); i++) {
                unclipped[k][i] = p.grad(i);
            }
        }
        for (Map.Entry<String, GradientClipping> rule : new java.util.TreeMap<>(rules).entrySet()) {
            for (int k = 0; k < parameters.size(); k++) {
                Parameter p = parameters.list().get(k);
                for (int i = 0; i < p.size(); i++) {
                    p.setGrad(i, unclipped[k][i]);
                }
            }
            rule.getValue().clip(parameters);
            for (Parameter p : parameters) {
                double[] grad = new double[p.size()];
                for (int i = 0; i < grad.length; i++) {
                    grad[i] = p.grad(i);
                }
                assertClose(rule.getKey() + ".grad." + p.name(), data.tensor(rule.getKey() + ".grad." + p.name()), grad,
                        rtol);
            }
        }
    }

    private static int[] lengths(Tensor t) {
        int[] lengths = new int[t.elementCount()];
        for (int b = 0; b < lengths.length; b++) {
            lengths[b] = (int) t.getDouble(b);
        }
        return lengths;
    }

    /** Every padded step's input gradient and output is exactly zero (padding is never read nor scored). */
    private static void checkPadding(int[] lengths, Object inputGrads, Object outputs) {
        for (int b = 0; b < lengths.length; b++) {
            for (Object padded : new Object[] {inputGrads, outputs}) {
                if (padded == null) {
                    continue;
                }
                Object sequence = Array.get(padded, b);
                for (int t = lengths[b]; t < Array.getLength(sequence); t++) {
                    for (double v : flatten(Array.get(sequence, t))) {
                        assertEquals(0.0, v, 0.0, (padded == outputs ? "y" : "grad.x") + "[" + b + "][" + t
                                + "] is a padded step");
                    }
                }
            }
        }
    }

    /** Builds a batch array from a tensor [B, T, ...]: rank 2 or 3 per sequence, or without T when not a sequence. */
    static Object batch(Tensor t, Class<?> element, boolean sequence) {
        int[] shape = t.shape();
        int b = shape[0];
        int steps = shape[1];
        int width = shape.length == 3 ? shape[2] : 1;
        boolean vector = shape.length == 3;
        List<Integer> dims = new ArrayList<>();
        dims.add(b);
        if (sequence) {
            dims.add(steps);
        }
        if (vector) {
            dims.add(width);
        }
        Object array = Array.newInstance(element, dims.stream().mapToInt(Integer::intValue).toArray());
        for (int i = 0; i < b; i++) {
            for (int s = 0; s < (sequence ? steps : 1); s++) {
                for (int k = 0; k < width; k++) {
                    double v = t.getDouble((i * steps + s) * width + k);
                    Object row = Array.get(array, i);
                    if (sequence && vector) {
                        set(Array.get(row, s), k, v, element);
                    } else if (sequence) {
                        set(row, s, v, element);
                    } else if (vector) {
                        set(row, k, v, element);
                    } else {
                        set(array, i, v, element);
                    }
                }
            }
        }
        return array;
    }

    private static void set(Object array, int index, double v, Class<?> element) {
        if (element == int.class) {
            Array.setInt(array, index, (int) v);
        } else if (element == float.class) {
            Array.setFloat(array, index, (float) v);
        } else {
            Array.setDouble(array, index, v);
        }
    }

    static Object zerosLike(Object array) {
        int n = Array.getLength(array);
        Class<?> component = array.getClass().getComponentType();
        Object copy = Array.newInstance(component, n);
        for (int i = 0; i < n; i++) {
            Object element = Array.get(array, i);
            if (component.isArray()) {
                Array.set(copy, i, zerosLike(element));
            }
        }
        return copy;
    }

    static double[] flatten(Object array) {
        List<Double> values = new ArrayList<>();
        flattenInto(array, values);
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static void flattenInto(Object array, List<Double> out) {
        int n = Array.getLength(array);
        for (int i = 0; i < n; i++) {
            Object element = Array.get(array, i);
            if (element.getClass().isArray()) {
                flattenInto(element, out);
            } else {
                out.add(((Number) element).doubleValue());
            }
        }
    }

    static void assertClose(String what, Tensor expected, double[] actual, double rtol) {
        assertEquals(expected.elementCount(), actual.length, what + ": element count");
        double scale = 0;
        for (int i = 0; i < actual.length; i++) {
            scale = Math.max(scale, Math.abs(expected.getDouble(i)));
        }
        double atol = (rtol >= 1e-4 ? 1e-6 : 1e-12) * scale;
        for (int i = 0; i < actual.length; i++) {
            double e = expected.getDouble(i);
            double a = actual[i];
            if (!(Math.abs(a - e) <= rtol * Math.abs(e) + atol)) {
                throw new AssertionError(String.format("%s[%d]: expected %.17g (PyTorch), got %.17g; |diff| %.3g,"
                        + " relative %.3g > %.1g", what, i, e, a, Math.abs(a - e), Math.abs(a - e) / Math.abs(e), rtol));
            }
        }
    }
}
