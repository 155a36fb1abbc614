package dev.unroll.bench.startup;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.unroll.bench.GeneratedModels;
import dev.unroll.bench.models.CharLstm;
import dev.unroll.bench.ort.OrtModels;
import dev.unroll.bench.ort.OrtStepper;
import dev.unroll.runtime.DoubleParameter;
import dev.unroll.runtime.FloatParameter;
import dev.unroll.runtime.ModelShape;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.RecurrentModel;
import dev.unroll.runtime.SequenceStepper;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.openjdk.jol.info.ClassLayout;
import org.openjdk.jol.info.GraphLayout;

/**
 * Memory per model and per workspace. For a generated model, deep object-graph sizes from JOL
 * ({@code GraphLayout.parseInstance(...).totalSize()}: every object and array reachable, as this JVM lays them out,
 * compressed pointers included), split by what holds them: the parameters' values (the weights), their gradient
 * arrays, the packed copies the forward and backward passes read (transposed and row-split), the optimizer (its
 * state appears at the first update), the training workspace (its gradient buffers appear at the first update,
 * and at batch 32 a partner workspace for the second half of the batch), a forward workspace and a stepper; plus
 * the bytes its creation allocated (HotSpot's per-thread allocation counter, exact; it includes the few
 * temporaries of a constructor). For ONNX Runtime, whose tensors and arenas live outside the Java heap, the
 * process's resident set ({@code VmRSS}) before and after creating {@code n} sessions (10 to 200, a first one
 * left open) and running each once, divided by {@code n}. Prints one JSON object per line.
 *
 * <pre>
 * java -Xmx3g -cp benchmarks.jar dev.unroll.bench.startup.Memory unroll lstm,gru 32,64,128,512 float,double
 * java -Xmx3g -cp benchmarks.jar dev.unroll.bench.startup.Memory char
 * java -Xms1g -Xmx1g -XX:+AlwaysPreTouch -cp benchmarks.jar dev.unroll.bench.startup.Memory ort lstm,gru 32,64,128,512 float 1
 * </pre>
 *
 * <p>Fields of an {@code unroll} line: {@code weight_bytes} is the parameters' values alone
 * ({@code elementCount x 4 or 8}, no array headers), the figure to compare with the weights of the ONNX file
 * ({@code onnx_bytes}, the project exporter's graph of the same model); {@code values_bytes}, {@code grads_bytes},
 * {@code packed_bytes}: the arrays themselves; {@code optimizer_bytes} and {@code training_workspace_bytes} fresh,
 * after one {@code trainStep} at batch 1 ({@code _b1}) and, on another fresh model, at batch 32 ({@code _b32});
 * {@code model_bytes}, {@code model_b1_bytes}, {@code model_b32_bytes}: everything the model holds then;
 * {@code workspace_bytes}: one {@code newWorkspace()} (the activations of a sequence, for {@code forward});
 * {@code stepper_bytes}: one {@code newStepper()} (its state and the one-step workspace it steps in; the model it
 * belongs to left out). A workspace grows with the steps: both grid lengths (25 and 100) are measured.
 */
public final class Memory {
    private Memory() {}

    static {
        // JOL reads field offsets with Unsafe, which refuses them for records (the runtime's configuration values,
        // e.g. ClipConfig); this makes it find them its other way. Set before JOL's first use.
        if (System.getProperty("jol.magicFieldOffset") == null) {
            System.setProperty("jol.magicFieldOffset", "true");
        }
    }

