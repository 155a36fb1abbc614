package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.compiler.codegen.ModelWriter;
import dev.unroll.compiler.plan.KernelStyle;
import dev.unroll.compiler.plan.Planner;
import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.runtime.Parameter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Vector API kernels compute the plain kernels' function: for the same spec and the same weights, a model
 * generated with {@code KernelStyle.vector(bits)} and one generated with plain kernels give the same loss, every
 * parameter's gradient, {@code dL/dx} and outputs, to rounding: each tensor to {@value #F64_TOLERANCE} (float64) or
 * {@value #F32_TOLERANCE} (float32) of the tensor's largest magnitude. The cases cover rnn (tanh and relu), lstm,
 * lstm peepholes, gru and the Cho gru; hidden sizes that leave a tail past the last whole vector (5, 13, 20, 37) and
 * whole multiples of it (16, 32, 64); 1 and 2 layers, bidirectional concat and sum; many_to_one and many_to_many;
 * dense, one_hot and embedding inputs; float and double; 128-, 256- and 512-bit vectors (each case at one width, in
 * turn, and the first cases at every width).
 *
 * <p>The vector models must also <em>not</em> reproduce the plain models' bits everywhere: fused multiply-adds in
 * another order round differently, so equal bits in every tensor of a case would mean the vector code did not run.
 * Their sources must call the {@code mulAdd} helpers and hold the species of their width, the plain ones neither.
 *
 * <p>Every product of a vector model is vector code, however large: checked on the generated sources of an LSTM of
 * 800 gate rows and of a head of 600 outputs.
 */
class VectorKernelsTest {
    static final double F64_TOLERANCE = 1e-12;
    static final double F32_TOLERANCE = 1e-5;
    private static final int BATCH = 3;
    private static final int[] WIDTHS = {128, 256, 512};
    /** The first cases run at every width; the rest at one, in turn. */
    private static final int EVERY_WIDTH = 3;

    @TempDir
    static Path work;

    /** One comparison: a spec, planned plain and with vectors of {@code bits}. */
    record Case(NetSpec plain, NetSpec vector, int bits) {
        @Override
        public String toString() {
            return plain + " at " + bits + " bits";
        }
    }

    private static final List<Case> cases = new ArrayList<>();
    private static Map<String, Class<?>> plainClasses;
    private static final Map<String, Class<?>> vectorClasses = new java.util.HashMap<>();

    private static NetSpec.Layer layer(NetSpec.Cell cell, int hidden) {
        return new NetSpec.Layer(cell, hidden);
    }

    private static NetSpec.Layer layer(NetSpec.Cell cell, int hidden, NetSpec.Direction direction) {
        return new NetSpec.Layer(cell, hidden, direction);
    }

    /** The networks: name, stack, input (size, one_hot, embedding), head, topology, precision. */
    private static List<NetSpec> specs() {
        NetSpec.Cell rnn = NetSpec.Cell.RNN_TANH;
        NetSpec.Cell relu = NetSpec.Cell.RNN_RELU;
        NetSpec.Cell lstm = NetSpec.Cell.LSTM;
        NetSpec.Cell peep = NetSpec.Cell.LSTM_PEEPHOLES;
        NetSpec.Cell gru = NetSpec.Cell.GRU;
        NetSpec.Cell cho = NetSpec.Cell.GRU_CHO;
        NetSpec.Topo m2m = NetSpec.Topo.MANY_TO_MANY;
        NetSpec.Topo m2o = NetSpec.Topo.MANY_TO_ONE;
        NetSpec.Direction concat = NetSpec.Direction.CONCAT;
        NetSpec.Direction sum = NetSpec.Direction.SUM;
        List<NetSpec> s = new ArrayList<>();
        // the first EVERY_WIDTH run at every width
        s.add(spec("Lstm13F", List.of(layer(lstm, 13)), 5, false, 0, 3, NetSpec.Head.SIGMOID_BCE, m2m, false));
        s.add(spec("Gru37D", List.of(layer(gru, 37)), 4, false, 0, 3, NetSpec.Head.SOFTMAX_CE, m2o, true));
        s.add(spec("Rnn20x16D", List.of(layer(rnn, 20), layer(rnn, 16)), 3, false, 0, 4, NetSpec.Head.LINEAR_MSE, m2m,
                true));
        // then one width each, in turn
        s.add(spec("Rnn5D", List.of(layer(rnn, 5)), 3, false, 0, 2, NetSpec.Head.LINEAR_MSE, m2m, true));
        s.add(spec("Relu13F", List.of(layer(relu, 13)), 4, false, 0, 3, NetSpec.Head.SOFTMAX_CE, m2o, false));
        s.add(spec("Lstm16OneHotD", List.of(layer(lstm, 16)), 6, true, 0, 3, NetSpec.Head.SOFTMAX_CE, m2o, true));
        s.add(spec("Peep20F", List.of(layer(peep, 20)), 3, false, 0, 2, NetSpec.Head.TANH_MSE, m2m, false));
        s.add(spec("Cho5OneHotF", List.of(layer(cho, 5)), 5, true, 0, 4, NetSpec.Head.SIGMOID_MSE, m2m, false));
        s.add(spec("Lstm13Concat5D", List.of(layer(lstm, 13, concat), layer(lstm, 5)), 4, false, 0, 3,
                NetSpec.Head.SOFTMAX_MSE, m2m, true));
        s.add(spec("Gru20SumEmbF", List.of(layer(gru, 20, sum)), 7, true, 4, 3, NetSpec.Head.SOFTMAX_CE, m2o, false));
        s.add(spec("Lstm64EmbF", List.of(layer(lstm, 64)), 9, true, 5, 3, NetSpec.Head.SOFTMAX_CE, m2m, false));
        s.add(spec("Gru16x37OneHotF", List.of(layer(gru, 16), layer(gru, 37)), 6, true, 0, 2,
                NetSpec.Head.SIGMOID_BCE, m2o, false));
        s.add(spec("Peep5ConcatD", List.of(layer(peep, 5, concat)), 3, false, 0, 2, NetSpec.Head.LINEAR_MSE, m2o,
                true));
        s.add(spec("Cho13D", List.of(layer(cho, 13)), 4, false, 0, 3, NetSpec.Head.SOFTMAX_CE, m2m, true));
        s.add(spec("Relu37SumF", List.of(layer(relu, 37, sum)), 5, false, 0, 2, NetSpec.Head.LINEAR_MSE, m2m, false));
        s.add(spec("Lstm32x64F", List.of(layer(lstm, 32), layer(lstm, 64)), 3, false, 0, 4, NetSpec.Head.SIGMOID_BCE,
                m2o, false));
        s.add(spec("Cho32ConcatEmbD", List.of(layer(cho, 32, concat), layer(gru, 5)), 6, true, 3, 3,
                NetSpec.Head.SOFTMAX_CE, m2m, true));
        s.add(spec("Relu64OneHotD", List.of(layer(relu, 64)), 5, true, 0, 3, NetSpec.Head.SIGMOID_BCE, m2m, true));
        return s;
    }

    private static NetSpec spec(String name, List<NetSpec.Layer> layers, int input, boolean oneHot, int embedding,
            int output, NetSpec.Head head, NetSpec.Topo topology, boolean float64) {
        return new NetSpec("vk.plain", name, layers, input, oneHot || embedding > 0, output, head, topology, 3, 0,
                float64, embedding, 0);
    }

    private static NetSpec inPackage(NetSpec s, String pkg) {
        return new NetSpec(pkg, s.name(), s.layers(), s.inputSize(), s.oneHot(), s.outputSize(), s.head(),
                s.topology(), s.steps(), s.fixedBatch(), s.float64(), s.embedding(), s.decoderSteps());
    }

    @BeforeAll
    static void generateAndCompile() {
        List<NetSpec> specs = specs();
        List<NetworkModel> plain = new ArrayList<>();
        Map<Integer, List<NetworkModel>> vector = new java.util.TreeMap<>();
        for (int i = 0; i < specs.size(); i++) {
            NetSpec p = specs.get(i);
            plain.add(p.model());
            for (int w = 0; w < WIDTHS.length; w++) {
                if (i < EVERY_WIDTH || (i - EVERY_WIDTH) % WIDTHS.length == w) {
                    int bits = WIDTHS[w];
                    NetSpec v = inPackage(p, "vk.v" + bits);
                    cases.add(new Case(p, v, bits));
                    vector.computeIfAbsent(bits, b -> new ArrayList<>()).add(v.model());
                }
            }
        }
        plainClasses = GeneratedCode.compile(plain, work.resolve("plain"));
        for (Map.Entry<Integer, List<NetworkModel>> e : vector.entrySet()) {
            vectorClasses.putAll(GeneratedCode.compile(e.getValue(), work.resolve("v" + e.getKey()),
                    Planner.Options.DEFAULT.withKernels(KernelStyle.vector(e.getKey()))));
        }
    }

    @TestFactory
    Stream<DynamicTest> vectorKernelsAgreeWithPlainKernelsToRounding() {
        assertTrue(cases.size() >= 20, cases.size() + " cases");
        for (int bits : WIDTHS) {
            assertTrue(cases.stream().filter(c -> c.bits() == bits).count() >= 7, "cases at " + bits + " bits");
        }
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c)));
    }

    private static String source(Path dir, NetSpec spec) {
        return GeneratedCode.read(dir.resolve("src").resolve(spec.qualifiedName().replace('.', '/') + ".java"));
    }

    private static void check(Case c) {
        String plainSource = source(work.resolve("plain"), c.plain());
        String vectorSource = source(work.resolve("v" + c.bits()), c.vector());
        assertFalse(plainSource.contains("mulAdd") || plainSource.contains("jdk.incubator.vector"),
                "the plain model has no vector code");
        assertTrue(vectorSource.contains("FloatVector.SPECIES_" + c.bits())
                || vectorSource.contains("DoubleVector.SPECIES_" + c.bits()), "the species of " + c.bits() + " bits");
        NetSpec.Layer first = c.plain().layers().get(0);
        int rows = first.cell().gates() * first.hidden();
        // the Cho GRU's W_hn multiplies r * h_{t-1}, not h_{t-1}: its recurrent product is z and r's 2H rows, and H
        int recurrentRows = first.cell() == NetSpec.Cell.GRU_CHO ? 2 * first.hidden() : rows;
        assertTrue(java.util.regex.Pattern.compile("mulAdd(Vectors|Rows)\\d+x" + first.hidden() + "\\(")
                .matcher(vectorSource).find(), "layer 0's recurrent product (" + recurrentRows + " x "
                + first.hidden() + ") calls the vector block helpers");
        int lanes = c.bits() / (c.plain().float64() ? 64 : 32);
        // the peephole LSTM activates its gates in separate loops (i and f see c_{t-1}): no gate helper
        boolean floatLstm = !c.plain().float64() && first.cell().gates() == 4 && !first.cell().peepholes();
        assertEquals(floatLstm && rows >= lanes, vectorSource.contains(" gates" + rows + "("),
                "a float LSTM of at least one vector of gate rows has the gate helper");

        ModelHandle plain = new ModelHandle(plainClasses.get(c.plain().qualifiedName()));
        ModelHandle vector = new ModelHandle(vectorClasses.get(c.vector().qualifiedName()));
        SplittableRandom random = new SplittableRandom(c.plain().name().hashCode());
        Iterator<Parameter> vectorParameters = vector.parameters().iterator();
        int parameterCount = 0;
        for (Parameter p : plain.parameters()) {
            Parameter q = vectorParameters.next();
            assertEquals(p.name(), q.name());
            for (int i = 0; i < p.size(); i++) {
                p.setValue(i, random.nextDouble(-0.5, 0.5));
                q.setValue(i, p.value(i));
            }
            parameterCount++;
        }
        assertFalse(vectorParameters.hasNext(), "the same parameters");
        TestBatch batch = TestBatch.random(c.plain(), BATCH, random);
        Object xs = batch.xs();
        Object targets = batch.targetsArgument();
        boolean dense = !c.plain().oneHot();
        Object plainDx = dense ? batch.inputGradientBuffer() : null;
        Object vectorDx = dense ? batch.inputGradientBuffer() : null;
        double plainLoss = dense ? (double) plain.call("computeGradients", plain.workspace, xs, targets, plainDx)
                : (double) plain.call("computeGradients", plain.workspace, xs, targets);
        double vectorLoss = dense ? (double) vector.call("computeGradients", vector.workspace, xs, targets, vectorDx)
                : (double) vector.call("computeGradients", vector.workspace, xs, targets);

        Comparison compare = new Comparison(c.plain().float64() ? F64_TOLERANCE : F32_TOLERANCE);
        compare.add("loss", new double[] {plainLoss}, new double[] {vectorLoss});
        vectorParameters = vector.parameters().iterator();
        for (Parameter p : plain.parameters()) {
            Parameter q = vectorParameters.next();
            double[] gp = new double[p.size()];
            double[] gq = new double[q.size()];
            for (int i = 0; i < gp.length; i++) {
                gp[i] = p.grad(i);
                gq[i] = q.grad(i);
            }
            compare.add("dL/d " + p.name(), gp, gq);
        }
        if (dense) {
            compare.add("dL/dx", TestBatch.flatten(plainDx), TestBatch.flatten(vectorDx));
        }
        compare.add("outputs", TestBatch.flatten(plain.call("forward", plain.workspace, xs)),
                TestBatch.flatten(vector.call("forward", vector.workspace, xs)));
        assertTrue(compare.tensors == parameterCount + (dense ? 3 : 2), compare.tensors + " tensors compared");
        compare.assertAgree(c.toString());
    }

    /** The largest difference seen, over the tensor's largest magnitude: float64, float32. */
    private static final double[] worstRatio = new double[2];

    @org.junit.jupiter.api.AfterAll
    static void report() {
        System.out.printf("VectorKernelsTest: %d cases; largest difference over the tensor's largest magnitude:"
                + " float64 %.3g (tolerance %.0e), float32 %.3g (tolerance %.0e)%n", cases.size(), worstRatio[0],
                F64_TOLERANCE, worstRatio[1], F32_TOLERANCE);
    }

    /**
     * The first call of a model runs its vector helpers interpreted (the Vector API's Java fallback), later calls
     * compiled by C2 (the intrinsics; each helper runs a dozen times or more a call): the loss, gradients and dL/dx of
     * the last of {@value #CALLS} calls have the first call's bits, the float LSTM at every width and
     * the double GRU at 256 bits.
     */
    private static final int CALLS = 1000;

    @Test
    void compiledVectorCodeGivesTheInterpretedBits() {
        for (Case c : cases.subList(0, 3 * EVERY_WIDTH)) {
            // the float LSTM at every width, the double GRU at 256 bits
            if (c.plain().layers().size() > 1 || c.plain().float64() && c.bits() != 256) {
                continue;
            }
            long start = System.nanoTime();
            ModelHandle vector = new ModelHandle(vectorClasses.get(c.vector().qualifiedName()));
            SplittableRandom random = new SplittableRandom(7);
            for (Parameter p : vector.parameters()) {
                for (int i = 0; i < p.size(); i++) {
                    p.setValue(i, random.nextDouble(-0.5, 0.5));
                }
            }
            TestBatch batch = TestBatch.random(c.plain(), BATCH, random);
            Object xs = batch.xs();
            Object targets = batch.targetsArgument();
            double[] first = null;
            for (int call = 0; call < CALLS; call++) {
                for (Parameter p : vector.parameters()) {
                    p.zeroGrad();
                }
                Object dx = batch.inputGradientBuffer();
                double loss = (double) vector.call("computeGradients", vector.workspace, xs, targets, dx);
                if (call == 0 || call == CALLS - 1) {
                    List<Double> all = new ArrayList<>();
                    all.add(loss);
                    for (Parameter p : vector.parameters()) {
                        for (int i = 0; i < p.size(); i++) {
                            all.add(p.grad(i));
                        }
                    }
                    for (double v : TestBatch.flatten(dx)) {
                        all.add(v);
                    }
                    double[] values = all.stream().mapToDouble(Double::doubleValue).toArray();
                    if (first == null) {
                        first = values;
                    } else {
                        for (int i = 0; i < values.length; i++) {
                            assertEquals(Double.doubleToRawLongBits(first[i]), Double.doubleToRawLongBits(values[i]),
                                    c + ": number " + i + " of the loss, gradients and dL/dx, first call " + first[i]
                                            + ", call " + CALLS + " " + values[i]);
                        }
                    }
                }
            }
            System.out.printf("VectorKernelsTest: %s, %d calls in %.2f s%n", c, CALLS,
                    (System.nanoTime() - start) / 1e9);
        }
    }

    /** Tensors of the two models, compared each to its own largest magnitude. */
    private static final class Comparison {
        final double tolerance;
        int tensors;
        long elements;
        long differentBits;
        final List<String> failures = new ArrayList<>();

        Comparison(double tolerance) {
            this.tolerance = tolerance;
        }

        void add(String what, double[] plain, double[] vector) {
            assertEquals(plain.length, vector.length, what);
            tensors++;
            double scale = 0;
            for (double v : plain) {
                scale = Math.max(scale, Math.abs(v));
            }
            assertTrue(Double.isFinite(scale), what + " is finite");
            double worst = 0;
            int at = -1;
            for (int i = 0; i < plain.length; i++) {
                elements++;
                if (Double.doubleToRawLongBits(plain[i]) != Double.doubleToRawLongBits(vector[i])) {
                    differentBits++;
                }
                double error = Math.abs(plain[i] - vector[i]);
                if (!(error <= worst)) {
                    worst = error;
                    at = i;
                }
            }
            if (scale > 0) {
                synchronized (VectorKernelsTest.class) {
                    int k = tolerance == F64_TOLERANCE ? 0 : 1;
                    worstRatio[k] = Math.max(worstRatio[k], worst / scale);
                }
            }
            if (!(worst <= tolerance * scale)) {
                failures.add(String.format("%s[%d]: plain %.17g, vector %.17g; difference %.3g > %.0e x %.3g", what,
                        at, plain[at], vector[at], worst, tolerance, scale));
            }
        }

        void assertAgree(String name) {
            assertTrue(failures.isEmpty(), name + ": the vector kernels differ from the plain ones by more than "
                    + tolerance + " of a tensor's largest magnitude:\n" + String.join("\n", failures));
            assertTrue(differentBits > 0, name + ": all " + elements + " numbers have the plain kernels' bits; the"
                    + " vector kernels (fused multiply-adds) cannot have run");
        }
    }

    // --- every product is vector code, however large ---

    private static String generate(String name, String body, int bits) {
        NetworkModel model = GeneratedCode.model(name + ".rnn", "package vk.large;\nmodel " + name + " {\n" + body
                + "}\n");
        return ModelWriter.write(Planner.planOrThrow(model,
                Planner.Options.DEFAULT.withKernels(KernelStyle.vector(bits)))).toString();
    }

    private static String layers(String input, String stack, int output, String precision) {
        return "    input " + input + ";\n" + stack + "    output " + output + " softmax;\n"
                + "    many_to_one steps 2;\n    precision " + precision + ";\n";
    }

    @Test
    void largeLayersAndHeadsAreVectorCodeToo() {
        String lstm = generate("Lstm200", layers("8", "    lstm 200;\n", 3, "float32"), 256);
        assertTrue(lstm.contains(" gates800(") && java.util.regex.Pattern.compile("mulAddVectors\\d+x200\\(")
                .matcher(lstm).find(), "800 gate rows: the gate helper and the block helpers");
        assertFalse(lstm.contains("Activations.gate(a[k], gateScales[k], gateShifts[k])"), "no plain gate loop");
        String head = generate("WideHead", layers("8", "    rnn 8;\n", 600, "float32"), 256);
        assertTrue(java.util.regex.Pattern.compile("mulAddVectors\\d+x8\\(").matcher(head).find(),
                "600 output rows: the head's blocks are vector helpers");
        assertFalse(head.contains("final float[][] wT"), "the head's weights are blocked, not one array per column");
    }
}
