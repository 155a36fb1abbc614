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
 * Inference latency of one step at batch 1: {@code Stepper.step(x, y)} (into an output array kept across steps) of a generated model (cell and
 * head, 64 dense inputs, 64 linear outputs) against the same step of the EJML baseline. The step
 * does not depend on the sequence length; the 25-step models are used.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class StepBenchmark {
    @Param({"unroll", "ejml"})
    public String impl;

    @Param({"rnn", "lstm", "gru"})
    public String cell;

    @Param({"32", "64", "128", "512"})
    public int hidden;

    @Param({"float", "double"})
    public String precision;

    private Subject subject;

    @Setup
    public void setUp() {
        subject = Subjects.grid(impl, cell, hidden, precision, 25, 1);
    }

    @Benchmark
    public void step(Blackhole blackhole) {
        blackhole.consume(subject.step());
    }
}