    private static final MemoryMXBean HEAP = ManagementFactory.getMemoryMXBean();
    private static final long BUDGET = 400L << 20;
    private static final List<OrtStepper> OPEN = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        if (args.length >= 1 && args[0].equals("char")) {
            // cell "char_lstm": a row of its own in baselines_report.py, apart from the grid's lstm 128
            System.out.println(unroll(CharLstm::new, "CharLstm", "char_lstm", 128, "float", CharLstm.STEPS));
            return;
        }
        if (args.length < 4) {
            System.err.println("usage: Memory unroll|ort CELLS HIDDEN PRECISIONS (comma-separated) | Memory char");
            System.exit(2);
        }
        for (String cell : args[1].split(",")) {
            for (String h : args[2].split(",")) {
                for (String precision : args[3].split(",")) {
                    int hidden = Integer.parseInt(h);
                    if (args[0].equals("unroll")) {
                        for (int steps : GeneratedModels.STEPS) {
                            String name = GeneratedModels.name(cell, hidden, precision, steps);
                            boolean f32 = precision.equals("float");
                            System.out.println(unroll(() -> model(name, f32), name, cell, hidden, precision, steps));
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

    /** The bytes reachable from {@code roots}, each object counted once (JOL). */
    static long deep(Object... roots) {
        return roots.length == 0 ? 0 : GraphLayout.parseInstance(roots).totalSize();
    }

    /** The value arrays, the gradient arrays, and the packed copies ({@code packed*}, {@code rows*} fields). */
    record Parts(long weights, long values, long grads, long packed) {
        static Parts of(RecurrentModel<?, ?, ?, ?> model) throws IllegalAccessException {
            List<Object> values = new ArrayList<>();
            List<Object> grads = new ArrayList<>();
            long weights = 0;
            for (Parameter p : model.parameters()) {
                if (p instanceof FloatParameter f) {
                    values.add(f.value);
                    grads.add(f.grad);
                    weights += 4L * f.value.length;
                } else {
                    DoubleParameter d = (DoubleParameter) p;
                    values.add(d.value);
                    grads.add(d.grad);
                    weights += 8L * d.value.length;
                }
            }
            List<Object> packed = new ArrayList<>();
            for (Field f : model.getClass().getDeclaredFields()) {
                if (!Modifier.isStatic(f.getModifiers())
                        && (f.getName().startsWith("packed") || f.getName().startsWith("rows"))
                        && f.getType().isArray()) {
                    f.setAccessible(true);
                    packed.add(f.get(model));
                }
            }
            return new Parts(weights, deep(values.toArray()), deep(grads.toArray()), deep(packed.toArray()));
        }
    }

    /** A private field of the generated model ({@code optimizer}, {@code trainingWorkspace}). */
    static Object field(Object model, String name) throws ReflectiveOperationException {
        Field f = model.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(model);
    }

    /** The bytes a stepper holds beyond its model: itself and what its own fields reach, the outer model left out. */
    static long stepperBytes(Object stepper) throws IllegalAccessException {
        List<Object> own = new ArrayList<>();
        for (Field f : stepper.getClass().getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) || f.isSynthetic() || f.getType().isPrimitive()) {
                continue;
            }
            f.setAccessible(true);
            Object v = f.get(stepper);
            if (v != null) {
                own.add(v);
            }
        }
        return ClassLayout.parseInstance(stepper).instanceSize() + deep(own.toArray());
    }

    static String unroll(Supplier<RecurrentModel<?, ?, ?, ?>> make, String name, String cell, int hidden,
            String precision, int steps) throws Exception {
        make.get();   // once, so that class loading and initialization are not counted
        long a0 = allocated();
        RecurrentModel<?, ?, ?, ?> model = make.get();
        long modelAllocated = allocated() - a0;
        long modelFresh = deep(model);
        Parts parts = Parts.of(model);
        long optimizerFresh = deep(field(model, "optimizer"));
        long trainingFresh = deep(field(model, "trainingWorkspace"));
        model.newStepper();
        model.newWorkspace();
        long a1 = allocated();
        SequenceStepper<?, ?> stepper = model.newStepper();
        long stepperAllocated = allocated() - a1;
        long a2 = allocated();
        Object workspace = model.newWorkspace();
        long workspaceAllocated = allocated() - a2;
        long stepperBytes = stepperBytes(stepper);
        long workspaceBytes = deep(workspace);
        long onnx = -1;
        if (!model.shape().symbolInput()) {
            onnx = OrtModels.unrollGraph(model).length;
        }
        long[] b1 = trained(make.get(), 1);
        long[] b32 = trained(make.get(), 32);
        return String.format(Locale.ROOT, "{\"impl\": \"unroll\", \"model\": \"%s\", \"cell\": \"%s\", \"hidden\": %d, "
                + "\"precision\": \"%s\", \"steps\": %d, \"weight_bytes\": %d, \"values_bytes\": %d, \"grads_bytes\": %d, "
                + "\"packed_bytes\": %d, \"optimizer_bytes\": %d, \"optimizer_b1_bytes\": %d, "
                + "\"training_workspace_bytes\": %d, \"training_workspace_b1_bytes\": %d, "
                + "\"training_workspace_b32_bytes\": %d, \"model_bytes\": %d, \"model_b1_bytes\": %d, "
                + "\"model_b32_bytes\": %d, \"model_allocated_bytes\": %d, \"stepper_bytes\": %d, "
                + "\"stepper_allocated_bytes\": %d, \"workspace_bytes\": %d, \"workspace_allocated_bytes\": %d, "
                + "\"onnx_bytes\": %d}", name, cell, hidden, precision, steps, parts.weights(), parts.values(),
                parts.grads(), parts.packed(), optimizerFresh, b1[1], trainingFresh, b1[2], b32[2], modelFresh, b1[0],
                b32[0], modelAllocated, stepperBytes, stepperAllocated, workspaceBytes, workspaceAllocated, onnx);
    }

    /**
     * One {@code trainStep} at {@code batch} on a fresh model (random inputs and targets of its shape), then the
     * model's, its optimizer's and its training workspace's deep sizes.
     */
    @SuppressWarnings("unchecked")
    static long[] trained(RecurrentModel<?, ?, ?, ?> model, int batch) throws Exception {
        ModelShape shape = model.shape();
        SplittableRandom random = new SplittableRandom(11);
        boolean f32 = model.parameters().iterator().next() instanceof FloatParameter;
        if (shape.symbolInput()) {
            int[][] xs = new int[batch][shape.steps()];
            int[][] ys = new int[batch][shape.steps()];
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < shape.steps(); t++) {
                    xs[b][t] = random.nextInt(shape.inputSize());
                    ys[b][t] = random.nextInt(shape.outputSize());
                }
            }
            ((RecurrentModel<?, int[][], int[][], ?>) model).trainStep(xs, ys);
        } else if (f32) {
            float[][][] xs = new float[batch][shape.steps()][shape.inputSize()];
            float[][][] ys = new float[batch][shape.outputSteps()][shape.outputSize()];
            fill(xs, random);
            fill(ys, random);
            ((RecurrentModel<?, float[][][], float[][][], ?>) model).trainStep(xs, ys);
        } else {
            double[][][] xs = new double[batch][shape.steps()][shape.inputSize()];
            double[][][] ys = new double[batch][shape.outputSteps()][shape.outputSize()];
            for (double[][] s : xs) {
                for (double[] v : s) {
                    for (int i = 0; i < v.length; i++) {
                        v[i] = 2 * random.nextDouble() - 1;
                    }
                }
            }
            for (double[][] s : ys) {
                for (double[] v : s) {
                    for (int i = 0; i < v.length; i++) {
                        v[i] = 2 * random.nextDouble() - 1;
                    }
                }
            }
            ((RecurrentModel<?, double[][][], double[][][], ?>) model).trainStep(xs, ys);
        }
        return new long[] {deep(model), deep(field(model, "optimizer")), deep(field(model, "trainingWorkspace"))};
    }

    private static void fill(float[][][] m, SplittableRandom random) {
        for (float[][] s : m) {
            for (float[] v : s) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (2 * random.nextDouble() - 1);
                }
            }
        }
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
