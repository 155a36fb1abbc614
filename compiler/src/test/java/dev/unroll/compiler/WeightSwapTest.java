package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.runtime.Parameter;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Weights swapped while many threads run inference on one model.
 *
 * <p>The finding: swapping weights <em>into the model the threads are using</em>, through
 * {@code load} (or {@code setValue} and {@code parametersChanged()}), is not safe. A forward pass
 * that runs while {@code load} copies the values reads some old and some new ones, and the packed
 * weight copy is rewritten under passes that already started: {@link #loadIntoTheSharedModelMixesWeights}
 * sees outputs that belong to neither set of weights. docs/java-api.md ("Threads") therefore says
 * to load into a new model object and publish it, or to hold an external lock, and
 * {@link #swappingInANewModelObjectNeverMixes} and {@link #anExternalReadWriteLockNeverMixes} test
 * those two documented ways: every output is bit-identical to the old or the new weights'.
 */
class WeightSwapTest {
    private static final int READERS = 6;
    private static final long RUN_MILLIS = 1500;

    @TempDir
    static Path work;

    private static Class<?> type;
    private static Path weightsA;
    private static Path weightsB;
    private static Object input;
    private static double[] outputA;
    private static double[] outputB;

    private static final NetSpec SPEC = new NetSpec("swap", "SwapLstm",
            List.of(new NetSpec.Layer(NetSpec.Cell.LSTM, 48)), 16, false, 8,
            NetSpec.Head.SOFTMAX_CE, NetSpec.Topo.MANY_TO_MANY, 20, 0, false);

    @BeforeAll
    static void compileAndMakeTwoWeightSets() throws Exception {
        type = GeneratedCode.compile(List.of(SPEC.model()), work).get(SPEC.qualifiedName());
        ModelHandle a = new ModelHandle(type);
        ModelHandle b = new ModelHandle(type);
        randomize(a, 1);
        randomize(b, 2);
        weightsA = work.resolve("a.safetensors");
        weightsB = work.resolve("b.safetensors");
        a.call("save", weightsA);
        b.call("save", weightsB);
        input = TestBatch.random(SPEC, 1, new SplittableRandom(3)).x(0);
        outputA = TestBatch.flatten(a.call("forward", a.workspace, input));
        outputB = TestBatch.flatten(b.call("forward", b.workspace, input));
        assertFalse(Arrays.equals(outputA, outputB));
    }

    private static void randomize(ModelHandle m, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (Parameter p : m.parameters()) {
            for (int i = 0; i < p.size(); i++) {
                p.setValue(i, r.nextDouble(-0.5, 0.5));
            }
        }
    }

    /** What the readers saw: outputs of A, of B, and of neither. */
    record Outcome(long a, long b, long mixed) {
    }

    /** How a reader gets the model for one forward pass and runs it. */
    interface Reader {
        double[] forward(Object workspace) throws Exception;
    }

    /**
     * Runs {@link #READERS} threads of forward passes (each with its own workspace) against a
     * swapping thread for {@link #RUN_MILLIS}, and counts what they saw.
     */
    private static Outcome race(Object workspaceOwner, Reader reader, Runnable swapOnce) throws Exception {
        Method newWorkspace = type.getMethod("newWorkspace");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong a = new AtomicLong();
        AtomicLong b = new AtomicLong();
        AtomicLong mixed = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(READERS + 1);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < READERS; t++) {
                done.add(pool.submit(() -> {
                    Object ws = newWorkspace.invoke(workspaceOwner);
                    while (!stop.get()) {
                        double[] y = reader.forward(ws);
                        (Arrays.equals(y, outputA) ? a : Arrays.equals(y, outputB) ? b : mixed).incrementAndGet();
                    }
                    return null;
                }));
            }
            done.add(pool.submit(() -> {
                while (!stop.get()) {
                    swapOnce.run();
                }
                return null;
            }));
            Thread.sleep(RUN_MILLIS);
            stop.set(true);
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        return new Outcome(a.get(), b.get(), mixed.get());
    }

    private static Object newModel(Path weights) {
        ModelHandle m = new ModelHandle(type);
        m.call("load", weights);
        return m.model;
    }

    private static double[] forward(Object model, Object ws) throws Exception {
        return TestBatch.flatten(type.getMethod("forward", ws.getClass(), input.getClass()).invoke(model, ws, input));
    }

    /**
     * The undocumented way: {@code load} into the model the readers use. This asserts that it
     * mixes, so the documentation's warning stays true; should the runtime ever make it safe,
     * this test fails and the docs can promise more.
     */
    @Test
    void loadIntoTheSharedModelMixesWeights() throws Exception {
        Object shared = newModel(weightsA);
        long[] loads = {0};
        Outcome o = null;
        // a race shows only when it happens: up to five runs (one nearly always suffices)
        for (int attempt = 0; attempt < 5 && (o == null || o.mixed() == 0); attempt++) {
            o = race(shared, ws -> forward(shared, ws), () -> {
                ModelHandle.invoke(shared, "load", loads[0]++ % 2 == 0 ? weightsB : weightsA);
            });
        }
        System.out.println("load into the shared model: " + o + ", " + loads[0] + " loads");
        assertTrue(o.a() + o.b() + o.mixed() > 0);
        assertTrue(o.mixed() > 0, "no mix seen in " + o + ": the runtime may now be safe, update docs/java-api.md");
    }

    /** The documented way: load into a new model object, then publish it; readers take the current one per call. */
    @Test
    void swappingInANewModelObjectNeverMixes() throws Exception {
        AtomicReference<Object> current = new AtomicReference<>(newModel(weightsA));
        long[] swaps = {0};
        Outcome o = race(current.get(), ws -> forward(current.get(), ws), () -> {
            current.set(newModel(swaps[0]++ % 2 == 0 ? weightsB : weightsA));
        });
        System.out.println("a new model object per swap: " + o + ", " + swaps[0] + " swaps");
        assertEquals(0, o.mixed(), o.toString());
        assertTrue(o.a() > 0 && o.b() > 0, "both weight sets should have been seen: " + o);
    }

    /** The other documented way: one model, inference under a read lock, load under the write lock. */
    @Test
    void anExternalReadWriteLockNeverMixes() throws Exception {
        Object shared = newModel(weightsA);
        var lock = new java.util.concurrent.locks.ReentrantReadWriteLock();
        long[] loads = {0};
        Outcome o = race(shared, ws -> {
            lock.readLock().lock();
            try {
                return forward(shared, ws);
            } finally {
                lock.readLock().unlock();
            }
        }, () -> {
            lock.writeLock().lock();
            try {
                ModelHandle.invoke(shared, "load", loads[0]++ % 2 == 0 ? weightsB : weightsA);
            } finally {
                lock.writeLock().unlock();
            }
        });
        System.out.println("an external read-write lock: " + o + ", " + loads[0] + " loads");
        assertEquals(0, o.mixed(), o.toString());
        assertTrue(o.a() > 0 && o.b() > 0, "both weight sets should have been seen: " + o);
    }
}
