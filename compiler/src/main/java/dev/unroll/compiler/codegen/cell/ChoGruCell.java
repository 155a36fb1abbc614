package dev.unroll.compiler.codegen.cell;

import com.palantir.javapoet.CodeBlock;
import dev.unroll.compiler.codegen.Kernels;
import dev.unroll.compiler.codegen.LayerCode;
import dev.unroll.compiler.codegen.RuntimeTypes;
import dev.unroll.compiler.plan.BufferSpec;
import dev.unroll.compiler.plan.LayerPlan;
import dev.unroll.compiler.plan.LayerShape;
import dev.unroll.dsl.model.CellSpec;
import dev.unroll.dsl.model.GruVariant;
import java.util.List;

/**
 * The GRU cell in the original form of Cho et al. (2014), Keras's {@code reset_after=False} and ONNX's
 * {@code linear_before_reset=0}: {@code r} and {@code z} as in {@link GruCell}, but the reset gate multiplies
 * {@code h_{t-1}} before {@code W_hn}, {@code n = tanh(W_in x + b_in + W_hn (r * h_{t-1}) + b_hn)}, and
 * {@code h_t = (1 - z) * n + z * h_{t-1}}. Same tensors, names and shapes as PyTorch's {@code nn.GRU}.
 *
 * <p>Since {@code W_hn}'s input is {@code r * h_{t-1}}, which needs {@code r} first, the shared recurrent code
 * multiplies only the {@code r} and {@code z} rows of {@code W_hh} by {@code h_{t-1}} ({@link #recurrentRows}); this
 * cell multiplies the {@code n} rows by {@code r * h_{t-1}} itself, as AXPYs over the same packed columns at the
 * constant element offset {@code 2H}, and back-propagates them:
 *
 * <pre>
 * dn = dh (1 - z) (1 - n^2)        dz_u = dh (h_{t-1} - n) z (1 - z)
 * dW_hn += dn (r * h_{t-1})^T      d(rh) = W_hn^T dn
 * dr = d(rh) * h_{t-1} * r (1 - r)  dh_{t-1} = dh z + d(rh) * r + W_hr^T dr + W_hz^T dz_u
 * </pre>
 *
 * Both sides' gate gradients are the same vector {@code [dr; dz_u; dn]}: {@code b_hn} is outside the reset.
 */
public final class ChoGruCell implements CellEmitter {
    private final LayerShape shape;
    private final BufferSpec gates;
    private final BufferSpec inputSide;
    private final BufferSpec hiddenSide;
    private final BufferSpec hiddenN;
    private final BufferSpec resetState;
    private final BufferSpec dResetState;

    /** Returns the emitter of a Cho GRU cell of the given sizes. */
    public ChoGruCell(CellSpec.Gru spec, LayerShape shape) {
        if (spec.variant() != GruVariant.CHO) {
            throw new IllegalArgumentException("the reset-after GRU is a GruCell");
        }
        this.shape = shape;
        String l = shape.key();
        int h = shape.hiddenSize();
        int gh = shape.gateRows();
        String p = shape.docPrefix();
        this.gates = BufferSpec.numbersByTime("gates" + l, shape.steps(), 1, gh, p + "activated gates r, z, n per step.");
        this.inputSide = BufferSpec.numbers("inputSide" + l, gh, p + "{@code W_ih x_t + b_ih} of the step [r; z; n],"
                + " then its activated gates.");
        this.hiddenSide = BufferSpec.numbers("hiddenSide" + l, 2 * h, p + "{@code W_hh h_{t-1} + b_hh} of the step,"
                + " r and z rows.");
        this.hiddenN = BufferSpec.numbers("hiddenN" + l, h, p + "{@code W_hn (r * h_{t-1}) + b_hn} of the step.");
        this.resetState = BufferSpec.numbers("resetState" + l, h, p + "{@code r * h_{t-1}} of the step.");
        this.dResetState = BufferSpec.numbers("dResetState" + l, h, p + "{@code W_hn^T dn}, the gradient of"
                + " {@code r * h_{t-1}}.");
    }

    @Override
    public String description() {
        return "gru cho";
    }

    @Override
    public String pytorchModule() {
        return "nn.GRU(" + shape.inputSize() + ", " + shape.hiddenSize() + ") with the reset before W_hn (Cho)";
    }

    @Override
    public String equations() {
        return "{@code r = sig(W_ir x + b_ir + W_hr h + b_hr)}, {@code z = sig(W_iz x + b_iz + W_hz h + b_hz)},\n"
                + "{@code n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)}, {@code h_t = (1 - z) * n + z * h_{t-1}}.";
    }

    @Override
    public List<BufferSpec> buffers() {
        return List.of(gates, inputSide, hiddenSide, hiddenN, resetState, dResetState);
    }

    @Override
    public int recurrentRows(LayerPlan layer) {
        return 2 * shape.hiddenSize();
    }

