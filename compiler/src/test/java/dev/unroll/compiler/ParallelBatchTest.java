package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.unroll.runtime.Parameter;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A batch with enough work is split in two and its second half run on another thread, in the
 * workspace's partner, with its own gradient buffers. These models are sized so that a batch of 6
 * is split (checked: the partner workspace exists afterwards) and a batch of 1 is not. Then:
 * <ul>
 *   <li>the split batch's loss, parameter gradients and input gradients equal, in float64 to
 *       1e-13, the mean of those of each sequence computed alone (the definition of the batch
 *       gradient, computed without any split);
 *   <li>running the halves on one thread ({@code setParallel(false)}) gives bit-identical results;
 *   <li>{@code loss} (forward only, also split) equals {@code computeGradients}' loss.
 * </ul>
 */
class ParallelBatchTest {
    private static final int BATCH = 6;

    @TempDir
    static Path work;

    private static java.util.Map<String, Class<?>> classes;

    static List<NetSpec> specs() {
        return List.of(
                new NetSpec("parallel", "SplitLstm", List.of(new NetSpec.Layer(NetSpec.Cell.LSTM, 48)), 8, false, 5,
                        NetSpec.Head.LINEAR_MSE, NetSpec.Topo.MANY_TO_MANY, 20, 0, true),
                new NetSpec("parallel", "SplitGru", List.of(new NetSpec.Layer(NetSpec.Cell.GRU, 40),
                        new NetSpec.Layer(NetSpec.Cell.RNN_TANH, 32)), 11, true, 4, NetSpec.Head.SOFTMAX_CE,
                        NetSpec.Topo.MANY_TO_ONE, 24, 0, true),
                new NetSpec("parallel", "SplitFeedback", List.of(new NetSpec.Layer(NetSpec.Cell.GRU, 64)), 6, false,
                        6, NetSpec.Head.TANH_MSE, NetSpec.Topo.ONE_TO_MANY_FEEDBACK, 20, 0, true));
    }

    @BeforeAll
    static void compile() {
        classes = GeneratedCode.compile(specs().stream().map(NetSpec::model).toList(), work);
    }

    @ParameterizedTest
    @MethodSource("specs")
    void splitBatchEqualsTheMeanOfItsSequences(NetSpec spec) throws Exception {
        SplittableRandom random = new SplittableRandom(17);
        ModelHandle model = new ModelHandle(classes.get(spec.qualifiedName()));
        for (Parameter p : model.parameters()) {
            for (int i = 0; i < p.size(); i++) {
                p.setValue(i, random.nextDouble(-0.3, 0.3));
            }
        }
        TestBatch batch = TestBatch.random(spec, BATCH, random);

        // each sequence alone: never split
        double expectedLoss = 0;
        List<double[]> expectedGrads = new ArrayList<>();
        for (Parameter p : model.parameters()) {
            expectedGrads.add(new double[p.size()]);
        }
        List<double[]> expectedDx = new ArrayList<>();
        for (int b = 0; b < BATCH; b++) {
            TestBatch one = batch.subset(b);
            Object dx = spec.oneHot() ? null : one.inputGradientBuffer();
            double loss = model.computeGradients(one, dx);
            assertNull(partner(model.workspace), "a batch of 1 is not split");
            expectedLoss += loss / BATCH;
            int k = 0;
            for (Parameter p : model.parameters()) {
                double[] sum = expectedGrads.get(k++);
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += p.grad(i) / BATCH;
                }
            }
            if (dx != null) {
                for (double[] row : TestBatch.rows(dx)) {
                    double[] scaled = row.clone();
                    for (int i = 0; i < scaled.length; i++) {
                        scaled[i] /= BATCH;
                    }
                    expectedDx.add(scaled);
                }
            }
        }

        // the whole batch, split over two threads
        Object dx = spec.oneHot() ? null : batch.inputGradientBuffer();
        double loss = model.computeGradients(batch, dx);
        assertNotNull(partner(model.workspace), "a batch of " + BATCH + " is split: the test covers the split path");
        assertEquals(expectedLoss, loss, 1e-13 * Math.abs(expectedLoss), "loss");
        List<double[]> parallelGrads = grads(model);
        for (int k = 0; k < parallelGrads.size(); k++) {
            assertClose(expectedGrads.get(k), parallelGrads.get(k), "gradient of " + model.parameters().list().get(k).name());
        }
        List<double[]> parallelDx = dx == null ? List.of() : TestBatch.rows(dx);
        for (int r = 0; r < parallelDx.size(); r++) {
            assertClose(expectedDx.get(r), parallelDx.get(r), "dL/dx row " + r);
        }
        Object xs = batch.xs();
        Object targets = batch.targetsArgument();
        assertEquals(loss, (double) model.call("loss", model.workspace, xs, targets), 0.0, "loss() of the split batch");

        // the same split, both halves on the calling thread: the same bits
        model.call("setParallel", false);
        Object dxSerial = spec.oneHot() ? null : batch.inputGradientBuffer();
        double serialLoss = model.computeGradients(batch, dxSerial);
        assertEquals(loss, serialLoss, 0.0, "loss with setParallel(false)");
        List<double[]> serialGrads = grads(model);
        for (int k = 0; k < serialGrads.size(); k++) {
            assertArrayEquals(parallelGrads.get(k), serialGrads.get(k), 0.0, "bit-identical gradients");
        }
        if (dxSerial != null) {
            List<double[]> rows = TestBatch.rows(dxSerial);
            for (int r = 0; r < rows.size(); r++) {
                assertArrayEquals(parallelDx.get(r), rows.get(r), 0.0, "bit-identical dL/dx");
            }
        }
    }

    private static List<double[]> grads(ModelHandle model) {
        List<double[]> grads = new ArrayList<>();
        for (Parameter p : model.parameters()) {
            grads.add(ModelHandle.gradient(p));
        }
        return grads;
    }

    private static void assertClose(double[] expected, double[] actual, String what) {
        double scale = 0;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-13 * scale + 1e-300, what + " [" + i + "]");
        }
    }

    /** The workspace's private partner field: set once a batch was split. */
    private static Object partner(Object workspace) throws ReflectiveOperationException {
        Field field = workspace.getClass().getDeclaredField("partner");
        field.setAccessible(true);
        return field.get(workspace);
    }
}
