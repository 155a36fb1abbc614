package dev.unroll.bench;

import dev.unroll.bench.models.BiGruH128F32T100;
import dev.unroll.bench.models.BiLstmH128F32T100;
import dev.unroll.bench.models.BiLstmH32F32T100;
import dev.unroll.bench.models.GruH128F32T100;
import dev.unroll.bench.models.LstmH128F32T100;
import dev.unroll.bench.models.LstmH32F32T100;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a bidirectional layer costs: {@code forward(ws, x)} over 100 steps (head at every step) and one
 * {@code computeGradients} of a batch of 4 sequences, for a forward-only layer and the same layer
 * bidirectional (concat), float, 64 inputs and 64 outputs. Issue 10 expects about twice the forward-only
 * time: two passes of the same kernels, a merge copy and a head twice as wide.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BidirectionalBenchmark {
    /** {@code forward-lstm32}, {@code bidirectional-lstm128}, ...: direction and cell with its hidden size. */
    @Param({"forward-lstm32", "bidirectional-lstm32", "forward-lstm128", "bidirectional-lstm128", "forward-gru128",
        "bidirectional-gru128"})
    public String model;

    private java.util.function.Supplier<Object> forward;
    private java.util.function.Supplier<Object> train;

    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(1);
        float[][][] xs = new float[4][100][64];
        float[][][] ys = new float[4][100][64];
        for (int b = 0; b < 4; b++) {
            for (int t = 0; t < 100; t++) {
                for (int i = 0; i < 64; i++) {
                    xs[b][t][i] = (float) random.nextDouble(-1, 1);
                    ys[b][t][i] = (float) random.nextDouble(-1, 1);
                }
            }
        }
        switch (model) {
            case "forward-lstm32" -> {
                var m = new LstmH32F32T100();
                var w = m.newWorkspace();
                forward = () -> m.forward(w, xs[0]);
                train = () -> m.computeGradients(w, xs, ys);
            }
            case "bidirectional-lstm32" -> {
                var m = new BiLstmH32F32T100();
                var w = m.newWorkspace();
                forward = () -> m.forward(w, xs[0]);
                train = () -> m.computeGradients(w, xs, ys);
            }
            case "forward-lstm128" -> {
                var m = new LstmH128F32T100();
                var w = m.newWorkspace();
                forward = () -> m.forward(w, xs[0]);
                train = () -> m.computeGradients(w, xs, ys);
            }
            case "bidirectional-lstm128" -> {
                var m = new BiLstmH128F32T100();
                var w = m.newWorkspace();
                forward = () -> m.forward(w, xs[0]);
                train = () -> m.computeGradients(w, xs, ys);
            }
            case "forward-gru128" -> {
                var m = new GruH128F32T100();
                var w = m.newWorkspace();
                forward = () -> m.forward(w, xs[0]);
                train = () -> m.computeGradients(w, xs, ys);
            }
            case "bidirectional-gru128" -> {
                var m = new BiGruH128F32T100();
                var w = m.newWorkspace();
                forward = () -> m.forward(w, xs[0]);
                train = () -> m.computeGradients(w, xs, ys);
            }
            default -> throw new IllegalArgumentException(model);
        }
    }

    /** One sequence's forward pass. */
    @Benchmark
    public Object forward() {
        return forward.get();
    }

    /** The gradients of a batch of 4 (computed on one thread: the split needs more work). */
    @Benchmark
    public Object gradients() {
        return train.get();
    }
}
