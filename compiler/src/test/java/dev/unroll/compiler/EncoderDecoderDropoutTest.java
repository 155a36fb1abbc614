package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.sample.BeamSearch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dropout in encoder-decoders as the generated code applies it (docs/language.md 4.8, 5.5): off in every inference
 * and decoding path (the same numbers, bit for bit, as the spec without dropout, even right after a training call),
 * on in training, where the same seed and updates give the same weights bit for bit and another seed others; with
 * {@code variable_length}, what padded steps hold changes nothing.
 */
class EncoderDecoderDropoutTest {
    @TempDir
    static Path work;

    private static Map<String, Class<?>> classes;

    private static final int B = 3;
    private static final int TX = 5;
    private static final int TY = 4;
    private static final int I = 3;
    private static final int O = 5;
    /** One-hot inputs, fixed lengths. */
    private static final String FIXED = "    input " + I + " one_hot;\n    lstm 8 DROP0;\n    gru 6 DROP1;\n"
            + "    output " + O + " softmax;\n    many_to_many input_steps " + TX + " output_steps " + TY + ";\n"
            + "    seed 11;\n    precision float64;\n";
    /** Dense inputs, variable lengths. */
    private static final String VARIABLE = "    input " + I + ";\n    gru 6 DROP0;\n    lstm 5 DROP1;\n"
            + "    output " + O + " softmax;\n    many_to_many input_steps " + TX + " output_steps " + TY
            + " variable_length;\n    seed 11;\n    precision float64;\n";
    private static final int[] INPUT_LENGTHS = {5, 2, 3};
    private static final int[] TARGET_LENGTHS = {1, 4, 2};

    private static String spec(String pkg, String name, String body, String drop0, String drop1) {
        return "package " + pkg + ";\nmodel " + name + " {\n" + body.replace("DROP0", drop0).replace("DROP1", drop1)
                .replace(" ;", ";") + "}\n";
    }

    @BeforeAll
    static void compile() {
        List<NetworkModel> models = new ArrayList<>();
        for (String[] m : new String[][] {{"Fixed", FIXED}, {"Variable", VARIABLE}}) {
            models.add(GeneratedCode.model(m[0] + ".rnn", spec("encdrop", m[0], m[1], "dropout 0.3", "dropout 0.5")));
            models.add(GeneratedCode.model(m[0] + "-plain.rnn", spec("encplain", m[0], m[1], "", "")));
            models.add(GeneratedCode.model(m[0] + "-reseeded.rnn", spec("encreseeded", m[0],
                    m[1].replace("seed 11", "seed 12"), "dropout 0.3", "dropout 0.5")));
        }
        classes = GeneratedCode.compile(models, work);
    }

    private static ModelHandle model(String qualifiedName, long weights) {
        ModelHandle model = new ModelHandle(classes.get(qualifiedName));
        SplittableRandom random = new SplittableRandom(weights);
        for (Parameter p : model.parameters()) {
            for (int i = 0; i < p.size(); i++) {
                p.setValue(i, random.nextDouble(-0.5, 0.5));
            }
        }
        return model;
    }

    private static int[][] symbols(SplittableRandom random, int steps, int classes) {
        int[][] out = new int[B][steps];
        for (int[] row : out) {
            for (int t = 0; t < steps; t++) {
                row[t] = random.nextInt(classes);
            }
        }
        return out;
    }

    private static double[][][] vectors(SplittableRandom random) {
        double[][][] out = new double[B][TX][I];
        for (double[][] sequence : out) {
            for (double[] step : sequence) {
                for (int i = 0; i < I; i++) {
                    step[i] = random.nextDouble(-1, 1);
                }
            }
        }
        return out;
    }

