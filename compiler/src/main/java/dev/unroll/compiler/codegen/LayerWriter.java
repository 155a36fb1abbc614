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
 * element, and adds scaled columns ({@code z += x_i * W[:, i]}): AXPYs without a reduction,
 * which C2 vectorizes, where a dot product per row would stay scalar. The backward pass reads a
 * copy of the weights as one array per row and accumulates {@code dW += dz x^T} into one array
 * per row of the workspace's gradients, forming {@code W^T dz} as AXPYs over rows.
 *
 * <p>Loop shapes follow what C2 (JDK 17 and 25) vectorizes, measured rather than assumed: inner
 * loops index arrays at offset 0 or at constant offsets, never at an offset computed from an outer
 * loop's variable ({@code W[k * cols + i]} ran 4x slower, unvectorized) nor at several variable
 * offsets in one loop; values of the step are copied to and from offset-0 scratch arrays with
 * {@code System.arraycopy}, which costs far less than the scalar loops it avoids.
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

    /**
     * Whether the backward pass reads {@code W_ih} row by row (for {@code W_ih^T dz}): always but for a
     * one-hot input that is never dense, whose gradient goes nowhere.
     */
    boolean readsInputWeightRows() {
        return l > 0 || (inputMode != InputMode.SYMBOL && inputMode != InputMode.SYMBOL_FIRST);
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
        inputForward(b, "z");
        recurrentForward(b, "z");
        b.add("// h_t = act(z), in place at offset 0 (vectorizes), then stored at the step's offset\n");
        b.beginControlFlow("for (int j = 0; j < $L; j++)", h);
        if (rnn.activation() == RnnActivation.TANH) {
            b.addStatement("z[j] = $T.tanh(z[j])", ModelWriter.ACTIVATIONS);
        } else {
            b.addStatement("z[j] = Math.max(z[j], $L)", num.literal(0));
        }
        b.endControlFlow();
        b.addStatement("System.arraycopy(z, 0, h, out, $L)", h);
    }

    private void lstmForward(CodeBlock.Builder b) {
        CellSpec.Lstm lstm = (CellSpec.Lstm) layer.cell();
        if (lstm.peepholes() || lstm.cellClip().isPresent()) {
            throw new IllegalStateException("peepholes and cell_clip: refused by UnrollCompiler.unsupportedFeatures");
        }
        b.addStatement("final $L[] a = ws.a$L", num.keyword(), l);
        b.addStatement("final $L[] c = ws.c$L", num.keyword(), l);
        b.addStatement("final $L[] cs = ws.cStep$L", num.keyword(), l);
        b.addStatement("final $L[] ts = ws.tanhCStep$L", num.keyword(), l);
        b.addStatement("final $L[] hs = ws.hStep$L", num.keyword(), l);
        b.add("// a = [i; f; g; o] pre-activations = b_ih + b_hh + W_ih x_t + W_hh h_{t-1}. Every elementwise loop\n"
                + "// below works on arrays at offset 0 and only then copies to the step's offset: C2 (JDK 17)\n"
                + "// vectorizes loops over several arrays at constant offsets, not at several variable ones\n");
        b.beginControlFlow("for (int k = 0; k < $L; k++)", gh).addStatement("a[k] = bih[k] + bhh[k]").endControlFlow();
        inputForward(b, "a");
        recurrentForward(b, "a");
        b.add("// gates i and f: sigmoid; g: tanh; o: sigmoid (one loop per function, so each vectorizes)\n");
        activationLoop(b, "a", 0, 2 * h, "sigmoid");
        activationLoop(b, "a", 2 * h, 3 * h, "tanh");
        activationLoop(b, "a", 3 * h, 4 * h, "sigmoid");
        b.add("// c_t = f * c_{t-1} + i * g,  h_t = o * tanh(c_t)\n");
        b.addStatement("System.arraycopy(c, prev, cs, 0, $L)", h);
        b.beginControlFlow("for (int j = 0; j < $L; j++)", h)
                .addStatement("cs[j] = a[$L + j] * cs[j] + a[j] * a[$L + j]", h, 2 * h)
                .endControlFlow();
        b.beginControlFlow("for (int j = 0; j < $L; j++)", h)
                .addStatement("final $L tc = $T.tanh(cs[j])", num.keyword(), ModelWriter.ACTIVATIONS)
                .addStatement("ts[j] = tc")
                .addStatement("hs[j] = a[$L + j] * tc", 3 * h)
                .endControlFlow();
        b.add("// keep the activated gates, c_t and tanh(c_t) for BPTT\n");
        b.addStatement("System.arraycopy(a, 0, ws.gates$L, t * $L, $L)", l, gh, gh);
        b.addStatement("System.arraycopy(cs, 0, c, out, $L)", h);
        b.addStatement("System.arraycopy(ts, 0, ws.tanhC$L, prev, $L)", l, h);
        b.addStatement("System.arraycopy(hs, 0, h, out, $L)", h);
    }

    private void gruForward(CodeBlock.Builder b, CellSpec.Gru gru) {
        if (gru.variant() != GruVariant.RESET_AFTER) {
            throw new IllegalStateException("Cho GRU: refused by UnrollCompiler.unsupportedFeatures");
        }
        b.addStatement("final $L[] a = ws.a$L", num.keyword(), l);
        b.addStatement("final $L[] r = ws.b$L", num.keyword(), l);
        b.addStatement("final $L[] hs = ws.hStep$L", num.keyword(), l);
        b.add("// a = b_ih + W_ih x_t and r = b_hh + W_hh h_{t-1}, each [r; z; n]. The elementwise loops work at\n"
                + "// offset 0 and copy to the step's offset afterwards, so that C2 vectorizes them\n");
        b.beginControlFlow("for (int k = 0; k < $L; k++)", gh)
                .addStatement("a[k] = bih[k]")
                .addStatement("r[k] = bhh[k]")
                .endControlFlow();
        inputForward(b, "a");
        recurrentForward(b, "r");
        b.add("// r = sig(a_r + r_r), z = sig(a_z + r_z), n = tanh(a_n + r * r_n), h_t = (1 - z) n + z h_{t-1}\n");
        b.beginControlFlow("for (int k = 0; k < $L; k++)", 2 * h)
                .addStatement("a[k] = $T.sigmoid(a[k] + r[k])", ModelWriter.ACTIVATIONS)
                .endControlFlow();
        b.beginControlFlow("for (int j = 0; j < $L; j++)", h)
                .addStatement("a[$L + j] = $T.tanh(a[$L + j] + a[j] * r[$L + j])", 2 * h, ModelWriter.ACTIVATIONS,
                        2 * h, 2 * h)
                .endControlFlow();
        b.addStatement("System.arraycopy(h, prev, hs, 0, $L)", h);
        b.beginControlFlow("for (int j = 0; j < $L; j++)", h)
                .addStatement("hs[j] = (1 - a[$L + j]) * a[$L + j] + a[$L + j] * hs[j]", h, 2 * h, h)
                .endControlFlow();
        b.add("// keep the activated gates and W_hn h_{t-1} + b_hn for BPTT\n");
        b.addStatement("System.arraycopy(a, 0, ws.gates$L, t * $L, $L)", l, gh, gh);
        b.addStatement("System.arraycopy(r, $L, ws.hn$L, prev, $L)", 2 * h, l, h);
        b.addStatement("System.arraycopy(hs, 0, h, out, $L)", h);
    }

    private void activationLoop(CodeBlock.Builder b, String array, int from, int to, String function) {
        b.beginControlFlow("for (int k = $L; k < $L; k++)", from, to)
                .addStatement("$L[k] = $T.$L($L[k])", array, ModelWriter.ACTIVATIONS, function, array)
                .endControlFlow();
    }

    /** {@code acc[k] += (W_ih x_t)[k]}, reading the input as this layer's mode says. */
    private void inputForward(CodeBlock.Builder b, String acc) {
        switch (inputMode) {
            case DENSE -> denseInputForward(b, acc);
            case DENSE_FIRST -> {
                b.beginControlFlow("if (t == 0)");
                denseInputForward(b, acc);
                b.endControlFlow();
            }
            case SYMBOL -> symbolInputForward(b, acc);
            case SYMBOL_FIRST -> {
                b.beginControlFlow("if (t == 0)");
                symbolInputForward(b, acc);
                b.endControlFlow();
            }
            case SYMBOL_THEN_DENSE -> {
                b.beginControlFlow("if (t == 0)");
                symbolInputForward(b, acc);
                b.nextControlFlow("else");
                denseInputForward(b, acc);
                b.endControlFlow();
            }
        }
    }

    private String sourceOffset() {
        return l == 0 ? "t * " + sourceSize : "(t + 1) * " + previousHidden;
    }

    private void denseInputForward(CodeBlock.Builder b, String acc) {
        b.add("// W_ih x_t as AXPYs over columns of W_ih (rows of the packed W_ih^T): no reduction\n");
        b.addStatement("final $L[] x = $L", num.keyword(), sourceArray);
        b.addStatement("final int xo = $L", sourceOffset());
        axpyColumns(b, num, acc, "wihT", "x", "xo", sourceSize, gh);
    }

    private void symbolInputForward(CodeBlock.Builder b, String acc) {
        b.add("// a one-hot input selects one column of W_ih\n");
        b.addStatement("final $L[] symbolColumn = wihT[ws.symbols[t]]", num.keyword());
        b.beginControlFlow("for (int k = 0; k < $L; k++)", gh)
                .addStatement("$L[k] += symbolColumn[k]", acc)
                .endControlFlow();
    }

    private void recurrentForward(CodeBlock.Builder b, String acc) {
        b.add("// W_hh h_{t-1}, the same way\n");
        axpyColumns(b, num, acc, "whhT", "h", "prev", h, gh);
    }

    /**
     * Emits {@code acc[0, length) += sum_i src[srcOffset + i] * columns[i][0, length)} for {@code i < count}, four
     * columns per pass over {@code acc}: fewer loads and stores of {@code acc} per multiply, and a quarter of the
     * loops' fixed cost (C2's pre- and post-loops), which dominates at small sizes. Measured alone (medians of five
     * JVMs, JDK 17): four per pass took 0.78-0.91 of the time of two per pass for 96 or 192 columns of 32 to 512;
     * eight per pass ran out of registers above 64.
     */
    static void axpyColumns(CodeBlock.Builder b, Num num, String acc, String columns, String src, String srcOffset,
            int count, int length) {
        String t = num.keyword();
        int quads = count - count % 4;
        if (quads > 0) {
            b.beginControlFlow("for (int i = 0; i < $L; i += 4)", quads);
            for (int c = 0; c < 4; c++) {
                b.addStatement("final $L s$L = $L[$L + i$L]", t, c, src, srcOffset, c == 0 ? "" : " + " + c);
            }
            for (int c = 0; c < 4; c++) {
                b.addStatement("final $L[] c$L = $L[i$L]", t, c, columns, c == 0 ? "" : " + " + c);
            }
            b.beginControlFlow("for (int k = 0; k < $L; k++)", length)
                    .addStatement("$L[k] += (s0 * c0[k] + s1 * c1[k]) + (s2 * c2[k] + s3 * c3[k])", acc)
                    .endControlFlow()
                    .endControlFlow();
        }
        int rest = count % 4;
        if (rest > 0) {
            b.add("// the last $L column$L\n", rest, rest == 1 ? "" : "s").add("{\n").indent();
            for (int c = 0; c < rest; c++) {
                b.addStatement("final $L s$L = $L[$L + $L]", t, c, src, srcOffset, quads + c);
            }
            for (int c = 0; c < rest; c++) {
                b.addStatement("final $L[] c$L = $L[$L]", t, c, columns, quads + c);
            }
            String sum = switch (rest) {
                case 1 -> "s0 * c0[k]";
                case 2 -> "s0 * c0[k] + s1 * c1[k]";
                default -> "(s0 * c0[k] + s1 * c1[k]) + s2 * c2[k]";
            };
            b.beginControlFlow("for (int k = 0; k < $L; k++)", length)
                    .addStatement("$L[k] += $L", acc, sum)
                    .endControlFlow()
                    .unindent().add("}\n");
        }
    }

    // ---- backward ----------------------------------------------------------------------------

    MethodSpec backward() {
        MethodSpec.Builder m = MethodSpec.methodBuilder(backwardName())
                .addModifiers(Modifier.PRIVATE)
                .addParameter(ModelWriter.WORKSPACE, "ws")
                .addParameter(int.class, "t")
                .addJavadoc("Layer $L, backward at step {@code t}: reads {@code dL/dh_t} from {@code ws.dh$L}, "
                        + "adds parameter gradients to\n{@code ws.grads}, leaves {@code dL/dh_{t-1}} in "
                        + "{@code ws.dh$L} and adds {@code dL/dx_t} to $L.\n", l, l, l,
                        l == 0 ? "the input gradient" : "{@code ws.dh" + (l - 1) + "}");
        CodeBlock.Builder b = CodeBlock.builder();
        if (readsInputWeightRows()) {
            b.addStatement("final $L[][] wih = $L", num.keyword(), ModelWriter.rows("weightIh", l));
        }
        b.addStatement("final $L[][] whh = $L", num.keyword(), ModelWriter.rows("weightHh", l));
        b.addStatement("final $L[][] gwih = ws.grads.$L", num.keyword(), ModelWriter.param("weightIh", l));
        b.addStatement("final $L[][] gwhh = ws.grads.$L", num.keyword(), ModelWriter.param("weightHh", l));
        b.addStatement("final $L[] gbih = ws.grads.$L", num.keyword(), ModelWriter.param("biasIh", l));
        b.addStatement("final $L[] gbhh = ws.grads.$L", num.keyword(), ModelWriter.param("biasHh", l));
        b.addStatement("final $L[] h = ws.h$L", num.keyword(), l);
        b.addStatement("final $L[] hp = ws.hPrev$L", num.keyword(), l);
        b.addStatement("final $L[] dh = ws.dh$L", num.keyword(), l);
        b.addStatement("final $L[] dz = ws.dz$L", num.keyword(), l);
        b.addStatement("final int prev = t * $L", h);
        b.add("// the step's saved values are copied to offset 0 first, so that the elementwise loops vectorize\n");
        b.addStatement("System.arraycopy(h, prev, hp, 0, $L)", h);
        String recurrentDz = "dz";
        switch (layer.cell().type()) {
            case RNN -> rnnBackward(b, (CellSpec.Rnn) layer.cell());
            case LSTM -> lstmBackward(b);
            case GRU -> {
                gruBackward(b);
                recurrentDz = "dzh";
            }
        }
        b.add("// bias gradients, then dW_hh += dz_h h_{t-1}^T and dh_{t-1} += W_hh^T dz_h, as AXPYs over rows\n");
        b.beginControlFlow("for (int k = 0; k < $L; k++)", gh)
                .addStatement("gbih[k] += dz[k]")
                .addStatement("gbhh[k] += $L[k]", recurrentDz)
                .endControlFlow();
        b.beginControlFlow("for (int k = 0; k < $L; k++)", gh);
        b.addStatement("final $L d = $L[k]", num.keyword(), recurrentDz);
        b.addStatement("final $L[] gRow = gwhh[k]", num.keyword());
        b.beginControlFlow("for (int j = 0; j < $L; j++)", h)
                .addStatement("gRow[j] += d * hp[j]")
                .endControlFlow();
        b.endControlFlow();
        b.add("// dh_{t-1} = W_hh^T dz_h: AXPYs over the rows of W_hh, four per pass\n");
        axpyColumns(b, num, "dh", "whh", recurrentDz, "0", gh, h);
        inputBackward(b);
        return m.addCode(b.build()).build();
    }

    private void rnnBackward(CodeBlock.Builder b, CellSpec.Rnn rnn) {
        b.addStatement("final $L[] hs = ws.hStep$L", num.keyword(), l);
        b.addStatement("System.arraycopy(h, prev + $L, hs, 0, $L)", h, h);
        b.add("// dz = dh * act'(z); dh is then reused for dL/dh_{t-1}\n");
        b.beginControlFlow("for (int j = 0; j < $L; j++)", h);
        b.addStatement("final $L hj = hs[j]", num.keyword());
        if (rnn.activation() == RnnActivation.TANH) {
            b.addStatement("dz[j] = dh[j] * (1 - hj * hj)");
        } else {
            b.addStatement("dz[j] = hj > 0 ? dh[j] : $L", num.literal(0));
        }
        b.addStatement("dh[j] = 0");
        b.endControlFlow();
    }

    private void lstmBackward(CodeBlock.Builder b) {
        b.addStatement("final $L[] gs = ws.a$L", num.keyword(), l);
        b.addStatement("final $L[] cs = ws.cStep$L", num.keyword(), l);
        b.addStatement("final $L[] ts = ws.tanhCStep$L", num.keyword(), l);
        b.addStatement("final $L[] dc = ws.dc$L", num.keyword(), l);
        b.addStatement("System.arraycopy(ws.gates$L, t * $L, gs, 0, $L)", l, gh, gh);
        b.addStatement("System.arraycopy(ws.c$L, prev, cs, 0, $L)", l, h);
        b.addStatement("System.arraycopy(ws.tanhC$L, prev, ts, 0, $L)", l, h);
        b.add("// through h_t = o tanh(c_t) and c_t = f c_{t-1} + i g to the gate pre-activations\n");
        b.beginControlFlow("for (int j = 0; j < $L; j++)", h);
        b.addStatement("final $L ig = gs[j]", num.keyword());
        b.addStatement("final $L fg = gs[$L + j]", num.keyword(), h);
        b.addStatement("final $L gg = gs[$L + j]", num.keyword(), 2 * h);
        b.addStatement("final $L og = gs[$L + j]", num.keyword(), 3 * h);
        b.addStatement("final $L tc = ts[j]", num.keyword());
        b.addStatement("final $L dhj = dh[j]", num.keyword());
        b.addStatement("final $L dcj = dc[j] + dhj * og * (1 - tc * tc)", num.keyword());
        b.addStatement("dz[j] = dcj * gg * ig * (1 - ig)");
        b.addStatement("dz[$L + j] = dcj * cs[j] * fg * (1 - fg)", h);
        b.addStatement("dz[$L + j] = dcj * ig * (1 - gg * gg)", 2 * h);
        b.addStatement("dz[$L + j] = dhj * tc * og * (1 - og)", 3 * h);
        b.addStatement("dc[j] = dcj * fg");
        b.addStatement("dh[j] = 0");
        b.endControlFlow();
    }

    private void gruBackward(CodeBlock.Builder b) {
        b.addStatement("final $L[] gs = ws.a$L", num.keyword(), l);
        b.addStatement("final $L[] hns = ws.hStep$L", num.keyword(), l);
        b.addStatement("final $L[] dzh = ws.dzh$L", num.keyword(), l);
        b.addStatement("System.arraycopy(ws.gates$L, t * $L, gs, 0, $L)", l, gh, gh);
        b.addStatement("System.arraycopy(ws.hn$L, prev, hns, 0, $L)", l, h);
        b.add("// dz: gradient of the input-side pre-activations; dzh: of the hidden side (differs in n)\n");
        b.beginControlFlow("for (int j = 0; j < $L; j++)", h);
        b.addStatement("final $L rg = gs[j]", num.keyword());
        b.addStatement("final $L zg = gs[$L + j]", num.keyword(), h);
        b.addStatement("final $L ng = gs[$L + j]", num.keyword(), 2 * h);
        b.addStatement("final $L dhj = dh[j]", num.keyword());
        b.addStatement("final $L dn = dhj * (1 - zg) * (1 - ng * ng)", num.keyword());
        b.addStatement("final $L dzg = dhj * (hp[j] - ng) * zg * (1 - zg)", num.keyword());
        b.addStatement("final $L dr = dn * hns[j] * rg * (1 - rg)", num.keyword());
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
            denseInputBackward(b, "ws.dh" + (l - 1));
            return;
        }
        switch (inputMode) {
            case DENSE -> {
                b.beginControlFlow("if (ws.wantInputGradient)");
                denseInputBackwardToDx(b);
                b.nextControlFlow("else");
                denseInputBackward(b, null);
                b.endControlFlow();
            }
            case DENSE_FIRST -> {
                b.beginControlFlow("if (t == 0 && ws.wantInputGradient)");
                denseInputBackwardToDx(b);
                b.nextControlFlow("else if (t == 0)");
                denseInputBackward(b, null);
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
        denseInputBackward(b, "ws.dxStep");
        b.addStatement("routeInputGradient(ws, t)");
    }

    private void denseInputBackward(CodeBlock.Builder b, String dx) {
        b.addStatement("final $L[] xs = ws.inStep$L", num.keyword(), l);
        b.addStatement("System.arraycopy($L, $L, xs, 0, $L)", sourceArray, sourceOffset(), sourceSize);
        if (dx != null) {
            b.addStatement("final $L[] dx = $L", num.keyword(), dx);
        }
        b.beginControlFlow("for (int k = 0; k < $L; k++)", gh);
        b.addStatement("final $L d = dz[k]", num.keyword());
        b.addStatement("final $L[] gRow = gwih[k]", num.keyword());
        b.beginControlFlow("for (int i = 0; i < $L; i++)", sourceSize);
        b.addStatement("gRow[i] += d * xs[i]");
        b.endControlFlow();
        b.endControlFlow();
        if (dx != null) {
            b.add("// dx_t = W_ih^T dz: AXPYs over the rows of W_ih, four per pass\n");
            axpyColumns(b, num, "dx", "wih", "dz", "0", gh, sourceSize);
        }
    }

    private void symbolInputBackward(CodeBlock.Builder b) {
        b.addStatement("final int symbol = ws.symbols[t]");
        b.beginControlFlow("for (int k = 0; k < $L; k++)", gh)
                .addStatement("gwih[k][symbol] += dz[k]")
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
