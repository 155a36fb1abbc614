package dev.unroll.compiler.codegen.cell;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import dev.unroll.compiler.codegen.Kernels;
import dev.unroll.compiler.codegen.LayerCode;
import dev.unroll.compiler.codegen.RuntimeTypes;
import dev.unroll.compiler.codegen.VectorKernels;
import dev.unroll.compiler.plan.BufferSpec;
import dev.unroll.compiler.plan.LayerPlan;
import dev.unroll.compiler.plan.LayerShape;
import dev.unroll.dsl.model.CellSpec;
import java.util.List;
import java.util.Locale;
import javax.lang.model.element.Modifier;

/**
 * The LSTM cell, PyTorch's {@code nn.LSTM}: gates i, f, g, o of
 * {@code W_ih x_t + b_ih + W_hh h_{t-1} + b_hh}; {@code c_t = f * c_{t-1} + i * g},
 * {@code h_t = o * tanh(c_t)}.
 */
public final class LstmCell implements RowSplitCell {
    private final LayerShape shape;
    private final double forgetBias;
    private final BufferSpec gates;
    private final BufferSpec a;
    private final BufferSpec c;
    private final BufferSpec tanhC;
    private final BufferSpec cStep;
    private final BufferSpec tanhCStep;
    private final BufferSpec dc;

    /** Returns the emitter of an LSTM cell of the given sizes. */
    public LstmCell(CellSpec.Lstm spec, LayerShape shape) {
        if (spec.peepholes() || spec.cellClip().isPresent()) {
            throw new IllegalArgumentException("peepholes and cell_clip are refused by the planner");
        }
        this.shape = shape;
        this.forgetBias = spec.forgetBias();
        String l = shape.key();
        int h = shape.hiddenSize();
        int steps = shape.steps();
        String p = shape.docPrefix();
        this.gates = BufferSpec.numbersByTime("gates" + l, steps, 1, shape.gateRows(), p + "activated gates i, f, g, o per step.");
        this.a = BufferSpec.numbers("a" + l, shape.gateRows(), p + "gate pre-activations of the step being computed.");
        this.c = BufferSpec.numbersByTime("c" + l, steps + 1, 2, h, p + "cell state {@code c_t} at {@code (t + 1) * H}.");
        this.tanhC = BufferSpec.numbersByTime("tanhC" + l, steps, 1, h, p + "{@code tanh(c_t)} per step.");
        this.cStep = BufferSpec.numbers("cStep" + l, h, p + "{@code c} of the step being computed, at offset 0.");
        this.tanhCStep = BufferSpec.numbers("tanhCStep" + l, h, p + "{@code tanh(c_t)} of the step being computed.");
        this.dc = BufferSpec.numbers("dc" + l, h, p + "{@code dL/dc} of the step being back-propagated.");
    }

    @Override
    public String description() {
        return "lstm";
    }

    @Override
    public String pytorchModule() {
        return "nn.LSTM(" + shape.inputSize() + ", " + shape.hiddenSize() + ")";
    }

    @Override
    public String equations() {
        return "gates i, f, g, o of {@code W_ih x_t + b_ih + W_hh h_{t-1} + b_hh};\n"
                + "{@code c_t = f * c_{t-1} + i * g}, {@code h_t = o * tanh(c_t)}.";
    }

    @Override
    public List<BufferSpec> buffers() {
        return List.of(gates, a, c, tanhC, cStep, tanhCStep, dc);
    }

    @Override
    public List<BufferSpec> extraState() {
        return List.of(c);
    }

    @Override
    public List<BufferSpec> extraCarriedGradients() {
        return List.of(dc);
    }

