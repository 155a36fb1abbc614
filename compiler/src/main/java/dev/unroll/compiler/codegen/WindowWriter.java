package dev.unroll.compiler.codegen;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import dev.unroll.compiler.plan.BufferSpec;
import dev.unroll.compiler.plan.LayerPlan;
import dev.unroll.compiler.plan.ModelPlan;
import dev.unroll.compiler.plan.NetworkBuffers;
import dev.unroll.compiler.plan.TimeSchedule;
import javax.lang.model.element.Modifier;

/**
 * Writes truncated BPTT's training loop ({@code truncated_bptt W}): the sequence is cut into windows
 * of {@code W} steps, and each window is one optimizer update, as the PyTorch loop
 *
 * <pre>
 * h = zeros
 * for chunk in range(0, T, W):
 *     y, h = rnn(x[chunk:chunk + W], h)      # the state carried from the window before
 *     loss = criterion(head(y), target[chunk:chunk + W])   # mean over the window's outputs
 *     opt.zero_grad(); loss.backward(); clip(); opt.step()
 *     h = h.detach()                         # gradients stop at the window's first step
 * </pre>
 *
 * <p>does it: each sequence of the batch carries its state (every layer's {@code h}, an LSTM's
 * {@code c}, the fed-back output) from one window to the next, computed with the weights of the
 * window it was computed in; a window's gradient is that of its own mean loss over every sequence,
 * back-propagated to its first step only. A window with no scored output (before the last, in
 * {@code many_to_one}) runs forwards only and makes no update.
 *
 * <p>With {@code variable_length}, {@code trainWindows} takes the batch's lengths: the windows are cut over
 * the padded length, a sequence runs (and carries its state) through its own real steps only, and a window's
 * loss is the mean over the outputs it scores: the real steps in it ({@code many_to_many}), or the sequences
 * whose last real step is in it ({@code many_to_one}).
 *
 * <p>The methods are the same steps as {@link SequenceWriter}'s over a range of steps, and the saving
 * and restoring of each sequence's state between windows. What is not truncated BPTT (the
 * forward pass, the loss, {@code computeGradients}) stays in the other writers.
 */
final class WindowWriter {
    private static final ClassName NON_FINITE_EXCEPTION = ClassName.get("dev.unroll.runtime", "NonFiniteException");

    private final ModelPlan plan;
    private final SequenceWriter sequences;
    private final TimeSchedule schedule;
    private final NetworkBuffers net;
    private final Num num;
    private final TypeName batchInput;
    private final TypeName batchTarget;

    WindowWriter(ModelPlan plan, SequenceWriter sequences, Num num, TypeName batchInput, TypeName batchTarget) {
        this.plan = plan;
        this.sequences = sequences;
        this.schedule = plan.schedule();
        this.net = plan.network();
        this.num = num;
        this.batchInput = batchInput;
        this.batchTarget = batchTarget;
    }

    void addTo(TypeSpec.Builder type) {
        type.addMethod(trainWindows());
        type.addMethod(forwardSteps());
        type.addMethod(windowLoss());
        type.addMethod(backwardSteps());
        type.addMethod(carryState(true));
        type.addMethod(carryState(false));
    }

    /** The values carried per sequence from window to window: every layer's state, then the fed-back output. */
    private int carriedSize() {
        int size = 0;
        for (LayerPlan layer : plan.layers()) {
            size += layer.state().size() * layer.hiddenSize();
        }
        return size + (schedule.feedback() ? plan.output().size() : 0);
    }

