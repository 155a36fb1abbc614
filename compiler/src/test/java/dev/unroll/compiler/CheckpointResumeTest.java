package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.RecurrentModel;
import dev.unroll.runtime.checkpoint.CheckpointException;
import dev.unroll.runtime.checkpoint.Checkpoints;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resumable training: N updates, save, load into a fresh model, M updates give the same weights,
 * to the last bit, as N + M updates straight, for every optimizer (with momentum, weight decay and
 * a schedule where they apply) in both precisions; a checkpoint of weights only still loads and
 * says that the optimizer restarts.
 */
class CheckpointResumeTest {
    @TempDir
    static Path work;

    private static final Map<String, String> OPTIMIZERS = new LinkedHashMap<>();

    static {
        OPTIMIZERS.put("Sgd", "optimizer sgd learning_rate 0.1 weight_decay 0.01;");
        OPTIMIZERS.put("Momentum", "optimizer momentum learning_rate 0.05 nesterov;\n    schedule step every 2 gamma 0.5;");
        OPTIMIZERS.put("Adagrad", "optimizer adagrad learning_rate 0.1;");
        OPTIMIZERS.put("Rmsprop", "optimizer rmsprop learning_rate 0.01 weight_decay 0.001;");
        OPTIMIZERS.put("Adam", "optimizer adam learning_rate 0.01;\n    schedule cosine period 5;");
        OPTIMIZERS.put("Adamw", "optimizer adamw learning_rate 0.01 weight_decay 0.1;");
    }

    private static Map<String, Class<?>> classes;

    @BeforeAll
    static void compile() {
        List<NetworkModel> models = new ArrayList<>();
        for (Map.Entry<String, String> o : OPTIMIZERS.entrySet()) {
            for (String precision : List.of("float32", "float64")) {
                String name = o.getKey() + (precision.equals("float32") ? "F32" : "F64");
                models.add(GeneratedCode.model(name + ".rnn", "package resume.test;\nmodel " + name + " {\n"
                        + "    input 3;\n    gru 5;\n    output 2 sigmoid;\n    many_to_one steps 4;\n"
                        + "    loss binary_cross_entropy;\n    " + o.getValue() + "\n    precision " + precision
                        + ";\n    seed 4;\n}\n"));
            }
        }
        classes = GeneratedCode.compile(models, work);
    }

    @SuppressWarnings("unchecked")
    private static RecurrentModel<Object, Object, Object, Object> newModel(String name, long seed) throws Exception {
        return (RecurrentModel<Object, Object, Object, Object>) classes.get("resume.test." + name)
                .getConstructor(long.class).newInstance(seed);
    }

    /** The batch of update {@code u}: the same for every model, whenever it is asked for. */
    private static Object[] batch(RecurrentModel<?, ?, ?, ?> model, int u) {
        SplittableRandom random = new SplittableRandom(1000 + u);
        boolean f32 = model.shape().float32();
        Object xs = f32 ? new float[3][4][3] : new double[3][4][3];
        Object ys = f32 ? new float[3][2] : new double[3][2];
        for (int b = 0; b < 3; b++) {
            for (int t = 0; t < 4; t++) {
                for (int i = 0; i < 3; i++) {
                    set(((Object[][]) xs)[b][t], i, random.nextDouble(-1, 1));
                }
            }
            for (int o = 0; o < 2; o++) {
                set(((Object[]) ys)[b], o, random.nextInt(2));
            }
        }
        return new Object[] {xs, ys};
    }

    private static void set(Object array, int i, double v) {
        if (array instanceof float[] f) {
            f[i] = (float) v;
        } else {
            ((double[]) array)[i] = v;
        }
    }

    private static void train(RecurrentModel<Object, Object, Object, Object> model, int from, int to) {
        for (int u = from; u < to; u++) {
            Object[] b = batch(model, u);
            model.trainStep(b[0], b[1]);
        }
    }

    private static List<double[]> weights(RecurrentModel<?, ?, ?, ?> model) {
        List<double[]> all = new ArrayList<>();
        for (Parameter p : model.parameters()) {
            double[] v = new double[p.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = p.value(i);
            }
            all.add(v);
        }
        return all;
    }

    private static Object call(Object model, String method, Path file) throws Exception {
        Method m = model.getClass().getMethod(method, Path.class);
        return m.invoke(model, file);
    }

