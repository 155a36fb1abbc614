package dev.unroll.bench.startup;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.unroll.bench.models.GruH128F32T25;
import dev.unroll.bench.models.GruH128F64T25;
import dev.unroll.bench.models.GruH32F32T25;
import dev.unroll.bench.models.GruH32F64T25;
import dev.unroll.bench.models.GruH512F32T25;
import dev.unroll.bench.models.GruH512F64T25;
import dev.unroll.bench.models.GruH64F32T25;
import dev.unroll.bench.models.GruH64F64T25;
import dev.unroll.bench.models.LstmH128F32T25;
import dev.unroll.bench.models.LstmH128F64T25;
import dev.unroll.bench.models.LstmH32F32T25;
import dev.unroll.bench.models.LstmH32F64T25;
import dev.unroll.bench.models.LstmH512F32T25;
import dev.unroll.bench.models.LstmH512F64T25;
import dev.unroll.bench.models.LstmH64F32T25;
import dev.unroll.bench.models.LstmH64F64T25;
import dev.unroll.bench.ort.OrtModels;
import dev.unroll.bench.ort.OrtStepper;
import dev.unroll.runtime.RecurrentModel;
import dev.unroll.runtime.SequenceStepper;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Time to first result in a fresh JVM: run once per measurement, in a JVM of its own ({@code benchmarks/ort.sh
 * first} starts it several times and takes the median). Prints one JSON object.
 *
 * <pre>
 * java -cp benchmarks.jar dev.unroll.bench.startup.FirstResult unroll LstmH128F32T25
 * java -cp benchmarks.jar dev.unroll.bench.startup.FirstResult ort benchmarks/target/onnx/LstmH128F32T25.unroll.onnx lstm 1
 * </pre>
 *
 * <p>{@code unroll}: the generated class is named in the code ({@code new LstmH128F32T25()}, as a user's program
 * does, no reflection), so the times are: loading and initializing the class and constructing the model with its
 * default weights ({@code construct}), {@code newStepper()}, the first {@code step(x)}, the first 100 steps (the
 * first included), and the mean of the 1,000 steps after those (interpreted and C1 code mostly: how far warm-up
 * has come). {@code ort}: the {@code OrtEnvironment} (loading ONNX Runtime's native libraries, extracted from the
 * jar into a temporary directory), the session from the {@code .onnx} file, the preallocated tensors, the first
 * {@code run}, the first 100 runs, the mean of the next 1,000. {@code main_ms}: from the JVM's start to
 * {@code main} (the JVM's own start-up, the same for both). Inputs: uniform in [-1, 1], fixed seed.
 */
public final class FirstResult {
    private FirstResult() {}

    private static final int FIRST = 100;
    private static final int NEXT = 1000;

    public static void main(String[] args) throws Exception {
        long t0 = System.nanoTime();
        long wall0 = System.currentTimeMillis();
        if (args.length < 2) {
            System.err.println("usage: FirstResult unroll <Model> | ort <file.onnx> <lstm|gru> [threads] [unroll|torch]");
            System.exit(2);
        }
        String json;
        if (args[0].equals("unroll")) {
            json = unroll(args[1], t0);
        } else {
            int threads = args.length > 3 ? Integer.parseInt(args[3]) : 1;
            OrtModels.Graph graph = OrtModels.Graph.of(args.length > 4 ? args[4]
                    : args[1].endsWith(".torch.onnx") ? "torch" : "unroll");
            json = ort(Path.of(args[1]), args[2], threads, graph, t0);
        }
        long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
        System.out.println("{" + json + String.format(Locale.ROOT, ", \"main_ms\": %d, \"java\": \"%s\"}",
                wall0 - jvmStart, System.getProperty("java.version")));
    }

    private static String unroll(String name, long t0) {
        boolean f32 = name.contains("F32");
        RecurrentModel<?, ?, ?, ?> model = construct(name);
        long tModel = System.nanoTime();
        SequenceStepper<?, ?> stepper = model.newStepper();
        long tStepper = System.nanoTime();
        SplittableRandom random = new SplittableRandom(5);
        long tFirst;
        long t100;
        long tNext;
        double sink = 0;
        if (f32) {
            @SuppressWarnings("unchecked")
            SequenceStepper<float[], float[]> s = (SequenceStepper<float[], float[]>) stepper;
            float[][] xs = floats(random, FIRST + NEXT);
            long a = System.nanoTime();
            sink += s.step(xs[0])[0];
            tFirst = System.nanoTime();
            for (int i = 1; i < FIRST; i++) {
                sink += s.step(xs[i])[0];
            }
            t100 = System.nanoTime();
            for (int i = FIRST; i < FIRST + NEXT; i++) {
                sink += s.step(xs[i])[0];
            }
            tNext = System.nanoTime();
            return fields(name, "unroll", tModel - t0, tStepper - tModel, tFirst - a, t100 - a, (tNext - t100) / NEXT,
                    sink);
        }
        @SuppressWarnings("unchecked")
        SequenceStepper<double[], double[]> s = (SequenceStepper<double[], double[]>) stepper;
        double[][] xs = doubles(random, FIRST + NEXT);
        long a = System.nanoTime();
        sink += s.step(xs[0])[0];
        tFirst = System.nanoTime();
        for (int i = 1; i < FIRST; i++) {
            sink += s.step(xs[i])[0];
        }
        t100 = System.nanoTime();
        for (int i = FIRST; i < FIRST + NEXT; i++) {
            sink += s.step(xs[i])[0];
        }
        tNext = System.nanoTime();
        return fields(name, "unroll", tModel - t0, tStepper - tModel, tFirst - a, t100 - a, (tNext - t100) / NEXT, sink);
    }

    private static String fields(String name, String impl, long construct, long stepper, long first, long first100,
            long nextMean, double sink) {
        return String.format(Locale.ROOT, "\"impl\": \"%s\", \"model\": \"%s\", \"construct_ns\": %d, "
                + "\"new_stepper_ns\": %d, \"first_step_ns\": %d, \"first_100_ns\": %d, \"next_1000_mean_ns\": %d, "
                + "\"checksum\": %s", impl, name, construct, stepper, first, first100, nextMean,
                Double.isFinite(sink) ? "true" : "false");
    }

    /** The generated class named in the code, as a user's program names it. */
    static RecurrentModel<?, ?, ?, ?> construct(String name) {
        return switch (name) {
            case "LstmH32F32T25" -> new LstmH32F32T25();
            case "LstmH64F32T25" -> new LstmH64F32T25();
            case "LstmH128F32T25" -> new LstmH128F32T25();
            case "LstmH512F32T25" -> new LstmH512F32T25();
            case "GruH32F32T25" -> new GruH32F32T25();
            case "GruH64F32T25" -> new GruH64F32T25();
            case "GruH128F32T25" -> new GruH128F32T25();
            case "GruH512F32T25" -> new GruH512F32T25();
            case "LstmH32F64T25" -> new LstmH32F64T25();
            case "LstmH64F64T25" -> new LstmH64F64T25();
            case "LstmH128F64T25" -> new LstmH128F64T25();
            case "LstmH512F64T25" -> new LstmH512F64T25();
            case "GruH32F64T25" -> new GruH32F64T25();
            case "GruH64F64T25" -> new GruH64F64T25();
            case "GruH128F64T25" -> new GruH128F64T25();
            case "GruH512F64T25" -> new GruH512F64T25();
            default -> throw new IllegalArgumentException("not a 25-step LSTM/GRU grid model: " + name);
        };
    }

    private static String ort(Path file, String cell, int threads, OrtModels.Graph graph, long t0)
            throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long tEnv = System.nanoTime();
        byte[] bytes = Files.readAllBytes(file);
        OrtSession session = OrtModels.session(env, bytes, threads);
        long tSession = System.nanoTime();
        OrtStepper stepper = new OrtStepper(env, session, OrtModels.names(graph, cell));
        long tTensors = System.nanoTime();
        SplittableRandom random = new SplittableRandom(5);
        double sink = 0;
        long a;
        long tFirst;
        long t100;
        long tNext;
        if (!stepper.float64()) {
            float[][] xs = floats(random, FIRST + NEXT);
            a = System.nanoTime();
            sink += stepper.step(xs[0]).get(0);
            tFirst = System.nanoTime();
            for (int i = 1; i < FIRST; i++) {
                sink += stepper.step(xs[i]).get(0);
            }
            t100 = System.nanoTime();
            for (int i = FIRST; i < FIRST + NEXT; i++) {
                sink += stepper.step(xs[i]).get(0);
            }
            tNext = System.nanoTime();
        } else {
            double[][] xs = doubles(random, FIRST + NEXT);
            a = System.nanoTime();
            sink += stepper.step(xs[0]).get(0);
            tFirst = System.nanoTime();
            for (int i = 1; i < FIRST; i++) {
                sink += stepper.step(xs[i]).get(0);
            }
            t100 = System.nanoTime();
            for (int i = FIRST; i < FIRST + NEXT; i++) {
                sink += stepper.step(xs[i]).get(0);
            }
            tNext = System.nanoTime();
        }
        stepper.closeSession();
        String name = file.getFileName().toString();
        return String.format(Locale.ROOT, "\"impl\": \"ort\", \"model\": \"%s\", \"graph\": \"%s\", \"threads\": %d, "
                + "\"env_ns\": %d, \"session_ns\": %d, \"tensors_ns\": %d, \"first_step_ns\": %d, \"first_100_ns\": %d, "
                + "\"next_1000_mean_ns\": %d, \"checksum\": %s", name, graph.name().toLowerCase(Locale.ROOT), threads,
                tEnv - t0, tSession - tEnv, tTensors - tSession, tFirst - a, t100 - a, (tNext - t100) / NEXT,
                Double.isFinite(sink) ? "true" : "false");
    }

    private static float[][] floats(SplittableRandom random, int n) {
        float[][] xs = new float[n][64];
        for (float[] x : xs) {
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (2 * random.nextDouble() - 1);
            }
        }
        return xs;
    }

    private static double[][] doubles(SplittableRandom random, int n) {
        double[][] xs = new double[n][64];
        for (double[] x : xs) {
            for (int i = 0; i < x.length; i++) {
                x[i] = 2 * random.nextDouble() - 1;
            }
        }
        return xs;
    }
}
