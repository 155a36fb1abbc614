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
 * Training throughput of the grid models: one {@code trainStep} (forward, mse, BPTT, clipping by
 * value 5, Adagrad 0.1) on a batch of 1 or 32 sequences, against the EJML baseline's. Every
 * iteration starts from the initial weights, so that thousands of updates on the same few batches
 * do not drift the weights into a regime (saturated gates, subnormal numbers) that would time
 * something else than the first iterations did.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class TrainBenchmark {
    @Param({"unroll", "ejml"})
    public String impl;

    @Param({"rnn", "lstm", "gru"})
    public String cell;

    @Param({"32", "64", "128", "512"})
    public int hidden;

    @Param({"float", "double"})
    public String precision;

    @Param({"25", "100"})
    public int steps;

    @Param({"1", "32"})
    public int batch;

    private Subject subject;

    @Setup(Level.Iteration)
    public void setUp() {
        subject = Subjects.grid(impl, cell, hidden, precision, steps, batch);
    }

    @Benchmark
    public void trainStep(Blackhole blackhole) {
        blackhole.consume(subject.train());
    }
}