    @Test
    void fixedLengthInferenceAndDecodingIgnoreDropout() {
        ModelHandle dropout = model("encdrop.Fixed", 5);
        ModelHandle plain = model("encplain.Fixed", 5);
        SplittableRandom random = new SplittableRandom(8);
        int[][] xs = symbols(random, TX, I);
        int[][] targets = symbols(random, TY, O);
        // a training call first, so that the workspace has been in training: inference must not stay there
        double trained = (double) dropout.call("computeGradients", dropout.workspace, xs, targets);
        double loss = (double) dropout.call("loss", dropout.workspace, xs, targets);
        assertEquals((double) plain.call("loss", plain.workspace, xs, targets), loss, 0.0, "loss()");
        assertNotEquals(loss, trained, "computeGradients trains with dropout");
        assertEquals(trained, (double) dropout.call("trainingLoss", dropout.workspace, xs, targets), 0.0,
                "trainingLoss() is computeGradients' loss");
        assertSame("forward", dropout.call("forward", dropout.workspace, xs), plain.call("forward", plain.workspace,
                xs));
        assertSame("forwardTeacherForced", dropout.call("forwardTeacherForced", dropout.workspace, xs, targets),
                plain.call("forwardTeacherForced", plain.workspace, xs, targets));
        for (int b = 0; b < B; b++) {
            dropout.call("computeGradients", dropout.workspace, xs, targets);
            assertArrayEquals((int[]) plain.call("sample", plain.workspace, xs[b], 0.8, new SplittableRandom(b)),
                    (int[]) dropout.call("sample", dropout.workspace, xs[b], 0.8, new SplittableRandom(b)),
                    "sample of sequence " + b);
            dropout.call("computeGradients", dropout.workspace, xs, targets);
            assertSameBeams("beamSearch of sequence " + b, dropout.call("beamSearch", dropout.workspace, xs[b], 3),
                    plain.call("beamSearch", plain.workspace, xs[b], 3));
        }
    }

    @Test
    void variableLengthInferenceAndDecodingIgnoreDropout() {
        ModelHandle dropout = model("encdrop.Variable", 6);
        ModelHandle plain = model("encplain.Variable", 6);
        SplittableRandom random = new SplittableRandom(9);
        double[][][] xs = vectors(random);
        int[][] targets = symbols(random, TY, O);
        int end = O - 1;
        double trained = (double) dropout.call("computeGradients", dropout.workspace, xs, targets, INPUT_LENGTHS,
                TARGET_LENGTHS);
        double loss = (double) dropout.call("loss", dropout.workspace, xs, targets, INPUT_LENGTHS, TARGET_LENGTHS);
        assertEquals((double) plain.call("loss", plain.workspace, xs, targets, INPUT_LENGTHS, TARGET_LENGTHS), loss,
                0.0, "loss(lengths)");
        assertNotEquals(loss, trained, "computeGradients trains with dropout");
        assertEquals(trained, (double) dropout.call("trainingLoss", dropout.workspace, xs, targets, INPUT_LENGTHS,
                TARGET_LENGTHS), 0.0, "trainingLoss(lengths) is computeGradients' loss");
        assertSame("forward(lengths)", dropout.call("forward", dropout.workspace, xs, INPUT_LENGTHS),
                plain.call("forward", plain.workspace, xs, INPUT_LENGTHS));
        int[] ours = new int[B];
        int[] theirs = new int[B];
        assertSame("forward(lengths, end)", dropout.call("forward", dropout.workspace, xs, INPUT_LENGTHS, end, ours),
                plain.call("forward", plain.workspace, xs, INPUT_LENGTHS, end, theirs));
        assertArrayEquals(theirs, ours, "output lengths");
        assertSame("forwardTeacherForced(lengths)", dropout.call("forwardTeacherForced", dropout.workspace, xs,
                targets, INPUT_LENGTHS, TARGET_LENGTHS), plain.call("forwardTeacherForced", plain.workspace, xs,
                targets, INPUT_LENGTHS, TARGET_LENGTHS));
        for (int b = 0; b < B; b++) {
            int length = INPUT_LENGTHS[b];
            dropout.call("computeGradients", dropout.workspace, xs, targets, INPUT_LENGTHS, TARGET_LENGTHS);
            assertArrayEquals((int[]) plain.call("greedy", plain.workspace, xs[b], length, end),
                    (int[]) dropout.call("greedy", dropout.workspace, xs[b], length, end), "greedy of sequence " + b);
            dropout.call("computeGradients", dropout.workspace, xs, targets, INPUT_LENGTHS, TARGET_LENGTHS);
            assertArrayEquals((int[]) plain.call("sample", plain.workspace, xs[b], length, end, 0.8,
                    new SplittableRandom(b)), (int[]) dropout.call("sample", dropout.workspace, xs[b], length, end,
                    0.8, new SplittableRandom(b)), "sample of sequence " + b);
            dropout.call("computeGradients", dropout.workspace, xs, targets, INPUT_LENGTHS, TARGET_LENGTHS);
            assertSameBeams("beamSearch of sequence " + b, dropout.call("beamSearch", dropout.workspace, xs[b], length,
                    3, end), plain.call("beamSearch", plain.workspace, xs[b], length, 3, end));
        }
    }