    @Test
    void savedAndResumedTrainingEqualsTrainingStraightBitForBit() throws Exception {
        for (String optimizer : OPTIMIZERS.keySet()) {
            for (String precision : List.of("F32", "F64")) {
                String name = optimizer + precision;
                RecurrentModel<Object, Object, Object, Object> straight = newModel(name, 4);
                train(straight, 0, 7);

                RecurrentModel<Object, Object, Object, Object> first = newModel(name, 4);
                train(first, 0, 3);
                Path checkpoint = work.resolve(name + ".safetensors");
                call(first, "save", checkpoint);
                RecurrentModel<Object, Object, Object, Object> resumed = newModel(name, 99);
                Checkpoints.Loaded loaded = (Checkpoints.Loaded) call(resumed, "load", checkpoint);
                assertTrue(loaded.optimizerRestored(), name);
                assertEquals(List.of(), loaded.warnings(), name);
                assertEquals(3, resumed.updates(), name);
                assertEquals(first.learningRate(), resumed.learningRate(), name + ": the schedule's position");
                train(resumed, 3, 7);

                List<double[]> expected = weights(straight);
                List<double[]> actual = weights(resumed);
                for (int i = 0; i < expected.size(); i++) {
                    assertArrayEquals(expected.get(i), actual.get(i), name + " " + straight.parameters().names().get(i));
                }
            }
        }
    }

    @Test
    void withoutItsOptimizerStateTheResumedRunDiffers() throws Exception {
        // the check above can fail: restarting Adam from zero moments gives other weights
        RecurrentModel<Object, Object, Object, Object> straight = newModel("AdamF64", 4);
        train(straight, 0, 7);
        RecurrentModel<Object, Object, Object, Object> first = newModel("AdamF64", 4);
        train(first, 0, 3);
        Path weightsOnly = work.resolve("adam-weights.safetensors");
        call(first, "saveWeights", weightsOnly);
        RecurrentModel<Object, Object, Object, Object> restarted = newModel("AdamF64", 99);
        Checkpoints.Loaded loaded = (Checkpoints.Loaded) call(restarted, "load", weightsOnly);
        assertFalse(loaded.optimizerRestored());
        assertEquals(1, loaded.warnings().size());
        assertTrue(loaded.warnings().get(0).contains("no optimizer state (weights only): the optimizer restarts"),
                loaded.warnings().get(0));
        assertEquals(0, restarted.updates());
        assertEquals(weights(first).get(0)[0], weights(restarted).get(0)[0], "the weights did load");
        train(restarted, 3, 7);
        assertFalse(java.util.Arrays.equals(weights(straight).get(0), weights(restarted).get(0)));
    }

    @Test
    void aTrainingCheckpointOfAnotherOptimizerLoadsItsWeightsAndRestartsTheOptimizer() throws Exception {
        RecurrentModel<Object, Object, Object, Object> adam = newModel("AdamF32", 4);
        train(adam, 0, 2);
        Path checkpoint = work.resolve("adam-for-sgd.safetensors");
        call(adam, "save", checkpoint);
        // same architecture and precision, other optimizer: the tensors match, the state is Adam's
        RecurrentModel<Object, Object, Object, Object> sgd = newModel("SgdF32", 4);
        Checkpoints.Loaded loaded = (Checkpoints.Loaded) call(sgd, "load", checkpoint);
        assertFalse(loaded.optimizerRestored());
        assertTrue(loaded.warnings().get(0).contains("the state of another optimizer (adam)"), loaded.warnings().get(0));
    }

    @Test
    void aDamagedOptimizerStateIsRefusedAndChangesNothing() throws Exception {
        RecurrentModel<Object, Object, Object, Object> first = newModel("AdamF64", 4);
        train(first, 0, 2);
        Path checkpoint = work.resolve("damaged.safetensors");
        call(first, "save", checkpoint);
        // rewrite the file without one moment tensor
        var file = dev.unroll.runtime.checkpoint.SafeTensors.read(checkpoint);
        List<dev.unroll.runtime.checkpoint.OutputTensor> kept = new ArrayList<>();
        for (var t : file.tensors()) {
            if (!t.name().equals("optimizer.rnn.weight_hh_l0.exp_avg_sq")) {
                kept.add(dev.unroll.runtime.checkpoint.OutputTensor.of(t.name(), t.toDoubleArray(), t.shape()));
            }
        }
        Path damaged = work.resolve("damaged-2.safetensors");
        dev.unroll.runtime.checkpoint.SafeTensors.write(damaged, kept, file.metadata());
        RecurrentModel<Object, Object, Object, Object> other = newModel("AdamF64", 99);
        List<double[]> before = weights(other);
        Exception e = assertThrows(Exception.class, () -> call(other, "load", damaged));
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        assertTrue(cause instanceof CheckpointException, cause.toString());
        assertTrue(cause.getMessage().contains("optimizer state tensor 'optimizer.rnn.weight_hh_l0.exp_avg_sq' is missing"),
                cause.getMessage());
        assertTrue(cause.getMessage().contains("no parameter was changed"), cause.getMessage());
        List<double[]> after = weights(other);
        for (int i = 0; i < before.size(); i++) {
            assertArrayEquals(before.get(i), after.get(i));
        }
        assertEquals(0, other.updates());
        assertTrue(Files.exists(damaged));
    }
}
