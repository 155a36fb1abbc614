package dev.unroll.compiler;

import static dev.unroll.compiler.PyTorchParityTest.batch;
import static dev.unroll.compiler.PyTorchParityTest.flatten;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.compiler.EncoderDecoderParityTest.Case;
import dev.unroll.runtime.Dropout;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.checkpoint.Tensor;
import dev.unroll.runtime.checkpoint.TensorFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dropout in generated encoder-decoders against PyTorch: for every fixture written by
 * {@code src/test/python/make_encdec_dropout_fixtures.py} under {@code fixtures/pytorch-encdec-dropout} (rnn tanh,
 * lstm, gru; two layers with dropout between them, two with dropout between them and before the head, one with
 * dropout before the head; a softmax head and a linear one; fixed and {@code variable_length}), built from one
 * PyTorch module per layer with the masks of docs/language.md 4.8 multiplied in (the encoder's layer {@code k} keyed
 * {@code k}, the decoder's {@code L + k}; the encoder's top layer's final states unmasked, as
 * {@code nn.LSTM(num_layers=L, dropout=p)}'s {@code h_n}), the generated model with PyTorch's weights must
 * reproduce, at 1e-9 relative in float64 and 1e-4 in float32:
 * <ul>
 * <li>the masks themselves, element by element ({@code Dropout.mask} with the fixture's keys);
 * <li>training, with the masks of update 0: the loss of {@code computeGradients} (and {@code trainingLoss}, the
 *     same number), every gradient, {@code dL/dx} for dense inputs;
 * <li>inference, without dropout: {@code loss}, the teacher-forced outputs and greedy decoding ({@code forward});
 * <li>two {@code trainStep}s on the batch (momentum): the parameters after each, and the second one's loss, with the
 *     masks of update 1.
 * </ul>
 */
class EncoderDecoderDropoutParityTest {
    static final Path FIXTURES = Path.of(System.getProperty("unroll.sourceRoot", "."),
            "src/test/resources/fixtures/pytorch-encdec-dropout");

    @TempDir
    static Path work;

    private static List<Case> cases;
    private static Map<String, Class<?>> classes;

    @BeforeAll
    static void generateAndCompileEveryCase() throws Exception {
        cases = EncoderDecoderParityTest.load(FIXTURES, meta -> true);
        assertEquals(2 * 18, cases.size(), "the 18 encoder-decoder dropout fixtures in " + FIXTURES);
        classes = GeneratedCode.compile(cases.stream().map(Case::model).toList(), work);
    }

    /** The largest error relative to the tensor's largest magnitude, float64 and float32, and where. */
    private static final double[] worst = new double[2];
    private static final String[] worstAt = {"", ""};

    @AfterAll
    static void report() {
        System.out.printf("EncoderDecoderDropoutParityTest: %d cases; largest error relative to the tensor's largest"
                + " magnitude: float64 %.3g (%s), float32 %.3g (%s)%n", cases.size(), worst[0], worstAt[0], worst[1],
                worstAt[1]);
    }

    /** {@link PyTorchParityTest#assertClose}, recording the largest error for the report. */
    private static void assertClose(String what, Tensor expected, double[] actual, double rtol, Case c) {
        PyTorchParityTest.assertClose(what, expected, actual, rtol);
        double scale = 0;
        double error = 0;
        for (int i = 0; i < actual.length; i++) {
            scale = Math.max(scale, Math.abs(expected.getDouble(i)));
            error = Math.max(error, Math.abs(actual[i] - expected.getDouble(i)));
        }
        int k = c.isFloat() ? 1 : 0;
        synchronized (worst) {
            if (scale > 0 && error / scale > worst[k]) {
                worst[k] = error / scale;
                worstAt[k] = c.name() + " " + what;
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> matchesPyTorch() {
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
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
        assertEquals(meta.get("parameters"), String.join(",", model.parameters().list().stream()
                .map(Parameter::name).toList()), "the parameters, in PyTorch's state_dict order");
        checkMasks(data);
        boolean oneHot = meta.get("input").equals("one_hot");
        boolean crossEntropy = meta.get("loss").equals("cross_entropy");
        boolean variable = Boolean.parseBoolean(meta.get("variable_length"));
        Class<?> real = c.isFloat() ? float.class : double.class;
        Object xs = batch(data.tensor("x"), oneHot ? int.class : real, true);
        Object targets = batch(data.tensor("target"), crossEntropy ? int.class : real, true);
        List<Object> args = new ArrayList<>(List.of(xs, targets));
        if (variable) {
            args.add(EncoderDecoderVariableLengthParityTest.ints(meta.get("input_lengths")));
            args.add(EncoderDecoderVariableLengthParityTest.ints(meta.get("target_lengths")));
        }
        double rtol = c.isFloat() ? 1e-4 : 1e-9;

        Object inputGrads = oneHot ? null : PyTorchParityTest.zerosLike(xs);
        double loss = (double) model.call("computeGradients", with(model.workspace, args, inputGrads));
        assertClose("loss (training, with dropout)", data.tensor("loss"), new double[] {loss}, rtol, c);
        for (Parameter p : model.parameters()) {
            assertClose("grad." + p.name(), data.tensor("grad." + p.name()), gradient(p), rtol, c);
        }
        if (!oneHot) {
            assertClose("grad.x", data.tensor("grad.x"), flatten(inputGrads), rtol, c);
        }
        assertEquals(loss, (double) model.call("trainingLoss", with(model.workspace, args, null)), 0.0,
                "trainingLoss() is the loss computeGradients() computes, with the same masks");
        assertClose("loss (inference, without dropout)", data.tensor("loss_eval"),
                new double[] {(double) model.call("loss", with(model.workspace, args, null))}, rtol, c);
        assertClose("y (teacher forcing, without dropout)", data.tensor("y"),
                flatten(model.call("forwardTeacherForced", with(model.workspace, args, null))), rtol, c);
        Object greedy = variable ? model.call("forward", model.workspace, xs, args.get(2))
                : model.call("forward", model.workspace, xs);
        assertClose("greedy.y (without dropout)", data.tensor("greedy.y"), flatten(greedy), rtol, c);

        for (int update = 1; update <= 2; update++) {
            double stepLoss = (double) model.call("trainStep", args.toArray());
            if (update == 2) {
                assertClose("update2.loss (the masks of update 1)", data.tensor("update2.loss"),
                        new double[] {stepLoss}, rtol, c);
            } else {
                assertEquals(loss, stepLoss, 0.0, "the first trainStep's loss is computeGradients'");
            }
            for (Parameter p : model.parameters()) {
                double[] values = new double[p.size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = p.value(i);
                }
                Tensor after = data.tensor("update" + update + ".param." + p.name());
                assertClose("update" + update + ".param." + p.name(), after, values, rtol, c);
                // the step itself, PyTorch's change of the parameter against ours, to the step's own scale
                Tensor before = data.tensor((update == 1 ? "" : "update" + (update - 1) + ".") + "param." + p.name());
                double[] expected = new double[values.length];
                double[] actual = new double[values.length];
                double scale = 0;
                for (int i = 0; i < values.length; i++) {
                    expected[i] = after.getDouble(i) - before.getDouble(i);
                    actual[i] = values[i] - before.getDouble(i);
                    scale = Math.max(scale, Math.abs(expected[i]));
                }
                for (int i = 0; i < values.length; i++) {
                    // float32 parameters round to 6e-8 of their magnitude (0.5 here): an absolute floor of 1e-6
                    double floor = c.isFloat() ? 1e-6 : 1e-12 * scale;
                    assertTrue(Math.abs(actual[i] - expected[i]) <= rtol * scale + floor, "the step of update " + update
                            + " of " + p.name() + "[" + i + "]: PyTorch " + expected[i] + ", ours " + actual[i]);
                }
            }
        }
    }

    /** The arguments of a batch call: the workspace, the batch (and its lengths), and input gradients if any. */
    private static Object[] with(Object ws, List<Object> batch, Object inputGrads) {
        List<Object> all = new ArrayList<>();
        all.add(ws);
        all.addAll(batch);
        if (inputGrads != null) {
            all.add(inputGrads);
        }
        return all.toArray();
    }

    private static double[] gradient(Parameter p) {
        double[] grad = new double[p.size()];
        for (int i = 0; i < grad.length; i++) {
            grad[i] = p.grad(i);
        }
        return grad;
    }

    /**
     * The fixture's masks of update 0, drawn by the script's reimplementation of docs/language.md 4.8, are the
     * runtime's, with the keys the generated code uses: encoder layer {@code k} keyed {@code k}, decoder layer
     * {@code k} keyed {@code L + k}; the encoder's top layer has none.
     */
    private static void checkMasks(TensorFile data) {
        Map<String, String> meta = data.metadata();
        long seed = Long.parseLong(meta.get("dropout_seed"));
        String[] p = meta.get("dropout").split(",");
        int layers = p.length;
        int found = 0;
        for (int k = 0; k < layers; k++) {
            double rate = Double.parseDouble(p[k]);
            assertEquals(false, data.contains("mask.encoder.l" + (layers - 1)), "the encoder's top layer has a mask");
            if (rate == 0) {
                continue;
            }
            for (String stack : k < layers - 1 ? List.of("encoder", "decoder") : List.of("decoder")) {
                Tensor mask = data.tensor("mask." + stack + ".l" + k);
                int key = stack.equals("encoder") ? k : layers + k;
                int perSequence = mask.elementCount() / mask.shape()[0];
                for (int b = 0; b < mask.shape()[0]; b++) {
                    double[] ours = new double[perSequence];
                    Dropout.mask(Dropout.key(seed, 0, b, key), 0, rate, ours, 0, perSequence);
                    for (int e = 0; e < perSequence; e++) {
                        assertEquals(mask.getDouble(b * perSequence + e), ours[e], 0.0,
                                "mask." + stack + ".l" + k + " of sequence " + b + ", element " + e);
                    }
                }
                found++;
            }
        }
        assertTrue(found > 0, "a dropout case has a mask");
    }
}
