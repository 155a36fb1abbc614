package dev.unroll.compiler;

import static dev.unroll.compiler.PyTorchParityTest.assertClose;
import static dev.unroll.compiler.PyTorchParityTest.batch;
import static dev.unroll.compiler.PyTorchParityTest.flatten;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.compiler.EncoderDecoderParityTest.Case;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.checkpoint.Tensor;
import dev.unroll.runtime.checkpoint.TensorFile;
import dev.unroll.runtime.sample.BeamSearch;
import java.lang.reflect.Array;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generated {@code variable_length} encoder-decoders against PyTorch: for every fixture written by
 * {@code make_pytorch_fixtures.py} under {@code fixtures/pytorch-encdec-varlen} (rnn tanh, lstm, gru, 1 and 2
 * layers; a softmax head with one-hot input and cross-entropy, a linear head with dense input and mse), a batch of
 * four sequences with their own input lengths (4, 1, 3, 2) and target lengths (2, 4, 1, 3), the encoder run
 * through {@code pack_padded_sequence}, the decoder through a packed teacher-forced input, the loss masked by the
 * target lengths. Padding holds -1 (symbols, classes) or 1000 (vectors), which nothing may read. The generated
 * model, with PyTorch's weights, must reproduce at 1e-9 relative in float64 and 1e-4 in float32:
 * <ul>
 * <li>the loss, every gradient and {@code dL/dx} (exactly zero at every padded step), and the teacher-forced
 *     outputs (exactly zero past each target's length);
 * <li>greedy decoding of all the output steps from each input's own length ({@code forward(ws, xs, lengths)});
 * <li>softmax heads, with the end class 4: greedy decoding that stops at it ({@code greedy} and the batch
 *     {@code forward} with {@code outputLengths}: the same classes and lengths as PyTorch's loop), beam search of
 *     width 3 with finished hypotheses (the script's beam search over PyTorch's modules: the same sequences, of the
 *     same lengths, in the same order, and their log-probabilities); beam search of width 1 and sampling at
 *     temperature 0 are the greedy sequence; sampling at temperature 1 draws the first class as often as PyTorch's
 *     first output says, and stops exactly at the end class.
 * </ul>
 */
class EncoderDecoderVariableLengthParityTest {
    static final Path FIXTURES = Path.of(System.getProperty("unroll.sourceRoot", "."),
            "src/test/resources/fixtures/pytorch-encdec-varlen");

    @TempDir
    static Path work;

    private static List<Case> cases;
    private static Map<String, Class<?>> classes;

    @BeforeAll
    static void generateAndCompileEveryCase() throws Exception {
        EncoderDecoderParityTest.Fixtures fixtures = EncoderDecoderParityTest.load(FIXTURES, "fixtures.encdecvarlen",
                12, work);
        cases = fixtures.cases();
        classes = fixtures.classes();
    }

    @TestFactory
    Stream<DynamicTest> matchesPyTorch() {
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    }

    static int[] ints(String csv) {
        return Arrays.stream(csv.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    private static void check(Case c) {
        ModelHandle model = new ModelHandle(classes.get(c.model().qualifiedName()));
        TensorFile data = c.data();
        for (Parameter p : model.parameters()) {
            Tensor source = data.tensor("param." + p.name());
            assertEquals(p.size(), source.elementCount(), p.name());
            for (int i = 0; i < p.size(); i++) {
                p.setValue(i, source.getDouble(i));
            }
        }
        Map<String, String> meta = data.metadata();
        boolean oneHot = meta.get("input").equals("one_hot");
        boolean crossEntropy = meta.get("loss").equals("cross_entropy");
        Class<?> real = c.isFloat() ? float.class : double.class;
        Object xs = batch(data.tensor("x"), oneHot ? int.class : real, true);
        Object targets = batch(data.tensor("target"), crossEntropy ? int.class : real, true);
        int[] inputLengths = ints(meta.get("input_lengths"));
        int[] targetLengths = ints(meta.get("target_lengths"));
        double rtol = c.isFloat() ? 1e-4 : 1e-9;

        Object inputGrads = null;
        double loss;
        if (oneHot) {
            loss = (double) model.call("computeGradients", model.workspace, xs, targets, inputLengths, targetLengths);
        } else {
            inputGrads = PyTorchParityTest.zerosLike(xs);
            loss = (double) model.call("computeGradients", model.workspace, xs, targets, inputLengths, targetLengths,
                    inputGrads);
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
            assertPaddingZero("grad.x", inputGrads, inputLengths);
        }
        assertEquals(loss, (double) model.call("loss", model.workspace, xs, targets, inputLengths, targetLengths), 0.0,
                "loss() must equal the loss of computeGradients()");
        Object teacherForced = model.call("forwardTeacherForced", model.workspace, xs, targets, inputLengths,
                targetLengths);
        assertClose("y (teacher forcing)", data.tensor("y"), flatten(teacherForced), rtol);
        assertPaddingZero("y (teacher forcing)", teacherForced, targetLengths);
        Object greedy = model.call("forward", model.workspace, xs, inputLengths);
        assertClose("greedy.y", data.tensor("greedy.y"), flatten(greedy), rtol);
        if (data.contains("end.symbols")) {
            checkEndClass(model, data, xs, inputLengths, greedy, rtol);
        }
    }

    /** Greedy decoding, beam search and sampling that stop at the end class. */
    private static void checkEndClass(ModelHandle model, TensorFile data, Object xs, int[] inputLengths, Object greedy,
            double rtol) {
        int end = Integer.parseInt(data.metadata().get("end_class"));
        int width = Integer.parseInt(data.metadata().get("beam_width"));
        Tensor endSymbols = data.tensor("end.symbols");
        int steps = endSymbols.shape()[1];
        int batch = inputLengths.length;
        int[] outputLengths = new int[batch];
        Object stopped = model.call("forward", model.workspace, xs, inputLengths, end, outputLengths);
        Tensor beamSymbols = data.tensor("beam.symbols");
        boolean shortened = false;
        for (int b = 0; b < batch; b++) {
            Object x = Array.get(xs, b);
            int length = (int) data.tensor("end.lengths").getDouble(b);
            shortened |= length < steps;
            int[] expected = new int[length];
            for (int s = 0; s < length; s++) {
                expected[s] = (int) endSymbols.getDouble(b * steps + s);
            }
            int[] decoded = (int[]) model.call("greedy", model.workspace, x, inputLengths[b], end);
            assertArrayEquals(expected, decoded, "greedy with the end class, sequence " + b);
            assertEquals(length, outputLengths[b], "outputLengths[" + b + "]");
            // the outputs up to the end are those of greedy decoding without an end; past it, zero
            Object rows = Array.get(stopped, b);
            Object all = Array.get(greedy, b);
            for (int s = 0; s < steps; s++) {
                double[] row = flatten(Array.get(rows, s));
                double[] full = flatten(Array.get(all, s));
                for (int o = 0; o < row.length; o++) {
                    assertEquals(s < length ? full[o] : 0.0, row[o], 0.0, "forward with the end class [" + b + "]["
                            + s + "][" + o + "]");
                }
            }
            assertArrayEquals(expected, (int[]) model.call("sample", model.workspace, x, inputLengths[b], end, 0.0,
                    new SplittableRandom(1)), "sampling at temperature 0 is greedy");
            @SuppressWarnings("unchecked")
            List<BeamSearch.Hypothesis> one = (List<BeamSearch.Hypothesis>) model.call("beamSearch", model.workspace,
                    x, inputLengths[b], 1, end);
            assertArrayEquals(expected, one.get(0).symbols(), "beam search of width 1 is greedy, sequence " + b);

            @SuppressWarnings("unchecked")
            List<BeamSearch.Hypothesis> found = (List<BeamSearch.Hypothesis>) model.call("beamSearch",
                    model.workspace, x, inputLengths[b], width, end);
            assertEquals(width, found.size(), "hypotheses of sequence " + b);
            for (int k = 0; k < width; k++) {
                int n = (int) data.tensor("beam.lengths").getDouble(b * width + k);
                int[] symbols = new int[n];
                for (int s = 0; s < n; s++) {
                    symbols[s] = (int) beamSymbols.getDouble((b * width + k) * steps + s);
                }
                assertArrayEquals(symbols, found.get(k).symbols(), "beam " + k + " of sequence " + b);
                double e = data.tensor("beam.logp").getDouble(b * width + k);
                double a = found.get(k).logProbability();
                assertTrue(Math.abs(e - a) <= rtol * Math.abs(e) + 1e-12, "beam.logp[" + b + "][" + k + "]: expected "
                        + e + " (PyTorch), got " + a);
            }
        }
        assertTrue(shortened, "the fixture stops at least one greedy sequence at the end class");
        // sampling at temperature 1 from each input's own length: the first class is drawn with PyTorch's first
        // greedy output's probabilities, and a first class that is the end class ends the sequence there
        int classes = Integer.parseInt(data.metadata().get("output_size"));
        Tensor y = data.tensor("greedy.y");
        for (int b = 0; b < batch; b++) {
            int draws = 4000;
            int[] counts = new int[classes];
            SplittableRandom rng = new SplittableRandom(7 + b);
            for (int i = 0; i < draws; i++) {
                int[] drawn = (int[]) model.call("sample", model.workspace, Array.get(xs, b), inputLengths[b], end, 1.0,
                        rng);
                counts[drawn[0]]++;
                for (int s = 0; s < drawn.length - 1; s++) {
                    assertTrue(drawn[s] != end, "a sample goes on after the end class: " + Arrays.toString(drawn));
                }
                assertTrue(drawn.length == steps || drawn[drawn.length - 1] == end, "a sample stopped early without"
                        + " the end class: " + Arrays.toString(drawn));
            }
            for (int o = 0; o < classes; o++) {
                double p = y.getDouble((b * steps) * classes + o);
                double sd = Math.sqrt(p * (1 - p) / draws);
                assertTrue(Math.abs(counts[o] / (double) draws - p) < 5 * sd + 1e-9, "sequence " + b + ": class " + o
                        + " drawn " + counts[o] + " times in " + draws + ", expected p = " + p);
            }
        }
    }

    /** Every row of {@code padded[b]} from {@code lengths[b]} on is exactly zero. */
    static void assertPaddingZero(String what, Object padded, int[] lengths) {
        for (int b = 0; b < lengths.length; b++) {
            Object sequence = Array.get(padded, b);
            for (int t = lengths[b]; t < Array.getLength(sequence); t++) {
                for (double v : flatten(Array.get(sequence, t))) {
                    assertEquals(0.0, v, 0.0, what + "[" + b + "][" + t + "] is a padded step");
                }
            }
        }
    }
}