    @Override
    public void forward(CodeBlock.Builder b, LayerCode code) {
        int h = shape.hiddenSize();
        int gh = shape.gateRows();
        code.local(b, "xin", inputSide);
        code.local(b, "hid", hiddenSide);
        code.local(b, "hn", hiddenN);
        code.local(b, "rh", resetState);
        code.local(b, "hs", code.layer().buffers().hStep());
        b.add("// xin = b_ih + W_ih x_t [r; z; n], hid = b_hh + W_hh h_{t-1} [r; z], hn = b_hn. The elementwise loops\n"
                + "// work at offset 0 and copy to the step's offset afterwards, so that C2 vectorizes them\n");
        Kernels.beginLoop(b, "k", 0, 2 * h);
        b.addStatement("xin[k] = bih[k]").addStatement("hid[k] = bhh[k]");
        Kernels.endLoop(b);
        Kernels.beginLoop(b, "j", 0, h);
        b.addStatement("xin[$L + j] = bih[$L + j]", 2 * h, 2 * h).addStatement("hn[j] = bhh[$L + j]", 2 * h);
        Kernels.endLoop(b);
        code.inputProjection(b, "xin");
        code.recurrentProjection(b, "hid");
        b.add("// r = sig(xin_r + hid_r), z = sig(xin_z + hid_z)\n");
        Kernels.beginLoop(b, "k", 0, 2 * h);
        b.addStatement("xin[k] = $T.sigmoid(xin[k] + hid[k])", RuntimeTypes.ACTIVATIONS);
        Kernels.endLoop(b);
        b.add("// rh = r * h_{t-1}, then hn += W_hn rh: AXPYs over the n rows of the packed W_hh^T columns\n");
        b.addStatement("System.arraycopy(h, prev, hs, 0, $L)", h);
        Kernels.beginLoop(b, "j", 0, h);
        b.addStatement("rh[j] = xin[j] * hs[j]");
        Kernels.endLoop(b);
        Kernels.axpyColumns(b, code.num(), "hn", "whhT", "rh", "0", 0, h, 2 * h, h, code.num().forwardLayout(code.layer().weightHh()));
        b.add("// n = tanh(xin_n + hn), h_t = (1 - z) n + z h_{t-1}\n");
        Kernels.beginLoop(b, "j", 0, h);
        b.addStatement("xin[$L + j] = $T.tanh(xin[$L + j] + hn[j])", 2 * h, RuntimeTypes.ACTIVATIONS, 2 * h);
        Kernels.endLoop(b);
        Kernels.beginLoop(b, "j", 0, h);
        b.addStatement("hs[j] = (1 - xin[$L + j]) * xin[$L + j] + xin[$L + j] * hs[j]", h, 2 * h, h);
        Kernels.endLoop(b);
        b.add("// keep the activated gates for BPTT\n");
        b.addStatement("System.arraycopy(xin, 0, $L, t * $L, $L)", gates.ref(), gh, gh);
        b.addStatement("System.arraycopy(hs, 0, h, out, $L)", h);
    }

    @Override
    public String backward(CodeBlock.Builder b, LayerCode code) {
        int h = shape.hiddenSize();
        int gh = shape.gateRows();
        String t = code.t();
        code.local(b, "gs", inputSide);
        code.local(b, "rh", resetState);
        code.local(b, "drh", dResetState);
        b.addStatement("System.arraycopy($L, t * $L, gs, 0, $L)", gates.ref(), gh, gh);
        b.add("// dz = [dr; dz_u; dn], the gradient of both sides' pre-activations; z and n first, with r * h_{t-1}\n");
        Kernels.beginLoop(b, "j", 0, h);
        b.addStatement("final $L rg = gs[j]", t);
        b.addStatement("final $L zg = gs[$L + j]", t, h);
        b.addStatement("final $L ng = gs[$L + j]", t, 2 * h);
        b.addStatement("final $L dhj = dh[j]", t);
        b.addStatement("dz[$L + j] = dhj * (hp[j] - ng) * zg * (1 - zg)", h);
        b.addStatement("dz[$L + j] = dhj * (1 - zg) * (1 - ng * ng)", 2 * h);
        b.addStatement("rh[j] = rg * hp[j]");
        b.addStatement("drh[j] = 0");
        b.addStatement("dh[j] = dhj * zg");
        Kernels.endLoop(b);
        b.add("// dW_hn += dn (r * h_{t-1})^T, then drh = W_hn^T dn: AXPYs over the n rows of W_hh\n");
        Kernels.outerProductRows(b, code.num(), "k", 2 * h, gh, "dz", null, "gwhh", null, "j", "rh", h);
        Kernels.axpyColumns(b, code.num(), "drh", "whh", "dz", "0", 2 * h, h, 0, h, code.num().backwardLayout(code.layer().weightHh()));
        b.add("// dr = drh * h_{t-1} * r (1 - r); dh_{t-1} gets drh * r here, W_hr^T dr + W_hz^T dz_u after\n");
        Kernels.beginLoop(b, "j", 0, h);
        b.addStatement("final $L rg = gs[j]", t);
        b.addStatement("final $L drj = drh[j]", t);
        b.addStatement("dz[j] = drj * hp[j] * rg * (1 - rg)");
        b.addStatement("dh[j] += drj * rg");
        Kernels.endLoop(b);
        return "dz";
    }
}
