package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.runtime.Parameter;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backpropagation through time against central differences of the loss, for every combination
 * of cell (rnn tanh, rnn relu, lstm, gru) x topology (one_to_one, one_to_many, one_to_many with
 * feedback, many_to_one, many_to_many) x depth (1, 2, and 3 layers with different hidden sizes) x
 * head and loss (softmax + cross_entropy, sigmoid + binary_cross_entropy, linear + mse, tanh + mse,
 * sigmoid + mse, softmax + mse) x input encoding (dense; one_hot too, except feedback into a
 * non-softmax head, which the language forbids). Sizes are drawn at random (seeded) and small, in
 * float64, without clipping, batch 2. Then bidirectional stacks: every cell x the topologies that
 * allow them (one_to_one, many_to_one, many_to_many) x depth 1 to 3, each layer forward, concat or
 * sum at random with at least one bidirectional, heads and encodings in turn.
 *
 * <p>For each case, weights are uniform in [-0.5, 0.5] and inputs and targets random; every element
 * of every parameter's gradient, and of the input gradient for dense inputs, from
 * {@code computeGradients} must match the fourth-order central difference
 * <pre>
 * g ~ (-L(v + 2h) + 8 L(v + h) - 8 L(v - h) + L(v - 2h)) / 12h,     h = {@value #STEP}
 * </pre>
 * of {@code loss()}. Theory for the step: the truncation error is {@code h^4 |L^(5)| / 30}, about
 * {@code 5e-17 |L^(5)|} here, negligible for these small smooth networks; rounding adds about
 * {@code 1.5 k eps |L| / h}, with {@code eps = 2.2e-16}, losses of order 1, and {@code k} a few
 * ulps of noise in a loss that is a sum of rounded terms: a few 1e-12 in absolute terms. That
 * resolves gradients down to 1e-5 to a relative 1e-6, hence the criterion
 * <pre>
 * |analytic - numeric| / max(|analytic|, |numeric|, FLOOR) &lt; 1e-6,     FLOOR = {@value #FLOOR}
 * </pre>
 * The floor only matters for elements whose true gradient is below 1e-5 (many are exactly zero:
 * the recurrent weights of a one_to_one network, a relu unit that never fires): for them it
 * demands an absolute agreement of 1e-11.
 *
 * <p>A relu network is not differentiable where a pre-activation is 0, and a difference quotient
 * across such a kink is meaningless; as a careful fixture script would, the test redraws the
 * weights and inputs until no relu pre-activation (computed by {@link ReferenceModel}) lies within
 * {@value #RELU_MARGIN} of 0, which is well beyond what a perturbation of 2h can move it. Likewise
 * for {@code cell_clip}: a draw is kept when the clamp changes some cell state and no pre-clamp
 * {@code |c|} lies within {@value #CLIP_MARGIN} of the clip.
 *
 * <p>The variants PyTorch has no module for (LSTM peepholes, cell clip, both, the Cho GRU) are
 * drawn after those cases, over every topology and depth with the heads and encodings in turn.
 * Last come encoder-decoders ({@code many_to_many input_steps TX output_steps TY}, trained with teacher
 * forcing): every cell, variants included, at depth 1 to 3, with the heads and encodings in turn and
 * {@code TX}, {@code TY} drawn independently; the gradients reach both stacks' weights, the head and
 * {@code dL/dx}.
 */
class FiniteDifferenceTest {
    static final double STEP = 2e-4;
    static final double FLOOR = 1e-5;
    static final double TOLERANCE = 1e-6;
    static final double RELU_MARGIN = 4e-3;
    static final double CLIP_MARGIN = 4e-3;
    static final int BATCH = 2;
    private static final long SEED = 20240611L;

    @TempDir
    static Path work;

    private static final List<NetSpec> cases = new ArrayList<>();
    private static Map<String, Class<?>> classes;
    private static final AtomicReference<String> worst = new AtomicReference<>("none");
    private static double worstError;
    private static double worstVariantError;
    private static String worstVariant = "none";
    private static long checkedElements;
    private static double compileSeconds;
    private static double cpuAtStart;
    private static double compileCpuSeconds;

    @BeforeAll
    static void generateAndCompileEveryCase() {
        SplittableRandom random = new SplittableRandom(SEED);
        List<NetworkModel> models = new ArrayList<>();
        for (NetSpec.Cell cell : NetSpec.Cell.core()) {
            for (NetSpec.Topo topology : NetSpec.Topo.oneStack()) {
                for (int layers = 1; layers <= 3; layers++) {
                    for (NetSpec.Head head : NetSpec.Head.values()) {
                        for (boolean oneHot : new boolean[] {false, true}) {
                            if (oneHot && !NetSpec.oneHotAllowed(topology, head)) {
                                continue;
                            }
                            String name = "Fd" + cases.size();
                            NetSpec spec = NetSpec.random(random, "fd", name, cell, layers, topology, head, oneHot,
                                    true, 3, 4);
                            cases.add(spec);
                            models.add(spec.model());
                        }
                    }
                }
            }
        }
        // the variants: every topology and depth, the heads and encodings in turn (drawn after the cases above,
        // which stay as they were)
        int j = 0;
        for (NetSpec.Cell cell : NetSpec.Cell.variants()) {
            for (NetSpec.Topo topology : NetSpec.Topo.oneStack()) {
                for (int layers = 1; layers <= 3; layers++, j++) {
                    NetSpec.Head head = NetSpec.Head.values()[j % 6];
                    boolean oneHot = j / 6 % 2 == 1 && NetSpec.oneHotAllowed(topology, head);
                    String name = "Fd" + cases.size();
                    NetSpec spec = NetSpec.random(random, "fd", name, cell, layers, topology, head, oneHot, true, 3, 4);
                    cases.add(spec);
                    models.add(spec.model());
                }
            }
        }
        SplittableRandom bidirectional = new SplittableRandom(SEED + 1);
        NetSpec.Direction[] directions = NetSpec.Direction.values();
        NetSpec.Head[] heads = NetSpec.Head.values();
        for (NetSpec.Cell cell : NetSpec.Cell.core()) {
            for (NetSpec.Topo topology : List.of(NetSpec.Topo.ONE_TO_ONE, NetSpec.Topo.MANY_TO_ONE,
                    NetSpec.Topo.MANY_TO_MANY)) {
                for (int layers = 1; layers <= 3; layers++) {
                    for (int variant = 0; variant < 2; variant++) {
                        String name = "Fd" + cases.size();
                        NetSpec.Head head = heads[cases.size() % heads.length];
                        boolean oneHot = cases.size() % 3 == 0;
                        NetSpec base = NetSpec.random(bidirectional, "fd", name, cell, layers, topology, head, oneHot,
                                true, 3, 4);
                        List<NetSpec.Layer> stack = new ArrayList<>();
                        for (int k = 0; k < layers; k++) {
                            NetSpec.Direction d = directions[bidirectional.nextInt(directions.length)];
                            if (k == layers - 1 && stack.stream().noneMatch(NetSpec.Layer::bidirectional)
                                    && d == NetSpec.Direction.FORWARD) {
                                d = variant == 0 ? NetSpec.Direction.CONCAT : NetSpec.Direction.SUM;
                            }
                            stack.add(new NetSpec.Layer(cell, base.layers().get(k).hidden(), d));
                        }
                        NetSpec spec = new NetSpec(base.packageName(), name, stack, base.inputSize(), oneHot,
                                base.outputSize(), head, topology, base.steps(), base.fixedBatch(), true);
                        cases.add(spec);
                        models.add(spec.model());
                    }
                }
            }
        }
        // encoder-decoders: every cell, depth 1 to 3, heads and encodings in turn, TX and TY drawn apart
        SplittableRandom encoderDecoder = new SplittableRandom(SEED + 2);
        List<NetSpec.Cell> allCells = new ArrayList<>(NetSpec.Cell.core());
        allCells.addAll(NetSpec.Cell.variants());
        for (NetSpec.Cell cell : allCells) {
            for (int layers = 1; layers <= 3; layers++) {
                String name = "Fd" + cases.size();
                NetSpec.Head head = heads[cases.size() % heads.length];
                boolean oneHot = cases.size() % 2 == 0;
                NetSpec base = NetSpec.random(encoderDecoder, "fd", name, cell, layers, NetSpec.Topo.MANY_TO_MANY,
                        head, oneHot, true, 3, 4);
                int outputSteps = 1 + encoderDecoder.nextInt(4);
                NetSpec spec = new NetSpec(base.packageName(), name, base.layers(), base.inputSize(), oneHot,
                        base.outputSize(), head, NetSpec.Topo.ENCODER_DECODER, base.steps(), base.fixedBatch(), true,
                        outputSteps);
                cases.add(spec);
                models.add(spec.model());
            }
        }
        long start = System.nanoTime();
        double cpu = processCpuSeconds();
        classes = GeneratedCode.compile(models, work);
        compileSeconds = (System.nanoTime() - start) / 1e9;
        cpuAtStart = processCpuSeconds();
        compileCpuSeconds = cpuAtStart - cpu;
    }

    private static double processCpuSeconds() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() / 1e9 : Double.NaN;
    }

    @AfterAll
    static void report() {
        System.out.printf("FiniteDifferenceTest: %d cases, %d gradient elements; largest relative error %.3g (%s),"
                + " of the variants' cases %.3g (%s); compiled in %.1f s (%.1f s of cpu), checked with %.1f s of cpu%n",
                cases.size(), checkedElements, worstError, worst.get(), worstVariantError, worstVariant, compileSeconds,
                compileCpuSeconds, processCpuSeconds() - cpuAtStart);
    }

    /**
     * One dynamic test per case. The cases are independent (each has its own model instance), so
     * they are computed on every core ahead of the test that reports them.
     */
    @TestFactory
    Stream<DynamicTest> gradientsMatchCentralDifferences() {
        assertTrue(cases.size() >= 4 * 5 * 3 * 6 + 4 * 3 * 3 * 2, "every combination is generated");
        assertTrue(cases.stream().filter(NetSpec::bidirectional).count() == 4 * 3 * 3 * 2, "bidirectional cases");
        assertTrue(cases.stream().filter(c -> c.topology() == NetSpec.Topo.ENCODER_DECODER).count() == 8 * 3,
                "encoder-decoder cases");
        ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
        List<Future<?>> results = new ArrayList<>();
        for (NetSpec c : cases) {
            results.add(pool.submit(() -> check(c)));
        }
        pool.shutdown();
        return IntStream.range(0, cases.size()).mapToObj(i -> DynamicTest.dynamicTest(cases.get(i).toString(), () -> {
            try {
                results.get(i).get();
            } catch (ExecutionException e) {
                throw e.getCause();
            }
        }));
    }

    private static void check(NetSpec spec) {
        ModelHandle model = new ModelHandle(classes.get(spec.qualifiedName()));
        SplittableRandom random = new SplittableRandom(SEED ^ spec.name().hashCode());
        TestBatch batch = null;
        for (int attempt = 0; attempt < 200 && batch == null; attempt++) {
            for (Parameter p : model.parameters()) {
                for (int i = 0; i < p.size(); i++) {
                    p.setValue(i, random.nextDouble(-0.5, 0.5));
                }
            }
            TestBatch candidate = TestBatch.random(spec, BATCH, random);
            ReferenceModel.Result reference = new ReferenceModel(spec, model.parameters()).run(candidate);
            boolean clips = spec.layers().stream().anyMatch(l -> l.cell().cellClip());
            if (reference.smallestReluPreactivation() >= RELU_MARGIN
                    && (!clips || reference.smallestClipMargin() >= CLIP_MARGIN && reference.clampedElements() > 0)) {
                batch = candidate;
            }
        }
        assertTrue(batch != null, "no draw kept relu pre-activations away from 0 (and clamped some cell state,"
                + " none of it near the clip)");
        Object xs = batch.xs();
        Object targets = batch.targetsArgument();
        Method lossMethod = model.method("loss", model.workspace, xs, targets);
        Object inputGradients = spec.oneHot() ? null : batch.inputGradientBuffer();
        double loss = spec.oneHot()
                ? (double) model.call("computeGradients", model.workspace, xs, targets)
                : (double) model.call("computeGradients", model.workspace, xs, targets, inputGradients);
        assertEquals(loss, loss(model, lossMethod, xs, targets), 0.0, "loss() equals the loss computeGradients returns");

        Errors errors = new Errors(spec);
        for (Parameter p : model.parameters()) {
            double[] analytic = new double[p.size()];
            for (int i = 0; i < analytic.length; i++) {
                analytic[i] = p.grad(i);
            }
            for (int i = 0; i < p.size(); i++) {
                final int index = i;
                double v = p.value(i);
                double numeric = difference(v, w -> p.setValue(index, w), () -> loss(model, lossMethod, xs, targets));
                p.setValue(i, v);
                errors.add(p.name() + "[" + i + "]", analytic[i], numeric);
            }
        }
        if (!spec.oneHot()) {
            List<double[]> xRows = TestBatch.rows(xs);
            List<double[]> gRows = TestBatch.rows(inputGradients);
            for (int r = 0; r < xRows.size(); r++) {
                double[] row = xRows.get(r);
                for (int i = 0; i < row.length; i++) {
                    final int index = i;
                    double v = row[i];
                    double numeric = difference(v, w -> row[index] = w, () -> loss(model, lossMethod, xs, targets));
                    row[i] = v;
                    errors.add("dL/dx row " + r + " [" + i + "]", gRows.get(r)[i], numeric);
                }
            }
        }
        errors.assertBelowTolerance();
    }

    /** A setter of the perturbed value. */
    private interface Setter {
        void set(double value);
    }

    /** The fourth-order central difference of {@code f} in the value {@code v} that {@code set} changes. */
    private static double difference(double v, Setter set, java.util.function.DoubleSupplier f) {
        set.set(v + 2 * STEP);
        double p2 = f.getAsDouble();
        set.set(v + STEP);
        double p1 = f.getAsDouble();
        set.set(v - STEP);
        double m1 = f.getAsDouble();
        set.set(v - 2 * STEP);
        double m2 = f.getAsDouble();
        set.set(v);
        return (-p2 + 8 * p1 - 8 * m1 + m2) / (12 * STEP);
    }

    private static double loss(ModelHandle model, Method lossMethod, Object xs, Object targets) {
        return (double) model.call(lossMethod, model.workspace, xs, targets);
    }

    /** Collects the relative errors of one case. */
    private static final class Errors {
        private final NetSpec spec;
        private double max;
        private String where = "";
        private final List<String> failures = new ArrayList<>();
        private int count;

        Errors(NetSpec spec) {
            this.spec = spec;
        }

        void add(String what, double analytic, double numeric) {
            double error = Math.abs(analytic - numeric)
                    / Math.max(FLOOR, Math.max(Math.abs(analytic), Math.abs(numeric)));
            count++;
            if (!(error < TOLERANCE)) {
                failures.add(String.format("%s: BPTT %.12g, central difference %.12g, relative error %.3g", what,
                        analytic, numeric, error));
            }
            if (error > max) {
                max = error;
                where = what;
            }
        }

        void assertBelowTolerance() {
            synchronized (FiniteDifferenceTest.class) {
                checkedElements += count;
                if (max > worstError) {
                    worstError = max;
                    worst.set(spec.name() + " " + where);
                }
                boolean variant = spec.layers().stream().anyMatch(l -> NetSpec.Cell.variants().contains(l.cell()));
                if (variant && max > worstVariantError) {
                    worstVariantError = max;
                    worstVariant = spec + " " + where;
                }
            }
            if (!failures.isEmpty()) {
                throw new AssertionError(failures.size() + " of " + count + " gradient elements differ from central"
                        + " differences by more than " + TOLERANCE + " relative in " + spec + "\n" + spec.text()
                        + String.join("\n", failures.subList(0, Math.min(20, failures.size()))));
            }
        }
    }
}