    /**
     * A float LSTM activates its four gates in one loop of {@code Activations.gate} with per-row constants (the
     * same bits as sigmoid and tanh): at small sizes three loops of {@code H} or {@code 2H} spent much of their
     * time in C2's scalar pre- and post-loops. Measured on LSTM-32's step: 0.90 of the time of three loops. A
     * double LSTM keeps its loops: its sigmoid is {@code 1 / (1 + exp(-x))}, not a scaled tanh.
     */
    @Override
    public List<FieldSpec> constants(LayerCode code) {
        if (!code.num().isFloat()) {
            return List.of();
        }
        return List.of(FieldSpec.builder(float[].class, gateScales(), Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                        .addJavadoc("$L{@code scale} of {@code Activations.gate} per gate row, 0.5 for i, f and o"
                                + " (sigmoid), 1 for g (tanh).\n", shape.docPrefix())
                        .initializer("$T.lstmGateScales($L)", RuntimeTypes.ACTIVATIONS, shape.hiddenSize())
                        .build(),
                FieldSpec.builder(float[].class, gateShifts(), Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                        .addJavadoc("$L{@code shift} of {@code Activations.gate} per gate row, 0.5 for i, f and o,"
                                + " 0 for g.\n", shape.docPrefix())
                        .initializer("$T.lstmGateShifts($L)", RuntimeTypes.ACTIVATIONS, shape.hiddenSize())
                        .build());
    }

    private String gateScales() {
        return "GATE_SCALES_L" + shape.key().toUpperCase(Locale.ROOT);
    }

    private String gateShifts() {
        return "GATE_SHIFTS_L" + shape.key().toUpperCase(Locale.ROOT);
    }

    @Override
    public void initialize(CodeBlock.Builder b, LayerPlan layer) {
        b.add("// layer $L forget_bias: the forget gate's block of b_ih\n", layer.index());
        b.addStatement("$T.setGateBlock($L, 4, 1, $L)", RuntimeTypes.INITIALIZERS, layer.biasIh().field(), forgetBias);
    }

    @Override
    public void declareAccumulators(CodeBlock.Builder b, LayerCode code) {
        code.local(b, "a", a);
    }

    @Override
    public void preActivations(CodeBlock.Builder b, LayerCode code, int from, int to) {
        emitPreActivations(b, code, from, to);
    }

    /**
     * Emits the pre-activations of gate rows {@code [from, to)} into {@code a}, shared by the LSTM emitters:
     * {@code b_ih + b_hh + W_ih x_t + W_hh h_{t-1}}.
     */
    static void emitPreActivations(CodeBlock.Builder b, LayerCode code, int from, int to) {
        b.add("// a = [i; f; g; o] pre-activations = b_ih + b_hh + W_ih x_t + W_hh h_{t-1}$L. Every elementwise loop\n"
                + "// below works on arrays at offset 0 and only then copies to the step's offset: C2 (JDK 17)\n"
                + "// vectorizes loops over several arrays at constant offsets, not at several variable ones\n",
                from == 0 && to == code.gateRows() ? "" : ", rows " + from + " to " + (to - 1));
        Kernels.beginLoop(b, "k", from, to);
        b.addStatement("a[k] = bih[k] + bhh[k]");
        Kernels.endLoop(b);
        code.inputProjection(b, "a", from, to);
        code.recurrentProjection(b, "a", from, to);
    }

    @Override
    public void activate(CodeBlock.Builder b, LayerCode code) {
        int h = shape.hiddenSize();
        int gh = shape.gateRows();
        code.local(b, "c", c);
        code.local(b, "cs", cStep);
        code.local(b, "ts", tanhCStep);
        code.local(b, "hs", code.layer().buffers().hStep());
        if (code.num().isFloat()) {
            b.add("// gates i and f: sigmoid; g: tanh; o: sigmoid, in one loop: sigmoid(x) = 0.5 tanh(0.5 x) + 0.5\n");
            b.addStatement("final float[] gateScales = $L", gateScales());
            b.addStatement("final float[] gateShifts = $L", gateShifts());
            Kernels.gateLoop(b, code.num(), "a", "gateScales", "gateShifts", gh);
        } else {
            b.add("// gates i and f: sigmoid; g: tanh; o: sigmoid (one loop per function, so each vectorizes)\n");
            Kernels.activationLoop(b, "a", 0, 2 * h, "sigmoid");
            Kernels.activationLoop(b, "a", 2 * h, 3 * h, "tanh");
            Kernels.activationLoop(b, "a", 3 * h, 4 * h, "sigmoid");
        }
        b.add("// c_t = f * c_{t-1} + i * g,  h_t = o * tanh(c_t)\n");
        b.addStatement("System.arraycopy(c, prev, cs, 0, $L)", h);
        if (VectorKernels.lstmCellLoop(b, code.num(), h)) {
            keep(b, h, gh, gates, tanhC);
            return;
        }
        Kernels.beginLoop(b, "j", 0, h);
        b.addStatement("cs[j] = a[$L + j] * cs[j] + a[j] * a[$L + j]", h, 2 * h);
        Kernels.endLoop(b);
        emitOutputAndKeep(b, code.t(), h, gh, gates, tanhC);
    }

    @Override
    public String backward(CodeBlock.Builder b, LayerCode code) {
        int h = shape.hiddenSize();
        int gh = shape.gateRows();
        String t = code.t();
        code.local(b, "gs", a);
        code.local(b, "cs", cStep);
        code.local(b, "ts", tanhCStep);
        code.local(b, "dc", dc);
        b.addStatement("System.arraycopy($L, t * $L, gs, 0, $L)", gates.ref(), gh, gh);
        b.addStatement("System.arraycopy($L, prev, cs, 0, $L)", c.ref(), h);
        b.addStatement("System.arraycopy($L, prev, ts, 0, $L)", tanhC.ref(), h);
        b.add("// through h_t = o tanh(c_t) and c_t = f c_{t-1} + i g to the gate pre-activations\n");
        Kernels.beginLoop(b, "j", 0, h);
        b.addStatement("final $L ig = gs[j]", t);
        b.addStatement("final $L fg = gs[$L + j]", t, h);
        b.addStatement("final $L gg = gs[$L + j]", t, 2 * h);
        b.addStatement("final $L og = gs[$L + j]", t, 3 * h);
        b.addStatement("final $L tc = ts[j]", t);
        b.addStatement("final $L dhj = dh[j]", t);
        b.addStatement("final $L dcj = dc[j] + dhj * og * (1 - tc * tc)", t);
        b.addStatement("dz[j] = dcj * gg * ig * (1 - ig)");
        b.addStatement("dz[$L + j] = dcj * cs[j] * fg * (1 - fg)", h);
        b.addStatement("dz[$L + j] = dcj * ig * (1 - gg * gg)", 2 * h);
        b.addStatement("dz[$L + j] = dhj * tc * og * (1 - og)", 3 * h);
        b.addStatement("dc[j] = dcj * fg");
        b.addStatement("dh[j] = 0");
        Kernels.endLoop(b);
        return "dz";
    }

    /**
     * Emits the end of an LSTM forward step, shared by the LSTM emitters: {@code h_t = o * tanh(c_t)} from the
     * activated gates in {@code a} and {@code c_t} in {@code cs}, then the activated gates, {@code c_t} and
     * {@code tanh(c_t)} kept for BPTT and {@code h_t} stored at {@code out}.
     */
    static void emitOutputAndKeep(CodeBlock.Builder b, String t, int h, int gh, BufferSpec gates, BufferSpec tanhC) {
        Kernels.beginLoop(b, "j", 0, h);
        b.addStatement("final $L tc = $T.tanh(cs[j])", t, RuntimeTypes.ACTIVATIONS)
                .addStatement("ts[j] = tc")
                .addStatement("hs[j] = a[$L + j] * tc", 3 * h);
        Kernels.endLoop(b);
        keep(b, h, gh, gates, tanhC);
    }

    /** Emits the copies that keep the activated gates, {@code c_t}, {@code tanh(c_t)} and {@code h_t} for BPTT. */
    static void keep(CodeBlock.Builder b, int h, int gh, BufferSpec gates, BufferSpec tanhC) {
        b.add("// keep the activated gates, c_t and tanh(c_t) for BPTT\n");
        b.addStatement("System.arraycopy(a, 0, $L, t * $L, $L)", gates.ref(), gh, gh);
        b.addStatement("System.arraycopy(cs, 0, c, out, $L)", h);
        b.addStatement("System.arraycopy(ts, 0, $L, prev, $L)", tanhC.ref(), h);
        b.addStatement("System.arraycopy(hs, 0, h, out, $L)", h);
    }
}
