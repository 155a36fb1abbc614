package dev.unroll.compiler;

import static dev.unroll.compiler.PyTorchParityTest.assertClose;
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
 * and give the same outputs. The model has no stepper ({@code newStepper} throws, saying why) and ONNX
 * export refuses it, saying so.
 */
class EncoderDecoderParityTest {
    static final Path FIXTURES = Path.of(System.getProperty("unroll.sourceRoot", "."),
            "src/test/resources/fixtures/pytorch-encdec");

    @TempDir
    static Path work;

    private static List<Case> cases;
    private static Map<String, Class<?>> classes;

    /** One fixture in one precision. */
    record Case(String name, TensorFile data, NetworkModel model, boolean isFloat) {}

    /** The fixtures of one folder, each in float64 and float32, and their compiled classes by qualified name. */
    record Fixtures(List<Case> cases, Map<String, Class<?>> classes) {}

    @BeforeAll
    static void generateAndCompileEveryCase() throws Exception {
        Fixtures fixtures = load(FIXTURES, "fixtures.encdec", 44, work);
        cases = fixtures.cases();
        classes = fixtures.classes();
    }

    /**
     * Reads the {@code expected} fixtures of {@code folder}, makes a float32 twin of each one's spec (package
     * {@code pkg + ".f32"}), and generates and compiles them all into {@code work}: the loader the encoder-decoder
     * parity tests share.
     */
    static Fixtures load(Path folder, String pkg, int expected, Path work) throws Exception {
        List<Path> files;
        try (Stream<Path> list = Files.list(folder)) {
            files = list.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
        }
        assertEquals(expected, files.size(), "the fixtures in " + folder);
        List<Case> cases = new ArrayList<>();
        List<NetworkModel> models = new ArrayList<>();
        for (Path file : files) {
            TensorFile data = SafeTensors.read(file);
            String spec = data.metadata().get("spec");
            String name = file.getFileName().toString().replace(".safetensors", "");
            NetworkModel f64 = GeneratedCode.model(name + ".rnn", spec);
            NetworkModel f32 = GeneratedCode.model(name + "-f32.rnn", spec
                    .replace("package " + pkg + ";", "package " + pkg + ".f32;")
                    .replace("precision float64;", "precision float32;"));
            cases.add(new Case(name, data, f64, false));
            cases.add(new Case(name + " (float32)", data, f32, true));
            models.add(f64);
            models.add(f32);
        }
        return new Fixtures(cases, GeneratedCode.compile(models, work));
    }

    @TestFactory
    Stream<DynamicTest> matchesPyTorch() {
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    }

    private static void check(Case c) throws Exception {
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
        boolean oneHot = meta.get("input").equals("one_hot");
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
        for (Parameter p : model.parameters()) {
            double[] grad = new double[p.size()];
            for (int i = 0; i < grad.length; i++) {
                grad[i] = p.grad(i);
            }
            assertClose("grad." + p.name(), data.tensor("grad." + p.name()), grad, rtol);
        }
        if (!oneHot) {
            assertClose("grad.x", data.tensor("grad.x"), flatten(inputGrads), rtol);
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
            String user = name.replace("encoder.", "enc.").replace("decoder.", "dec.").replace("head.", "fc.");
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
    }

    private static void assertCloseArrays(String what, double[] expected, double[] actual, double rtol) {
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= rtol * Math.abs(expected[i]) + 1e-12, what + "[" + i
                    + "]: expected " + expected[i] + " (PyTorch), got " + actual[i]);
        }
    }
}
