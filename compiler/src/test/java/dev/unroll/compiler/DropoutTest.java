package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.runtime.Parameter;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dropout as the generated code applies it (docs/language.md 4.8): off in every inference path, the same
 * masks for the same seed and updates on any number of threads, keyed by the update count, and, trained on
 * a small noisy set, a narrower gap between the training and the held-out loss than without it.
 */
class DropoutTest {
    @TempDir
    static Path work;

    private static Map<String, Class<?>> classes;

    /** A step-by-step stack, a bidirectional one and a training task's pair, each with a twin without dropout. */
    private static final String STACK = "    input 8;\n    lstm 48 DROP0;\n    gru 16 DROP1;\n    output 5;\n"
            + "    many_to_many steps 20;\n    loss mse;\n    seed 11;\n    precision float64;\n";
    private static final String BIDIRECTIONAL = "    input 8;\n    gru 24 bidirectional DROP0;\n"
            + "    lstm 6 bidirectional sum DROP1;\n    output 3 softmax;\n    many_to_one steps 16;\n"
            + "    seed 11;\n    precision float64;\n";
    private static final String NOISY = "    input 6;\n    lstm 32 DROP1;\n    lstm 32 DROP1;\n    output 2 softmax;\n"
            + "    many_to_one steps 8;\n    optimizer adam learning_rate 0.005;\n    seed 3;\n    precision float64;\n";

    private static String spec(String pkg, String name, String body, String drop0, String drop1) {
        return "package " + pkg + ";\nmodel " + name + " {\n" + body.replace("DROP0", drop0).replace("DROP1", drop1)
                .replace(" ;", ";") + "}\n";
    }

    @BeforeAll
    static void compile() {
        List<NetworkModel> models = new ArrayList<>();
        for (String[] m : new String[][] {{"Stack", STACK}, {"Bidirectional", BIDIRECTIONAL}, {"Noisy", NOISY}}) {
            models.add(GeneratedCode.model(m[0] + ".rnn", spec("drop", m[0], m[1], "dropout 0.3", "dropout 0.5")));
            models.add(GeneratedCode.model(m[0] + "-plain.rnn", spec("plain", m[0], m[1], "", "")));
        }
        models.add(GeneratedCode.model("Reseeded.rnn", spec("reseeded", "Stack", STACK.replace("seed 11", "seed 12"),
                "dropout 0.3", "dropout 0.5")));
        classes = GeneratedCode.compile(models, work);
    }

    private static ModelHandle model(String qualifiedName) {
        return new ModelHandle(classes.get(qualifiedName));
    }

    private static void randomWeights(ModelHandle model, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (Parameter p : model.parameters()) {
            for (int i = 0; i < p.size(); i++) {
                p.setValue(i, random.nextDouble(-0.3, 0.3));
            }
        }
    }

    private static void copyWeights(ModelHandle from, ModelHandle to) {
        for (Parameter p : from.parameters()) {
            Parameter q = to.parameters().get(p.name());
            for (int i = 0; i < p.size(); i++) {
                q.setValue(i, p.value(i));
            }
        }
    }

    private static double[][] values(ModelHandle model, boolean gradients) {
        List<Parameter> list = model.parameters().list();
        double[][] out = new double[list.size()][];
        for (int k = 0; k < out.length; k++) {
            Parameter p = list.get(k);
            out[k] = new double[p.size()];
            for (int i = 0; i < p.size(); i++) {
                out[k][i] = gradients ? p.grad(i) : p.value(i);
            }
        }
        return out;
    }

    private static NetSpec stackSpec() {
        return new NetSpec("drop", "Stack", List.of(new NetSpec.Layer(NetSpec.Cell.LSTM, 48).withDropout(0.3),
                new NetSpec.Layer(NetSpec.Cell.GRU, 16).withDropout(0.5)), 8, false, 5, NetSpec.Head.LINEAR_MSE,
                NetSpec.Topo.MANY_TO_MANY, 20, 0, true);
    }

    private static NetSpec bidirectionalSpec() {
        return new NetSpec("drop", "Bidirectional", List.of(new NetSpec.Layer(NetSpec.Cell.GRU, 24,
                NetSpec.Direction.CONCAT, 0.3), new NetSpec.Layer(NetSpec.Cell.LSTM, 6, NetSpec.Direction.SUM, 0.5)), 8, false,
                3, NetSpec.Head.SOFTMAX_CE, NetSpec.Topo.MANY_TO_ONE, 16, 0, true);
    }