    private MethodSpec trainWindows() {
        if (schedule.variableLength()) {
            return variableLengthTrainWindows();
        }
        int steps = schedule.steps();
        int outputSize = plan.output().size();
        // PyTorch's 'mean' over the window: CE averages over sequences and outputs, BCE and MSE over every element
        String perOutput = plan.head().symbolTargets() ? "" : " * " + outputSize;
        MethodSpec.Builder m = MethodSpec.methodBuilder("trainWindows")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(batchInput, "xs")
                .addParameter(batchTarget, "targets")
                .returns(double.class)
                .addJavadoc("Truncated BPTT over a batch: one update per window of {@link #BPTT_WINDOW} steps, each"
                        + " sequence's state carried\nfrom window to window. Returns the mean of the windows' losses,"
                        + " each measured before its update.\n")
                .addStatement("final Workspace ws = trainingWorkspace")
                .addCode(ApiWriter.batchChecks())
                .addComment("every sequence is checked before any is computed, so a bad one changes nothing")
                .addCode(ApiWriter.sequenceChecks())
                .addComment("each sequence's state after the window before: h (and c) of every layer$L",
                        schedule.feedback() ? ", the fed-back output" : "")
                .addStatement("final $L[][] carried = new $L[xs.length][$L]", num.keyword(), num.keyword(),
                        carriedSize())
                .addStatement("double lossSum = 0")
                .addStatement("int updates = 0")
                .beginControlFlow("for (int from = 0; from < STEPS; from += BPTT_WINDOW)")
                .addStatement("final int to = Math.min(from + BPTT_WINDOW, STEPS)");
        if (schedule.everyStep()) {
            m.addStatement("final boolean scored = true")
                    .addStatement("final double scale = 1.0 / ((double) xs.length * (to - from)$L)", perOutput);
        } else {
            m.addComment("only the last window holds the output: the others carry the state forwards")
                    .addStatement("final boolean scored = to == STEPS")
                    .addStatement("final double scale = 1.0 / ((double) xs.length$L)", perOutput);
        }
        m.addStatement("syncPackedWeights()")
                .beginControlFlow("if (scored)")
                .addStatement("ws.zeroGradients()")
                .endControlFlow();
        if (plan.hasDropout()) {
            m.addComment("each window is an update of its own: its masks are keyed by its update count")
                    .addStatement("ws.dropout = true")
                    .addStatement("ws.update = optimizer.stepCount()");
        }
        m
                .addStatement("double loss = 0")
                .beginControlFlow("for (int b = 0; b < xs.length; b++)");
        if (plan.hasDropout()) {
            m.addStatement("ws.sequence = b");
        }
        m.addStatement("loadInput(ws, xs[b])")
                .addStatement("loadTarget(ws, targets[b])")
                .beginControlFlow("if (from > 0)")
                .addStatement("restoreState(ws, carried[b], from)")
                .endControlFlow()
                .addStatement("forwardSteps(ws, from, to)")
                .beginControlFlow("if (scored)")
                .addStatement("loss += windowLoss(ws, from, to, scale)")
                .addStatement("backwardSteps(ws, from, to)")
                .endControlFlow()
                .beginControlFlow("if (to < STEPS)")
                .addStatement("saveState(ws, carried[b], to)")
                .endControlFlow()
                .endControlFlow();
        return updateFromWindow(m);
    }

