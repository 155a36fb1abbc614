package dev.unroll.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The plain Java kernels against the Vector API kernels ({@code vectorBits} 512 in benchmarks/pom.xml, the width
 * of this project's benchmark machine) on the same float models, same inputs, same initial weights: the batch-1
 * step ({@code Stepper.step(x, y)}), the forward pass over 25 steps, and one training update at batch 1 and 32
 * (every iteration from the initial weights, as {@link TrainBenchmark}).
 */
public class VectorKernelBenchmark {

    /** The batch-1 step and the forward pass. */
    @State(Scope.Thread)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "--add-modules", "jdk.incubator.vector"})
    @Warmup(iterations = 4, time = 1)
    @Measurement(iterations = 5, time = 1)
    public static class Step {
        @Param({"plain", "vector"})
        public String kernels;

        @Param({"lstm", "gru"})
        public String cell;

        @Param({"32", "64", "128", "512"})
        public int hidden;

        private Subject subject;

        @Setup
        public void setUp() {
            subject = Subjects.kernels(kernels, cell, hidden, 1);
        }

        @Benchmark
        public void step(Blackhole blackhole) {
            blackhole.consume(subject.step());
        }

        @Benchmark
        public void sequence(Blackhole blackhole) {
            blackhole.consume(subject.forward());
        }
    }

    /** One training update of the grid models at H = 128 and of the char-level LSTM. */
    @State(Scope.Thread)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "--add-modules", "jdk.incubator.vector"})
    @Warmup(iterations = 4, time = 1)
    @Measurement(iterations = 5, time = 1)
    public static class Train {
        @Param({"plain", "vector"})
        public String kernels;

        @Param({"lstm128", "char"})
        public String model;

        @Param({"1", "32"})
        public int batch;

        private Subject subject;

        @Setup(Level.Iteration)
        public void setUp() {
            subject = switch (model) {
                case "lstm128" -> Subjects.kernels(kernels, "lstm", 128, batch);
                case "char" -> kernels.equals("plain") ? Subjects.charLstm("unroll", batch)
                        : Subjects.vectorCharLstm(batch);
                default -> throw new IllegalArgumentException(model);
            };
        }

        @Benchmark
        public double trainStep() {
            return subject.train();
        }
    }

    /**
     * The batch-1 step of the H = 512 vector models on one thread ({@code newStepper()}) and two
     * ({@code newParallelStepper()}), as {@link ParallelStepBenchmark} times the plain ones.
     */
    @State(Scope.Thread)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "--add-modules", "jdk.incubator.vector"})
    @Warmup(iterations = 4, time = 1)
    @Measurement(iterations = 5, time = 1)
    public static class TwoThreads {
        @Param({"lstm", "gru"})
        public String cell;

        @Param({"1", "2"})
        public int threads;

        private GeneratedModels.StepF32 step;
        private AutoCloseable stepper;
        private final float[] x = new float[64];

        @Setup
        public void setUp() {
            boolean two = threads == 2;
            if (cell.equals("lstm")) {
                var m = new dev.unroll.bench.vector.VLstmH512F32T25(42);
                var s = two ? m.newParallelStepper() : m.newStepper();
                step = GeneratedModels.into32(s::step);
                stepper = s;
            } else {
                var m = new dev.unroll.bench.vector.VGruH512F32T25(42);
                var s = two ? m.newParallelStepper() : m.newStepper();
                step = GeneratedModels.into32(s::step);
                stepper = s;
            }
            java.util.SplittableRandom random = new java.util.SplittableRandom(7);
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextDouble(-1, 1);
            }
        }

        @org.openjdk.jmh.annotations.TearDown
        public void tearDown() throws Exception {
            stepper.close();
        }

        @Benchmark
        public Object step() {
            return step.step(x);
        }
    }

    private VectorKernelBenchmark() {}
}
