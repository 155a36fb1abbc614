package dev.unroll.compiler.codegen.cell;

import com.palantir.javapoet.CodeBlock;
import dev.unroll.compiler.codegen.Kernels;
import dev.unroll.compiler.codegen.LayerCode;
import dev.unroll.compiler.codegen.RuntimeTypes;
import dev.unroll.compiler.codegen.VectorKernels;
import dev.unroll.compiler.plan.BufferSpec;
import dev.unroll.compiler.plan.LayerShape;
import dev.unroll.dsl.model.CellSpec;
import dev.unroll.dsl.model.GruVariant;
import java.util.List;

/**
 * The GRU cell in PyTorch's reset-after form, {@code nn.GRU}: {@code r} and {@code z} are sigmoids
 * of both sides' pre-activations, {@code n = tanh(W_in x + b_in + r * (W_hn h + b_hn))} and
 * {@code h_t = (1 - z) * n + z * h_{t-1}}. The two sides' pre-activations are kept apart because
 * {@code r} multiplies only the hidden side of {@code n}.
 */
public final class GruCell implements RowSplitCell {
    private final LayerShape shape;
    private final BufferSpec gates;
    private final BufferSpec hiddenN;
    private final BufferSpec inputSide;
    private final BufferSpec hiddenSide;
    private final BufferSpec dHiddenSide;

    /** Returns the emitter of a reset-after GRU cell of the given sizes. */
    public GruCell(CellSpec.Gru spec, LayerShape shape) {
        if (spec.variant() != GruVariant.RESET_AFTER) {
            throw new IllegalArgumentException("the Cho GRU is refused by the planner");
        }
        this.shape = shape;
        String l = shape.key();
        int h = shape.hiddenSize();
        int gh = shape.gateRows();
        String p = shape.docPrefix();
        this.gates = BufferSpec.numbersByTime("gates" + l, shape.steps(), 1, gh, p + "activated gates r, z, n per step.");
        this.hiddenN = BufferSpec.numbersByTime("hiddenN" + l, shape.steps(), 1, h,
                p + "{@code W_hn h_{t-1} + b_hn} per step, which {@code r} multiplies.");
        this.inputSide = BufferSpec.numbers("inputSide" + l, gh, p + "{@code W_ih x_t + b_ih} of the step [r; z; n],"
                + " then its activated gates.");
        this.hiddenSide = BufferSpec.numbers("hiddenSide" + l, gh, p + "{@code W_hh h_{t-1} + b_hh} of the step"
                + " [r; z; n].");
        this.dHiddenSide = BufferSpec.numbers("dHiddenSide" + l, gh, p + "gradient of the hidden-side"
                + " pre-activations (differs from the input side's in n).");
    }

    @Override
    public String description() {
        return "gru";
    }

    @Override
    public String pytorchModule() {
        return "nn.GRU(" + shape.inputSize() + ", " + shape.hiddenSize() + ")";
    }

    @Override
    public String equations() {
        return "{@code r = sig(W_ir x + b_ir + W_hr h + b_hr)}, {@code z = sig(W_iz x + b_iz + W_hz h + b_hz)},\n"
                + "{@code n = tanh(W_in x + b_in + r * (W_hn h + b_hn))}, {@code h_t = (1 - z) * n + z * h_{t-1}}.";
    }

    @Override
    public List<BufferSpec> buffers() {
        return List.of(gates, hiddenN, inputSide, hiddenSide, dHiddenSide);
    }

    @Override
    public void declareAccumulators(CodeBlock.Builder b, LayerCode code) {
        code.local(b, "xin", inputSide);
        code.local(b, "hid", hiddenSide);
    }

    @Override
    public void preActivations(CodeBlock.Builder b, LayerCode code, int from, int to) {
        b.add("// xin = b_ih + W_ih x_t and hid = b_hh + W_hh h_{t-1}, each [r; z; n]$L. The elementwise loops work\n"
                + "// at offset 0 and copy to the step's offset afterwards, so that C2 vectorizes them\n",
                from == 0 && to == shape.gateRows() ? "" : ", rows " + from + " to " + (to - 1));
        Kernels.beginLoop(b, "k", from, to);
        b.addStatement("xin[k] = bih[k]").addStatement("hid[k] = bhh[k]");
        Kernels.endLoop(b);
        code.inputProjection(b, "xin", from, to);
        code.recurrentProjection(b, "hid", from, to);
    }

