package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.unroll.runtime.Parameter;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One model instance serves many threads: the forward methods only read the parameters, and all
 * activations live in the caller's {@code Workspace} (or {@code Stepper}). Eight threads, each
 * with its own workspace, and half of them also streaming through their own stepper, run forward
 * passes on many random inputs at once; every result must be bit-identical to the same
 * computation done on one thread beforehand. The threads start together right after the weights
 * were marked changed, so they also race to refresh the model's packed copy of the weights.
 */
class ConcurrentInferenceTest {
    private static final int THREADS = 8;
    private static final int INPUTS_PER_THREAD = 25;

    @TempDir
    static Path work;

    private static Map<String, Class<?>> classes;

    private static final NetSpec LSTM = new NetSpec("concurrent", "ConcurrentLstm",
            List.of(new NetSpec.Layer(NetSpec.Cell.LSTM, 24), new NetSpec.Layer(NetSpec.Cell.GRU, 16)), 6, false, 5,
            NetSpec.Head.SOFTMAX_CE, NetSpec.Topo.MANY_TO_MANY, 12, 0, true);
    private static final NetSpec GRU = new NetSpec("concurrent", "ConcurrentGru",
            List.of(new NetSpec.Layer(NetSpec.Cell.GRU, 20), new NetSpec.Layer(NetSpec.Cell.RNN_TANH, 12)), 9, true, 3,
            NetSpec.Head.SIGMOID_BCE, NetSpec.Topo.MANY_TO_ONE, 10, 0, false);

    @BeforeAll
    static void compile() {
        classes = GeneratedCode.compile(List.of(LSTM.model(), GRU.model()), work);
    }

    @Test
    void float64ManyToManyWithWorkspacesAndSteppers() throws Exception {
        run(LSTM);
    }

    @Test
    void float32OneHotManyToOneWithWorkspacesAndSteppers() throws Exception {
        run(GRU);
    }

    private static void run(NetSpec spec) throws Exception {
        ModelHandle handle = new ModelHandle(classes.get(spec.qualifiedName()));
        SplittableRandom random = new SplittableRandom(5);
        for (Parameter p : handle.parameters()) {
            for (int i = 0; i < p.size(); i++) {
                p.setValue(i, random.nextDouble(-0.6, 0.6));
            }
        }
        // inputs per thread, and the single-threaded results: batched forward and, step by step, a stepper
        List<TestBatch> inputs = new ArrayList<>();
        List<double[]> expectedForward = new ArrayList<>();
        List<double[]> expectedSteps = new ArrayList<>();
        Method forward = null;
        for (int thread = 0; thread < THREADS; thread++) {
            TestBatch batch = TestBatch.random(spec, INPUTS_PER_THREAD, random);
            inputs.add(batch);
            Object xs = batch.xs();
            forward = handle.method("forward", handle.workspace, xs);
            expectedForward.add(TestBatch.flatten(handle.call(forward, handle.workspace, xs)));
            expectedSteps.add(stream(handle.call("newStepper"), batch, false));
        }
        // new weights (the same values) after the single-threaded run: the threads' first calls all
        // find the model's packed copy of the weights out of date and race to refresh it
        handle.call("parametersChanged");
        Object model = handle.model;
        Method batchedForward = forward;
        Method singleForward = handle.method("forward", handle.workspace, inputs.get(0).x(0));
        Method newWorkspace = model.getClass().getMethod("newWorkspace");
        Method newStepper = model.getClass().getMethod("newStepper");

        CyclicBarrier start = new CyclicBarrier(THREADS);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int thread = 0; thread < THREADS; thread++) {
                final int id = thread;
                results.add(pool.submit(() -> {
                    Object ws = newWorkspace.invoke(model);
                    // each thread builds its own stepper, or none
                    Object stepper = id % 2 == 0 ? newStepper.invoke(model) : null;
                    TestBatch batch = inputs.get(id);
                    Object xs = batch.xs();
                    start.await(30, TimeUnit.SECONDS);
                    for (int round = 0; round < 3; round++) {
                        // sequence by sequence through the single-input forward, then the whole batch at once
                        List<Double> single = new ArrayList<>();
                        for (int b = 0; b < batch.size(); b++) {
                            Object y = singleForward.invoke(model, ws, Array.get(xs, b));
                            for (double v : TestBatch.flatten(y)) {
                                single.add(v);
                            }
                        }
                        double[] singles = single.stream().mapToDouble(Double::doubleValue).toArray();
                        if (!Arrays.equals(expectedForward.get(id), singles)) {
                            return "thread " + id + " round " + round + ": forward(ws, x) differs";
                        }
                        double[] batched = TestBatch.flatten(batchedForward.invoke(model, ws, xs));
                        if (!Arrays.equals(expectedForward.get(id), batched)) {
                            return "thread " + id + " round " + round + ": forward(ws, xs) differs";
                        }
                        // rounds after the first step into a reused output buffer: step(x, y)
                        if (stepper != null
                                && !Arrays.equals(expectedSteps.get(id), stream(stepper, batch, round > 0))) {
                            return "thread " + id + " round " + round + ": stepper outputs differ";
                        }
                    }
                    return "ok";
                }));
            }
            for (Future<String> result : results) {
                assertEquals("ok", result.get(120, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Every output of a stepper run over each sequence of the batch (reset between sequences), through
     * {@code step(x)} or, {@code intoBuffer}, through {@code step(x, y)} with one reused {@code y}.
     */
    private static double[] stream(Object stepper, TestBatch batch, boolean intoBuffer) {
        List<Double> out = new ArrayList<>();
        Object xs = batch.xs();
        Object y = Array.newInstance(batch.spec().float64() ? double.class : float.class, batch.spec().outputSize());
        for (int b = 0; b < batch.size(); b++) {
            ModelHandle.invoke(stepper, "reset");
            Object x = Array.get(xs, b);
            for (int t = 0; t < Array.getLength(x); t++) {
                Object output = intoBuffer ? ModelHandle.invoke(stepper, "step", Array.get(x, t), y)
                        : ModelHandle.invoke(stepper, "step", Array.get(x, t));
                for (double v : TestBatch.flatten(output)) {
                    out.add(v);
                }
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
