package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.runtime.NonFiniteException;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.Trainable;
import dev.unroll.runtime.Trainer;
import dev.unroll.runtime.checkpoint.CheckpointException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generated models learn: seeded training runs on a delayed-echo task (the target at step t is
 * the symbol seen at step t - 2, so the network must remember), with a stated loss to reach
 * within a bounded number of updates, for an LSTM, a GRU and a vanilla RNN, and for the variants: an
 * LSTM with peepholes and a cell clip of 1, and the Cho GRU; and a look-ahead tagging task (the target
 * at step t is the symbol of step t + 1) that a bidirectional GRU learns and a forward GRU cannot (it
 * has not seen x_{t+1} at step t). Also checks the training plumbing: checkpoints round-trip, and a
 * non-finite gradient is refused before it touches the weights.
 */
class TrainingTest {
    private static final int VOCAB = 4;
    private static final int STEPS = 10;
    private static final int DELAY = 2;
    private static final int BATCH = 16;

    @TempDir
    static Path work;

    private static Map<String, Class<?>> classes;

    private static String spec(String name, String layer, String optimizer) {
        return "package training;\nmodel " + name + " {\n"
                + "    input " + VOCAB + " one_hot;\n"
                + "    " + layer + ";\n"
                + "    output " + VOCAB + " softmax;\n"
                + "    many_to_many steps " + STEPS + ";\n"
                + "    " + optimizer + ";\n"
                + "    clip norm 5.0;\n"
                + "    seed 7;\n"
                + "}\n";
    }

    @BeforeAll
    static void compile() {
        List<NetworkModel> models = List.of(
                GeneratedCode.model("lstm.rnn", spec("EchoLstm", "lstm 24", "optimizer adam learning_rate 0.02")),
                GeneratedCode.model("gru.rnn", spec("EchoGru", "gru 24", "optimizer adam learning_rate 0.02")),
                GeneratedCode.model("rnn.rnn", spec("EchoRnn", "rnn 32", "optimizer adam learning_rate 0.01")),
                GeneratedCode.model("peepholes.rnn", spec("EchoPeepholeLstm", "lstm 24 peepholes cell_clip 1",
                        "optimizer adam learning_rate 0.02")),
                GeneratedCode.model("cho.rnn", spec("EchoChoGru", "gru 24 cho", "optimizer adam learning_rate 0.02")),
                GeneratedCode.model("bigru.rnn", spec("LookaheadBiGru", "gru 16 bidirectional",
                        "optimizer adam learning_rate 0.02")),
                GeneratedCode.model("gru2.rnn", spec("LookaheadGru", "gru 24", "optimizer adam learning_rate 0.02")));
        classes = GeneratedCode.compile(models, work);
    }

    /** A batch of random symbol sequences; targets are the inputs delayed by {@link #DELAY} (0 before that). */
    private static Trainer.Batch<int[][], int[][]> echoBatch(SplittableRandom random) {
        int[][] xs = new int[BATCH][STEPS];
        int[][] ys = new int[BATCH][STEPS];
        for (int b = 0; b < BATCH; b++) {
            for (int t = 0; t < STEPS; t++) {
                xs[b][t] = random.nextInt(VOCAB);
                ys[b][t] = t >= DELAY ? xs[b][t - DELAY] : 0;
            }
        }
        return new Trainer.Batch<>(xs, ys);
    }

    /** A batch of random symbol sequences; the target at step t is the input of step t + 1 (0 at the last step). */
    private static Trainer.Batch<int[][], int[][]> lookaheadBatch(SplittableRandom random) {
        int[][] xs = new int[BATCH][STEPS];
        int[][] ys = new int[BATCH][STEPS];
        for (int b = 0; b < BATCH; b++) {
            for (int t = 0; t < STEPS; t++) {
                xs[b][t] = random.nextInt(VOCAB);
            }
            for (int t = 0; t < STEPS; t++) {
                ys[b][t] = t + 1 < STEPS ? xs[b][t + 1] : 0;
            }
        }
        return new Trainer.Batch<>(xs, ys);
    }

    private static double train(String model, int updates) {
        return train(model, updates, TrainingTest::echoBatch);
    }

    @SuppressWarnings("unchecked")
    private static double train(String model, int updates,
            java.util.function.Function<SplittableRandom, Trainer.Batch<int[][], int[][]>> task) {
        ModelHandle handle = new ModelHandle(classes.get("training." + model));
        Trainable<int[][], int[][]> trainable = (Trainable<int[][], int[][]>) handle.model;
        SplittableRandom data = new SplittableRandom(11);
        Trainer.Progress last = Trainer.train(trainable, u -> task.apply(data), updates, null);
        assertEquals(updates, trainable.updates());
        // evaluate on fresh data
        Trainer.Batch<int[][], int[][]> test = task.apply(new SplittableRandom(99));
        double loss = (double) handle.call("loss", handle.workspace, test.inputs(), test.targets());
        System.out.printf("%s: %d updates, final smoothed training loss %.4f, held-out loss %.4f%n", model, updates,
                last.smoothedLoss(), loss);
        return loss;
    }

