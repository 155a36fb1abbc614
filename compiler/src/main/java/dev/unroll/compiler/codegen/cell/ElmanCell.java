package dev.unroll.compiler.codegen.cell;

import com.palantir.javapoet.CodeBlock;
import dev.unroll.compiler.codegen.Kernels;
import dev.unroll.compiler.codegen.LayerCode;
import dev.unroll.compiler.codegen.RuntimeTypes;
import dev.unroll.compiler.plan.BufferSpec;
import dev.unroll.compiler.plan.LayerShape;
import dev.unroll.dsl.model.CellSpec;
import dev.unroll.dsl.model.RnnActivation;
import java.util.List;

/**
 * The Elman (vanilla) RNN cell, PyTorch's {@code nn.RNN}:
 * {@code h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)} with {@code act} tanh or relu.
 */
public final class ElmanCell implements RowSplitCell {
    private final LayerShape shape;
    private final RnnActivation activation;
    private final BufferSpec z;

    /** Returns the emitter of an Elman cell of the given sizes. */
    public ElmanCell(CellSpec.Rnn spec, LayerShape shape) {
        this.shape = shape;
        this.activation = spec.activation();
        this.z = BufferSpec.numbers("z" + shape.key(), shape.gateRows(), shape.docPrefix() + "pre-activation of the step.");
    }

    @Override
    public String description() {
        return "rnn " + activation.keyword();
    }

    @Override
    public String pytorchModule() {
        return "nn.RNN(" + shape.inputSize() + ", " + shape.hiddenSize() + ", nonlinearity='" + activation.keyword()
                + "')";
    }

    @Override
    public String equations() {
        return "{@code h_t = " + activation.keyword() + "(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)}.";
    }

    @Override
    public List<BufferSpec> buffers() {
        return List.of(z);
    }

    @Override
    public void declareAccumulators(CodeBlock.Builder b, LayerCode code) {
        code.local(b, "z", z);
    }

    @Override
    public void preActivations(CodeBlock.Builder b, LayerCode code, int from, int to) {
        b.add("// z = b_ih + b_hh + W_ih x_t + W_hh h_{t-1}$L\n",
                from == 0 && to == shape.gateRows() ? "" : ", rows " + from + " to " + (to - 1));
        Kernels.beginLoop(b, "k", from, to);
        b.addStatement("z[k] = bih[k] + bhh[k]");
        Kernels.endLoop(b);
        code.inputProjection(b, "z", from, to);
        code.recurrentProjection(b, "z", from, to);
    }

    @Override
    public void activate(CodeBlock.Builder b, LayerCode code) {
        int h = shape.hiddenSize();
        b.add("// h_t = act(z), in place at offset 0 (vectorizes), then stored at the step's offset\n");
        Kernels.beginLoop(b, "j", 0, h);
        if (activation == RnnActivation.TANH) {
            b.addStatement("z[j] = $T.tanh(z[j])", RuntimeTypes.ACTIVATIONS);
        } else {
            b.addStatement("z[j] = Math.max(z[j], $L)", code.num().literal(0));
        }
        Kernels.endLoop(b);
        b.addStatement("System.arraycopy(z, 0, h, out, $L)", h);
    }

    @Override
    public String backward(CodeBlock.Builder b, LayerCode code) {
        int h = shape.hiddenSize();
        code.local(b, "hs", code.layer().buffers().hStep());
        b.addStatement("System.arraycopy(h, prev + $L, hs, 0, $L)", h, h);
        b.add("// dz = dh * act'(z); dh is then reused for dL/dh_{t-1}\n");
        Kernels.beginLoop(b, "j", 0, h);
        b.addStatement("final $L hj = hs[j]", code.t());
        if (activation == RnnActivation.TANH) {
            b.addStatement("dz[j] = dh[j] * (1 - hj * hj)");
        } else {
            b.addStatement("dz[j] = hj > 0 ? dh[j] : $L", code.num().literal(0));
        }
        b.addStatement("dh[j] = 0");
        Kernels.endLoop(b);
        return "dz";
    }
}