    /**
     * {@code trainWindows} over a padded batch ({@code variable_length}): windows of {@code W} steps over the padded
     * length, each sequence running and carrying its state through its own real steps only. A window's loss is
     * PyTorch's {@code 'mean'} over the outputs it scores: the real steps in it of every sequence
     * ({@code many_to_many}), or the sequences whose last real step is in it ({@code many_to_one}); a window that
     * scores nothing makes no update.
     */
    private MethodSpec variableLengthTrainWindows() {
        int outputSize = plan.output().size();
        boolean sequenceTarget = plan.target().sequence();
        MethodSpec.Builder m = MethodSpec.methodBuilder("trainWindows")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(batchInput, "xs")
                .addParameter(batchTarget, "targets")
                .addParameter(int[].class, "lengths")
                .returns(double.class)
                .addJavadoc("Truncated BPTT over a batch padded to {@code STEPS}, sequence {@code b} having {@code"
                        + " lengths[b]} real steps\n(all of them when {@code lengths} is null): one update per window of"
                        + " {@link #BPTT_WINDOW} steps that scores an\noutput, each sequence's state carried from window"
                        + " to window through its own real steps only. Returns the\nmean of the windows' losses, each"
                        + " measured before its update.\n")
                .addStatement("final Workspace ws = trainingWorkspace")
                .addCode(ApiWriter.batchChecks())
                .beginControlFlow("if (lengths != null)")
                .addStatement("$T.lengths(lengths, xs.length, STEPS, $S)", RuntimeTypes.CHECKS, "lengths")
                .endControlFlow()
                .addComment("every sequence is checked before any is computed, so a bad one changes nothing")
                .beginControlFlow("for (int b = 0; b < xs.length; b++)")
                .addStatement("final int length = lengths == null ? STEPS : lengths[b]")
                .addStatement("checkInput(xs[b], $T.element($S, b), length)", RuntimeTypes.CHECKS, "xs")
                .addStatement(sequenceTarget ? "checkTarget(targets[b], $T.element($S, b), length)"
                        : "checkTarget(targets[b], $T.element($S, b))", RuntimeTypes.CHECKS, "targets")
                .endControlFlow()
                .addComment("each sequence's state after its last real step so far: h (and c) of every layer")
                .addStatement("final $L[][] carried = new $L[xs.length][$L]", num.keyword(), num.keyword(),
                        carriedSize())
                .addStatement("double lossSum = 0")
                .addStatement("int updates = 0")
                .beginControlFlow("for (int from = 0; from < STEPS; from += BPTT_WINDOW)")
                .addStatement("final int to = Math.min(from + BPTT_WINDOW, STEPS)");
        if (schedule.everyStep()) {
            m.addComment("the window's outputs: the real steps in it of every sequence");
        } else {
            m.addComment("the window's outputs: the sequences whose last real step is in it");
        }
        m.addStatement("long outputs = 0")
                .beginControlFlow("for (int b = 0; b < xs.length; b++)")
                .addStatement("final int length = lengths == null ? STEPS : lengths[b]");
        if (schedule.everyStep()) {
            m.addStatement("outputs += Math.max(0, Math.min(to, length) - from)");
        } else {
            m.addStatement("outputs += length > from && length <= to ? 1 : 0");
        }
        m.endControlFlow()
                .addStatement("final boolean scored = outputs > 0")
                .addComment("PyTorch's 'mean' over the window's outputs: CE over them, BCE and MSE over their elements")
                .addCode(plan.head().symbolTargets() ? CodeBlock.of("final double scale = scored ? 1.0 / outputs : 0;\n")
                        : CodeBlock.of("final double scale = scored ? 1.0 / ((double) outputs * $L) : 0;\n", outputSize))
                .addStatement("syncPackedWeights()")
                .beginControlFlow("if (scored)")
                .addStatement("ws.zeroGradients()")
                .endControlFlow();
        if (plan.hasDropout()) {
            m.addComment("each window is an update of its own: its masks are keyed by its update count")
                    .addStatement("ws.dropout = true")
                    .addStatement("ws.update = optimizer.stepCount()");
        }
        m.addStatement("double loss = 0")
                .beginControlFlow("for (int b = 0; b < xs.length; b++)")
                .addStatement("ws.$L = lengths == null ? STEPS : lengths[b]", TimeSchedule.LENGTH)
                .beginControlFlow("if (from >= ws.$L)", TimeSchedule.LENGTH)
                .addComment("no real step in this window: the sequence's state stays where its last step left it")
                .addStatement("continue")
                .endControlFlow()
                .addStatement("final int end = Math.min(to, ws.$L)", TimeSchedule.LENGTH);
        if (plan.hasDropout()) {
            m.addStatement("ws.sequence = b");
        }
        m.addStatement("loadInput(ws, xs[b], ws.$L)", TimeSchedule.LENGTH)
                .addStatement(sequenceTarget ? "loadTarget(ws, targets[b], ws.length)" : "loadTarget(ws, targets[b])")
                .beginControlFlow("if (from > 0)")
                .addStatement("restoreState(ws, carried[b], from)")
                .endControlFlow()
                .addStatement("forwardSteps(ws, from, end)");
        if (schedule.everyStep()) {
            m.addStatement("loss += windowLoss(ws, from, end, scale)")
                    .addStatement("backwardSteps(ws, from, end)");
        } else {
            m.beginControlFlow("if (end == ws.$L)", TimeSchedule.LENGTH)
                    .addComment("the window holds this sequence's output; the others' add nothing to its gradient")
                    .addStatement("loss += windowLoss(ws, from, end, scale)")
                    .addStatement("backwardSteps(ws, from, end)")
                    .endControlFlow();
        }
        m.beginControlFlow("if (end < ws.$L)", TimeSchedule.LENGTH)
                .addStatement("saveState(ws, carried[b], end)")
                .endControlFlow()
                .endControlFlow();
        return updateFromWindow(m);
    }

    /**
     * Ends a window loop's body and the method, the same for fixed and variable lengths: a window that scored no
     * output makes no update; otherwise its loss is scaled, checked, and its gradients clipped and applied.
     */
    private static MethodSpec updateFromWindow(MethodSpec.Builder m) {
        m.beginControlFlow("if (!scored)")
                .addStatement("continue")
                .endControlFlow()
                .addStatement("loss *= scale")
                .beginControlFlow("if (!Double.isFinite(loss))")
                .addStatement("throw new $T($S + loss + $S + from + $S + to + $S + optimizer.stepCount()$W+ $S)",
                        NON_FINITE_EXCEPTION, "loss is ", " in the window of steps ", " to ", " at update ",
                        "; this window made no update (the windows before it did)")
                .endControlFlow()
                .addStatement("storeGradients(ws.grads)")
                .addComment("one pass: a finite sum of squares proves every gradient finite; else it throws")
                .addStatement("lastGradientNorm = clipping.checkFiniteAndClip(parameters)")
                .addStatement("optimizer.stepWithoutGradientCheck(parameters, schedule)")
                .addStatement("lossSum += loss")
                .addStatement("updates++")
                .endControlFlow();
        return m.addStatement("return lossSum / updates").build();
    }

