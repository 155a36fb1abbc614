package dev.unroll.compiler.codegen;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import dev.unroll.dsl.model.CellSpec;
import dev.unroll.dsl.model.GruVariant;
import dev.unroll.dsl.model.LayerSpec;
import dev.unroll.dsl.model.RnnActivation;
import javax.lang.model.element.Modifier;

/**
 * Writes the forward step and the backward (BPTT) step of one recurrent layer. Both are methods
 * of the model taking the workspace and the time step {@code t}, with every size a constant, so
 * that C2 sees counted loops with constant bounds and each method stays far below the JIT's
 * 8000-bytecode limit whatever the sizes.
 *
 * <p>The forward pass reads packed transposed weights, {@code W^T} as one array per input
 * element, and adds one scaled column per input element ({@code z += x_i * W[:, i]}): an AXPY
 * without a reduction, which C2 vectorizes, where a dot product per row would stay scalar. The
 * backward pass reads PyTorch's row-major layout {@code W[k * cols + i]} directly: it accumulates
 * {@code dW += dz x^T} row by row and forms {@code W^T dz} as AXPY updates over rows.
 */
final class LayerWriter {
    private final LayerSpec layer;
    private final Num num;
    private final InputMode inputMode;
    private final String sourceArray;
    private final int sourceSize;
    private final int previousHidden;
    private final int l;
    private final int h;
    private final int gh;

    /**
     * How layer 0 reads the network input at step {@code t}; upper layers always read the layer
     * below densely.
     */
    enum InputMode {
        /** A dense vector at every step, from {@code ws.x}. */
        DENSE,
        /** A dense vector at step 0 only; later steps have no input. */
        DENSE_FIRST,
        /** A symbol at every step, from {@code ws.symbols}. */
        SYMBOL,
        /** A symbol at step 0 only. */
        SYMBOL_FIRST,
        /** A symbol at step 0, then dense vectors (outputs fed back) from {@code ws.x}. */
        SYMBOL_THEN_DENSE
    }

    LayerWriter(LayerSpec layer, Num num, InputMode inputMode, int previousHidden) {
        this.layer = layer;
        this.num = num;
        this.inputMode = inputMode;
        this.l = layer.index();
        this.h = layer.hiddenSize();
        this.gh = layer.cell().gateCount() * h;
        this.previousHidden = previousHidden;
        this.sourceArray = l == 0 ? "ws.x" : "ws.h" + (l - 1);
        this.sourceSize = layer.inputSize();
    }

    String forwardName() {
        return "forwardLayer" + l;
    }

    String backwardName() {
        return "backwardLayer" + l;
    }

    // ---- forward -----------------------------------------------------------------------------

    MethodSpec forward() {
        MethodSpec.Builder m = MethodSpec.methodBuilder(forwardName())
                .addModifiers(Modifier.PRIVATE)
                .addParameter(ModelWriter.WORKSPACE, "ws")
                .addParameter(int.class, "t")
                .addJavadoc("Layer $L ($L, $L units), forward at step {@code t}: $L\n", l, cellName(), h,
                        forwardEquation());
        CodeBlock.Builder b = CodeBlock.builder();
        b.addStatement("final $L[][] wihT = $L", num.keyword(), ModelWriter.packed("weightIh", l));
        b.addStatement("final $L[][] whhT = $L", num.keyword(), ModelWriter.packed("weightHh", l));
        b.addStatement("final $L[] bih = $L.value", num.keyword(), ModelWriter.param("biasIh", l));
        b.addStatement("final $L[] bhh = $L.value", num.keyword(), ModelWriter.param("biasHh", l));
        b.addStatement("final $L[] h = ws.h$L", num.keyword(), l);
        b.addStatement("final int prev = t * $L", h);
        b.addStatement("final int out = prev + $L", h);
        switch (layer.cell().type()) {
            case RNN -> rnnForward(b, (CellSpec.Rnn) layer.cell());
            case LSTM -> lstmForward(b);
            case GRU -> gruForward(b, (CellSpec.Gru) layer.cell());
        }
        return m.addCode(b.build()).build();
    }

