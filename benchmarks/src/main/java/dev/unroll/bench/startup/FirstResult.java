package dev.unroll.bench.startup;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.unroll.bench.models.CharLstm;
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
import java.time.Instant;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Time to first result in a fresh JVM: run once per measurement, in a JVM of its own ({@code benchmarks/startup.sh}
 * and {@code benchmarks/baselines.sh} start it many times and take medians). Prints one JSON object.
 *
 * <pre>
 * java -cp benchmarks.jar dev.unroll.bench.startup.FirstResult unroll LstmH128F32T25
 * java -cp benchmarks.jar dev.unroll.bench.startup.FirstResult ort benchmarks/target/onnx/LstmH128F32T25.unroll.onnx lstm 1
 * java -cp benchmarks.jar dev.unroll.bench.startup.FirstResult train CharLstm
 * java -Dunroll.until=100 -cp benchmarks.jar dev.unroll.bench.startup.FirstResult unroll GruH32F32T25
 * </pre>
 *
 * <p>{@code unroll}: the generated class is named in the code ({@code new LstmH128F32T25()}, as a user's program
 * does, no reflection), so the times are: loading and initializing the class and constructing the model with its
 * default weights ({@code construct}), {@code newStepper()}, the first {@code step(x)}, the first 100 steps and the
 * first 10,000 (each including the ones before), and the mean of steps 101 to 1,100 (interpreted and C1 code
 * mostly: how far warm-up has come). {@code ort}: the {@code OrtEnvironment} (loading ONNX Runtime's native
 * libraries, extracted from the jar into a temporary directory), the session from the {@code .onnx} file, the
 * preallocated tensors, then the same runs. {@code train}: the char-LSTM, its construction, then the first
 * {@code trainStep} at batch 1, the first 10 and the first 100 (random symbols, fixed seed).
 *
 * <p>{@code -Dunroll.until=construct|1|100|10000} stops after that milestone (after construction and, for
 * {@code ort}, the session and tensors; for {@code train}, 10,000 means 100 updates), so that a driver can read
 * the process's own wall and CPU time up to each milestone ({@code benchmarks/startup.sh}). {@code launch_ms}: from
 * {@code -Dunroll.launch.epoch.ns} (the driver's clock just before it started the JVM) to the end of
 * construction, when given; {@code main_ms}: from the JVM's own start time to {@code main}. Both are read after
 * the timed work, so that reading them (the management classes) is not part of it.
 */
public final class FirstResult {
    private FirstResult() {}

    private static final int FIRST = 100;
    private static final int ALL = 10_000;
    private static final int NEXT = 1000;
    private static final int TRAIN_FIRST = 10;
    private static final int TRAIN_ALL = 100;

    /** How far a run goes, from {@code -Dunroll.until}: the number of steps, 0 for construction only. */
    private static int until() {
        String u = System.getProperty("unroll.until", String.valueOf(ALL));
        return switch (u) {
            case "construct" -> 0;
            case "1" -> 1;
            case "100" -> FIRST;
            case "10000" -> ALL;
            default -> throw new IllegalArgumentException("-Dunroll.until is construct, 1, 100 or 10000, not " + u);
        };
    }

    public static void main(String[] args) throws Exception {
        long t0 = System.nanoTime();
        long wall0 = System.currentTimeMillis();
        if (args.length < 2) {
            System.err.println("usage: FirstResult unroll <Model> | ort <file.onnx> <lstm|gru> [threads] [unroll|torch]"
                    + " | train CharLstm");
            System.exit(2);
        }
        int until = until();
        Times times;
        if (args[0].equals("unroll")) {
            times = unroll(args[1], t0, until);
        } else if (args[0].equals("train")) {
            times = train(args[1], t0, until);
        } else {
            int threads = args.length > 3 ? Integer.parseInt(args[3]) : 1;
            OrtModels.Graph graph = OrtModels.Graph.of(args.length > 4 ? args[4]
                    : args[1].endsWith(".torch.onnx") ? "torch" : "unroll");
            times = ort(Path.of(args[1]), args[2], threads, graph, t0, until);
        }
        long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
        String launch = System.getProperty("unroll.launch.epoch.ns");
        String launchMs = launch == null ? "null" : String.format(Locale.ROOT, "%.3f",
                (times.constructedEpochNs - Long.parseLong(launch)) / 1e6);
        System.out.println("{" + times.json + String.format(Locale.ROOT, ", \"until\": %d, \"launch_ms\": %s, "
                + "\"main_ms\": %d, \"java\": \"%s\"}", until, launchMs, wall0 - jvmStart,
                System.getProperty("java.version")));
    }

    /** The fields of one run, and the wall clock (epoch nanoseconds) when the model or session was ready. */
    private record Times(String json, long constructedEpochNs) {}

    private static long epochNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /** Nanosecond marks of one run of {@code n} steps: after the 1st, the 100th, the 1,100th, the 10,000th. */
    private static final class Marks {
        long start;
        long first;
        long hundred;
        long next;
        long all;

        void mark(int done) {
            long t = System.nanoTime();
            if (done == 1) {
                first = t;
            }
            if (done == FIRST) {
                hundred = t;
            }
            if (done == FIRST + NEXT) {
                next = t;
            }
            if (done == ALL) {
                all = t;
            }
        }

        String json() {
            return String.format(Locale.ROOT, "\"first_step_ns\": %d, \"first_100_ns\": %d, \"first_10000_ns\": %d, "
                    + "\"next_1000_mean_ns\": %d", span(first), span(hundred), span(all),
                    next == 0 ? -1 : (next - hundred) / NEXT);
        }

        private long span(long t) {
            return t == 0 ? -1 : t - start;
        }
    }

    private static Times unroll(String name, long t0, int until) {
        boolean f32 = name.contains("F32");
        RecurrentModel<?, ?, ?, ?> model = construct(name);
        long constructed = epochNanos();
        long tModel = System.nanoTime();
        SequenceStepper<?, ?> stepper = model.newStepper();
        long tStepper = System.nanoTime();
        SplittableRandom random = new SplittableRandom(5);
        Marks marks = new Marks();
        double sink = 0;
        // inputs made before the timing: a pool of 64 (as StepBenchmark's), cycled
        if (f32) {
            @SuppressWarnings("unchecked")
            SequenceStepper<float[], float[]> s = (SequenceStepper<float[], float[]>) stepper;
            float[][] xs = floats(random, 64);
            marks.start = System.nanoTime();
            for (int i = 0; i < until; i++) {
                sink += s.step(xs[i & 63])[0];
                marks.mark(i + 1);
            }
        } else {
            @SuppressWarnings("unchecked")
            SequenceStepper<double[], double[]> s = (SequenceStepper<double[], double[]>) stepper;
            double[][] xs = doubles(random, 64);
            marks.start = System.nanoTime();
            for (int i = 0; i < until; i++) {
                sink += s.step(xs[i & 63])[0];
                marks.mark(i + 1);
            }
        }
        return new Times(String.format(Locale.ROOT, "\"impl\": \"unroll\", \"model\": \"%s\", \"construct_ns\": %d, "
                + "\"new_stepper_ns\": %d, %s, \"checksum\": %s", name, tModel - t0, tStepper - tModel, marks.json(),
                Double.isFinite(sink)), constructed);
    }

    /** The char-LSTM's first training updates at batch 1: construction, the 1st, the first 10, the first 100. */
    private static Times train(String name, long t0, int until) {
        if (!name.equals("CharLstm")) {
            throw new IllegalArgumentException("train runs the char-LSTM (CharLstm), not " + name);
        }
        CharLstm model = new CharLstm();
        long constructed = epochNanos();
        long tModel = System.nanoTime();
        SplittableRandom random = new SplittableRandom(5);
        int[][][] xs = new int[8][1][CharLstm.STEPS];
        int[][][] ys = new int[8][1][CharLstm.STEPS];
        for (int b = 0; b < xs.length; b++) {
            int previous = random.nextInt(CharLstm.INPUT_SIZE);
            for (int t = 0; t < CharLstm.STEPS; t++) {
                xs[b][0][t] = previous;
                previous = random.nextInt(CharLstm.INPUT_SIZE);
                ys[b][0][t] = previous;
            }
        }
        int updates = until == ALL ? TRAIN_ALL : until == FIRST ? TRAIN_FIRST : until;
        double sink = 0;
        long start = System.nanoTime();
        long first = -1;
        long ten = -1;
        long hundred = -1;
        for (int i = 0; i < updates; i++) {
            sink += model.trainStep(xs[i & 7], ys[i & 7]);
            long t = System.nanoTime();
            if (i == 0) {
                first = t - start;
            } else if (i == TRAIN_FIRST - 1) {
                ten = t - start;
            } else if (i == TRAIN_ALL - 1) {
                hundred = t - start;
            }
        }
        return new Times(String.format(Locale.ROOT, "\"impl\": \"train\", \"model\": \"%s\", \"construct_ns\": %d, "
                + "\"first_update_ns\": %d, \"first_10_updates_ns\": %d, \"first_100_updates_ns\": %d, "
                + "\"checksum\": %s", name, tModel - t0, first, ten, hundred, Double.isFinite(sink)), constructed);
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

    private static Times ort(Path file, String cell, int threads, OrtModels.Graph graph, long t0, int until)
            throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long tEnv = System.nanoTime();
        byte[] bytes = Files.readAllBytes(file);
        OrtSession session = OrtModels.session(env, bytes, threads);
        long tSession = System.nanoTime();
        OrtStepper stepper = new OrtStepper(env, session, OrtModels.names(graph, cell));
        long constructed = epochNanos();
        long tTensors = System.nanoTime();
        SplittableRandom random = new SplittableRandom(5);
        double sink = 0;
        Marks marks = new Marks();
        if (!stepper.float64()) {
            float[][] xs = floats(random, 64);
            marks.start = System.nanoTime();
            for (int i = 0; i < until; i++) {
                sink += stepper.step(xs[i & 63]).get(0);
                marks.mark(i + 1);
            }
        } else {
            double[][] xs = doubles(random, 64);
            marks.start = System.nanoTime();
            for (int i = 0; i < until; i++) {
                sink += stepper.step(xs[i & 63]).get(0);
                marks.mark(i + 1);
            }
        }
        stepper.closeSession();
        String name = file.getFileName().toString();
        return new Times(String.format(Locale.ROOT, "\"impl\": \"ort\", \"model\": \"%s\", \"graph\": \"%s\", "
                + "\"threads\": %d, \"env_ns\": %d, \"session_ns\": %d, \"tensors_ns\": %d, %s, \"checksum\": %s", name,
                graph.name().toLowerCase(Locale.ROOT), threads, tEnv - t0, tSession - tEnv, tTensors - tSession,
                marks.json(), Double.isFinite(sink)), constructed);
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
