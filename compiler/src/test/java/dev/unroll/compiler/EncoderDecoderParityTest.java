package dev.unroll.compiler;

import static dev.unroll.compiler.PyTorchParityTest.batch;
import static dev.unroll.compiler.PyTorchParityTest.flatten;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.checkpoint.OutputTensor;
import dev.unroll.runtime.checkpoint.SafeTensors;
import dev.unroll.runtime.checkpoint.Tensor;
import dev.unroll.runtime.checkpoint.TensorFile;
import dev.unroll.runtime.sample.BeamSearch;
import java.lang.reflect.Array;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generated encoder-decoders against PyTorch: for every fixture written by
 * {@code src/test/python/make_pytorch_fixtures.py} under {@code fixtures/pytorch-encdec} (rnn tanh,
 * rnn relu, lstm, gru, 1 and 2 layers, softmax heads with dense and one-hot inputs, sigmoid, linear
 * and tanh heads; an LSTM with peepholes and a Cho GRU written from their equations), built from two
 * PyTorch recurrent modules (encoder, decoder) and an {@code nn.Linear} head, the generated model
 * loads PyTorch's weights and must reproduce, to 1e-9 relative in float64 and 1e-4 in float32 (with
 * {@link PyTorchParityTest}'s absolute floor relative to each tensor's largest magnitude):
 * <ul>
 * <li>with teacher forcing: the loss, every gradient, {@code dL/dx} for dense inputs, and the outputs
 *     ({@code forwardTeacherForced});
 * <li>greedy decoding ({@code forward}): the outputs when the decoder reads its own previous output
 *     (the one-hot argmax for softmax);
 * <li>softmax heads: beam search of width 3 ({@code beamSearch}), the script's own beam search over
 *     PyTorch's modules: the same sequences, in the same order, and their log-probabilities; sampling
 *     at temperature 0 is the greedy sequence, and sampling at temperature 1 draws the first class as
 *     often as PyTorch's first output says.
 * </ul>
 * The fixture's weights, saved as a user's {@code state_dict} of modules {@code enc}, {@code dec} and
 * {@code fc}, also go through {@code importPyTorch} (the two prefixes detected), a checkpoint round trip,
 * and give the same outputs, and {@code saveWeights} writes them back under PyTorch's names in its
 * {@code state_dict} order. The model has no stepper ({@code newStepper} throws, saying why) and ONNX
 * export refuses it, saying so.
 *
 * <p>The same checks run on the fixed-length fixtures of {@code make_encdec_embedding_fixtures.py}
 * ({@code fixtures/pytorch-encdec-embedding}): an {@code nn.Embedding(7, 3)} in front of the encoder
 * (rnn tanh, lstm, gru, 1 and 2 layers, softmax and linear heads, the table frozen or trained; a Cho
 * GRU), imported as {@code emb.weight}. {@link #checkEmbedding} adds what an embedding brings: the
 * table's unread rows have exactly zero gradient, a frozen table none at all; symbols outside the
 * vocabulary are refused by name and step; and two {@code trainStep}s match {@code torch.optim}
 * (Adam, momentum, SGD, RMSprop in turn), the second on a batch reading other rows than the first.
 * {@link EncoderDecoderVariableLengthParityTest} shares the loading and these checks.
 */
class EncoderDecoderParityTest {
    static final Path FIXTURES = Path.of(System.getProperty("unroll.sourceRoot", "."),
            "src/test/resources/fixtures/pytorch-encdec");

    @TempDir
    static Path work;

    private static final List<Case> cases = new ArrayList<>();
    private static Map<String, Class<?>> classes;

    /** One fixture in one precision. */
    record Case(String name, TensorFile data, NetworkModel model, boolean isFloat) {}

    /**
     * The fixtures of {@code make_encdec_embedding_fixtures.py}: encoder-decoders whose encoder reads an embedding
     * input, fixed-length ones checked here, {@code variable_length} ones by
     * {@link EncoderDecoderVariableLengthParityTest}.
     */
    static final Path EMBEDDING_FIXTURES = Path.of(System.getProperty("unroll.sourceRoot", "."),
            "src/test/resources/fixtures/pytorch-encdec-embedding");

    @BeforeAll
    static void generateAndCompileEveryCase() throws Exception {
        List<Case> own = load(FIXTURES, meta -> true);
        assertTrue(own.size() >= 2 * 44, "expected the 44 encoder-decoder fixtures in " + FIXTURES + ", found "
                + own.size() / 2);
        List<Case> embedded = load(EMBEDDING_FIXTURES, meta -> meta.get("variable_length").equals("false"));
        assertEquals(2 * 13, embedded.size(), "the 13 fixed-length embedding fixtures in " + EMBEDDING_FIXTURES);
        cases.addAll(own);
        cases.addAll(embedded);
        classes = GeneratedCode.compile(cases.stream().map(Case::model).toList(), work);
    }

    /**
     * The fixtures of a folder whose metadata {@code keep} accepts, as cases in both precisions: the spec as written
     * (float64) and the same in float32, in a package of its own. Shared with
     * {@link EncoderDecoderVariableLengthParityTest}.
     */
    static List<Case> load(Path folder, java.util.function.Predicate<Map<String, String>> keep) throws Exception {
        List<Path> files;
        try (Stream<Path> list = Files.list(folder)) {
            files = list.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
        }
        List<Case> loaded = new ArrayList<>();
        for (Path file : files) {
            TensorFile data = SafeTensors.read(file);
            if (!keep.test(data.metadata())) {
                continue;
            }
            String spec = data.metadata().get("spec");
            String name = file.getFileName().toString().replace(".safetensors", "");
            NetworkModel f64 = GeneratedCode.model(name + ".rnn", spec);
            NetworkModel f32 = GeneratedCode.model(name + "-f32.rnn", spec
                    .replaceFirst("package ([\\w.]+);", "package $1.f32;")
                    .replace("precision float64;", "precision float32;"));
            loaded.add(new Case(name, data, f64, false));
            loaded.add(new Case(name + " (float32)", data, f32, true));
        }
        return loaded;
    }

    @TestFactory
    Stream<DynamicTest> matchesPyTorch() {
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    }

    @AfterAll
    static void report() {
        report("EncoderDecoderParityTest");
    }

    /** The case being checked (the tests run one at a time), whose errors {@link #assertClose} records. */
    private static Case current;
    /** Per kind of fixture and precision: the largest error seen, relative to its tensor's largest magnitude. */
    private static final Map<String, double[]> worst = new java.util.TreeMap<>();
    private static final Map<String, String> worstWhere = new java.util.HashMap<>();

    /** Starts checking a case: the errors {@link #assertClose} sees from now on are its own. */
    static void checking(Case c) {
        current = c;
    }

    /**
     * {@link PyTorchParityTest#assertClose}, recording the largest error relative to the tensor's largest magnitude
     * (the scale the tolerances are given in) for the report.
     */
    static void assertClose(String what, Tensor expected, double[] actual, double rtol) {
        record(what, expected, actual);
        PyTorchParityTest.assertClose(what, expected, actual, rtol);
    }

    /** Records the largest error of {@code actual} relative to the largest magnitude of {@code expected}. */
    private static void record(String what, Tensor expected, double[] actual) {
        if (current != null && expected.elementCount() == actual.length) {
            double scale = 0;
            double error = 0;
            for (int i = 0; i < actual.length; i++) {
                scale = Math.max(scale, Math.abs(expected.getDouble(i)));
            }
            for (int i = 0; i < actual.length; i++) {
                error = Math.max(error, Math.abs(actual[i] - expected.getDouble(i)) / (scale == 0 ? 1 : scale));
            }
            String kind = (current.data().metadata().get("input").equals("embedding") ? "embedding" : "other")
                    + " fixtures, " + (current.isFloat() ? "float32" : "float64");
            double[] seen = worst.computeIfAbsent(kind, k -> new double[2]);
            seen[1]++;
            if (error >= seen[0]) {
                seen[0] = error;
                worstWhere.put(kind, current.name() + " " + what);
            }
        }
    }

    /** Prints the largest errors recorded, per kind of fixture and precision. */
    static void report(String test) {
        worst.forEach((kind, seen) -> System.out.printf("%s: %s: %d tensors compared, largest error %.3g of the"
                + " tensor's largest magnitude (%s)%n", test, kind, (long) seen[1], seen[0], worstWhere.get(kind)));
        worst.clear();
        worstWhere.clear();
        current = null;
    }

    private static void check(Case c) throws Exception {
        checking(c);
        ModelHandle model = new ModelHandle(classes.get(c.model().qualifiedName()));
        TensorFile data = c.data();
        for (Parameter p : model.parameters()) {
            Tensor source = data.tensor("param." + p.name());
            assertEquals(p.size(), source.elementCount(), p.name());
            for (int i = 0; i < p.size(); i++) {
                p.setValue(i, source.getDouble(i));
            }
        }
        assertEquals(data.metadata().get("parameters"), String.join(",", model.parameters().list().stream()
                .map(Parameter::name).toList()), "the parameters, in PyTorch's state_dict order");
        Map<String, String> meta = data.metadata();
        // symbols in: one_hot or embedding
        boolean oneHot = !meta.get("input").equals("dense");
        boolean crossEntropy = meta.get("loss").equals("cross_entropy");
        Class<?> real = c.isFloat() ? float.class : double.class;
        Object xs = batch(data.tensor("x"), oneHot ? int.class : real, true);
        Object targets = batch(data.tensor("target"), crossEntropy ? int.class : real, true);
        double rtol = c.isFloat() ? 1e-4 : 1e-9;

        Object inputGrads = null;
        double loss;
        if (oneHot) {
            loss = (double) model.call("computeGradients", model.workspace, xs, targets);
        } else {
            inputGrads = PyTorchParityTest.zerosLike(xs);
            loss = (double) model.call("computeGradients", model.workspace, xs, targets, inputGrads);
        }
        assertClose("loss", data.tensor("loss"), new double[] {loss}, rtol);
        assertGradients(model, data, rtol);
        if (!oneHot) {
            assertClose("grad.x", data.tensor("grad.x"), flatten(inputGrads), rtol);
        }
        if (meta.get("input").equals("embedding")) {
            checkEmbedding(c, classes.get(c.model().qualifiedName()), model, data, xs, null);
        }
        assertEquals(loss, (double) model.call("loss", model.workspace, xs, targets), 0.0,
                "loss() must equal the loss of computeGradients()");
        assertClose("y (teacher forcing)", data.tensor("y"),
                flatten(model.call("forwardTeacherForced", model.workspace, xs, targets)), rtol);
        Object greedy = model.call("forward", model.workspace, xs);
        assertClose("greedy.y", data.tensor("greedy.y"), flatten(greedy), rtol);
        UnsupportedOperationException refused = assertThrows(UnsupportedOperationException.class,
                () -> model.call("newStepper"));
        assertTrue(refused.getMessage().contains("encoder-decoder"), refused.getMessage());
        if (data.contains("beam.symbols")) {
            checkDecoding(model, data, xs, greedy, rtol);
        }
        dev.unroll.onnx.OnnxException onnx = assertThrows(dev.unroll.onnx.OnnxException.class,
                () -> dev.unroll.onnx.OnnxModels.exportOnnx((dev.unroll.runtime.RecurrentModel<?, ?, ?, ?>) model.model,
                        work.resolve(c.model().qualifiedName() + ".onnx")));
        assertTrue(onnx.getMessage().contains("encoder-decoder is not exported to ONNX"), onnx.getMessage());
        checkImportAndCheckpoint(c, data, xs, rtol);
    }

    /**
     * Every parameter's gradient against PyTorch's; a frozen table, which has none in the fixture, requires no gradient
     * and its gradient stays exactly zero.
     */
    static void assertGradients(ModelHandle model, TensorFile data, double rtol) {
        for (Parameter p : model.parameters()) {
            double[] grad = new double[p.size()];
            for (int i = 0; i < grad.length; i++) {
                grad[i] = p.grad(i);
            }
            if (!data.contains("grad." + p.name())) {
                assertEquals("true", data.metadata().get("frozen"), "only a frozen table has no gradient: " + p.name());
                assertTrue(!p.requiresGrad(), p.name() + " is frozen");
                assertArrayEquals(new double[p.size()], grad, 0.0, p.name() + " is frozen: its gradient stays zero");
                continue;
            }
            assertClose("grad." + p.name(), data.tensor("grad." + p.name()), grad, rtol);
        }
    }

    /**
     * What an encoder-decoder with an embedding input adds, after {@code computeGradients} on the fixture's batch:
     * the rows of the table no real input step read have exactly zero gradient; a symbol outside {@code [0, V)} at a
     * real step is refused by every entry point, naming the sequence and the step, before anything runs (padding,
     * -1 in the variable-length fixtures, is accepted); and {@code trainStep} on the fixture's update batches gives
     * {@code torch.optim}'s losses and parameters, the table's included (a frozen one unchanged, bit for bit).
     *
     * @param inputLengths the input lengths of a variable-length fixture, else null
     */
    static void checkEmbedding(Case c, Class<?> type, ModelHandle model, TensorFile data, Object xs,
            int[] inputLengths) {
        Map<String, String> meta = data.metadata();
        int vocabulary = Integer.parseInt(meta.get("vocabulary"));
        int width = Integer.parseInt(meta.get("embedding_size"));
        int[][] symbols = (int[][]) xs;
        boolean[] read = new boolean[vocabulary];
        for (int b = 0; b < symbols.length; b++) {
            for (int t = 0; t < (inputLengths == null ? symbols[b].length : inputLengths[b]); t++) {
                read[symbols[b][t]] = true;
            }
        }
        Parameter table = model.parameters().get("embedding.weight");
        int unread = 0;
        for (int v = 0; v < vocabulary; v++) {
            if (!read[v]) {
                unread++;
                for (int i = 0; i < width; i++) {
                    assertEquals(0.0, table.grad(v * width + i), 0.0, "embedding.weight row " + v + " is read by no"
                            + " step: its gradient is exactly zero");
                }
            }
        }
        assertTrue(unread > 0 || inputLengths != null, "the fixture leaves some row unread");

        // a symbol outside the vocabulary at a real step: refused with the sequence and the step
        int b = symbols.length - 1;
        int t = (inputLengths == null ? symbols[b].length : inputLengths[b]) - 1;
        for (int bad : new int[] {vocabulary, -1}) {
            int[][] wrong = new int[symbols.length][];
            for (int k = 0; k < symbols.length; k++) {
                wrong[k] = symbols[k].clone();
            }
            wrong[b][t] = bad;
            String expected = "xs[" + b + "][" + t + "] is " + bad + ", outside [0, " + vocabulary + ")";
            IllegalArgumentException forward = assertThrows(IllegalArgumentException.class, () -> {
                if (inputLengths == null) {
                    model.call("forward", model.workspace, wrong);
                } else {
                    model.call("forward", model.workspace, wrong, inputLengths);
                }
            });
            assertEquals(expected, forward.getMessage(), "forward");
            ModelHandle untouched = new ModelHandle(type);
            double before = untouched.parameters().get("embedding.weight").value(0);
            Object targets = batch(data.tensor("target"), meta.get("loss").equals("cross_entropy") ? int.class
                    : c.isFloat() ? float.class : double.class, true);
            IllegalArgumentException train = assertThrows(IllegalArgumentException.class, () -> {
                if (inputLengths == null) {
                    untouched.call("trainStep", wrong, targets);
                } else {
                    untouched.call("trainStep", wrong, targets, inputLengths,
                            EncoderDecoderVariableLengthParityTest.ints(meta.get("target_lengths")));
                }
            });
            assertEquals(expected, train.getMessage(), "trainStep");
            assertEquals(before, untouched.parameters().get("embedding.weight").value(0), 0.0,
                    "a refused trainStep changes nothing");
        }
        checkUpdates(c, type, data, inputLengths);
    }

    /** {@code trainStep} from the fixture's weights on its update batches, against {@code torch.optim}. */
    private static void checkUpdates(Case c, Class<?> type, TensorFile data, int[] inputLengths) {
        ModelHandle model = new ModelHandle(type);
        for (Parameter p : model.parameters()) {
            Tensor source = data.tensor("param." + p.name());
            for (int i = 0; i < p.size(); i++) {
                p.setValue(i, source.getDouble(i));
            }
        }
        Map<String, String> meta = data.metadata();
        boolean crossEntropy = meta.get("loss").equals("cross_entropy");
        Class<?> real = c.isFloat() ? float.class : double.class;
        double rtol = c.isFloat() ? 1e-4 : 1e-9;
        int steps = Integer.parseInt(meta.get("update_steps"));
        for (int k = 1; k <= steps; k++) {
            Object xs = batch(data.tensor("update" + k + ".x"), int.class, true);
            Object targets = batch(data.tensor("update" + k + ".target"), crossEntropy ? int.class : real, true);
            double loss = inputLengths == null ? (double) model.call("trainStep", xs, targets)
                    : (double) model.call("trainStep", xs, targets, inputLengths,
                            EncoderDecoderVariableLengthParityTest.ints(meta.get("target_lengths")));
            assertClose("update" + k + ".loss", data.tensor("update" + k + ".loss"), new double[] {loss}, rtol);
            for (Parameter p : model.parameters()) {
                double[] value = new double[p.size()];
                for (int i = 0; i < value.length; i++) {
                    value[i] = p.value(i);
                }
                Tensor expected = data.tensor("update" + k + ".param." + p.name());
                String what = "update" + k + ".param." + p.name() + " (" + meta.get("optimizer") + ")";
                if (!p.requiresGrad()) {
                    for (int i = 0; i < value.length; i++) {
                        double e = c.isFloat() ? (float) expected.getDouble(i) : expected.getDouble(i);
                        assertEquals(e, value[i], 0.0, what + "[" + i + "]: a frozen table never changes");
                    }
                } else if (c.isFloat()) {
                    record(what, expected, value);
                    PyTorchParityTest.assertCloseToScale(what, expected, value, 1e-4);
                } else {
                    assertClose(what, expected, value, 1e-9);
                }
            }
        }
    }

    /** Beam search, greedy symbols and sampling, for a softmax head. */
    private static void checkDecoding(ModelHandle model, TensorFile data, Object xs, Object greedy, double rtol) {
        int width = Integer.parseInt(data.metadata().get("beam_width"));
        Tensor symbols = data.tensor("beam.symbols");
        Tensor logp = data.tensor("beam.logp");
        int steps = symbols.shape()[2];
        int classes = Integer.parseInt(data.metadata().get("output_size"));
        for (int b = 0; b < Array.getLength(xs); b++) {
            Object x = Array.get(xs, b);
            @SuppressWarnings("unchecked")
            List<BeamSearch.Hypothesis> found = (List<BeamSearch.Hypothesis>) model.call("beamSearch",
                    model.workspace, x, width);
            assertEquals(width, found.size(), "hypotheses");
            double[] logps = new double[width];
            for (int k = 0; k < width; k++) {
                int[] expected = new int[steps];
                for (int s = 0; s < steps; s++) {
                    expected[s] = (int) symbols.getDouble((b * width + k) * steps + s);
                }
                assertArrayEquals(expected, found.get(k).symbols(), "beam " + k + " of sequence " + b);
                logps[k] = found.get(k).logProbability();
            }
            double[] expectedLogp = new double[width];
            for (int k = 0; k < width; k++) {
                expectedLogp[k] = logp.getDouble(b * width + k);
            }
            assertCloseArrays("beam.logp of sequence " + b, expectedLogp, logps, rtol);
            // greedy decoding's classes are the argmax of forward's outputs, and beam search of width 1
            Object outputs = Array.get(greedy, b);
            int[] argmax = new int[steps];
            for (int s = 0; s < steps; s++) {
                double[] y = flatten(Array.get(outputs, s));
                for (int o = 1; o < y.length; o++) {
                    argmax[s] = y[o] > y[argmax[s]] ? o : argmax[s];
                }
            }
            @SuppressWarnings("unchecked")
            List<BeamSearch.Hypothesis> one = (List<BeamSearch.Hypothesis>) model.call("beamSearch", model.workspace,
                    x, 1);
            assertArrayEquals(argmax, one.get(0).symbols(), "beam search of width 1 is greedy");
            assertArrayEquals(argmax, (int[]) model.call("sample", model.workspace, x, 0.0,
                    new SplittableRandom(1)), "sampling at temperature 0 is greedy");
            // sampling at temperature 1: the first class is drawn with PyTorch's first output's probabilities
            int draws = 4000;
            int[] counts = new int[classes];
            SplittableRandom rng = new SplittableRandom(7 + b);
            for (int i = 0; i < draws; i++) {
                counts[((int[]) model.call("sample", model.workspace, x, 1.0, rng))[0]]++;
            }
            Tensor y = data.tensor("greedy.y");
            for (int o = 0; o < classes; o++) {
                double p = y.getDouble((b * steps) * classes + o);
                double sd = Math.sqrt(p * (1 - p) / draws);
                assertTrue(Math.abs(counts[o] / (double) draws - p) < 5 * sd + 1e-9, "class " + o + " drawn "
                        + counts[o] + " times in " + draws + ", expected p = " + p);
            }
        }
    }

    /**
     * The fixture's weights, saved as a user's {@code state_dict} ({@code enc.*}, {@code dec.*}, {@code fc.*}),
     * import into a fresh model with the prefixes detected, survive {@code save} and {@code load}, and compute
     * PyTorch's greedy outputs.
     */
    private static void checkImportAndCheckpoint(Case c, TensorFile data, Object xs, double rtol) throws Exception {
        Class<?> type = classes.get(c.model().qualifiedName());
        List<OutputTensor> stateDict = new ArrayList<>();
        for (String name : data.metadata().get("parameters").split(",")) {
            Tensor t = data.tensor("param." + name);
            String user = name.replace("encoder.", "enc.").replace("decoder.", "dec.").replace("head.", "fc.")
                    .replace("embedding.", "emb.");
            stateDict.add(OutputTensor.of(user, t.toDoubleArray(), t.shape()));
        }
        Path file = work.resolve(c.model().qualifiedName() + ".torch.safetensors");
        SafeTensors.write(file, stateDict, Map.of());
        ModelHandle imported = new ModelHandle(type);
        imported.call("importPyTorch", file);
        Path checkpoint = work.resolve(c.model().qualifiedName() + ".unroll.safetensors");
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
        assertClose("greedy.y after importPyTorch", data.tensor("greedy.y"),
                flatten(loaded.call("forward", loaded.workspace, xs)), rtol);
        // exported under PyTorch's names, in its state_dict order (the embedding first), with the same values
        Path weights = work.resolve(c.model().qualifiedName() + ".weights.safetensors");
        loaded.call("saveWeights", weights);
        TensorFile exported = SafeTensors.read(weights);
        assertEquals(data.metadata().get("parameters"), String.join(",", exported.names()),
                "saveWeights: PyTorch's names, in state_dict order");
        for (String name : exported.names()) {
            Tensor expected = data.tensor("param." + name);
            Tensor written = exported.tensor(name);
            assertArrayEquals(expected.shape(), written.shape(), name + ": shape");
            for (int i = 0; i < expected.elementCount(); i++) {
                double e = c.isFloat() ? (float) expected.getDouble(i) : expected.getDouble(i);
                assertEquals(e, written.getDouble(i), 0.0, name + "[" + i + "] as saveWeights wrote it");
            }
        }
    }

    private static void assertCloseArrays(String what, double[] expected, double[] actual, double rtol) {
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= rtol * Math.abs(expected[i]) + 1e-12, what + "[" + i
                    + "]: expected " + expected[i] + " (PyTorch), got " + actual[i]);
        }
    }
}
