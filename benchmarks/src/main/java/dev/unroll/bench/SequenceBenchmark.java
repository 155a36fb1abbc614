package dev.unroll.bench;

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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Inference latency of a whole sequence at batch 1: {@code forward(ws, x)} over 25 or 100 steps
 * (with the head at every step), against the EJML baseline's forward pass.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class SequenceBenchmark {
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

    private Subject subject;

    @Setup
    public void setUp() {
        subject = Subjects.grid(impl, cell, hidden, precision, steps, 1);
    }

    @Benchmark
    public void forward(Blackhole blackhole) {
        blackhole.consume(subject.forward());
    }
}
