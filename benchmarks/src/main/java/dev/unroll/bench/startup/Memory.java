package dev.unroll.bench.startup;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.unroll.bench.GeneratedModels;
import dev.unroll.bench.ort.OrtModels;
import dev.unroll.bench.ort.OrtStepper;
import dev.unroll.runtime.RecurrentModel;
import dev.unroll.runtime.SequenceStepper;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Memory per model and per stepper/workspace. For a generated model, two figures per object: the bytes reachable
 * from it ({@link DeepSize}: every array and object it holds, sized as HotSpot lays them out with compressed
 * pointers, shared JDK objects left out) and the bytes its creation allocated (HotSpot's per-thread allocation
 * counter, exact; it includes the few temporaries of a constructor). Both are deterministic: heap-usage
 * differences after {@code System.gc()} were tried and varied run to run. For ONNX Runtime, whose tensors and
 * arenas live outside the Java heap, the process's resident set ({@code VmRSS}) before and after creating {@code n}
 * sessions (10 to 200, a first one left open) and running each once, divided by {@code n}. Prints one
 * JSON object per line.
 *
 * <pre>
 * java -Xmx3g -cp benchmarks.jar dev.unroll.bench.startup.Memory unroll lstm,gru 32,64,128,512 float,double
 * java -Xms1g -Xmx1g -XX:+AlwaysPreTouch -cp benchmarks.jar dev.unroll.bench.startup.Memory ort lstm,gru 32,64,128,512 float 1
 * </pre>
 *
 * <p>For a generated model, {@code model_bytes} is what {@code new Model()} holds: every parameter's value and
 * gradient, the packed (transposed and row-split) copies the forward and backward passes read, the optimizer's
 * configuration and the training workspace (sized for the spec's {@code steps}); {@code weight_bytes} is the
 * parameters' values alone ({@code elementCount × 4 or 8}), the figure to compare with the weights of the ONNX
 * file. {@code stepper_bytes}: one {@code newStepper()} (its state and the workspace it steps in);
 * {@code workspace_bytes}: one {@code newWorkspace()} (the activations of a sequence, for {@code forward}).
 * Both grid lengths (25 and 100 steps) are measured: the workspace grows with the steps.
 */
public final class Memory {
    private Memory() {}

    private static final MemoryMXBean HEAP = ManagementFactory.getMemoryMXBean();
    private static final long BUDGET = 400L << 20;
    private static final List<OrtStepper> OPEN = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: Memory unroll|ort CELLS HIDDEN PRECISIONS (comma-separated)");
            System.exit(2);
        }
        for (String cell : args[1].split(",")) {
            for (String h : args[2].split(",")) {
                for (String precision : args[3].split(",")) {
                    int hidden = Integer.parseInt(h);
                    if (args[0].equals("unroll")) {
                        for (int steps : GeneratedModels.STEPS) {
                            System.out.println(unroll(cell, hidden, precision, steps));
                        }
                    } else {
                        System.out.println(ort(cell, hidden, precision, args.length > 4 ? Integer.parseInt(args[4]) : 1));
                    }
                }
            }
        }
    }

    private static RecurrentModel<?, ?, ?, ?> model(String name, boolean f32) {
        Object m = f32 ? GeneratedModels.dense32(name).model() : GeneratedModels.dense64(name).model();
        return (RecurrentModel<?, ?, ?, ?>) m;
    }

    static String unroll(String cell, int hidden, String precision, int steps) throws Exception {
        String name = GeneratedModels.name(cell, hidden, precision, steps);
        boolean f32 = precision.equals("float");
        RecurrentModel<?, ?, ?, ?> probe = model(name, f32);
        long weights = probe.parameters().elementCount() * (f32 ? 4 : 8);
        java.lang.reflect.Constructor<?> constructor = probe.getClass().getConstructor();
        constructor.newInstance();   // once, so that class loading and initialization are not counted
        long a0 = allocated();
        Object model = constructor.newInstance();
        long modelAllocated = allocated() - a0;
        long modelReachable = DeepSize.of(model);
        RecurrentModel<?, ?, ?, ?> m = (RecurrentModel<?, ?, ?, ?>) model;
        m.newStepper();
        m.newWorkspace();
        long a1 = allocated();
        SequenceStepper<?, ?> stepper = m.newStepper();
        long stepperAllocated = allocated() - a1;
        long a2 = allocated();
        Object workspace = m.newWorkspace();
        long workspaceAllocated = allocated() - a2;
        // A stepper is an inner class of its model: the model is left out of its size.
        long stepperReachable = DeepSize.of(stepper, model);
        long workspaceReachable = DeepSize.of(workspace, model);
        return String.format(Locale.ROOT, "{\"impl\": \"unroll\", \"model\": \"%s\", \"cell\": \"%s\", \"hidden\": %d, "
                + "\"precision\": \"%s\", \"steps\": %d, \"weight_bytes\": %d, \"model_bytes\": %d, "
                + "\"model_allocated_bytes\": %d, \"stepper_bytes\": %d, \"stepper_allocated_bytes\": %d, "
                + "\"workspace_bytes\": %d, \"workspace_allocated_bytes\": %d}", name, cell, hidden, precision, steps,
                weights, modelReachable, modelAllocated, stepperReachable, stepperAllocated, workspaceReachable,
                workspaceAllocated);
    }

    /** Bytes this thread has allocated so far (HotSpot's per-thread counter: exact, including temporaries). */
    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    static String ort(String cell, int hidden, String precision, int threads) throws Exception {
        String name = OrtModels.name(cell, hidden, precision);
        RecurrentModel<?, ?, ?, ?> model = OrtModels.model(cell, hidden, precision);
        byte[] graph = OrtModels.unrollGraph(model);
        long weights = model.parameters().elementCount() * (precision.equals("float") ? 4 : 8);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        // One session first, left open, so that the environment's, the library's and the allocator's own memory
        // is not counted, and the sessions measured get fresh memory rather than what a closed one freed.
        OrtStepper warm = new OrtStepper(env, OrtModels.session(env, graph, threads),
                OrtModels.names(OrtModels.Graph.UNROLL, cell));
        step(warm);
        int n = (int) Math.max(10, Math.min(200, BUDGET / (weights * 3)));
        // No System.gc() between the readings: with -Xms = -Xmx and -XX:+AlwaysPreTouch (as baselines.sh runs
        // this) the Java heap is resident from the start, and a collection could only move the reading.
        long rss0 = rss();
        long heap0 = heapUsed();
        List<OrtSession> sessions = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            sessions.add(OrtModels.session(env, graph, threads));
        }
        long rss1 = rss();
        List<OrtStepper> steppers = new ArrayList<>();
        for (OrtSession s : sessions) {
            OrtStepper st = new OrtStepper(env, s, OrtModels.names(OrtModels.Graph.UNROLL, cell));
            step(st);
            steppers.add(st);
        }
        long rss2 = rss();
        long heap2 = heapUsed();
        // Left open until the process ends: memory a closed session freed would be reused by the next model's
        // sessions and hide their cost.
        OPEN.add(warm);
        OPEN.addAll(steppers);
        return String.format(Locale.ROOT, "{\"impl\": \"ort\", \"model\": \"%s\", \"cell\": \"%s\", \"hidden\": %d, "
                + "\"precision\": \"%s\", \"threads\": %d, \"weight_bytes\": %d, \"onnx_bytes\": %d, "
                + "\"session_rss_bytes\": %d, \"session_after_run_rss_bytes\": %d, \"java_heap_bytes\": %d, "
                + "\"instances\": %d}", name, cell, hidden, precision, threads, weights, graph.length,
                (rss1 - rss0) / n, (rss2 - rss0) / n, (heap2 - heap0) / n, n);
    }

    private static void step(OrtStepper s) throws Exception {
        if (s.float64()) {
            s.step(new double[s.inputSize()]);
        } else {
            s.step(new float[s.inputSize()]);
        }
    }

    private static long heapUsed() {
        return HEAP.getHeapMemoryUsage().getUsed();
    }

    /** The resident set of this process, from /proc/self/status (Linux). */
    private static long rss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                String[] parts = line.trim().split("\\s+");
                return Long.parseLong(parts[1]) * 1024;
            }
        }
        return -1;
    }
}