    @Test
    void inferenceIsTheNetworkWithoutDropout() {
        for (NetSpec spec : List.of(stackSpec(), bidirectionalSpec())) {
            ModelHandle dropout = model("drop." + spec.name());
            ModelHandle plain = model("plain." + spec.name());
            randomWeights(dropout, 5);
            copyWeights(dropout, plain);
            TestBatch batch = TestBatch.random(spec, 16, new SplittableRandom(8));
            Object xs = batch.xs();
            Object targets = batch.targetsArgument();
            // a training call first, so that the workspace has been in training: inference must not stay there
            double trained = (double) dropout.call("computeGradients", dropout.workspace, xs, targets);
            Object ours = dropout.call("forward", dropout.workspace, xs);
            Object theirs = plain.call("forward", plain.workspace, xs);
            assertTrue(same(ours, theirs), spec + ": forward(batch)");
            Object one = dropout.call("forward", dropout.workspace, Array.get(xs, 1));
            assertTrue(same(one, Array.get(theirs, 1)), spec + ": forward(one sequence)");
            double loss = (double) dropout.call("loss", dropout.workspace, xs, targets);
            assertEquals((double) plain.call("loss", plain.workspace, xs, targets), loss, 0.0, spec + ": loss()");
            assertNotEquals(loss, trained, spec + ": computeGradients trains with dropout");
            double training = (double) dropout.call("trainingLoss", dropout.workspace, xs, targets);
            assertEquals(trained, training, 0.0, spec + ": trainingLoss() is computeGradients' loss");
        }
        // the stepper streams the network without dropout
        ModelHandle dropout = model("drop.Stack");
        ModelHandle plain = model("plain.Stack");
        randomWeights(dropout, 6);
        copyWeights(dropout, plain);
        Object ours = dropout.call("newStepper");
        Object theirs = plain.call("newStepper");
        SplittableRandom random = new SplittableRandom(3);
        for (int t = 0; t < 30; t++) {
            double[] x = new double[8];
            for (int i = 0; i < x.length; i++) {
                x[i] = random.nextDouble(-1, 1);
            }
            assertArrayEquals((double[]) ModelHandle.invoke(theirs, "step", (Object) x),
                    (double[]) ModelHandle.invoke(ours, "step", (Object) x), 0.0, "stepper step " + t);
        }
    }

    @Test
    void aSplitBatchDrawsTheMasksOfOneThread() throws Exception {
        for (NetSpec spec : List.of(stackSpec(), bidirectionalSpec())) {
            ModelHandle parallel = model("drop." + spec.name());
            ModelHandle serial = model("drop." + spec.name());
            randomWeights(parallel, 9);
            copyWeights(parallel, serial);
            serial.call("setParallel", false);
            TestBatch batch = TestBatch.random(spec, 16, new SplittableRandom(10));
            double a = (double) parallel.call("computeGradients", parallel.workspace, batch.xs(),
                    batch.targetsArgument());
            assertNotNull(partner(parallel.workspace), spec + ": the batch is split, the test covers the split path");
            double b = (double) serial.call("computeGradients", serial.workspace, batch.xs(), batch.targetsArgument());
            assertEquals(a, b, 0.0, spec + ": loss");
            assertArrayEquals(values(parallel, true), values(serial, true), spec + ": bit-identical gradients");
            // and a sequence's masks are its own: alone in a batch at the same index, the same loss
            TestBatch first = batch.subset(0);
            double alone = (double) serial.call("trainingLoss", serial.workspace, first.xs(),
                    first.targetsArgument());
            double[] perSequence = new double[1];
            ReferenceModel reference = new ReferenceModel(spec, serial.parameters());
            perSequence[0] = reference.runTraining(first, 11, 0).loss();
            assertEquals(perSequence[0], alone, 1e-12 * Math.abs(alone), spec + ": against the reference's masks");
        }
    }

    @Test
    void theSameSeedAndUpdatesTrainToTheSameWeights() {
        NetSpec spec = stackSpec();
        List<double[][]> runs = new ArrayList<>();
        for (String name : List.of("drop.Stack", "drop.Stack", "reseeded.Stack")) {
            ModelHandle model = model(name);
            randomWeights(model, 4); // the same start for all three
            model.call("setParallel", !runs.isEmpty());
            for (int u = 0; u < 5; u++) {
                TestBatch batch = TestBatch.random(spec, 16, new SplittableRandom(100 + u));
                model.call("trainStep", batch.xs(), batch.targetsArgument());
            }
            runs.add(values(model, false));
        }
        assertArrayEquals(runs.get(0), runs.get(1), "two runs, one of them on two threads: bit-identical weights");
        assertTrue(!java.util.Arrays.deepEquals(runs.get(0), runs.get(2)), "another seed draws other masks");
    }