    private void rnnForward(CodeBlock.Builder b, CellSpec.Rnn rnn) {
        b.addStatement("final $L[] z = ws.z$L", num.keyword(), l);
        b.add("// z = b_ih + b_hh + W_ih x_t + W_hh h_{t-1}\n");
        b.beginControlFlow("for (int k = 0; k < $L; k++)", gh).addStatement("z[k] = bih[k] + bhh[k]").endControlFlow();
        inputForward(b, "z", "0");
        recurrentForward(b, "z", "0");
        b.beginControlFlow("for (int j = 0; j < $L; j++)", h);
        if (rnn.activation() == RnnActivation.TANH) {
            b.addStatement("h[out + j] = $T.tanh(z[j])", ModelWriter.ACTIVATIONS);
        } else {
            b.addStatement("h[out + j] = z[j] > 0 ? z[j] : $L", num.literal(0));
        }
        b.endControlFlow();
    }

    private void lstmForward(CodeBlock.Builder b) {
        b.addStatement("final $L[] a = ws.a$L", num.keyword(), l);
        b.addStatement("final $L[] z = ws.gates$L", num.keyword(), l);
        b.addStatement("final $L[] c = ws.c$L", num.keyword(), l);
        b.addStatement("final $L[] tanhC = ws.tanhC$L", num.keyword(), l);
        b.addStatement("final int g = t * $L", gh);
        b.add("// a = [i; f; g; o] pre-activations = b_ih + b_hh + W_ih x_t + W_hh h_{t-1}, summed in a scratch\n"
                + "// array at offset 0: C2 vectorizes that, but not the same loop at the step's offset in the gates\n");
        b.beginControlFlow("for (int k = 0; k < $L; k++)", gh).addStatement("a[k] = bih[k] + bhh[k]").endControlFlow();
        inputForward(b, "a", "0");
        recurrentForward(b, "a", "0");
        CellSpec.Lstm lstm = (CellSpec.Lstm) layer.cell();
        b.add("// c_t = f * c_{t-1} + i * g,  h_t = o * tanh(c_t); activated gates are kept for BPTT\n");
        b.beginControlFlow("for (int j = 0; j < $L; j++)", h);
        b.addStatement("final $L ig = $T.sigmoid(a[j])", num.keyword(), ModelWriter.ACTIVATIONS);
        b.addStatement("final $L fg = $T.sigmoid(a[$L + j])", num.keyword(), ModelWriter.ACTIVATIONS, h);
        b.addStatement("final $L gg = $T.tanh(a[$L + j])", num.keyword(), ModelWriter.ACTIVATIONS, 2 * h);
        b.addStatement("final $L og = $T.sigmoid(a[$L + j])", num.keyword(), ModelWriter.ACTIVATIONS, 3 * h);
        b.addStatement("z[g + j] = ig");
        b.addStatement("z[g + $L + j] = fg", h);
        b.addStatement("z[g + $L + j] = gg", 2 * h);
        b.addStatement("z[g + $L + j] = og", 3 * h);
        b.addStatement("final $L cj = fg * c[prev + j] + ig * gg", num.keyword());
        b.addStatement("c[out + j] = cj");
        b.addStatement("final $L tc = $T.tanh(cj)", num.keyword(), ModelWriter.ACTIVATIONS);
        b.addStatement("tanhC[prev + j] = tc");
        b.addStatement("h[out + j] = og * tc");
        b.endControlFlow();
        if (lstm.peepholes() || lstm.cellClip().isPresent()) {
            throw new IllegalStateException("peepholes and cell_clip: refused by UnrollCompiler.unsupportedFeatures");
        }
    }

