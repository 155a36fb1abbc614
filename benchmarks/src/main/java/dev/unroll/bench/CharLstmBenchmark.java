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
 * Training throughput of the char-level LSTM of PERFORMANCE.md (vocabulary 65 one-hot, lstm 128,
 * softmax 65, 25 steps, cross-entropy, clip value 5, Adagrad 0.1, float): one {@code trainStep} on
 * a batch of 1 or 32 sequences, against the EJML baseline's. Every iteration starts from the
 * initial weights (see {@link TrainBenchmark}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class CharLstmBenchmark {
    @Param({"unroll", "ejml"})
    public String impl;

    @Param({"1", "32"})
    public int batch;

    private Subject subject;

    @Setup(Level.Iteration)
    public void setUp() {
        subject = Subjects.charLstm(impl, batch);
    }

    @Benchmark
    public void trainStep(Blackhole blackhole) {
        blackhole.consume(subject.train());
    }
}