    @Test
    void theMasksChangeWithTheUpdateCount() {
        ModelHandle model = model("drop.Stack");
        randomWeights(model, 2);
        TestBatch batch = TestBatch.random(stackSpec(), 4, new SplittableRandom(1));
        double before = (double) model.call("trainingLoss", model.workspace, batch.xs(), batch.targetsArgument());
        double evaluation = (double) model.call("loss", model.workspace, batch.xs(), batch.targetsArgument());
        double[][] weights = values(model, false);
        // an update with zero gradients: Adam moves nothing, but the update count goes on
        for (Parameter p : model.parameters()) {
            for (int i = 0; i < p.size(); i++) {
                p.setGrad(i, 0);
            }
        }
        model.call("applyGradients");
        assertArrayEquals(weights, values(model, false), "no weight moved");
        assertEquals(1L, model.call("updates"));
        double after = (double) model.call("trainingLoss", model.workspace, batch.xs(), batch.targetsArgument());
        assertNotEquals(before, after, "the masks of update 1 are not those of update 0");
        assertEquals(new ReferenceModel(stackSpec(), model.parameters()).runTraining(batch, 11, 1).loss(), after,
                1e-12 * Math.abs(after), "update 1's masks, as the language reference defines them");
        assertEquals(evaluation, (double) model.call("loss", model.workspace, batch.xs(), batch.targetsArgument()),
                0.0, "evaluation has no masks to change");
    }

    /**
     * A small noisy set: the class is the sign of a fixed projection of the sequence's summed input, flipped for a
     * quarter of the 256 training sequences. Two LSTMs of 32 units, the same initial weights and the same 100
     * full-batch updates, without and with dropout 0.5 between them and before the head: without it the network
     * has nearly memorized the flips, with it the training loss stays near the held-out one. (Trained on, both
     * memorize in the end: at 300 updates the held-out losses are 4.09 and 3.86; dropout slows memorizing, it
     * does not replace early stopping.)
     */
    @Test
    void dropoutNarrowsTheGapBetweenTrainingAndHeldOutLoss() {
        double[] projection = {1, -1, 0.5, 0.25, -0.5, 1};
        Object[] train = noisySet(256, 0.25, new SplittableRandom(21), projection);
        Object[] heldOut = noisySet(512, 0.25, new SplittableRandom(22), projection);
        double[] plain = fit("plain.Noisy", train, heldOut);
        double[] dropout = fit("drop.Noisy", train, heldOut);
        double plainGap = plain[1] - plain[0];
        double dropoutGap = dropout[1] - dropout[0];
        System.out.printf("DropoutTest: without dropout training loss %.4f, held-out %.4f (gap %.4f); with dropout"
                + " 0.5 training loss %.4f, held-out %.4f (gap %.4f)%n", plain[0], plain[1], plainGap, dropout[0],
                dropout[1], dropoutGap);
        assertTrue(dropoutGap < plainGap / 2, "dropout narrows the gap: " + dropoutGap + " vs " + plainGap);
        assertTrue(dropout[1] < plain[1], "and the held-out loss is lower: " + dropout[1] + " vs " + plain[1]);
    }

    /** Trains 100 full-batch updates; returns the training and held-out losses, both without dropout. */
    private static double[] fit(String name, Object[] train, Object[] heldOut) {
        ModelHandle model = model(name);
        for (int u = 0; u < 100; u++) {
            model.call("trainStep", train[0], train[1]);
        }
        return new double[] {(double) model.call("loss", model.workspace, train[0], train[1]),
                (double) model.call("loss", model.workspace, heldOut[0], heldOut[1])};
    }

    private static Object[] noisySet(int n, double flip, SplittableRandom random, double[] projection) {
        double[][][] xs = new double[n][8][6];
        int[] ys = new int[n];
        for (int b = 0; b < n; b++) {
            double score = 0;
            for (int t = 0; t < 8; t++) {
                for (int i = 0; i < 6; i++) {
                    xs[b][t][i] = random.nextDouble(-1, 1);
                    score += projection[i] * xs[b][t][i];
                }
            }
            ys[b] = (score > 0) ^ (random.nextDouble() < flip) ? 1 : 0;
        }
        return new Object[] {xs, ys};
    }

    /** Whether two arrays of any rank hold the same numbers, bit for bit. */
    private static boolean same(Object a, Object b) {
        return java.util.Arrays.deepEquals(new Object[] {a}, new Object[] {b});
    }

    private static Object partner(Object workspace) throws ReflectiveOperationException {
        Field field = workspace.getClass().getDeclaredField("partner");
        field.setAccessible(true);
        return field.get(workspace);
    }
}