    private void gruForward(CodeBlock.Builder b, CellSpec.Gru gru) {
        if (gru.variant() != GruVariant.RESET_AFTER) {
            throw new IllegalStateException("Cho GRU: refused by UnrollCompiler.unsupportedFeatures");
        }
        b.addStatement("final $L[] a = ws.a$L", num.keyword(), l);
        b.addStatement("final $L[] r = ws.b$L", num.keyword(), l);
        b.addStatement("final $L[] z = ws.gates$L", num.keyword(), l);
        b.addStatement("final $L[] hn = ws.hn$L", num.keyword(), l);
        b.addStatement("final int g = t * $L", gh);
        b.add("// a = b_ih + W_ih x_t and r = b_hh + W_hh h_{t-1}, each [r; z; n]\n");
        b.beginControlFlow("for (int k = 0; k < $L; k++)", gh)
                .addStatement("a[k] = bih[k]")
                .addStatement("r[k] = bhh[k]")
                .endControlFlow();
        inputForward(b, "a", "0");
        recurrentForward(b, "r", "0");
        b.add("// r = sig(a_r + r_r), z = sig(a_z + r_z), n = tanh(a_n + r * r_n), h_t = (1 - z) n + z h_{t-1}\n");
        b.beginControlFlow("for (int j = 0; j < $L; j++)", h);
        b.addStatement("final $L rg = $T.sigmoid(a[j] + r[j])", num.keyword(), ModelWriter.ACTIVATIONS);
        b.addStatement("final $L zg = $T.sigmoid(a[$L + j] + r[$L + j])", num.keyword(), ModelWriter.ACTIVATIONS, h, h);
        b.addStatement("final $L ng = $T.tanh(a[$L + j] + rg * r[$L + j])", num.keyword(), ModelWriter.ACTIVATIONS,
                2 * h, 2 * h);
        b.addStatement("z[g + j] = rg");
        b.addStatement("z[g + $L + j] = zg", h);
        b.addStatement("z[g + $L + j] = ng", 2 * h);
        b.addStatement("hn[prev + j] = r[$L + j]", 2 * h);
        b.addStatement("h[out + j] = (1 - zg) * ng + zg * h[prev + j]");
        b.endControlFlow();
    }

    /** {@code acc[off + k] += (W_ih x_t)[k]}, reading the input as this layer's mode says. */
    private void inputForward(CodeBlock.Builder b, String acc, String off) {
        switch (inputMode) {
            case DENSE -> denseInputForward(b, acc, off);
            case DENSE_FIRST -> {
                b.beginControlFlow("if (t == 0)");
                denseInputForward(b, acc, off);
                b.endControlFlow();
            }
            case SYMBOL -> symbolInputForward(b, acc, off);
            case SYMBOL_FIRST -> {
                b.beginControlFlow("if (t == 0)");
                symbolInputForward(b, acc, off);
                b.endControlFlow();
            }
            case SYMBOL_THEN_DENSE -> {
                b.beginControlFlow("if (t == 0)");
                symbolInputForward(b, acc, off);
                b.nextControlFlow("else");
                denseInputForward(b, acc, off);
                b.endControlFlow();
            }
        }
    }

    private String sourceOffset() {
        return l == 0 ? "t * " + sourceSize : "(t + 1) * " + previousHidden;
    }

    private void denseInputForward(CodeBlock.Builder b, String acc, String off) {
        b.add("// one AXPY per input element over a column of W_ih (a row of the packed W_ih^T): no reduction\n");
        b.addStatement("final $L[] x = $L", num.keyword(), sourceArray);
        b.addStatement("final int xo = $L", sourceOffset());
        b.beginControlFlow("for (int i = 0; i < $L; i++)", sourceSize);
        b.addStatement("final $L xi = x[xo + i]", num.keyword());
        b.addStatement("final $L[] column = wihT[i]", num.keyword());
        b.beginControlFlow("for (int k = 0; k < $L; k++)", gh)
                .addStatement("$L[$L + k] += xi * column[k]", acc, off)
                .endControlFlow();
        b.endControlFlow();
    }

    private void symbolInputForward(CodeBlock.Builder b, String acc, String off) {
        b.add("// a one-hot input selects one column of W_ih\n");
        b.addStatement("final $L[] symbolColumn = wihT[ws.symbols[t]]", num.keyword());
        b.beginControlFlow("for (int k = 0; k < $L; k++)", gh)
                .addStatement("$L[$L + k] += symbolColumn[k]", acc, off)
                .endControlFlow();
    }

