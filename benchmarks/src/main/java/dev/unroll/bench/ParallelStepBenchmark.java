package dev.unroll.bench;

import dev.unroll.bench.models.GruH160F32T25;
import dev.unroll.bench.models.GruH256F32T25;
import dev.unroll.bench.models.GruH384F32T25;
import dev.unroll.bench.models.GruH512F32T25;
import dev.unroll.bench.models.LstmH160F32T25;
import dev.unroll.bench.models.LstmH256F32T25;
import dev.unroll.bench.models.LstmH384F32T25;
import dev.unroll.bench.models.LstmH512F32T25;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One step at batch 1 of a large float model ({@code Stepper.step(x, y)}, 64 dense inputs, a 64-output linear head, as
 * in {@link StepBenchmark}) on the caller's thread alone ({@code threads = 1}, {@code newStepper()}) and with a second
 * thread that forms half of the layer's pre-activations ({@code threads = 2}, {@code newParallelStepper()}): from
 * what size the second core pays. It needs a second core that nothing else uses.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class ParallelStepBenchmark {
    @Param({"lstm", "gru"})
    public String cell;

    @Param({"160", "256", "384", "512"})
    public int hidden;

    @Param({"1", "2"})
    public int threads;

    private GeneratedModels.StepF32 step;
    private AutoCloseable stepper;
    private float[] x;

    @Setup
    public void setUp() {
        boolean two = threads == 2;
        String name = GeneratedModels.name(cell, hidden, "float", 25);
        switch (name) {
            case "LstmH160F32T25" -> {
                var m = new LstmH160F32T25(42);
                var s = two ? m.newParallelStepper() : m.newStepper();
                step = GeneratedModels.into32(s::step);
                stepper = s;
            }
            case "LstmH256F32T25" -> {
                var m = new LstmH256F32T25(42);
                var s = two ? m.newParallelStepper() : m.newStepper();
                step = GeneratedModels.into32(s::step);
                stepper = s;
            }
            case "LstmH384F32T25" -> {
                var m = new LstmH384F32T25(42);
                var s = two ? m.newParallelStepper() : m.newStepper();
                step = GeneratedModels.into32(s::step);
                stepper = s;
            }
            case "LstmH512F32T25" -> {
                var m = new LstmH512F32T25(42);
                var s = two ? m.newParallelStepper() : m.newStepper();
                step = GeneratedModels.into32(s::step);
                stepper = s;
            }
            case "GruH160F32T25" -> {
                var m = new GruH160F32T25(42);
                var s = two ? m.newParallelStepper() : m.newStepper();
                step = GeneratedModels.into32(s::step);
                stepper = s;
            }
            case "GruH256F32T25" -> {
                var m = new GruH256F32T25(42);
                var s = two ? m.newParallelStepper() : m.newStepper();
                step = GeneratedModels.into32(s::step);
                stepper = s;
            }
            case "GruH384F32T25" -> {
                var m = new GruH384F32T25(42);
                var s = two ? m.newParallelStepper() : m.newStepper();
                step = GeneratedModels.into32(s::step);
                stepper = s;
            }
            case "GruH512F32T25" -> {
                var m = new GruH512F32T25(42);
                var s = two ? m.newParallelStepper() : m.newStepper();
                step = GeneratedModels.into32(s::step);
                stepper = s;
            }
            default -> throw new IllegalArgumentException("no two-thread benchmark model " + name);
        }
        x = new float[64];
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextDouble(-1, 1);
        }
    }

    @TearDown
    public void tearDown() throws Exception {
        stepper.close();
    }

    @Benchmark
    public float[] step() {
        return step.step(x);
    }
}
