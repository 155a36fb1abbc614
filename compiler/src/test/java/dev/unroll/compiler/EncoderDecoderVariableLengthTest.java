package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.runtime.Parameter;
import java.lang.reflect.Array;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code variable_length} encoder-decoders against the model without it: a padded batch whose sequences have their
 * own input lengths ({@code 1..TX}) and target lengths ({@code 1..TY}) computes exactly what each sequence computes
 * alone in the same spec with {@code input_steps L output_steps LT} and no {@code variable_length}, with the same
 * weights: to the last bit, the loss and every gradient of a batch of one, the teacher-forced outputs (zero past the
 * target's length), greedy decoding from the sequence's own input, and {@code dL/dx} (zero at padded steps); a batch's
 * gradient is the target-step-weighted mean of its sequences' ({@code sum_b n_b g_b / sum_b n_b}). Padded inputs and
 * targets hold NaN (or -1 symbols), which no check and no step reads. Bad lengths and end classes are refused, naming
 * which and where.
 */
class EncoderDecoderVariableLengthTest {
    static final int TX = 4;
    static final int TY = 3;

    /** Specs without their topology statement: {@code %s} is the topology. */
    static final List<String> SPECS = List.of(
            "input 4 one_hot;\n    lstm 3;\n    lstm 2;\n    output 3 softmax;\n    %s\n    loss cross_entropy;\n"
                    + "    precision float64;",
            "input 2;\n    gru 3;\n    rnn 2 tanh;\n    output 2 linear;\n    %s\n    loss mse;\n    precision float64;");

    @TempDir
    static Path work;

    private static Map<String, Class<?>> classes;

    static String name(int spec, int tx, int ty, boolean variable) {
        return "E" + spec + (variable ? "Var" : "X" + tx + "Y" + ty);
    }

    static String source(int spec, int tx, int ty, boolean variable) {
        String topology = "many_to_many input_steps " + tx + " output_steps " + ty + (variable ? " variable_length;"
                : ";");
        return "package encdecvar;\n\nmodel " + name(spec, tx, ty, variable) + " {\n    "
                + SPECS.get(spec).formatted(topology) + "\n}\n";
    }

    @BeforeAll
    static void generate() {
        List<NetworkModel> models = new ArrayList<>();
        for (int s = 0; s < SPECS.size(); s++) {
            models.add(GeneratedCode.model(name(s, TX, TY, true) + ".rnn", source(s, TX, TY, true)));
            for (int tx = 1; tx <= TX; tx++) {
                for (int ty = 1; ty <= TY; ty++) {
                    models.add(GeneratedCode.model(name(s, tx, ty, false) + ".rnn", source(s, tx, ty, false)));
                }
            }
        }
        classes = GeneratedCode.compile(models, work);
    }

    private static ModelHandle handle(int s, int tx, int ty, boolean variable) {
        ModelHandle model = new ModelHandle(classes.get("encdecvar." + name(s, tx, ty, variable)));
        model.call("setParallel", false);
        return model;
    }

    private static boolean oneHot(int s) {
        return s == 0;
    }

    /** Input {@code b} of a batch: {@code int[TX]} symbols or {@code double[TX][2]}, padding -1 or NaN. */
    private static Object input(int s, int length, int steps, SplittableRandom random) {
        if (oneHot(s)) {
            int[] x = new int[steps];
            for (int t = 0; t < steps; t++) {
                x[t] = t < length ? random.nextInt(4) : -1;
            }
            return x;
        }
        double[][] x = new double[steps][2];
        for (int t = 0; t < steps; t++) {
            for (int i = 0; i < 2; i++) {
                x[t][i] = t < length ? random.nextDouble(-1, 1) : Double.NaN;
            }
        }
        return x;
    }

    /** Target {@code b}: {@code int[TY]} classes or {@code double[TY][2]}, padding -1 or NaN. */
    private static Object target(int s, int length, int steps, SplittableRandom random) {
        if (oneHot(s)) {
            int[] y = new int[steps];
            for (int t = 0; t < steps; t++) {
                y[t] = t < length ? random.nextInt(3) : -1;
            }
            return y;
        }
        double[][] y = new double[steps][2];
        for (int t = 0; t < steps; t++) {
            for (int i = 0; i < 2; i++) {
                y[t][i] = t < length ? random.nextDouble(-1, 1) : Double.NaN;
            }
        }
        return y;
    }

    /** The first {@code length} steps of a padded sequence, as the model without variable_length takes them. */
    private static Object cut(Object padded, int length) {
        Object out = Array.newInstance(padded.getClass().getComponentType(), length);
        System.arraycopy(padded, 0, out, 0, length);
        return out;
    }

    /** A batch of one: an array of the sequence's type holding it. */
    private static Object one(Object sequence) {
        Object out = Array.newInstance(sequence.getClass(), 1);
        Array.set(out, 0, sequence);
        return out;
    }

    @TestFactory
    Stream<DynamicTest> aPaddedBatchComputesWhatEachSequenceComputesAlone() {
        return Stream.of(0, 1).map(s -> DynamicTest.dynamicTest(name(s, TX, TY, true), () -> checkAgainstAlone(s)));
    }

    private static void checkAgainstAlone(int s) {
        ModelHandle variable = handle(s, TX, TY, true);
        SplittableRandom random = new SplittableRandom(31 + s);
        for (Parameter p : variable.parameters()) {
            for (int i = 0; i < p.size(); i++) {
                p.setValue(i, random.nextDouble(-0.6, 0.6));
            }
        }
        int[] inputLengths = {2, 4, 1, 3, 4};
        int[] targetLengths = {3, 1, 2, 3, 2};
        int n = inputLengths.length;
        Object xs = Array.newInstance(oneHot(s) ? int[].class : double[][].class, n);
        Object ys = Array.newInstance(oneHot(s) ? int[].class : double[][].class, n);
        for (int b = 0; b < n; b++) {
            Array.set(xs, b, input(s, inputLengths[b], TX, random));
            Array.set(ys, b, target(s, targetLengths[b], TY, random));
        }
        List<Map<String, double[]>> alone = new ArrayList<>();
        double weightedLoss = 0;
        int realSteps = 0;
        for (int b = 0; b < n; b++) {
            String what = "sequence " + b + " (input length " + inputLengths[b] + ", target length " + targetLengths[b]
                    + ")";
            Object x = Array.get(xs, b);
            Object y = Array.get(ys, b);
            ModelHandle fixed = handle(s, inputLengths[b], targetLengths[b], false);
            VariableLengthTest.copyWeights(variable, fixed);
            Object xFixed = one(cut(x, inputLengths[b]));
            Object yFixed = one(cut(y, targetLengths[b]));
            int[] inL = {inputLengths[b]};
            int[] tL = {targetLengths[b]};
            double lossVariable;
            double lossFixed;
            Object dxVariable = null;
            Object dxFixed = null;
            if (oneHot(s)) {
                lossVariable = (double) variable.call("computeGradients", variable.workspace, one(x), one(y), inL, tL);
                lossFixed = (double) fixed.call("computeGradients", fixed.workspace, xFixed, yFixed);
            } else {
                dxVariable = new double[1][TX][2];
                dxFixed = new double[1][inputLengths[b]][2];
                lossVariable = (double) variable.call("computeGradients", variable.workspace, one(x), one(y), inL, tL,
                        dxVariable);
                lossFixed = (double) fixed.call("computeGradients", fixed.workspace, xFixed, yFixed, dxFixed);
            }
            assertEquals(lossFixed, lossVariable, 0.0, "loss of " + what);
            Map<String, double[]> grads = VariableLengthTest.gradients(variable);
            Map<String, double[]> expected = VariableLengthTest.gradients(fixed);
            for (String p : expected.keySet()) {
                assertArrayEquals(expected.get(p), grads.get(p), 0.0, p + " of " + what);
            }
            alone.add(grads);
            weightedLoss += lossVariable * targetLengths[b];
            realSteps += targetLengths[b];
            if (dxVariable != null) {
                double[][] dv = ((double[][][]) dxVariable)[0];
                double[][] df = ((double[][][]) dxFixed)[0];
                for (int t = 0; t < TX; t++) {
                    assertArrayEquals(t < inputLengths[b] ? df[t] : new double[2], dv[t], 0.0, "dL/dx[" + t + "] of "
                            + what);
                }
            }
            double[][] tfVariable = (double[][]) Array.get(variable.call("forwardTeacherForced", variable.workspace,
                    one(x), one(y), inL, tL), 0);
            double[][] tfFixed = (double[][]) Array.get(fixed.call("forwardTeacherForced", fixed.workspace, xFixed,
                    yFixed), 0);
            for (int t = 0; t < TY; t++) {
                assertArrayEquals(t < targetLengths[b] ? tfFixed[t] : new double[tfVariable[t].length], tfVariable[t],
                        0.0, "teacher-forced output " + t + " of " + what);
            }
            // greedy decoding runs every output step, from the sequence's own input
            ModelHandle fullOutput = handle(s, inputLengths[b], TY, false);
            VariableLengthTest.copyWeights(variable, fullOutput);
            double[][] greedy = (double[][]) variable.call("forward", variable.workspace, x, inputLengths[b]);
            double[][] greedyFixed = (double[][]) fullOutput.call("forward", fullOutput.workspace,
                    cut(x, inputLengths[b]));
            for (int t = 0; t < TY; t++) {
                assertArrayEquals(greedyFixed[t], greedy[t], 0.0, "greedy output " + t + " of " + what);
            }
        }
        // the batch: the mean over every real target step, so each sequence weighs its target length
        double loss = (double) variable.call("computeGradients", variable.workspace, xs, ys, inputLengths,
                targetLengths);
        assertEquals(weightedLoss / realSteps, loss, 1e-13 * Math.abs(loss), "the batch's loss");
        Map<String, double[]> grads = VariableLengthTest.gradients(variable);
        for (String p : grads.keySet()) {
            double[] g = grads.get(p);
            for (int i = 0; i < g.length; i++) {
                double sum = 0;
                for (int b = 0; b < n; b++) {
                    sum += alone.get(b).get(p)[i] * targetLengths[b];
                }
                double expected = sum / realSteps;
                assertEquals(expected, g[i], 1e-12 * Math.max(1e-3, Math.abs(expected)), p + "[" + i + "] of the batch");
            }
        }
        assertEquals(loss, (double) variable.call("loss", variable.workspace, xs, ys, inputLengths, targetLengths),
                0.0, "loss() equals computeGradients()");
    }

    @Test
    void badLengthsAndEndClassesAreRefusedSayingWhichAndWhere() {
        ModelHandle model = handle(0, TX, TY, true);
        int[][] xs = {{0, 1, -1, -1}, {2, 3, 1, 0}};
        int[][] ys = {{1, -1, -1}, {0, 2, 1}};
        assertMessage("inputLengths[1] is 0, outside [1, 4]: a sequence has at least one step",
                () -> model.call("loss", model.workspace, xs, ys, new int[] {2, 0}, new int[] {1, 3}));
        assertMessage("targetLengths[0] is 4, outside [1, 3]",
                () -> model.call("loss", model.workspace, xs, ys, new int[] {2, 4}, new int[] {4, 3}));
        assertMessage("targetLengths: expected 2 lengths, one per sequence of the batch, got 1",
                () -> model.call("computeGradients", model.workspace, xs, ys, new int[] {2, 4}, new int[] {1}));
        assertMessage("inputLengths is null",
                () -> model.call("trainStep", xs, ys, null, new int[] {1, 3}));
        // a padded input step is never read, but a real one is checked
        assertMessage("xs[0][1] is -1, outside [0, 4)",
                () -> model.call("loss", model.workspace, new int[][] {{0, -1, -1, -1}, {2, 3, 1, 0}}, ys,
                        new int[] {2, 4}, new int[] {1, 3}));
        assertMessage("targets[1][2] is -1, outside [0, 3)",
                () -> model.call("loss", model.workspace, xs, new int[][] {{1, -1, -1}, {0, 2, -1}}, new int[] {2, 4},
                        new int[] {1, 3}));
        assertMessage("endClass is 3, outside [0, 3): give a class of the output, or -1 for no end class",
                () -> model.call("greedy", model.workspace, xs[0], 2, 3));
        assertMessage("endClass is -2, outside [0, 3)",
                () -> model.call("beamSearch", model.workspace, xs[0], 2, 2, -2));
        assertMessage("length is 5, outside [1, 4]",
                () -> model.call("sample", model.workspace, xs[1], 5, 2, 0.0, new SplittableRandom(1)));
        assertMessage("outputLengths: expected 2 lengths, one per sequence of the batch, got 3",
                () -> model.call("forward", model.workspace, xs, new int[] {2, 4}, 2, new int[3]));
        // the lengths are checked before anything is computed: a valid call afterwards is unaffected
        double loss = (double) model.call("loss", model.workspace, xs, ys, new int[] {2, 4}, new int[] {1, 3});
        assertTrue(Double.isFinite(loss), "loss " + loss);
    }

    @Test
    void theTrainerPassesTargetLengthsOn() {
        ModelHandle direct = handle(0, TX, TY, true);
        ModelHandle trained = handle(0, TX, TY, true);
        VariableLengthTest.copyWeights(direct, trained);
        int[][] xs = {{0, 1, -1, -1}, {2, 3, 1, 0}};
        int[][] ys = {{1, -1, -1}, {0, 2, 1}};
        int[] inputLengths = {2, 4};
        int[] targetLengths = {1, 3};
        for (int update = 0; update < 3; update++) {
            direct.call("trainStep", xs, ys, inputLengths, targetLengths);
        }
        @SuppressWarnings("unchecked")
        dev.unroll.runtime.Trainable<int[][], int[][]> model = (dev.unroll.runtime.Trainable<int[][], int[][]>)
                trained.model;
        dev.unroll.runtime.Trainer.train(model, n -> new dev.unroll.runtime.Trainer.Batch<>(xs, ys, inputLengths,
                targetLengths), 3, null);
        for (Parameter p : direct.parameters()) {
            for (int i = 0; i < p.size(); i++) {
                assertEquals(p.value(i), trained.parameters().get(p.name()).value(i), 0.0, p.name() + "[" + i + "]");
            }
        }
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), "expected a message with '" + expected + "', got '"
                + e.getMessage() + "'");
    }
}