    private void recurrentForward(CodeBlock.Builder b, String acc, String off) {
        b.beginControlFlow("for (int j = 0; j < $L; j++)", h);
        b.addStatement("final $L hj = h[prev + j]", num.keyword());
        b.addStatement("final $L[] column = whhT[j]", num.keyword());
        b.beginControlFlow("for (int k = 0; k < $L; k++)", gh)
                .addStatement("$L[$L + k] += hj * column[k]", acc, off)
                .endControlFlow();
        b.endControlFlow();
    }

    // ---- backward ----------------------------------------------------------------------------

    MethodSpec backward() {
        MethodSpec.Builder m = MethodSpec.methodBuilder(backwardName())
                .addModifiers(Modifier.PRIVATE)
                .addParameter(ModelWriter.WORKSPACE, "ws")
                .addParameter(int.class, "t")
                .addJavadoc("Layer $L, backward at step {@code t}: reads {@code dL/dh_t} from {@code ws.dh$L}, "
                        + "accumulates parameter gradients,\nleaves {@code dL/dh_{t-1}} in {@code ws.dh$L} and adds "
                        + "{@code dL/dx_t} to $L.\n", l, l, l,
                        l == 0 ? "the input gradient" : "{@code ws.dh" + (l - 1) + "}");
        CodeBlock.Builder b = CodeBlock.builder();
        b.addStatement("final $L[] wih = $L.value", num.keyword(), ModelWriter.param("weightIh", l));
        b.addStatement("final $L[] whh = $L.value", num.keyword(), ModelWriter.param("weightHh", l));
        b.addStatement("final $L[] gwih = $L.grad", num.keyword(), ModelWriter.param("weightIh", l));
        b.addStatement("final $L[] gwhh = $L.grad", num.keyword(), ModelWriter.param("weightHh", l));
        b.addStatement("final $L[] gbih = $L.grad", num.keyword(), ModelWriter.param("biasIh", l));
        b.addStatement("final $L[] gbhh = $L.grad", num.keyword(), ModelWriter.param("biasHh", l));
        b.addStatement("final $L[] h = ws.h$L", num.keyword(), l);
        b.addStatement("final $L[] dh = ws.dh$L", num.keyword(), l);
        b.addStatement("final $L[] dz = ws.dz$L", num.keyword(), l);
        b.addStatement("final int prev = t * $L", h);
        b.addStatement("final int out = prev + $L", h);
        String recurrentDz = "dz";
        switch (layer.cell().type()) {
            case RNN -> rnnBackward(b, (CellSpec.Rnn) layer.cell());
            case LSTM -> lstmBackward(b);
            case GRU -> {
                gruBackward(b);
                recurrentDz = "dzh";
            }
        }
        b.add("// bias gradients, then dW_hh += dz_h h_{t-1}^T and dh_{t-1} += W_hh^T dz_h\n");
        b.beginControlFlow("for (int k = 0; k < $L; k++)", gh)
                .addStatement("gbih[k] += dz[k]")
                .addStatement("gbhh[k] += $L[k]", recurrentDz)
                .endControlFlow();
        b.beginControlFlow("for (int k = 0; k < $L; k++)", gh);
        b.addStatement("final $L d = $L[k]", num.keyword(), recurrentDz);
        b.addStatement("final int row = k * $L", h);
        b.beginControlFlow("for (int j = 0; j < $L; j++)", h)
                .addStatement("gwhh[row + j] += d * h[prev + j]")
                .addStatement("dh[j] += whh[row + j] * d")
                .endControlFlow();
        b.endControlFlow();
        inputBackward(b);
        return m.addCode(b.build()).build();
    }

