package dev.unroll.compiler.codegen.cell;

import com.palantir.javapoet.CodeBlock;
import dev.unroll.compiler.codegen.Kernels;
import dev.unroll.compiler.codegen.LayerCode;
import dev.unroll.compiler.codegen.RuntimeTypes;
import dev.unroll.compiler.plan.BufferSpec;
import dev.unroll.compiler.plan.LayerPlan;
import dev.unroll.compiler.plan.LayerShape;
import dev.unroll.compiler.plan.TensorSpec;
import dev.unroll.dsl.model.CellSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * The LSTM cell with TensorFlow {@code LSTMCell}'s options, {@code use_peepholes} and {@code cell_clip}, either or
 * both (the plain LSTM is {@link LstmCell}, whose code stays as it is):
 *
 * <pre>
 * i = sig(a_i + w_ci * c_{t-1}),  f = sig(a_f + w_cf * c_{t-1}),  g = tanh(a_g)      (a = W_ih x + b_ih + W_hh h + b_hh)
 * c_t = clamp(f * c_{t-1} + i * g, -X, X)
 * o = sig(a_o + w_co * c_t),  h_t = o * tanh(c_t)
 * </pre>
 *
 * without the {@code w_c*} terms when there are no peepholes and without the clamp when there is no clip. The
 * peepholes are three vectors of {@code H}, {@code rnn.weight_ci_l{k}}, {@code rnn.weight_cf_l{k}} and
 * {@code rnn.weight_co_l{k}}, after the layer's four PyTorch tensors, initialized like biases. The clamp passes no
 * gradient where it is active, {@code |c_t| = X} (TensorFlow's {@code clip_by_value}); PyTorch has neither option.
 */
public final class PeepholeLstmCell implements RowSplitCell {
    private final LayerShape shape;
    private final double forgetBias;
    private final boolean peepholes;
    private final OptionalDouble clip;
    private final List<TensorSpec> peepholeTensors;
    private final BufferSpec gates;
    private final BufferSpec a;
    private final BufferSpec c;
    private final BufferSpec tanhC;
    private final BufferSpec cStep;
    private final BufferSpec cNextStep;
    private final BufferSpec tanhCStep;
    private final BufferSpec dc;

    /** Returns the emitter of an LSTM cell with peepholes, a cell clip or both, of the given sizes. */
    public PeepholeLstmCell(CellSpec.Lstm spec, LayerShape shape) {
        if (!spec.peepholes() && spec.cellClip().isEmpty()) {
            throw new IllegalArgumentException("a plain LSTM is an LstmCell");
        }
        this.shape = shape;
        this.forgetBias = spec.forgetBias();
        this.peepholes = spec.peepholes();
        this.clip = spec.cellClip();
        String l = shape.key();
        int h = shape.hiddenSize();
        int steps = shape.steps();
        String p = shape.docPrefix();
        List<TensorSpec> tensors = new ArrayList<>();
        if (peepholes) {
            TensorSpec.Init likeBias = new TensorSpec.Init(TensorSpec.Init.Kind.BIAS, h);
            for (String gate : List.of("i", "f", "o")) {
                tensors.add(new TensorSpec("weightC" + gate + "L" + l, shape.tensorName("weight_c" + gate), h, 0, 1,
                        likeBias, false, false));
            }
        }
        this.peepholeTensors = List.copyOf(tensors);
        this.gates = BufferSpec.numbersByTime("gates" + l, steps, 1, shape.gateRows(), p + "activated gates i, f, g, o per step.");
        this.a = BufferSpec.numbers("a" + l, shape.gateRows(), p + "gate pre-activations of the step being computed.");
        this.c = BufferSpec.numbersByTime("c" + l, steps + 1, 2, h, p + "cell state {@code c_t} at {@code (t + 1) * H}.");
        this.tanhC = BufferSpec.numbersByTime("tanhC" + l, steps, 1, h, p + "{@code tanh(c_t)} per step.");
        this.cStep = BufferSpec.numbers("cStep" + l, h, p + "{@code c} of the step being computed, at offset 0.");
        this.cNextStep = BufferSpec.numbers("cNextStep" + l, h,
                p + "{@code c_t} of the step being back-propagated, at offset 0.");
        this.tanhCStep = BufferSpec.numbers("tanhCStep" + l, h, p + "{@code tanh(c_t)} of the step being computed.");
        this.dc = BufferSpec.numbers("dc" + l, h, p + "{@code dL/dc} of the step being back-propagated.");
    }

    @Override
    public String description() {
        return "lstm" + (peepholes ? " peepholes" : "") + (clip.isPresent() ? " cell_clip " + clip.getAsDouble() : "");
    }

    @Override
    public String pytorchModule() {
        List<String> extras = new ArrayList<>();
        if (peepholes) {
            extras.add("peepholes weight_ci, weight_cf, weight_co");
        }
        clip.ifPresent(x -> extras.add("c clamped to [-" + x + ", " + x + "]"));
        return "nn.LSTM(" + shape.inputSize() + ", " + shape.hiddenSize() + ") with " + String.join(" and ", extras);
    }

    @Override
    public String equations() {
        String wci = peepholes ? " + w_ci * c_{t-1}" : "";
        String wcf = peepholes ? " + w_cf * c_{t-1}" : "";
        String wco = peepholes ? " + w_co * c_t" : "";
        String sum = "f * c_{t-1} + i * g";
        String cell = clip.isPresent() ? "clamp(" + sum + ", -" + clip.getAsDouble() + ", " + clip.getAsDouble() + ")"
                : sum;
        return "pre-activations {@code a} = [i; f; g; o] of {@code W_ih x_t + b_ih + W_hh h_{t-1} + b_hh};\n"
                + "{@code i = sig(a_i" + wci + ")}, {@code f = sig(a_f" + wcf + ")}, {@code g = tanh(a_g)},\n"
                + "{@code c_t = " + cell + "}, {@code o = sig(a_o" + wco + ")}, {@code h_t = o * tanh(c_t)}.";
    }

    @Override
    public List<BufferSpec> buffers() {
        return List.of(gates, a, c, tanhC, cStep, cNextStep, tanhCStep, dc);
    }

    @Override
    public List<BufferSpec> extraState() {
        return List.of(c);
    }

    @Override
    public List<BufferSpec> extraCarriedGradients() {
        return List.of(dc);
    }

    @Override
    public List<TensorSpec> extraTensors() {
        return peepholeTensors;
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
        LstmCell.emitPreActivations(b, code, from, to);
    }

    @Override
    public void activate(CodeBlock.Builder b, LayerCode code) {
        int h = shape.hiddenSize();
        int gh = shape.gateRows();
        String t = code.t();
        code.local(b, "c", c);
        code.local(b, "cs", cStep);
        code.local(b, "ts", tanhCStep);
        code.local(b, "hs", code.layer().buffers().hStep());
        if (peepholes) {
            b.addStatement("final $L[] wci = $L", t, peepholeTensors.get(0).valueRef());
            b.addStatement("final $L[] wcf = $L", t, peepholeTensors.get(1).valueRef());
            b.addStatement("final $L[] wco = $L", t, peepholeTensors.get(2).valueRef());
        }
        b.addStatement("System.arraycopy(c, prev, cs, 0, $L)", h);
        if (peepholes) {
            b.add("// peepholes: gates i and f see c_{t-1}\n");
            Kernels.beginLoop(b, "j", 0, h);
            b.addStatement("a[j] += wci[j] * cs[j]");
            b.addStatement("a[$L + j] += wcf[j] * cs[j]", h);
            Kernels.endLoop(b);
        }
        b.add("// gates i and f: sigmoid; g: tanh (one loop per function, so each vectorizes)\n");
        Kernels.activationLoop(b, "a", 0, 2 * h, "sigmoid");
        Kernels.activationLoop(b, "a", 2 * h, 3 * h, "tanh");
        if (clip.isPresent()) {
            String x = code.num().literal(clip.getAsDouble());
            b.add("// c_t = clamp(f * c_{t-1} + i * g, -$L, $L)\n", x, x);
            Kernels.beginLoop(b, "j", 0, h);
            b.addStatement("cs[j] = Math.max($L, Math.min($L, a[$L + j] * cs[j] + a[j] * a[$L + j]))",
                    code.num().literal(-clip.getAsDouble()), x, h, 2 * h);
        } else {
            b.add("// c_t = f * c_{t-1} + i * g\n");
            Kernels.beginLoop(b, "j", 0, h);
            b.addStatement("cs[j] = a[$L + j] * cs[j] + a[j] * a[$L + j]", h, 2 * h);
        }
        Kernels.endLoop(b);
        if (peepholes) {
            b.add("// the output gate sees c_t\n");
            Kernels.beginLoop(b, "j", 0, h);
            b.addStatement("a[$L + j] += wco[j] * cs[j]", 3 * h);
            Kernels.endLoop(b);
        }
        b.add("// gate o: sigmoid; h_t = o * tanh(c_t)\n");
        Kernels.activationLoop(b, "a", 3 * h, 4 * h, "sigmoid");
        LstmCell.emitOutputAndKeep(b, t, h, gh, gates, tanhC);
    }

    @Override
    public String backward(CodeBlock.Builder b, LayerCode code) {
        int h = shape.hiddenSize();
        int gh = shape.gateRows();
        String t = code.t();
        code.local(b, "gs", a);
        code.local(b, "cs", cStep);
        code.local(b, "cn", cNextStep);
        code.local(b, "ts", tanhCStep);
        code.local(b, "dc", dc);
        if (peepholes) {
            b.addStatement("final $L[] wci = $L", t, peepholeTensors.get(0).valueRef());
            b.addStatement("final $L[] wcf = $L", t, peepholeTensors.get(1).valueRef());
            b.addStatement("final $L[] wco = $L", t, peepholeTensors.get(2).valueRef());
            b.addStatement("final $L[] gwci = $L", t, peepholeTensors.get(0).gradientRef());
            b.addStatement("final $L[] gwcf = $L", t, peepholeTensors.get(1).gradientRef());
            b.addStatement("final $L[] gwco = $L", t, peepholeTensors.get(2).gradientRef());
        }
        b.addStatement("System.arraycopy($L, t * $L, gs, 0, $L)", gates.ref(), gh, gh);
        b.addStatement("System.arraycopy($L, prev, cs, 0, $L)", c.ref(), h);
        b.addStatement("System.arraycopy($L, prev + $L, cn, 0, $L)", c.ref(), h, h);
        b.addStatement("System.arraycopy($L, prev, ts, 0, $L)", tanhC.ref(), h);
        b.add("// dL/dc_t from h_t = o tanh(c_t)$L and from step t + 1$L; then through\n",
                peepholes ? ", o's peephole" : "", clip.isPresent() ? ", zero where the clamp is active" : "");
        b.add("// c_t = f c_{t-1} + i g to the gate pre-activations and to dL/dc_{t-1}$L\n",
                peepholes ? " (also through the peepholes of i and f)" : "");
        Kernels.beginLoop(b, "j", 0, h);
        b.addStatement("final $L ig = gs[j]", t);
        b.addStatement("final $L fg = gs[$L + j]", t, h);
        b.addStatement("final $L gg = gs[$L + j]", t, 2 * h);
        b.addStatement("final $L og = gs[$L + j]", t, 3 * h);
        b.addStatement("final $L tc = ts[j]", t);
        b.addStatement("final $L dhj = dh[j]", t);
        b.addStatement("final $L dog = dhj * tc * og * (1 - og)", t);
        String throughO = peepholes ? " + dog * wco[j]" : "";
        if (clip.isPresent()) {
            String x = code.num().literal(clip.getAsDouble());
            b.addStatement("final $L cj = cn[j]", t);
            b.addStatement("final $L dcj = cj > $L && cj < $L ? dc[j] + dhj * og * (1 - tc * tc)$L : 0", t,
                    code.num().literal(-clip.getAsDouble()), x, throughO);
        } else {
            b.addStatement("final $L dcj = dc[j] + dhj * og * (1 - tc * tc)$L", t, throughO);
        }
        b.addStatement("final $L dig = dcj * gg * ig * (1 - ig)", t);
        b.addStatement("final $L dfg = dcj * cs[j] * fg * (1 - fg)", t);
        b.addStatement("dz[j] = dig");
        b.addStatement("dz[$L + j] = dfg", h);
        b.addStatement("dz[$L + j] = dcj * ig * (1 - gg * gg)", 2 * h);
        b.addStatement("dz[$L + j] = dog", 3 * h);
        if (peepholes) {
            b.addStatement("dc[j] = dcj * fg + dig * wci[j] + dfg * wcf[j]");
            b.addStatement("gwci[j] += dig * cs[j]");
            b.addStatement("gwcf[j] += dfg * cs[j]");
            b.addStatement("gwco[j] += dog * cn[j]");
        } else {
            b.addStatement("dc[j] = dcj * fg");
        }
        b.addStatement("dh[j] = 0");
        Kernels.endLoop(b);
        return "dz";
    }
}