    @Override
    public void activate(CodeBlock.Builder b, LayerCode code) {
        int h = shape.hiddenSize();
        int gh = shape.gateRows();
        code.local(b, "hs", code.layer().buffers().hStep());
        b.add("// r = sig(xin_r + hid_r), z = sig(xin_z + hid_z), n = tanh(xin_n + r * hid_n),"
                + " h_t = (1 - z) n + z h_{t-1}\n");
        CodeBlock.Builder vector = CodeBlock.builder();
        if (VectorKernels.gruCellLoop(vector, code.num(), h)) {
            b.addStatement("System.arraycopy(h, prev, hs, 0, $L)", h);
            b.add(vector.build());
        } else {
            Kernels.beginLoop(b, "k", 0, 2 * h);
            b.addStatement("xin[k] = $T.sigmoid(xin[k] + hid[k])", RuntimeTypes.ACTIVATIONS);
            Kernels.endLoop(b);
            Kernels.beginLoop(b, "j", 0, h);
            b.addStatement("xin[$L + j] = $T.tanh(xin[$L + j] + xin[j] * hid[$L + j])", 2 * h,
                    RuntimeTypes.ACTIVATIONS, 2 * h, 2 * h);
            Kernels.endLoop(b);
            b.addStatement("System.arraycopy(h, prev, hs, 0, $L)", h);
            Kernels.beginLoop(b, "j", 0, h);
            b.addStatement("hs[j] = (1 - xin[$L + j]) * xin[$L + j] + xin[$L + j] * hs[j]", h, 2 * h, h);
            Kernels.endLoop(b);
        }
        b.add("// keep the activated gates and W_hn h_{t-1} + b_hn for BPTT\n");
        b.addStatement("System.arraycopy(xin, 0, $L, t * $L, $L)", gates.ref(), gh, gh);
        b.addStatement("System.arraycopy(hid, $L, $L, prev, $L)", 2 * h, hiddenN.ref(), h);
        b.addStatement("System.arraycopy(hs, 0, h, out, $L)", h);
    }

    @Override
    public boolean separateHiddenGradient() {
        return true;
    }

    @Override
    public String backward(CodeBlock.Builder b, LayerCode code) {
        int h = shape.hiddenSize();
        int gh = shape.gateRows();
        String t = code.t();
        code.local(b, "gs", inputSide);
        code.local(b, "hns", code.layer().buffers().hStep());
        code.local(b, "dzh", dHiddenSide);
        b.addStatement("System.arraycopy($L, t * $L, gs, 0, $L)", gates.ref(), gh, gh);
        b.addStatement("System.arraycopy($L, prev, hns, 0, $L)", hiddenN.ref(), h);
        b.add("// dz: gradient of the input-side pre-activations; dzh: of the hidden side (differs in n)\n");
        Kernels.beginLoop(b, "j", 0, h);
        b.addStatement("final $L rg = gs[j]", t);
        b.addStatement("final $L zg = gs[$L + j]", t, h);
        b.addStatement("final $L ng = gs[$L + j]", t, 2 * h);
        b.addStatement("final $L dhj = dh[j]", t);
        b.addStatement("final $L dn = dhj * (1 - zg) * (1 - ng * ng)", t);
        b.addStatement("final $L dzg = dhj * (hp[j] - ng) * zg * (1 - zg)", t);
        b.addStatement("final $L dr = dn * hns[j] * rg * (1 - rg)", t);
        b.addStatement("dz[j] = dr");
        b.addStatement("dzh[j] = dr");
        b.addStatement("dz[$L + j] = dzg", h);
        b.addStatement("dzh[$L + j] = dzg", h);
        b.addStatement("dz[$L + j] = dn", 2 * h);
        b.addStatement("dzh[$L + j] = dn * rg", 2 * h);
        b.addStatement("dh[j] = dhj * zg");
        Kernels.endLoop(b);
        return "dzh";
    }
}