    private void rnnBackward(CodeBlock.Builder b, CellSpec.Rnn rnn) {
        b.add("// dz = dh * act'(z); dh is then reused for dL/dh_{t-1}\n");
        b.beginControlFlow("for (int j = 0; j < $L; j++)", h);
        b.addStatement("final $L hj = h[out + j]", num.keyword());
        if (rnn.activation() == RnnActivation.TANH) {
            b.addStatement("dz[j] = dh[j] * (1 - hj * hj)");
        } else {
            b.addStatement("dz[j] = hj > 0 ? dh[j] : $L", num.literal(0));
        }
        b.addStatement("dh[j] = 0");
        b.endControlFlow();
    }

    private void lstmBackward(CodeBlock.Builder b) {
        b.addStatement("final $L[] z = ws.gates$L", num.keyword(), l);
        b.addStatement("final $L[] c = ws.c$L", num.keyword(), l);
        b.addStatement("final $L[] tanhC = ws.tanhC$L", num.keyword(), l);
        b.addStatement("final $L[] dc = ws.dc$L", num.keyword(), l);
        b.addStatement("final int g = t * $L", gh);
        b.add("// through h_t = o tanh(c_t) and c_t = f c_{t-1} + i g to the gate pre-activations\n");
        b.beginControlFlow("for (int j = 0; j < $L; j++)", h);
        b.addStatement("final $L ig = z[g + j]", num.keyword());
        b.addStatement("final $L fg = z[g + $L + j]", num.keyword(), h);
        b.addStatement("final $L gg = z[g + $L + j]", num.keyword(), 2 * h);
        b.addStatement("final $L og = z[g + $L + j]", num.keyword(), 3 * h);
        b.addStatement("final $L tc = tanhC[prev + j]", num.keyword());
        b.addStatement("final $L dhj = dh[j]", num.keyword());
        b.addStatement("final $L dcj = dc[j] + dhj * og * (1 - tc * tc)", num.keyword());
        b.addStatement("dz[j] = dcj * gg * ig * (1 - ig)");
        b.addStatement("dz[$L + j] = dcj * c[prev + j] * fg * (1 - fg)", h);
        b.addStatement("dz[$L + j] = dcj * ig * (1 - gg * gg)", 2 * h);
        b.addStatement("dz[$L + j] = dhj * tc * og * (1 - og)", 3 * h);
        b.addStatement("dc[j] = dcj * fg");
        b.addStatement("dh[j] = 0");
        b.endControlFlow();
    }

    private void gruBackward(CodeBlock.Builder b) {
        b.addStatement("final $L[] z = ws.gates$L", num.keyword(), l);
        b.addStatement("final $L[] hn = ws.hn$L", num.keyword(), l);
        b.addStatement("final $L[] dzh = ws.dzh$L", num.keyword(), l);
        b.addStatement("final int g = t * $L", gh);
        b.add("// dz: gradient of the input-side pre-activations; dzh: of the hidden side (differs in n)\n");
        b.beginControlFlow("for (int j = 0; j < $L; j++)", h);
        b.addStatement("final $L rg = z[g + j]", num.keyword());
        b.addStatement("final $L zg = z[g + $L + j]", num.keyword(), h);
        b.addStatement("final $L ng = z[g + $L + j]", num.keyword(), 2 * h);
        b.addStatement("final $L dhj = dh[j]", num.keyword());
        b.addStatement("final $L dn = dhj * (1 - zg) * (1 - ng * ng)", num.keyword());
        b.addStatement("final $L dzg = dhj * (h[prev + j] - ng) * zg * (1 - zg)", num.keyword());
        b.addStatement("final $L dr = dn * hn[prev + j] * rg * (1 - rg)", num.keyword());
        b.addStatement("dz[j] = dr");
        b.addStatement("dzh[j] = dr");
        b.addStatement("dz[$L + j] = dzg", h);
        b.addStatement("dzh[$L + j] = dzg", h);
        b.addStatement("dz[$L + j] = dn", 2 * h);
        b.addStatement("dzh[$L + j] = dn * rg", 2 * h);
        b.addStatement("dh[j] = dhj * zg");
        b.endControlFlow();
    }

