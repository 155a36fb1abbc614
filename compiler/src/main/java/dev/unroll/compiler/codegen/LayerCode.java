package dev.unroll.compiler.codegen;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import dev.unroll.compiler.plan.BufferSpec;
import dev.unroll.compiler.plan.InputMode;
import dev.unroll.compiler.plan.LayerPlan;
import dev.unroll.compiler.plan.NetworkBuffers;
import dev.unroll.compiler.plan.TimeSchedule;
import dev.unroll.compiler.codegen.cell.RowSplitCell;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * Writes the forward step and the backward (BPTT) step of one recurrent layer: the part every cell
 * shares (reading the weights, the input projection in each {@link InputMode}, the recurrent
 * projection, the weight and bias gradients, {@code W^T dz} to the layer below), around the
 * cell-specific part that the layer's {@link dev.unroll.compiler.codegen.cell.CellEmitter} writes.
 *
 * <p>Both steps are methods of the model taking the workspace and the step {@code t}, with every
 * size a constant, so that C2 sees counted loops with constant bounds and each method stays far
 * below the JIT's 8000-bytecode limit whatever the sizes.
 *
 * <p>The forward pass reads packed transposed weights, {@code W^T} as one array per input element,
 * and adds scaled columns ({@code z += x_i * W[:, i]}): AXPYs without a reduction, which C2
 * vectorizes, where a dot product per row would stay scalar. The backward pass reads a copy of the
 * weights as one array per row and accumulates {@code dW += dz x^T} into one array per row of the
 * workspace's gradients, forming {@code W^T dz} as AXPYs over rows. Values of the step are copied to
 * and from offset-0 scratch arrays with {@code System.arraycopy}, which costs far less than the
 * scalar loops that several variable offsets in one loop would give.
 *
 * <p><b>Locals an emitter may use.</b> In the forward step: {@code wihT}, {@code whhT} (packed
 * weights), {@code bih}, {@code bhh} (bias values), {@code h} (this layer's {@code h} buffer),
 * {@code prev = t * H} and {@code out = prev + H} (offsets of {@code h_{t-1}} and {@code h_t} in it).
 * In the backward step: {@code whh} (rows of {@code W_hh}), {@code gwhh} (its gradient rows), {@code h},
 * {@code hp} ({@code h_{t-1}} at offset 0), {@code dh}
 * ({@code dL/dh_t} on entry; the emitter leaves in it the part of {@code dL/dh_{t-1}} that does not
 * go through {@code W_hh}), {@code dz} (the emitter writes the input-side gate gradient) and
 * {@code prev}.
 */
public final class LayerCode {
    private final LayerPlan layer;
    private final NetworkBuffers net;
    private final Num num;
    private final int l;
    private final int h;
    private final int gh;
    private final String pytorchModule;
    private final LayerPlan.Pass pass;
    /**
     * The matrix products of one sequence's part of a lockstep step, recorded instead of written while that part is
     * written, for the lockstep method to write once for all the sequences; null while a step is written whole.
     */
    private List<Product> held;
    /** The expression each local of the code being written stands for, by name: another sequence's is found from it. */
    private final java.util.Map<String, Local> declared = new java.util.HashMap<>();

    /**
     * A local of the code being written: its type, the expression it is initialized with, and the workspace buffer
     * that expression reads (null for anything else).
     */
    private record Local(com.palantir.javapoet.TypeName type, String expression, BufferSpec buffer) {}

    /** One call of {@link Kernels#axpyColumns} (its long form), by the locals it reads. */
    private record Product(String acc, int accFirst, String columns, String src, String srcOffset, int firstColumn,
            int count, int first, int length, BlockLayout layout) {}

    /** Returns the code writer of one pass of a layer; {@code whole} is the layer, whose PyTorch module it names. */
    public LayerCode(LayerPlan layer, LayerPlan whole, NetworkBuffers net, Num num) {
        this.layer = layer;
        this.pytorchModule = whole.pytorchModule();
        this.pass = layer.pass();
        this.net = net;
        this.num = num;
        this.l = layer.index();
        this.h = layer.hiddenSize();
        this.gh = layer.gateRows();
    }

    /** Returns the layer. */
    public LayerPlan layer() {
        return layer;
    }

    /** Returns the numeric type. */
    public Num num() {
        return num;
    }

    /** Returns the numeric keyword, {@code float} or {@code double}. */
    public String t() {
        return num.keyword();
    }

    /** Returns the hidden size {@code H}. */
    public int h() {
        return h;
    }

    /** Returns the rows of the stacked weights, {@code G * H}. */
    public int gateRows() {
        return gh;
    }

    /** Emits {@code final T[] local = buffer;}. */
    public void local(CodeBlock.Builder b, String local, BufferSpec buffer) {
        declare(b, new Local(num.array(1), buffer.ref(), buffer), local);
    }

    /** Emits {@code final type local = expression;}, remembered for a lockstep method. */
    private void declare(CodeBlock.Builder b, com.palantir.javapoet.TypeName type, String local, String expression) {
        declare(b, new Local(type, expression, null), local);
    }

    private void declare(CodeBlock.Builder b, Local declaration, String local) {
        declared.put(local, declaration);
        b.addStatement("final $T $L = $L", declaration.type(), local, declaration.expression());
    }

    /** Emits (or, in a sequence's part of a lockstep step, records) one {@link Kernels#axpyColumns} product. */
    private void product(CodeBlock.Builder b, String acc, int accFirst, String columns, String src, String srcOffset,
            int firstColumn, int count, int first, int length, BlockLayout layout) {
        if (held != null) {
            held.add(new Product(acc, accFirst, columns, src, srcOffset, firstColumn, count, first, length, layout));
            return;
        }
        Kernels.axpyColumns(b, num, acc, accFirst, columns, src, srcOffset, firstColumn, count, first, length, layout);
    }

    // ---- forward -----------------------------------------------------------------------------

    /** Returns the forward step method. */
    public MethodSpec forward() {
        MethodSpec.Builder m = MethodSpec.methodBuilder(layer.forwardMethod())
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(int.class, "t")
                .addJavadoc(layer.isReverse()
                        ? "Layer $L, reverse pass ($L, $L units, the {@code _reverse} half of PyTorch's {@code $L}),"
                                + " forward at its step\n{@code t}, which reads time {@code T - 1 - t}: $L\n"
                        : layer.shape().decoder()
                                ? "Decoder layer $L ($L, $L units, as PyTorch's {@code $L}), forward at step {@code t}:"
                                        + " $L\n"
                                : "Layer $L ($L, $L units, as PyTorch's {@code $L}), forward at step {@code t}: $L\n", l,
                        layer.cell().description(), h, pytorchModule, layer.cell().equations());
        CodeBlock.Builder b = CodeBlock.builder();
        forwardLocals(b);
        b.addStatement("final int out = prev + $L", h);
        layer.cell().forward(b, this);
        return m.addCode(b.build()).build();
    }

    /**
     * Returns the methods of a step cut in two by rows at {@code cut} (a two-thread stepper): the pre-activations of
     * rows {@code [0, cut)}, those of {@code [cut, G H)}, which the two threads form at once, then the rest of the
     * step. Run in that order they compute what {@link #forward()} does, to the bit.
     */
    public List<MethodSpec> forwardCut(int cut) {
        RowSplitCell cell = (RowSplitCell) layer.cell();
        List<MethodSpec> methods = new ArrayList<>();
        for (int[] rows : new int[][] {{0, cut}, {cut, gh}}) {
            CodeBlock.Builder b = CodeBlock.builder();
            forwardLocals(b);
            cell.declareAccumulators(b, this);
            cell.preActivations(b, this, rows[0], rows[1]);
            methods.add(MethodSpec.methodBuilder(layer.preActivationsMethod(rows[0], rows[1]))
                    .addModifiers(Modifier.PRIVATE)
                    .addParameter(RuntimeTypes.WORKSPACE, "ws")
                    .addParameter(int.class, "t")
                    .addJavadoc("Layer $L, the first part of its forward step at step {@code t} cut in two (a two-thread"
                            + " stepper):\nthe pre-activations of gate rows $L to $L. Then $L.\n", l, rows[0],
                            rows[1] - 1, "{@link #" + layer.activateMethod() + "}")
                    .addCode(b.build())
                    .build());
        }
        methods.add(activate());
        return methods;
    }

    /**
     * Returns the rest of the forward step once every pre-activation is formed, the part after the products of a step
     * cut in two ({@link #forwardCut}) or run in lockstep ({@link #forwardLockstep}).
     */
    public MethodSpec activate() {
        RowSplitCell cell = (RowSplitCell) layer.cell();
        CodeBlock.Builder b = CodeBlock.builder();
        local(b, "h", layer.buffers().h());
        b.addStatement("final int prev = t * $L", h);
        b.addStatement("final int out = prev + $L", h);
        cell.declareAccumulators(b, this);
        cell.activate(b, this);
        return MethodSpec.methodBuilder(layer.activateMethod())
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(int.class, "t")
                .addJavadoc("Layer $L, the rest of its forward step at step {@code t} once every pre-activation is"
                        + " formed: $L\n", l, layer.cell().equations())
                .addCode(b.build())
                .build();
    }

    /**
     * Returns the forward step of {@code sequences} sequences at once, each in its own workspace ({@code w0},
     * {@code w1}, ...), and the part of it each sequence does alone: each sequence's biases (and one-hot column), then
     * every matrix product once for all of them ({@link VectorKernels#axpyColumnsLockstep}: each weight vector loaded
     * once), then each sequence's {@link #activate}. Each sequence gets the bits of {@link #forward()}.
     */
    public List<MethodSpec> forwardLockstep(int sequences) {
        RowSplitCell cell = (RowSplitCell) layer.cell();
        String alone = layer.forwardAloneMethod();
        CodeBlock.Builder own = CodeBlock.builder();
        List<Product> products = recording(() -> {
            forwardLocals(own);
            cell.declareAccumulators(own, this);
            cell.preActivations(own, this, 0, gh);
        });
        CodeBlock.Builder b = CodeBlock.builder();
        for (int s = 0; s < sequences; s++) {
            b.addStatement("$L(w$L, t)", alone, s);
        }
        b.add("// the products, each weight vector loaded once for the $L sequences\n", sequences);
        writeLockstep(b, products, sequences);
        for (int s = 0; s < sequences; s++) {
            b.addStatement("$L(w$L, t)", layer.activateMethod(), s);
        }
        return List.of(lockstepMethod(layer.forwardLockstepMethod(), sequences)
                        .addJavadoc("Layer $L, forward at step {@code t} of $L sequences at once, each in its own"
                                + " workspace: each one's\n{@link #$L}, the matrix products once for all, then each"
                                + " one's {@link #$L}. Each sequence gets the bits of\n{@link #$L}.\n", l, sequences,
                                alone, layer.activateMethod(), layer.forwardMethod())
                        .addCode(b.build())
                        .build(),
                aloneMethod(alone, own, "its pre-activations\nbut the matrix products.",
                        layer.forwardLockstepMethod()));
    }

    /**
     * Returns the backward step of {@code sequences} sequences at once, each in its own workspace, and the part of it
     * each sequence does alone: its step as {@link #backward()} writes it but {@code dh_{t-1} += W_hh^T dz}, which
     * follows once for all of them. Each sequence gets the bits of {@link #backward()}: nothing else in the step reads
     * {@code dh} after the cell has set it.
     */
    public List<MethodSpec> backwardLockstep(int sequences) {
        if (!layer.weightGradients().isDeferred()) {
            throw new IllegalStateException("a lockstep backward step adds no weight gradients: they are deferred");
        }
        String alone = layer.backwardAloneMethod();
        CodeBlock.Builder own = CodeBlock.builder();
        List<Product> products = recording(() -> backwardBody(own));
        CodeBlock.Builder b = CodeBlock.builder();
        for (int s = 0; s < sequences; s++) {
            b.addStatement("$L(w$L, t)", alone, s);
        }
        b.add("// dh_{t-1} += W_hh^T dz of each sequence, each weight vector loaded once for the $L\n", sequences);
        writeLockstep(b, products, sequences);
        return List.of(lockstepMethod(layer.backwardLockstepMethod(), sequences)
                        .addJavadoc("Layer $L, backward at step {@code t} of $L sequences at once, each in its own"
                                + " workspace: each one's\n{@link #$L}, then {@code W_hh^T dz} formed once for all.\n",
                                l, sequences, alone)
                        .addCode(b.build())
                        .build(),
                aloneMethod(alone, own, "{@link #" + layer.backwardMethod() + "}\nbut {@code dh_{t-1} += W_hh^T"
                        + " dz}.", layer.backwardLockstepMethod()));
    }

    /** Returns {@code name(ws, t)}, the part of the lockstep step {@code lockstep} each sequence does alone. */
    private MethodSpec aloneMethod(String name, CodeBlock.Builder code, String what, String lockstep) {
        return MethodSpec.methodBuilder(name)
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(int.class, "t")
                .addJavadoc("Layer $L, the part of {@link #$L} each sequence of a lockstep step does alone: $L\n", l,
                        lockstep, what)
                .addCode(code.build())
                .build();
    }

    /** Runs {@code part}, which writes code, recording its products instead of writing them, and returns them. */
    private List<Product> recording(Runnable part) {
        held = new ArrayList<>();
        declared.clear();
        try {
            part.run();
            return held;
        } finally {
            held = null;
        }
    }

    /** Writes the recorded products once for {@code sequences} workspaces, in a block of their own. */
    private void writeLockstep(CodeBlock.Builder b, List<Product> products, int sequences) {
        b.add("{\n").indent();
        java.util.Set<String> shared = new java.util.LinkedHashSet<>();
        for (Product p : products) {
            shared.add(p.columns());
            if (declared.containsKey(p.srcOffset())) {
                shared.add(p.srcOffset());
            }
        }
        for (String name : shared) {
            Local local = declared.get(name);
            if (local == null || local.buffer() != null || local.expression().contains("ws.")) {
                throw new IllegalStateException(name + " is not the same for every sequence: " + local);
            }
            b.addStatement("final $T $L = $L", local.type(), name, local.expression());
        }
        for (Product p : products) {
            VectorKernels.axpyColumnsLockstep(b, num, ofSequences(p.acc(), sequences), p.accFirst(), p.columns(),
                    ofSequences(p.src(), sequences), p.srcOffset(), p.firstColumn(), p.count(), p.first(),
                    p.length(), p.layout());
        }
        b.unindent().add("}\n");
    }

    /** Returns the buffer the local {@code local} names, in each of the workspaces {@code w0, w1, ...}. */
    private List<String> ofSequences(String local, int sequences) {
        BufferSpec buffer = declared.containsKey(local) ? declared.get(local).buffer() : null;
        if (buffer == null) {
            throw new IllegalStateException(local + " is not a workspace buffer: " + declared.get(local));
        }
        List<String> all = new ArrayList<>();
        for (int s = 0; s < sequences; s++) {
            all.add(buffer.ref("w" + s));
        }
        return all;
    }

    private static MethodSpec.Builder lockstepMethod(String name, int sequences) {
        return SequenceWriter.lockstepMethod(name, sequences).addParameter(int.class, "t");
    }

    /** Emits the forward step's locals: the packed weights, the biases, {@code h} and {@code prev}. */
    private void forwardLocals(CodeBlock.Builder b) {
        declare(b, num.weightCopy(), "wihT", layer.weightIh().packedField());
        declare(b, num.weightCopy(), "whhT", layer.weightHh().packedField());
        b.addStatement("final $L[] bih = $L", t(), layer.biasIh().valueRef());
        b.addStatement("final $L[] bhh = $L", t(), layer.biasHh().valueRef());
        local(b, "h", layer.buffers().h());
        declare(b, com.palantir.javapoet.TypeName.INT, "prev", "t * " + h);
    }

    /** Emits {@code acc[k] += (W_ih x_t)[k]}, reading the input as the layer's input mode says. */
    public void inputProjection(CodeBlock.Builder b, String acc) {
        inputProjection(b, acc, 0, gh);
    }

    /**
     * Emits {@code acc[k] += (W_ih x_t)[k]} for the gate rows {@code k} in {@code [from, to)}, reading the input as the
     * layer's input mode says.
     */
    public void inputProjection(CodeBlock.Builder b, String acc, int from, int to) {
        Rows rows = new Rows(from, to);
        switch (layer.inputMode()) {
            case DENSE, EMBEDDED, EMBEDDED_THEN_FED_BACK -> denseInputForward(b, acc, rows);
            case DENSE_FIRST, EMBEDDED_FIRST -> {
                b.beginControlFlow("if (t == 0)");
                denseInputForward(b, acc, rows);
                b.endControlFlow();
            }
            case SYMBOL -> symbolInputForward(b, acc, rows);
            case SYMBOL_FIRST -> {
                b.beginControlFlow("if (t == 0)");
                symbolInputForward(b, acc, rows);
                b.endControlFlow();
            }
            case SYMBOL_THEN_DENSE -> {
                b.beginControlFlow("if (t == 0)");
                symbolInputForward(b, acc, rows);
                b.nextControlFlow("else");
                denseInputForward(b, acc, rows);
                b.endControlFlow();
            }
            case FED_BACK_SYMBOL -> {
                b.add("// step 0 reads the zero start vector, which adds nothing\n");
                b.beginControlFlow("if (t > 0)");
                symbolInputForward(b, acc, rows, layer.source().orElseThrow(), "t");
                b.endControlFlow();
            }
            case FED_BACK_DENSE -> {
                b.add("// step 0 reads the zero start vector, which adds nothing\n");
                b.beginControlFlow("if (t > 0)");
                denseInputForward(b, acc, rows);
                b.endControlFlow();
            }
        }
    }

    /**
     * Emits {@code acc[k] += (W_hh h_{t-1})[k]} over the rows the cell's
     * {@link dev.unroll.compiler.codegen.cell.CellEmitter#recurrentRows} says.
     */
    public void recurrentProjection(CodeBlock.Builder b, String acc) {
        b.add("// W_hh h_{t-1}, the same way\n");
        product(b, acc, 0, "whhT", "h", "prev", 0, h, 0, layer.cell().recurrentRows(layer),
                num.forwardLayout(layer.weightHh()));
    }

    /**
     * Emits {@code acc[k] += (W_hh h_{t-1})[k]} for the gate rows {@code k} in {@code [from, to)}: a range of the
     * rows of a {@link dev.unroll.compiler.codegen.cell.RowSplitCell}, whose recurrent rows are all its gate rows.
     */
    public void recurrentProjection(CodeBlock.Builder b, String acc, int from, int to) {
        if (from == 0 && to == gh) {
            recurrentProjection(b, acc);
            return;
        }
        b.add("// W_hh h_{t-1}, the same way, rows $L to $L\n", from, to - 1);
        product(b, acc, from, "whhT", "h", "prev", 0, h, from, to - from, num.forwardLayout(layer.weightHh()));
    }

    /** A range of gate rows, {@code [from, to)}. */
    private record Rows(int from, int to) {}

    private void denseInputForward(CodeBlock.Builder b, String acc, Rows rows) {
        b.add("// W_ih x_t as AXPYs over columns of W_ih (rows of the packed W_ih^T): no reduction\n");
        local(b, "x", layer.source().orElseThrow());
        declare(b, com.palantir.javapoet.TypeName.INT, "xo", layer.sourceOffset());
        product(b, acc, rows.from(), "wihT", "x", "xo", 0, layer.shape().inputSize(), rows.from(),
                rows.to() - rows.from(), num.forwardLayout(layer.weightIh()));
    }

    private void symbolInputForward(CodeBlock.Builder b, String acc, Rows rows) {
        symbolInputForward(b, acc, rows, net.symbols().orElseThrow(), pass.time());
    }

    private void symbolInputForward(CodeBlock.Builder b, String acc, Rows rows, BufferSpec symbols, String time) {
        b.add("// a one-hot input selects one column of W_ih\n");
        if (num.isVector()) {
            // the column is in pieces, one in each block of rows
            BlockLayout layout = num.forwardLayout(layer.weightIh());
            b.addStatement("final int symbol = $L[$L]", symbols.ref(), time);
            for (int j = layout.blockAt(rows.from()); j < layout.blockAt(rows.to()); j++) {
                b.addStatement("final int column$L = $L + symbol * $L", j, layout.offset(j), layout.size(j));
                Kernels.beginLoop(b, "k", 0, layout.size(j));
                b.addStatement("$L[$L + k] += wihT[column$L + k]", acc, layout.start(j), j);
                Kernels.endLoop(b);
            }
            return;
        }
        b.addStatement("final $L[] symbolColumn = wihT[$L[$L]]", t(), symbols.ref(), time);
        Kernels.beginLoop(b, "k", rows.from(), rows.to());
        b.addStatement("$L[k] += symbolColumn[k]", acc);
        Kernels.endLoop(b);
    }

    // ---- backward ----------------------------------------------------------------------------

    /** Returns the backward step method. */
    public MethodSpec backward() {
        MethodSpec.Builder m = MethodSpec.methodBuilder(layer.backwardMethod())
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(int.class, "t")
                .addJavadoc("$L $L$L, backward at step {@code t}: reads {@code dL/dh_t} from {@code $L}, "
                        + "adds parameter gradients to\n{@code ws.grads}, leaves {@code dL/dh_{t-1}} in "
                        + "{@code $L} and adds {@code dL/dx_t} to $L.\n", layer.shape().decoder() ? "Decoder layer"
                        : "Layer", l,
                        layer.isReverse() ? " reverse pass (its step {@code t} is time {@code T - 1 - t})" : "",
                        layer.buffers().dh().ref(), layer.buffers().dh().ref(),
                        layer.sourceGradient().or(() -> pass.inputGradient().filter(g -> l > 0)
                                .map(LayerPlan.StepSlice::buffer)).map(g -> "{@code " + g.ref() + "}")
                                .orElse(layer.shape().decoder() ? "no one (the decoder's input is not differentiated)"
                                        : "the input gradient"));
        CodeBlock.Builder b = CodeBlock.builder();
        backwardBody(b);
        return m.addCode(b.build()).build();
    }

    /** Writes the backward step's code, its products through {@link #product}. */
    private void backwardBody(CodeBlock.Builder b) {
        if (layer.weightIh().rowCopy()) {
            b.addStatement("final $T wih = $L", num.weightCopy(), layer.weightIh().rowsField());
        }
        declare(b, num.weightCopy(), "whh", layer.weightHh().rowsField());
        b.addStatement("final $L[][] gwih = $L", t(), layer.weightIh().gradientRef());
        b.addStatement("final $L[][] gwhh = $L", t(), layer.weightHh().gradientRef());
        b.addStatement("final $L[] gbih = $L", t(), layer.biasIh().gradientRef());
        b.addStatement("final $L[] gbhh = $L", t(), layer.biasHh().gradientRef());
        local(b, "h", layer.buffers().h());
        local(b, "hp", layer.buffers().hPrev());
        local(b, "dh", layer.buffers().dh());
        local(b, "dz", layer.buffers().dz());
        b.addStatement("final int prev = t * $L", h);
        pass.outputGradient().ifPresent(g -> {
            b.add("// dL/dh_t += dL/d(the layer's output at time $L)$L, left by the layer above or the head$L\n",
                    pass.time(), g.offset() == 0 ? "" : ", its reverse half",
                    pass.outputMask().isPresent() ? ",\n// through the dropout mask of the forward pass" : "");
            b.addStatement("final $L[] dOut = $L", t(), g.buffer().ref());
            b.addStatement("final int go = $L", g.at(pass.time()));
            pass.outputMask().ifPresent(mask -> local(b, "dropMask", mask.buffer()));
            Kernels.beginLoop(b, "j", 0, h);
            if (pass.outputMask().isPresent()) {
                LayerPlan.StepSlice mask = pass.outputMask().get();
                if (mask.stride() != g.stride() || mask.offset() != g.offset()) {
                    throw new IllegalStateException("a dropout mask is laid out like the gradient it masks");
                }
                b.addStatement("dh[j] += dOut[go + j] * dropMask[go + j]");
            } else {
                b.addStatement("dh[j] += dOut[go + j]");
            }
            Kernels.endLoop(b);
        });
        layer.dropout().ifPresent(d -> d.gradient().ifPresent(g -> {
            b.add("// dL/dh_t += mask_t * dL/d(the output with dropout), which the layer above or the head left;\n"
                    + "// taken, so that the step before starts from zero\n");
            local(b, "dDropped", g);
            local(b, "dropMask", d.mask());
            b.addStatement("final int mo = t * $L", h);
            Kernels.beginLoop(b, "j", 0, h);
            b.addStatement("dh[j] += dropMask[mo + j] * dDropped[j]");
            Kernels.endLoop(b);
            b.addStatement("$T.fill(dDropped, 0)", Arrays.class);
        }));
        b.add("// the step's saved values are copied to offset 0 first, so that the elementwise loops vectorize\n");
        b.addStatement("System.arraycopy(h, prev, hp, 0, $L)", h);
        String recurrentDz = layer.cell().backward(b, this);
        if (recurrentDz.equals("dz") == layer.cell().separateHiddenGradient()) {
            throw new IllegalStateException(layer.cell().description() + ": separateHiddenGradient() disagrees with"
                    + " the gradient its backward step returns, " + recurrentDz);
        }
        int recurrentRows = layer.cell().recurrentRows(layer);
        if (layer.weightGradients().isDeferred()) {
            LayerPlan.Deferred d = layer.weightGradients().deferred().get();
            b.add("// dz_t kept for the weight gradients formed after BPTT ($L); dh_{t-1} += W_hh^T dz_h\n",
                    layer.weightGradientsMethod());
            b.addStatement("System.arraycopy(dz, 0, $L, t * $L, $L)", d.dzSteps().ref(), gh, gh);
            d.dzHiddenSteps().ifPresent(s -> b.addStatement("System.arraycopy($L, 0, $L, t * $L, $L)", recurrentDz,
                    s.ref(), gh, gh));
        } else {
            b.add("// bias gradients, then dW_hh += dz_h h_{t-1}^T and dh_{t-1} += W_hh^T dz_h, as AXPYs over rows\n");
            Kernels.beginLoop(b, "k", 0, gh);
            b.addStatement("gbih[k] += dz[k]");
            b.addStatement("gbhh[k] += $L[k]", recurrentDz);
            Kernels.endLoop(b);
            Kernels.outerProductRows(b, num, "k", recurrentRows, recurrentDz, null, "gwhh", null, "j", "hp", h);
        }
        b.add("// dh_{t-1} = W_hh^T dz_h: AXPYs over the rows of W_hh, four per pass\n");
        product(b, "dh", 0, "whh", recurrentDz, "0", 0, recurrentRows, 0, h, num.backwardLayout(layer.weightHh()));
        inputBackward(b);
    }

    /**
     * Returns the method that forms the layer's deferred weight and bias gradients after BPTT, from the {@code dz_t}
     * its backward steps kept: {@code dW_hh += sum_t dz_h,t h_{t-1}^T} (and {@code dW_ih += sum_t dz_t x_t^T} for a
     * dense input), four steps per pass over the gradient rows. {@code h} and {@code x} are laid out by time, so
     * four consecutive steps are one copy each.
     */
    public MethodSpec weightGradients() {
        LayerPlan.Deferred d = layer.weightGradients().deferred().orElseThrow();
        int steps = layer.shape().steps();
        int block = LayerPlan.Deferred.BLOCK;
        int inputSize = layer.shape().inputSize();
        CodeBlock.Builder b = CodeBlock.builder();
        b.addStatement("final $L[][] gwih = $L", t(), layer.weightIh().gradientRef());
        b.addStatement("final $L[][] gwhh = $L", t(), layer.weightHh().gradientRef());
        b.addStatement("final $L[] gbih = $L", t(), layer.biasIh().gradientRef());
        b.addStatement("final $L[] gbhh = $L", t(), layer.biasHh().gradientRef());
        local(b, "h", layer.buffers().h());
        local(b, "dzs", d.dzSteps());
        local(b, "db", d.dzBlock());
        local(b, "hb", d.hBlock());
        d.dzHiddenSteps().ifPresent(s -> local(b, "dzhs", s));
        d.dzHiddenBlock().ifPresent(s -> local(b, "dhb", s));
        if (d.inputBlock().isPresent()) {
            b.addStatement("final $L[] x = $L", t(), layer.source().orElseThrow().ref());
            local(b, "xb", d.inputBlock().get());
        }
        int whole = steps - steps % block;
        if (whole > 0) {
            b.add("// steps t to t + 3 per pass: h_{t-1} of consecutive steps is contiguous in h, as is x_t\n");
            if (whole == block) {
                b.add("{\n").indent().addStatement("final int t = 0");
            } else {
                b.beginControlFlow("for (int t = 0; t < $L; t += $L)", whole, block);
            }
            blockOfSteps(b, d, block, inputSize);
            Kernels.endLoop(b);
        }
        if (steps % block > 0) {
            b.add(steps % block == 1 ? "// the last step\n" : "// the last " + steps % block + " steps\n");
            b.add("{\n").indent().addStatement("final int t = $L", whole);
            blockOfSteps(b, d, steps % block, inputSize);
            Kernels.endLoop(b);
        }
        return MethodSpec.methodBuilder(layer.weightGradientsMethod())
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addJavadoc("$L $L's weight and bias gradients of the loaded sequence, after BPTT: adds"
                        + " {@code sum_t dz_t h_{t-1}^T} to\n{@code dW_hh}$L and {@code sum_t dz_t} to the biases;"
                        + " $L.\n", layer.shape().decoder() ? "Decoder layer" : "Layer", l,
                        d.inputBlock().isPresent() ? ", {@code sum_t dz_t x_t^T} to {@code dW_ih}" : "",
                        layer.weightGradients().reason())
                .addCode(b.build())
                .build();
    }

    /** Emits the gradients of {@code count} steps from step {@code t}: copies to offset 0, then one pass per weight. */
    private void blockOfSteps(CodeBlock.Builder b, LayerPlan.Deferred d, int count, int inputSize) {
        b.addStatement("System.arraycopy(dzs, t * $L, db, 0, $L)", gh, count * gh);
        if (d.dzHiddenSteps().isPresent()) {
            b.addStatement("System.arraycopy(dzhs, t * $L, dhb, 0, $L)", gh, count * gh);
        }
        b.addStatement("System.arraycopy(h, t * $L, hb, 0, $L)", h, count * h);
        String hidden = d.dzHiddenSteps().isPresent() ? "dhb" : "db";
        Kernels.outerProductBlock(b, num, gh, hidden, "gwhh", "gbhh", "hb", h, count);
        if (d.inputBlock().isPresent()) {
            b.addStatement("System.arraycopy(x, $L, xb, 0, $L)", layer.sourceOffset(), count * inputSize);
            Kernels.outerProductBlock(b, num, gh, "db", "gwih", "gbih", "xb", inputSize, count);
        } else {
            Kernels.blockSum(b, gh, "db", "gbih", count);
        }
    }

    /** Emits {@code dW_ih += dz x_t^T}, and {@code dx_t = W_ih^T dz} where someone needs it. */
    private void inputBackward(CodeBlock.Builder b) {
        if (l > 0 && pass.inputGradient().isPresent()) {
            b.add("// dW_ih += dz x_t^T (x_t is the output of layer $L at time $L), and its gradient += W_ih^T dz\n",
                    l - 1, pass.time());
            String step = pass.inputGradientStep().orElseThrow().ref();
            b.addStatement("$T.fill($L, 0)", Arrays.class, step);
            denseInputBackward(b, step);
            addInputGradient(b, pass.inputGradient().get());
            return;
        }
        if (l > 0) {
            b.add("// dW_ih += dz x_t^T (x_t is h_t of layer $L), and dh_t of layer $L += W_ih^T dz\n", l - 1, l - 1);
            denseInputBackward(b, layer.sourceGradient().orElseThrow().ref());
            return;
        }
        switch (layer.inputMode()) {
            case DENSE -> {
                // with feedback, dL/dx_t (t > 0) is the gradient of the output fed back: always needed
                b.beginControlFlow(net.dyFeedback().isPresent() ? "if (t > 0 || $L)" : "if ($L)",
                        net.wantInputGradient());
                denseInputBackwardToDx(b);
                b.nextControlFlow("else");
                denseInputBackward(b, null);
                b.endControlFlow();
            }
            case DENSE_FIRST -> {
                b.beginControlFlow("if (t == 0 && $L)", net.wantInputGradient());
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
            case FED_BACK_SYMBOL -> {
                b.add("// dW_ih += dz x_t^T; the input (a target, or an output fed back) gets no gradient\n");
                b.beginControlFlow("if (t > 0)");
                symbolInputBackward(b, layer.source().orElseThrow(), "t");
                b.endControlFlow();
            }
            case FED_BACK_DENSE -> {
                b.add("// dW_ih += dz x_t^T; the input (a target, or an output fed back) gets no gradient\n");
                b.beginControlFlow("if (t > 0)");
                denseInputBackward(b, null);
                b.endControlFlow();
            }
            case EMBEDDED -> embeddedInputBackward(b);
            case EMBEDDED_THEN_FED_BACK -> {
                b.add("// dL/dx_t goes to the output fed back and the table's rows (t > 0), or to dx (t = 0)\n");
                denseInputBackwardToDx(b);
            }
            case EMBEDDED_FIRST -> {
                b.beginControlFlow("if (t == 0)");
                embeddedInputBackward(b);
                b.endControlFlow();
            }
        }
    }

    /**
     * Layer 0 reading embedding rows: {@code dL/dx_t} is always formed, for the table's gradient, unless the table
     * is frozen (then there is no {@code dx}).
     */
    private void embeddedInputBackward(CodeBlock.Builder b) {
        if (net.dx().isEmpty()) {
            b.add("// the embedding is frozen: no dL/dx_t\n");
            denseInputBackward(b, null);
        } else {
            b.add("// dL/dx_t goes to dx, and from there to the rows of the embedding's gradient\n");
            denseInputBackwardToDx(b);
        }
    }

    /** Layer 0: the input gradient goes to {@code ws.dxStep}, then to its destination. */
    private void denseInputBackwardToDx(CodeBlock.Builder b) {
        b.addStatement("$T.fill($L, 0)", Arrays.class, net.dxStep().orElseThrow().ref());
        denseInputBackward(b, net.dxStep().orElseThrow().ref());
        if (pass.inputGradient().isPresent()) {
            addInputGradient(b, pass.inputGradient().get());
        } else {
            b.addStatement("routeInputGradient(ws, t)");
        }
    }

    /**
     * Adds the step's input gradient, formed at offset 0 of the local {@code dx}, to its slice at this pass's time:
     * both passes of a bidirectional layer add to the same time's gradient, in the order BPTT runs them.
     */
    private void addInputGradient(CodeBlock.Builder b, LayerPlan.StepSlice slice) {
        b.addStatement("final $L[] dIn = $L", t(), slice.buffer().ref());
        b.addStatement("final int gi = $L", slice.at(pass.time()));
        Kernels.beginLoop(b, "i", 0, layer.shape().inputSize());
        b.addStatement("dIn[gi + i] += dx[i]");
        Kernels.endLoop(b);
    }

    // ---- dropout -----------------------------------------------------------------------------

    /**
     * Returns the method that applies the layer's dropout to its output of time {@code t} (or, when only the final
     * states are masked, to them, without {@code t}): in training it draws the mask, {@code 0} or
     * {@code 1 / (1 - p)} per element from the counter-based {@code Dropout} (keyed by the spec's seed, the update,
     * the sequence's index in the batch, the layer and the element, so that the draw does not depend on which
     * thread runs which sequence), and multiplies; in inference it copies.
     */
    public MethodSpec dropout() {
        LayerPlan.Dropout d = layer.dropout().orElseThrow();
        int o = d.size();
        BufferSpec source = layer.merge().map(LayerPlan.Merge::output).orElse(layer.buffers().h());
        MethodSpec.Builder m = MethodSpec.methodBuilder(layer.dropoutMethod())
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws");
        CodeBlock.Builder b = CodeBlock.builder();
        local(b, "in", source);
        local(b, "out", d.output());
        String who = (layer.shape().decoder() ? "Decoder layer " : "Layer ") + l;
        if (d.finalOnly()) {
            m.addJavadoc("$L's dropout, $L, on its final states: during training each of the $L elements is zeroed"
                    + " with\nprobability $L and the others multiplied by {@code 1 / (1 - p)}; in inference they pass"
                    + " unchanged.\n", who, d.p(), o, d.p());
            b.addStatement("final int at = 0");
            b.addStatement("final int mo = 0");
        } else {
            m.addParameter(int.class, "t")
                    .addJavadoc("$L's dropout, $L, on its output of time {@code t}: during training each of the"
                            + " $L elements is zeroed\nwith probability $L and the others multiplied by"
                            + " {@code 1 / (1 - p)}; in inference they pass unchanged.\n", who, d.p(), o, d.p());
            b.addStatement("final int at = (t + 1) * $L", o);
            b.addStatement("final int mo = t * $L", o);
        }
        b.beginControlFlow("if (!ws.dropout)")
                .add("// inference: the output passes unchanged\n")
                .addStatement("System.arraycopy(in, at, out, at, $L)", o)
                .addStatement("return")
                .endControlFlow();
        local(b, "mask", d.mask());
        if (layer.shape().decoder()) {
            b.add("// element e = t * $L + j of this sequence's mask for key $L (layers + $L: the decoder's own masks):"
                    + " the same\n// draw on any thread\n", o, d.maskKey(), l);
        } else {
            b.add("// element e = t * $L + j of this sequence's mask for layer $L: the same draw on any thread\n", o, l);
        }
        b.addStatement("$T.mask($T.key(DROPOUT_SEED, ws.update, ws.sequence, $L), mo, $L, mask, mo, $L)",
                RuntimeTypes.DROPOUT, RuntimeTypes.DROPOUT, d.maskKey(), d.p(), o);
        Kernels.beginLoop(b, "j", 0, o);
        b.addStatement("out[at + j] = in[at + j] * mask[mo + j]");
        Kernels.endLoop(b);
        return m.addCode(b.build()).build();
    }

    // ---- merge -------------------------------------------------------------------------------

    /**
     * Returns the method that merges a bidirectional layer's two passes into its output, after both have run over
     * the sequence. The reverse pass's step {@code s} is time {@code T - 1 - s}, so {@code h_bwd} of time {@code t}
     * is at {@code (T - t) * H} of its {@code h}; the final states of both passes are at {@code T * H}. With
     * variable lengths {@code T} is the loaded sequence's own length, {@code ws.length}.
     */
    public MethodSpec merge(TimeSchedule schedule) {
        LayerPlan.Merge merge = layer.merge().orElseThrow();
        LayerPlan reverse = layer.reverse().orElseThrow();
        int steps = layer.shape().steps();
        boolean variable = schedule.variableLength();
        String length = schedule.length();
        int o = merge.size();
        CodeBlock.Builder b = CodeBlock.builder();
        local(b, "hf", layer.buffers().h());
        local(b, "hb", reverse.buffers().h());
        local(b, "out", merge.output());
        String what = merge.sum() ? "h_fwd + h_bwd" : "[h_fwd; h_bwd]";
        if (merge.finalOnly()) {
            b.add("// $L of the final states: the forward pass after time $L, the reverse pass after time 0\n", what,
                    variable ? "L - 1 (the sequence's own last step)" : String.valueOf(steps - 1));
            String last = String.valueOf(steps * h);
            if (variable) {
                b.addStatement("final int last = $L * $L", length, h);
                last = "last";
            }
            if (merge.sum()) {
                Kernels.beginLoop(b, "j", 0, h);
                b.addStatement("out[j] = hf[$L + j] + hb[$L + j]", last, last);
                Kernels.endLoop(b);
            } else {
                b.addStatement("System.arraycopy(hf, $L, out, 0, $L)", last, h);
                b.addStatement("System.arraycopy(hb, $L, out, $L, $L)", last, h, h);
            }
        } else {
            b.add("// the output of time t is $L, h_bwd of time t being the reverse pass's step $L - 1 - t\n", what,
                    variable ? "L" : "T");
            if (merge.sum()) {
                local(b, "fs", layer.buffers().hStep());
                local(b, "bs", reverse.buffers().hStep());
            }
            if (variable) {
                b.beginControlFlow("for (int t = 0; t < $L; t++)", length);
            } else {
                Kernels.beginLoop(b, "t", 0, steps);
            }
            if (merge.sum()) {
                b.addStatement("System.arraycopy(hf, (t + 1) * $L, fs, 0, $L)", h, h);
                b.addStatement("System.arraycopy(hb, ($L - t) * $L, bs, 0, $L)", length, h, h);
                Kernels.beginLoop(b, "j", 0, h);
                b.addStatement("fs[j] += bs[j]");
                Kernels.endLoop(b);
                b.addStatement("System.arraycopy(fs, 0, out, (t + 1) * $L, $L)", o, h);
            } else {
                b.addStatement("System.arraycopy(hf, (t + 1) * $L, out, (t + 1) * $L, $L)", h, o, h);
                b.addStatement("System.arraycopy(hb, ($L - t) * $L, out, (t + 1) * $L + $L, $L)", length, h, o, h, h);
            }
            Kernels.endLoop(b);
        }
        return MethodSpec.methodBuilder(layer.mergeMethod())
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addJavadoc(merge.finalOnly()
                        ? "Layer $L's output for the head: {@code $L} of the two passes' final states, as PyTorch's"
                                + " {@code h_n} (bidirectional $L).\n"
                        : "Layer $L's output at every step: {@code $L} (bidirectional $L).\n", l, what,
                        merge.sum() ? "sum" : "concat")
                .addCode(b.build())
                .build();
    }

    private void denseInputBackward(CodeBlock.Builder b, String dx) {
        int inputSize = layer.shape().inputSize();
        boolean deferred = layer.weightGradients().deferred().flatMap(LayerPlan.Deferred::inputBlock).isPresent();
        if (deferred && dx == null) {
            b.add("// dW_ih += dz x_t^T is formed after BPTT, from the dz_t kept above\n");
            return;
        }
        if (!deferred) {
            local(b, "xs", layer.buffers().inStep().orElseThrow());
            b.addStatement("System.arraycopy($L, $L, xs, 0, $L)", layer.source().orElseThrow().ref(),
                    layer.sourceOffset(), inputSize);
        }
        if (dx != null) {
            b.addStatement("final $L[] dx = $L", t(), dx);
        }
        if (!deferred) {
            Kernels.outerProductRows(b, num, "k", gh, "dz", null, "gwih", null, "i", "xs", inputSize);
        }
        if (dx != null) {
            b.add("// dx_t = W_ih^T dz: AXPYs over the rows of W_ih, four per pass\n");
            Kernels.axpyColumns(b, num, "dx", "wih", "dz", "0", gh, inputSize,
                    num.backwardLayout(layer.weightIh()));
        }
    }

    private void symbolInputBackward(CodeBlock.Builder b) {
        symbolInputBackward(b, net.symbols().orElseThrow(), pass.time());
    }

    private void symbolInputBackward(CodeBlock.Builder b, BufferSpec symbols, String time) {
        b.addStatement("final int symbol = $L[$L]", symbols.ref(), time);
        Kernels.beginLoop(b, "k", 0, gh);
        b.addStatement("gwih[k][symbol] += dz[k]");
        Kernels.endLoop(b);
    }
}
