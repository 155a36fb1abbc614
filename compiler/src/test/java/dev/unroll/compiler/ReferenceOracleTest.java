package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.runtime.DoubleParameter;
import dev.unroll.runtime.FloatParameter;
import dev.unroll.runtime.Parameter;
import java.lang.reflect.Array;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generated forward passes and losses against {@link ReferenceModel}, a plain EJML implementation
 * of PyTorch's equations written independently of the generator: RNN (tanh and relu), LSTM and GRU
 * stacks of 1, 2 and 3 layers over every topology, each head and loss and both input encodings
 * spread over them, plus stacks that mix cells and sizes. Every network is generated twice, in
 * float64 and float32, with the same random weights (uniform in [-0.5, 0.5]) and inputs.
 *
 * <p>Tolerances are element-wise, {@code |generated - reference| <= rtol * max(|reference|, s)},
 * with {@code rtol} = {@value #RTOL_64} in float64 and {@value #RTOL_32} in float32 (where the
 * reference still computes in double, from the float weights and inputs). {@code s} is a floor
 * for elements near zero, whose error is that of a sum of larger terms: a fraction of the largest
 * magnitude in the tensor compared, {@value #FLOOR_FRACTION_64} in float64 and
 * {@value #FLOOR_FRACTION_32} in float32 (whose rounding, a few ulps of terms of the tensor's
 * scale, is 1e-5 of an output ten times smaller than the largest). The loss, a scalar, is
 * compared purely relatively.
 *
 * <p>The forward pass must also see every documented way of changing the weights (writing the
 * value arrays then {@code parametersChanged()}, {@code trainStep}, {@code load}).
 *
 * <p>The streaming {@code Stepper} is checked too: driven with the inputs the topology implies
 * (the sequence, or the first input then zeros, or the first input then its own outputs), it
 * must reproduce {@code forward} bit for bit.
 */
class ReferenceOracleTest {
    static final double RTOL_64 = 1e-12;
    static final double RTOL_32 = 1e-5;
    static final double FLOOR_FRACTION_64 = 1e-2;
    static final double FLOOR_FRACTION_32 = 1e-1;
    private static final long SEED = 77L;

    @TempDir
    static Path work;

    private static final List<NetSpec> cases = new ArrayList<>();
    private static Map<String, Class<?>> classes;
    private static final double[] worst = new double[2]; // relative error, float64 and float32
    private static final String[] worstWhere = {"", ""};
    private static double compileSeconds;
    private static double compileCpuSeconds;

    @BeforeAll
    static void generateAndCompile() {
        SplittableRandom random = new SplittableRandom(SEED);
        List<NetSpec> f64 = new ArrayList<>();
        for (NetSpec.Topo topology : NetSpec.Topo.oneStack()) {
            int j = 0;
            for (NetSpec.Cell cell : NetSpec.Cell.core()) {
                for (int layers = 1; layers <= 3; layers++, j++) {
                    // over the 12 cases of a topology: each head once with each encoding
                    NetSpec.Head head = NetSpec.Head.values()[j % 6];
                    boolean oneHot = j / 6 % 2 == 1 && NetSpec.oneHotAllowed(topology, head);
                    f64.add(NetSpec.random(random, "oracle.f64", "Oracle" + f64.size(), cell, layers, topology, head,
                            oneHot, true, 6, 6));
                }
            }
        }
        f64.add(mixed("Oracle" + f64.size(), NetSpec.Topo.MANY_TO_MANY, NetSpec.Head.SOFTMAX_CE, false, 5,
                new NetSpec.Layer(NetSpec.Cell.LSTM, 5), new NetSpec.Layer(NetSpec.Cell.GRU, 3),
                new NetSpec.Layer(NetSpec.Cell.RNN_RELU, 4)));
        f64.add(mixed("Oracle" + f64.size(), NetSpec.Topo.ONE_TO_MANY_FEEDBACK, NetSpec.Head.TANH_MSE, false, 3,
                new NetSpec.Layer(NetSpec.Cell.GRU, 4), new NetSpec.Layer(NetSpec.Cell.RNN_TANH, 6)));
        f64.add(mixed("Oracle" + f64.size(), NetSpec.Topo.MANY_TO_ONE, NetSpec.Head.SIGMOID_BCE, true, 7,
                new NetSpec.Layer(NetSpec.Cell.RNN_RELU, 3), new NetSpec.Layer(NetSpec.Cell.LSTM, 4)));
        f64.add(mixed("Oracle" + f64.size(), NetSpec.Topo.ONE_TO_MANY_FEEDBACK, NetSpec.Head.SOFTMAX_CE, true, 4,
                new NetSpec.Layer(NetSpec.Cell.LSTM, 3), new NetSpec.Layer(NetSpec.Cell.GRU, 5)));
        List<NetworkModel> models = new ArrayList<>();
        for (NetSpec spec : f64) {
            NetSpec f32 = spec.withPrecision(false, "oracle.f32");
            cases.add(spec);
            cases.add(f32);
            models.add(spec.model());
            models.add(f32.model());
        }
        double cpu = processCpuSeconds();
        long start = System.nanoTime();
        classes = GeneratedCode.compile(models, work);
        compileSeconds = (System.nanoTime() - start) / 1e9;
        compileCpuSeconds = processCpuSeconds() - cpu;
    }

    private static double processCpuSeconds() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() / 1e9 : Double.NaN;
    }

    private static NetSpec mixed(String name, NetSpec.Topo topology, NetSpec.Head head, boolean oneHot, int inputSize,
            NetSpec.Layer... layers) {
        int outputSize = topology.feedback() ? inputSize : 3;
        return new NetSpec("oracle.f64", name, List.of(layers), inputSize, oneHot, outputSize, head, topology, 5, 0,
                true);
    }

    @AfterAll
    static void report() {
        System.out.printf("ReferenceOracleTest: %d models (compiled in %.1f s, %.1f s of cpu); largest relative"
                + " difference from the EJML reference: float64 %.3g (%s), float32 %.3g (%s)%n", cases.size(),
                compileSeconds, compileCpuSeconds, worst[0], worstWhere[0], worst[1], worstWhere[1]);
    }

    @TestFactory
    Stream<DynamicTest> forwardAndLossMatchTheReference() {
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c)));
    }

    private static void check(NetSpec spec) {
        ModelHandle model = new ModelHandle(classes.get(spec.qualifiedName()));
        // the same weights and data in both precisions: the stream depends on the name only
        SplittableRandom random = new SplittableRandom(SEED * 31 + spec.name().hashCode());
        for (Parameter p : model.parameters()) {
            for (int i = 0; i < p.size(); i++) {
                p.setValue(i, random.nextDouble(-0.5, 0.5));
            }
        }
        int batchSize = spec.fixedBatch() > 0 ? spec.fixedBatch() : 3;
        TestBatch batch = TestBatch.random(spec, batchSize, random);
        ReferenceModel.Result expected = new ReferenceModel(spec, model.parameters()).run(batch);

        Object xs = batch.xs();
        Object outputs = model.call("forward", model.workspace, xs);
        double rtol = spec.float64() ? RTOL_64 : RTOL_32;
        compare(spec, "y", expected.flatY(), TestBatch.flatten(outputs), rtol);
        double loss = (double) model.call("loss", model.workspace, xs, batch.targetsArgument());
        compare(spec, "loss", new double[] {expected.loss()}, new double[] {loss}, rtol);
        double lossWithGradients = (double) model.call("computeGradients", model.workspace, xs,
                batch.targetsArgument());
        assertEquals(loss, lossWithGradients, 0.0, "computeGradients returns the loss that loss() returns");

        for (int b = 0; b < batchSize; b++) {
            Object single = model.call("forward", model.workspace, batch.x(b));
            assertArrayEquals(TestBatch.flatten(Array.get(outputs, b)), TestBatch.flatten(single),
                    "forward on sequence " + b + " alone gives what the batch gave it");
        }
        if (!spec.oneHot()) {
            checkStepper(spec, model, batch, outputs);
        }
    }

    /**
     * The forward pass reads its own packed copy of the weights; every documented way of changing
     * the weights must reach it: values written into the {@code value} arrays followed by
     * {@code parametersChanged()}, a {@code trainStep}, and {@code load} of a checkpoint.
     */
    @TestFactory
    Stream<DynamicTest> forwardSeesEveryWayOfChangingTheWeights() {
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> checkWeightChanges(c)));
    }

    private static void checkWeightChanges(NetSpec spec) throws Exception {
        ModelHandle model = new ModelHandle(classes.get(spec.qualifiedName()));
        SplittableRandom random = new SplittableRandom(SEED * 17 + spec.name().hashCode());
        int batchSize = spec.fixedBatch() > 0 ? spec.fixedBatch() : 2;
        TestBatch batch = TestBatch.random(spec, batchSize, random);
        Object xs = batch.xs();
        double rtol = spec.float64() ? RTOL_64 : RTOL_32;
        model.call("forward", model.workspace, xs); // packs the initial weights

        for (Parameter p : model.parameters()) {
            for (int i = 0; i < p.size(); i++) {
                double v = random.nextDouble(-0.5, 0.5);
                if (p instanceof DoubleParameter d) {
                    d.value[i] = v;
                } else {
                    ((FloatParameter) p).value[i] = (float) v;
                }
            }
        }
        model.call("parametersChanged");
        ReferenceModel.Result expected = new ReferenceModel(spec, model.parameters()).run(batch);
        compare(spec, "y after writing the value arrays", expected.flatY(),
                TestBatch.flatten(model.call("forward", model.workspace, xs)), rtol);

        model.call("trainStep", xs, batch.targetsArgument());
        expected = new ReferenceModel(spec, model.parameters()).run(batch);
        compare(spec, "y after trainStep", expected.flatY(),
                TestBatch.flatten(model.call("forward", model.workspace, xs)), rtol);
        compare(spec, "loss after trainStep", new double[] {expected.loss()},
                new double[] {(double) model.call("loss", model.workspace, xs, batch.targetsArgument())}, rtol);

        Path checkpoint = work.resolve(spec.qualifiedName() + ".safetensors");
        model.call("save", checkpoint);
        ModelHandle fresh = new ModelHandle(classes.get(spec.qualifiedName()));
        fresh.call("forward", fresh.workspace, xs); // packs its own initial weights
        fresh.call("load", checkpoint);
        assertArrayEquals(TestBatch.flatten(model.call("forward", model.workspace, xs)),
                TestBatch.flatten(fresh.call("forward", fresh.workspace, xs)), "forward after load");
    }

    /** Drives a stepper as the topology drives the network; it must reproduce forward() exactly. */
    private static void checkStepper(NetSpec spec, ModelHandle model, TestBatch batch, Object outputs) {
        Object stepper = model.call("newStepper");
        for (int b = 0; b < batch.size(); b++) {
            ModelHandle.invoke(stepper, "reset");
            Object expected = Array.get(outputs, b);
            Object x = batch.x(b);
            Object previous = null;
            for (int t = 0; t < spec.unrolledSteps(); t++) {
                Object input;
                if (spec.topology().sequenceInput()) {
                    input = Array.get(x, t);
                } else if (t == 0) {
                    input = x;
                } else if (spec.topology().feedback()) {
                    input = previous;
                } else {
                    input = Array.newInstance(spec.float64() ? double.class : float.class, spec.inputSize());
                }
                previous = ModelHandle.invoke(stepper, "step", input);
                if (spec.topology().sequenceOutput()) {
                    assertArrayEquals(TestBatch.flatten(Array.get(expected, t)), TestBatch.flatten(previous),
                            "stepper output at step " + t + " of sequence " + b);
                }
            }
            if (!spec.topology().sequenceOutput()) {
                assertArrayEquals(TestBatch.flatten(expected), TestBatch.flatten(previous),
                        "stepper output after the last step of sequence " + b);
            }
        }
    }

    private static void compare(NetSpec spec, String what, double[] expected, double[] actual, double rtol) {
        assertEquals(expected.length, actual.length, what + ": element count");
        double scale = 0;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        double floor = expected.length == 1 ? 0 : (spec.float64() ? FLOOR_FRACTION_64 : FLOOR_FRACTION_32) * scale;
        int precision = spec.float64() ? 0 : 1;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            double relative = Math.abs(a - e) / Math.max(Math.abs(e), floor);
            if (Math.abs(a - e) == 0) {
                relative = 0;
            }
            synchronized (worst) {
                if (relative > worst[precision]) {
                    worst[precision] = relative;
                    worstWhere[precision] = spec.name() + " " + what + "[" + i + "]";
                }
            }
            if (!(relative <= rtol)) {
                throw new AssertionError(String.format("%s[%d]: reference %.17g, generated %.17g; relative"
                        + " difference %.3g > %.1g in %s%n%s", what, i, e, a, relative, rtol, spec, spec.text()));
            }
        }
    }
}
