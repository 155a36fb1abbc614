package dev.unroll.bench;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.unroll.bench.Subjects.DenseData32;
import dev.unroll.bench.baseline.NetworkShape;
import dev.unroll.bench.ort.OrtModels;
import dev.unroll.bench.ort.OrtStepper;
import dev.unroll.runtime.RecurrentModel;
import java.util.Locale;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * The ONNX Runtime baseline of {@link StepBenchmark}: one step at batch 1 of the same network (64 dense
 * inputs, one LSTM or GRU layer, a linear head of 64 outputs, the generated model's default weights, the same
 * input pool) as one {@code OrtSession.run} of a one-step graph whose state is an input and an output, with
 * every tensor preallocated over direct buffers and the outputs pinned ({@link OrtStepper}). Reported in ns per
 * step like {@code StepBenchmark}.
 *
 * <p>{@code threads}: ONNX Runtime's intra-op threads (1 or 2; the machine has 2 cores). {@code graph}: the
 * project exporter's graph ({@code unroll}, built in memory) or {@code torch.onnx.export}'s ({@code torch}, read
 * from {@code benchmarks/target/onnx}, written by {@code benchmarks/ort.sh export}). Setup checks, before
 * timing, that three steps of the graph give the generated model's outputs and states (within 1e-4 of the
 * largest magnitude), and fails otherwise. Float only: ONNX Runtime 1.22 refuses double LSTM and GRU nodes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class OrtStepBenchmark {
    @Param({"lstm", "gru"})
    public String cell;

    @Param({"32", "64", "128", "512"})
    public int hidden;

    /** Float only: ONNX Runtime 1.22's CPU LSTM and GRU kernels refuse double ("does not support double yet"). */
    @Param({"float"})
    public String precision;

    @Param({"1", "2"})
    public int threads;

    @Param({"unroll"})
    public String graph;

    private OrtSession session;
    private OrtStepper stepper;
    private DenseData32 data;

    @Setup
    public void setUp() throws Exception {
        if (!precision.equals("float")) {
            throw new IllegalArgumentException("precision float only: ONNX Runtime's LSTM and GRU kernels refuse double");
        }
        OrtModels.Graph kind = OrtModels.Graph.of(graph);
        RecurrentModel<?, ?, ?, ?> model = OrtModels.model(cell, hidden, precision);
        String name = OrtModels.name(cell, hidden, precision);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        session = OrtModels.session(env, OrtModels.graph(kind, model, name), threads);
        stepper = new OrtStepper(env, session, OrtModels.names(kind, cell));
        double error = OrtModels.compare(model, stepper, OrtModels.inputs(3, 64, 7));
        double tolerance = 1e-4;
        if (!(error <= tolerance)) {
            throw new IllegalStateException(String.format(Locale.ROOT,
                    "%s graph of %s: ONNX Runtime differs from the generated model by %.3g (relative), over %.0g",
                    graph, name, error, tolerance));
        }
        NetworkShape shape = NetworkShape.grid(NetworkShape.Cell.valueOf(cell.toUpperCase(Locale.ROOT)), hidden,
                OrtModels.STEPS);
        data = new DenseData32(shape, 1, 42);   // the inputs of StepBenchmark's subject (Subjects.grid)
    }

    @Benchmark
    public void step(Blackhole blackhole) throws OrtException {
        blackhole.consume(stepper.step(data.step()));
    }

    @TearDown
    public void tearDown() throws OrtException {
        stepper.closeSession();
    }
}