    @Test
    void lstmLearnsDelayedEcho() {
        // chance level is ln(4) = 1.386
        assertTrue(train("EchoLstm", 400) < 0.01);
    }

    @Test
    void gruLearnsDelayedEcho() {
        assertTrue(train("EchoGru", 400) < 0.01);
    }

    @Test
    void lstmWithPeepholesAndACellClipLearnsDelayedEcho() {
        assertTrue(train("EchoPeepholeLstm", 400) < 0.01);
    }

    @Test
    void choGruLearnsDelayedEcho() {
        assertTrue(train("EchoChoGru", 400) < 0.01);
    }

    @Test
    void vanillaRnnLearnsDelayedEcho() {
        assertTrue(train("EchoRnn", 600) < 0.01);
    }

    @Test
    void bidirectionalGruLearnsTheNextSymbolAndAForwardOneCannot() {
        // a forward model cannot beat chance, ln(4) = 1.386, on the 9 of 10 steps whose target it has not read yet:
        // its best held-out loss is about 0.9 * 1.386 = 1.25
        double forward = train("LookaheadGru", 300, TrainingTest::lookaheadBatch);
        double bidirectional = train("LookaheadBiGru", 300, TrainingTest::lookaheadBatch);
        assertTrue(forward > 1.1, "a forward GRU cannot see x_{t+1}: " + forward);
        assertTrue(bidirectional < 0.05, "the bidirectional GRU reads it from the reverse pass: " + bidirectional);
    }

    @Test
    void checkpointRoundTripsAndRefusesAnotherModel() throws Exception {
        ModelHandle lstm = new ModelHandle(classes.get("training.EchoLstm"));
        Path file = work.resolve("lstm.safetensors");
        lstm.call("save", file);
        ModelHandle copy = new ModelHandle(classes.get("training.EchoLstm"));
        for (Parameter p : copy.parameters()) {
            for (int i = 0; i < p.size(); i++) {
                p.setValue(i, 0);
            }
        }
        copy.call("load", file);
        for (Parameter p : lstm.parameters()) {
            Parameter q = copy.parameters().get(p.name());
            for (int i = 0; i < p.size(); i++) {
                assertEquals(p.value(i), q.value(i), 0.0, p.name());
            }
        }
        ModelHandle gru = new ModelHandle(classes.get("training.EchoGru"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> gru.call("load", file));
        assertTrue(e.getMessage().contains("rnn.weight_ih_l0"), e.getMessage());
        assertTrue(Files.size(file) > 0);
    }

    @Test
    void weightsWrittenThroughEjmlViewsAreUsedAfterParametersChanged() {
        ModelHandle model = new ModelHandle(classes.get("training.EchoLstm"));
        ModelHandle twin = new ModelHandle(classes.get("training.EchoLstm"));
        int[] x = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1};
        Object before = model.call("forward", model.workspace, x);
        // scale the recurrent weights: once through the EJML view, once through setValue
        org.ejml.data.FMatrixRMaj view =
                ((dev.unroll.runtime.FloatParameter) model.parameters().get("rnn.weight_hh_l0")).valueMatrix();
        org.ejml.dense.row.CommonOps_FDRM.scale(3f, view);
        model.call("parametersChanged");
        Parameter twinWeights = twin.parameters().get("rnn.weight_hh_l0");
        for (int i = 0; i < twinWeights.size(); i++) {
            twinWeights.setValue(i, (float) (3f * (float) twinWeights.value(i)));
        }
        Object after = model.call("forward", model.workspace, x);
        Object expected = twin.call("forward", twin.workspace, x);
        assertTrue(java.util.Arrays.deepEquals((float[][]) after, (float[][]) expected));
        assertTrue(!java.util.Arrays.deepEquals((float[][]) after, (float[][]) before));
    }

    @Test
    @SuppressWarnings("unchecked")
    void nonFiniteGradientIsRefusedBeforeTouchingTheWeights() {
        ModelHandle handle = new ModelHandle(classes.get("training.EchoGru"));
        Trainable<int[][], int[][]> model = (Trainable<int[][], int[][]>) handle.model;
        Parameter head = model.parameters().get("head.weight");
        head.setValue(3, Double.POSITIVE_INFINITY);
        double[][] before = snapshot(model);
        Trainer.Batch<int[][], int[][]> batch = echoBatch(new SplittableRandom(1));
        NonFiniteException e = assertThrows(NonFiniteException.class, () -> model.trainStep(batch.inputs(),
                batch.targets()));
        assertTrue(e.getMessage().contains("nothing was updated"), e.getMessage());
        double[][] after = snapshot(model);
        for (int i = 0; i < before.length; i++) {
            assertArrayEquals(before[i], after[i]);
        }
        assertEquals(0, model.updates());
    }

    private static double[][] snapshot(Trainable<?, ?> model) {
        List<Parameter> list = model.parameters().list();
        double[][] values = new double[list.size()][];
        for (int i = 0; i < values.length; i++) {
            Parameter p = list.get(i);
            values[i] = new double[p.size()];
            for (int j = 0; j < p.size(); j++) {
                values[i][j] = p.value(j);
            }
        }
        return values;
    }
}