    private MethodSpec forwardSteps() {
        CodeBlock.Builder b = CodeBlock.builder();
        sequences.lookUpEmbedding(b, "from", "to");
        b.beginControlFlow("for (int t = from; t < to; t++)");
        sequences.forwardStep(b);
        b.endControlFlow();
        if (!schedule.everyStep()) {
            b.beginControlFlow("if (to == $L)", lastStepEnd())
                    .addStatement("headForward(ws, $L, 0)", schedule.lastStep())
                    .endControlFlow();
        }
        return MethodSpec.methodBuilder("forwardSteps")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(int.class, "from")
                .addParameter(int.class, "to")
                .addJavadoc("Runs steps {@code from} to {@code to - 1} of the loaded sequence, from the state before"
                        + " step {@code from}\n(restored by {@link #restoreState}), and the head where it scores.\n")
                .addCode(b.build())
                .build();
    }

    private MethodSpec windowLoss() {
        CodeBlock.Builder b = CodeBlock.builder();
        if (schedule.everyStep()) {
            b.addStatement("double loss = 0")
                    .beginControlFlow("for (int s = from; s < to; s++)")
                    .addStatement("loss += lossAt(ws, s, scale)")
                    .endControlFlow()
                    .addStatement("return loss");
        } else {
            b.addStatement("return to == $L ? lossAt(ws, 0, scale) : 0", lastStepEnd());
        }
        return MethodSpec.methodBuilder("windowLoss")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(int.class, "from")
                .addParameter(int.class, "to")
                .addParameter(double.class, "scale")
                .returns(double.class)
                .addJavadoc("Returns the summed loss of the outputs of steps {@code from} to {@code to - 1} and leaves"
                        + " {@code scale * dL/dlogits}\nin {@code $L}.\n", net.dLogits().ref())
                .addCode(b.build())
                .build();
    }

    private MethodSpec backwardSteps() {
        CodeBlock.Builder b = CodeBlock.builder();
        b.add("// nothing flows in from later windows, and nothing flows back past 'from' (h.detach())\n");
        sequences.zeroCarriedGradients(b);
        b.beginControlFlow("for (int t = to - 1; t >= from; t--)");
        sequences.backwardStep(b);
        b.endControlFlow();
        sequences.embeddingBackward(b, "from", "to");
        return MethodSpec.methodBuilder("backwardSteps")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(int.class, "from")
                .addParameter(int.class, "to")
                .addJavadoc("BPTT over steps {@code to - 1} down to {@code from}, after {@link #forwardSteps} and"
                        + " {@link #windowLoss}: adds\nevery parameter's gradient to its {@code grad} array.\n")
                .addCode(b.build())
                .build();
    }

    /** {@code saveState} (workspace to {@code carried}) or {@code restoreState} (back) of the state before step t. */
    private MethodSpec carryState(boolean save) {
        CodeBlock.Builder b = CodeBlock.builder();
        int offset = 0;
        for (LayerPlan layer : plan.layers()) {
            int h = layer.hiddenSize();
            for (BufferSpec state : layer.state()) {
                // states are laid out by step, the state before step t at t * H
                copy(b, save, state.ref(), "t * " + h, offset, h);
                offset += h;
            }
        }
        if (schedule.feedback()) {
            int o = plan.output().size();
            b.add("// the output of step t - 1, step t's input\n");
            copy(b, save, net.y().ref(), "(t - 1) * " + o, offset, o);
        }
        return MethodSpec.methodBuilder(save ? "saveState" : "restoreState")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(num.array(1), "carried")
                .addParameter(int.class, "t")
                .addJavadoc(save ? "Copies the loaded sequence's state before step {@code t} into {@code carried}.\n"
                        : "Puts a state {@link #saveState} kept back where step {@code t} reads it.\n")
                .addCode(b.build())
                .build();
    }

    /** The end of the window that holds the loaded sequence's output: its length, or all the steps. */
    private String lastStepEnd() {
        return schedule.variableLength() ? "ws." + TimeSchedule.LENGTH : "STEPS";
    }

    private static void copy(CodeBlock.Builder b, boolean save, String buffer, String at, int offset, int length) {
        if (save) {
            b.addStatement("System.arraycopy($L, $L, carried, $L, $L)", buffer, at, offset, length);
        } else {
            b.addStatement("System.arraycopy(carried, $L, $L, $L, $L)", offset, buffer, at, length);
        }
    }
}