    /** {@code dW_ih += dz x_t^T}, and {@code dx_t = W_ih^T dz} where someone needs it. */
    private void inputBackward(CodeBlock.Builder b) {
        if (l > 0) {
            b.add("// dW_ih += dz x_t^T (x_t is h_t of layer $L), and dh_t of layer $L += W_ih^T dz\n", l - 1, l - 1);
            denseInputBackward(b, "ws.dh" + (l - 1), "0");
            return;
        }
        switch (inputMode) {
            case DENSE -> {
                b.beginControlFlow("if (ws.wantInputGradient)");
                denseInputBackwardToDx(b);
                b.nextControlFlow("else");
                denseInputBackward(b, null, null);
                b.endControlFlow();
            }
            case DENSE_FIRST -> {
                b.beginControlFlow("if (t == 0 && ws.wantInputGradient)");
                denseInputBackwardToDx(b);
                b.nextControlFlow("else if (t == 0)");
                denseInputBackward(b, null, null);
                b.endControlFlow();
            }
            case SYMBOL -> symbolInputBackward(b);
            case SYMBOL_FIRST -> {
                b.beginControlFlow("if (t == 0)");
                symbolInputBackward(b);
                b.endControlFlow();
            }
            case SYMBOL_THEN_DENSE -> {
                b.beginControlFlow("if (t == 0)");
                symbolInputBackward(b);
                b.nextControlFlow("else");
                denseInputBackwardToDx(b);
                b.endControlFlow();
            }
        }
    }

    /** Layer 0: the input gradient goes to {@code ws.dxStep}, then to its destination. */
    private void denseInputBackwardToDx(CodeBlock.Builder b) {
        b.addStatement("$T.fill(ws.dxStep, 0)", java.util.Arrays.class);
        denseInputBackward(b, "ws.dxStep", "0");
        b.addStatement("routeInputGradient(ws, t)");
    }

    private void denseInputBackward(CodeBlock.Builder b, String dx, String dxOff) {
        b.addStatement("final $L[] x = $L", num.keyword(), sourceArray);
        b.addStatement("final int xo = $L", sourceOffset());
        if (dx != null) {
            b.addStatement("final $L[] dx = $L", num.keyword(), dx);
        }
        b.beginControlFlow("for (int k = 0; k < $L; k++)", gh);
        b.addStatement("final $L d = dz[k]", num.keyword());
        b.addStatement("final int row = k * $L", sourceSize);
        b.beginControlFlow("for (int i = 0; i < $L; i++)", sourceSize);
        b.addStatement("gwih[row + i] += d * x[xo + i]");
        if (dx != null) {
            b.addStatement("dx[$L + i] += wih[row + i] * d", dxOff);
        }
        b.endControlFlow();
        b.endControlFlow();
    }

    private void symbolInputBackward(CodeBlock.Builder b) {
        b.addStatement("final int symbol = ws.symbols[t]");
        b.beginControlFlow("for (int k = 0; k < $L; k++)", gh)
                .addStatement("gwih[k * $L + symbol] += dz[k]", sourceSize)
                .endControlFlow();
    }

    // ---- descriptions ------------------------------------------------------------------------

    private String cellName() {
        return switch (layer.cell().type()) {
            case RNN -> "rnn " + ((CellSpec.Rnn) layer.cell()).activation().keyword();
            case LSTM -> "lstm";
            case GRU -> "gru";
        };
    }

    private String forwardEquation() {
        return switch (layer.cell().type()) {
            case RNN -> "{@code h_t = " + ((CellSpec.Rnn) layer.cell()).activation().keyword()
                    + "(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)}.";
            case LSTM -> "gates i, f, g, o of {@code W_ih x_t + b_ih + W_hh h_{t-1} + b_hh};\n"
                    + "{@code c_t = f * c_{t-1} + i * g}, {@code h_t = o * tanh(c_t)}.";
            case GRU -> "{@code r = sig(W_ir x + b_ir + W_hr h + b_hr)}, "
                    + "{@code z = sig(W_iz x + b_iz + W_hz h + b_hz)},\n"
                    + "{@code n = tanh(W_in x + b_in + r * (W_hn h + b_hn))}, {@code h_t = (1 - z) * n + z * h_{t-1}}.";
        };
    }
}