    /**
     * Masks at padded steps are never read, and a real step's mask does not depend on the lengths: whatever the
     * padded steps of the inputs and targets hold, training computes the same loss and gradients, bit for bit.
     */
    @Test
    void paddingChangesNothingInTraining() {
        ModelHandle model = model("encdrop.Variable", 7);
        SplittableRandom random = new SplittableRandom(10);
        double[][][] xs = vectors(random);
        int[][] targets = symbols(random, TY, O);
        double[][][] otherXs = vectors(random);
        int[][] otherTargets = symbols(random, TY, O);
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < INPUT_LENGTHS[b]; t++) {
                otherXs[b][t] = xs[b][t].clone();
            }
            for (int s = 0; s < TARGET_LENGTHS[b]; s++) {
                otherTargets[b][s] = targets[b][s];
            }
        }
        double[][][] dx = new double[B][TX][I];
        double loss = (double) model.call("computeGradients", model.workspace, xs, targets, INPUT_LENGTHS,
                TARGET_LENGTHS, dx);
        double[][] grads = gradients(model);
        double[][][] otherDx = new double[B][TX][I];
        double other = (double) model.call("computeGradients", model.workspace, otherXs, otherTargets, INPUT_LENGTHS,
                TARGET_LENGTHS, otherDx);
        assertEquals(loss, other, 0.0, "the loss, other padding");
        assertTrue(Arrays.deepEquals(grads, gradients(model)), "the gradients, other padding");
        assertTrue(Arrays.deepEquals(dx, otherDx), "dL/dx, other padding");
        for (int b = 0; b < B; b++) {
            for (int t = INPUT_LENGTHS[b]; t < TX; t++) {
                assertArrayEquals(new double[I], dx[b][t], "dL/dx at padded step " + t + " of sequence " + b);
            }
        }
    }

    /** Training with the same seed from the same weights gives the same weights, bit for bit; another seed not. */
    @Test
    void trainingIsReproducibleForASeed() {
        for (String name : List.of("Fixed", "Variable")) {
            ModelHandle first = model("encdrop." + name, 12);
            ModelHandle second = model("encdrop." + name, 12);
            ModelHandle reseeded = model("encreseeded." + name, 12);
            SplittableRandom random = new SplittableRandom(13);
            for (int update = 0; update < 3; update++) {
                Object xs = name.equals("Fixed") ? symbols(random, TX, I) : vectors(random);
                int[][] targets = symbols(random, TY, O);
                for (ModelHandle m : List.of(first, second, reseeded)) {
                    if (name.equals("Fixed")) {
                        m.call("trainStep", xs, targets);
                    } else {
                        m.call("trainStep", xs, targets, INPUT_LENGTHS, TARGET_LENGTHS);
                    }
                }
            }
            assertTrue(Arrays.deepEquals(values(first), values(second)), name + ": the same seed, the same weights");
            assertFalse(Arrays.deepEquals(values(first), values(reseeded)), name + ": another seed, other masks");
        }
    }

    private static double[][] gradients(ModelHandle model) {
        return model.parameters().list().stream().map(p -> {
            double[] g = new double[p.size()];
            for (int i = 0; i < g.length; i++) {
                g[i] = p.grad(i);
            }
            return g;
        }).toArray(double[][]::new);
    }

    private static double[][] values(ModelHandle model) {
        return model.parameters().list().stream().map(p -> {
            double[] v = new double[p.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = p.value(i);
            }
            return v;
        }).toArray(double[][]::new);
    }

    private static void assertSame(String what, Object ours, Object theirs) {
        assertTrue(Arrays.deepEquals(new Object[] {ours}, new Object[] {theirs}), what + ": not the network without"
                + " dropout, bit for bit");
    }

    @SuppressWarnings("unchecked")
    private static void assertSameBeams(String what, Object ours, Object theirs) {
        List<BeamSearch.Hypothesis> a = (List<BeamSearch.Hypothesis>) ours;
        List<BeamSearch.Hypothesis> b = (List<BeamSearch.Hypothesis>) theirs;
        assertEquals(b.size(), a.size(), what + ": hypotheses");
        for (int k = 0; k < a.size(); k++) {
            assertArrayEquals(b.get(k).symbols(), a.get(k).symbols(), what + ": hypothesis " + k);
            assertEquals(b.get(k).logProbability(), a.get(k).logProbability(), 0.0, what + ": log-probability " + k);
        }
    }
}
