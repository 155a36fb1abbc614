package dev.unroll.compiler.codegen;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeSpec;
import dev.unroll.compiler.plan.BufferSpec;
import dev.unroll.compiler.plan.LayerPlan;
import dev.unroll.compiler.plan.ModelPlan;
import dev.unroll.compiler.plan.NetworkBuffers;
import dev.unroll.compiler.plan.TimeSchedule;
import java.util.Arrays;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * Writes the loops over time of one sequence: the forward pass (every layer at each step, then the
 * head where the schedule scores), the summed loss, backpropagation through time (the head and the
 * layers in reverse, step by step), and where the input gradient of each step goes. Layer steps are
 * calls: what wraps a layer over time (direction, masking, dropout, windows) belongs here, never in a cell.
 * A layer with dropout is followed, at each step, by its dropout method, which writes the output the
 * layer above or the head reads.
 *
 * <p>A network with a bidirectional layer runs layer by layer instead ({@link ModelPlan#layerByLayer()}):
 * each layer's passes over the whole sequence (the reverse pass's step {@code t} reads time
 * {@code T - 1 - t}), then the merge of its two passes, then the next layer, then the head; BPTT
 * runs the head at every output first, then each layer from the top, each pass from its last step
 * back to its first. Gradients between layers go through each layer's output gradient per step.
 */
final class SequenceWriter {
    private final ModelPlan plan;
    private final TimeSchedule schedule;
    private final NetworkBuffers net;

    SequenceWriter(ModelPlan plan) {
        this.plan = plan;
        this.schedule = plan.schedule();
        this.net = plan.network();
    }

    void addTo(TypeSpec.Builder type) {
        type.addMethod(plan.layerByLayer() ? forwardLayerByLayer() : forward());
        type.addMethod(loss());
        type.addMethod(plan.layerByLayer() ? backwardLayerByLayer() : backward());
        if (net.dxStep().isPresent() && !plan.layerByLayer()) {
            type.addMethod(routeInputGradient());
        }
        if (plan.lockstep() > 1) {
            type.addMethod(forwardLockstep());
            type.addMethod(backwardLockstep());
        }
    }

    /** The embedding's lookup of steps {@code from} to {@code to - 1}, first in the forward pass. */
    void lookUpEmbedding(CodeBlock.Builder b, String from, String to) {
        if (plan.embedding().isPresent()) {
            b.addStatement("$L(ws, $L, $L)", EmbeddingWriter.LOOK_UP, from, to);
        }
    }

    /** The embedding's gradient from {@code dx} of steps {@code from} to {@code to - 1}, last in BPTT. */
    void embeddingBackward(CodeBlock.Builder b, String from, String to) {
        if (plan.embedding().isPresent() && !plan.embedding().get().frozen()) {
            b.addStatement("$L(ws, $L, $L)", EmbeddingWriter.BACKWARD, from, to);
        }
    }

    /** The end of the loaded sequence's symbols: one for a single input, else its length or all the steps. */
    private String symbolsEnd() {
        return !plan.input().sequence() ? "1" : schedule.variableLength() ? schedule.length() : "STEPS";
    }

    private MethodSpec forward() {
        CodeBlock.Builder b = CodeBlock.builder();
        lookUpEmbedding(b, "0", symbolsEnd());
        beginTimeLoop(b);
        forwardStep(b);
        Kernels.endLoop(b);
        if (!schedule.everyStep()) {
            b.addStatement("headForward(ws, $L, 0)", schedule.lastStep());
        }
        return MethodSpec.methodBuilder("forwardSequence")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addJavadoc("Runs every layer over the sequence loaded in {@code ws}, then the head at each output step.\n"
                        + (schedule.variableLength() ? "Steps past the sequence's own length, {@code ws.length}, do"
                                + " not run.\n" : ""))
                .addCode(b.build())
                .build();
    }

    /** Step {@code t} of the forward pass, the body of a loop over {@code t}: every layer, then the head if it scores. */
    void forwardStep(CodeBlock.Builder b) {
        int inputSize = plan.input().size();
        int outputSize = plan.output().size();
        if (schedule.feedback() && plan.embedding().isPresent()) {
            b.beginControlFlow("if (t > 0)")
                    .add("// feedback: the table's rows weighted by the previous output are this step's input\n")
                    .addStatement("$L(ws, t)", EmbeddingWriter.FEED_BACK)
                    .endControlFlow();
        } else if (schedule.feedback()) {
            b.beginControlFlow("if (t > 0)")
                    .add("// feedback: the previous output is this step's input\n")
                    .addStatement("System.arraycopy($L, (t - 1) * $L, $L, t * $L, $L)", net.y().ref(), outputSize,
                            net.x().orElseThrow().ref(), inputSize, inputSize)
                    .endControlFlow();
        }
        for (LayerPlan layer : plan.layers()) {
            b.addStatement("$L(ws, t)", layer.forwardMethod());
            if (layer.dropout().isPresent()) {
                b.addStatement("$L(ws, t)", layer.dropoutMethod());
            }
        }
        if (schedule.everyStep()) {
            b.addStatement("headForward(ws, t, t)");
        }
    }

    /** Zeroes the gradients BPTT carries from step to step, before it starts (or where truncated BPTT cuts it). */
    void zeroCarriedGradients(CodeBlock.Builder b) {
        for (LayerPlan layer : plan.layers()) {
            for (BufferSpec carried : layer.carriedGradients()) {
                b.addStatement("$T.fill($L, 0)", Arrays.class, carried.ref());
            }
            layer.dropout().flatMap(LayerPlan.Dropout::gradient).ifPresent(g -> b.addStatement("$T.fill($L, 0)",
                    Arrays.class, g.ref()));
        }
        net.dyFeedback().ifPresent(d -> b.addStatement("$T.fill($L, 0)", Arrays.class, d.ref()));
    }

    /** Step {@code t} of BPTT, the body of a loop over {@code t} downwards: the head where it scored, then the layers. */
    void backwardStep(CodeBlock.Builder b) {
        headBackwardStep(b, "ws");
        List<LayerPlan> layers = plan.layers();
        for (int i = layers.size() - 1; i >= 0; i--) {
            b.addStatement("$L(ws, t)", layers.get(i).backwardMethod());
        }
    }

    /** The head's part of BPTT step {@code t} in the workspace {@code ws}: where the head scored. */
    private void headBackwardStep(CodeBlock.Builder b, String ws) {
        int steps = schedule.steps();
        if (schedule.everyStep()) {
            b.addStatement("headBackward($L, t, t)", ws);
        } else if (steps == 1 && !schedule.variableLength()) {
            b.addStatement("headBackward($L, t, 0)", ws);
        } else {
            b.beginControlFlow("if (t == $L)", schedule.lastStep()).addStatement("headBackward($L, t, 0)", ws)
                    .endControlFlow();
        }
    }

    /** The name of the forward pass of {@link ModelPlan#lockstep()} sequences at once. */
    static final String FORWARD_LOCKSTEP = "forwardSequencesLockstep";

    /** The name of BPTT of {@link ModelPlan#lockstep()} sequences at once. */
    static final String BACKWARD_LOCKSTEP = "backwardSequencesLockstep";

    /**
     * Returns the forward pass of {@link ModelPlan#lockstep()} sequences at once, each loaded in its own workspace:
     * at each step every layer's lockstep step, then the head of each sequence where the schedule scores. Each
     * sequence's values are those {@code forwardSequence} gives it.
     */
    private MethodSpec forwardLockstep() {
        int n = plan.lockstep();
        CodeBlock.Builder b = CodeBlock.builder();
        beginTimeLoop(b);
        for (LayerPlan layer : plan.layers()) {
            b.addStatement("$L($L, t)", layer.forwardLockstepMethod(), workspaces(n));
        }
        if (schedule.everyStep()) {
            for (int s = 0; s < n; s++) {
                b.addStatement("headForward(w$L, t, t)", s);
            }
        }
        Kernels.endLoop(b);
        if (!schedule.everyStep()) {
            for (int s = 0; s < n; s++) {
                b.addStatement("headForward(w$L, $L, 0)", s, schedule.lastStep());
            }
        }
        return lockstepMethod(FORWARD_LOCKSTEP, n)
                .addJavadoc("Runs every layer over the $L sequences loaded in {@code w0} to {@code w$L} at once, step"
                        + " by step, then the head\nat each output step: each sequence's values are those"
                        + " {@link #forwardSequence} gives it.\n", n, n - 1)
                .addCode(b.build())
                .build();
    }

    /**
     * Returns BPTT of {@link ModelPlan#lockstep()} sequences at once: the head of each where it scored, then every
     * layer's lockstep step, from the last step down; then each sequence's weight gradients, in order, as
     * {@code backwardSequence} adds them.
     */
    private MethodSpec backwardLockstep() {
        int n = plan.lockstep();
        CodeBlock.Builder b = CodeBlock.builder();
        for (int s = 0; s < n; s++) {
            b.add("{\n").indent().addStatement("final $T ws = w$L", RuntimeTypes.WORKSPACE, s);
            zeroCarriedGradients(b);
            b.unindent().add("}\n");
        }
        beginBackwardLoop(b);
        for (int s = 0; s < n; s++) {
            headBackwardStep(b, "w" + s);
        }
        List<LayerPlan> layers = plan.layers();
        for (int i = layers.size() - 1; i >= 0; i--) {
            b.addStatement("$L($L, t)", layers.get(i).backwardLockstepMethod(), workspaces(n));
        }
        b.unindent().add("}\n");
        b.add("// each sequence's weight gradients, whole and in order: the sums of one sequence at a time\n");
        for (int s = 0; s < n; s++) {
            for (LayerPlan layer : layers) {
                b.addStatement("$L(w$L)", layer.weightGradientsMethod(), s);
            }
        }
        return lockstepMethod(BACKWARD_LOCKSTEP, n)
                .addJavadoc("Backpropagation through time over the $L sequences loaded in {@code w0} to {@code w$L}"
                        + " at once, after\n{@link #$L} and each one's {@link #sequenceLoss}: adds every parameter's"
                        + " gradient to the\n{@code grad} arrays the workspaces share.\n", n, n - 1, FORWARD_LOCKSTEP)
                .addCode(b.build())
                .build();
    }

    private static String workspaces(int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            s.append(i == 0 ? "" : ", ").append('w').append(i);
        }
        return s.toString();
    }

    /** Returns a private method {@code name(w0, ..., w(n-1))} over the workspaces of {@code n} sequences. */
    static MethodSpec.Builder lockstepMethod(String name, int n) {
        MethodSpec.Builder m = MethodSpec.methodBuilder(name).addModifiers(Modifier.PRIVATE);
        for (int s = 0; s < n; s++) {
            m.addParameter(RuntimeTypes.WORKSPACE, "w" + s);
        }
        return m;
    }

    private MethodSpec forwardLayerByLayer() {
        int steps = schedule.steps();
        CodeBlock.Builder b = CodeBlock.builder();
        lookUpEmbedding(b, "0", symbolsEnd());
        for (LayerPlan layer : plan.layers()) {
            for (LayerPlan pass : layer.passes()) {
                if (pass.isReverse()) {
                    b.add("// layer $L's reverse pass: its step t reads time $L - t\n", layer.index(),
                            schedule.variableLength() ? "ws.length - 1" : String.valueOf(steps - 1));
                }
                beginTimeLoop(b);
                b.addStatement("$L(ws, t)", pass.forwardMethod());
                Kernels.endLoop(b);
            }
            if (layer.merge().isPresent()) {
                b.addStatement("$L(ws)", layer.mergeMethod());
            }
            layer.dropout().ifPresent(d -> {
                if (d.finalOnly()) {
                    b.addStatement("$L(ws)", layer.dropoutMethod());
                } else {
                    beginTimeLoop(b);
                    b.addStatement("$L(ws, t)", layer.dropoutMethod());
                    Kernels.endLoop(b);
                }
            });
        }
        if (schedule.everyStep()) {
            beginTimeLoop(b);
            b.addStatement("headForward(ws, t, t)");
            Kernels.endLoop(b);
        } else {
            b.addStatement("headForward(ws, $L, 0)", schedule.lastStep());
        }
        return MethodSpec.methodBuilder("forwardSequence")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addJavadoc("Runs the layers one after the other over the whole sequence loaded in {@code ws} (a\n"
                        + "bidirectional layer's output at step {@code t} depends on every later input), then the head"
                        + " at each\noutput step.\n")
                .addCode(b.build())
                .build();
    }

    private MethodSpec backwardLayerByLayer() {
        CodeBlock.Builder b = CodeBlock.builder();
        for (LayerPlan layer : plan.layers()) {
            for (LayerPlan pass : layer.passes()) {
                for (BufferSpec carried : pass.carriedGradients()) {
                    b.addStatement("$T.fill($L, 0)", Arrays.class, carried.ref());
                }
            }
            layer.pass().outputGradient().ifPresent(g -> b.addStatement("$T.fill($L, 0)", Arrays.class,
                    g.buffer().ref()));
        }
        if (plan.embedding().isPresent()) {
            net.dx().ifPresent(dx -> b.add("// layer 0's passes add dL/dx_t to dx, step by step, for the embedding\n")
                    .addStatement("$T.fill($L, 0)", Arrays.class, dx.ref()));
        } else {
            net.dx().ifPresent(dx -> b.beginControlFlow("if ($L)", net.wantInputGradient())
                    .add("// layer 0's passes add dL/dx_t to dx, step by step\n")
                    .addStatement("$T.fill($L, 0)", Arrays.class, dx.ref())
                    .endControlFlow());
        }
        String dHead = net.headInputGradient().orElseThrow().ref();
        LayerPlan top = plan.top();
        int f = plan.head().inputSize();
        if (schedule.everyStep()) {
            b.add("// the head at every output, its input gradient kept per step for the top layer's passes\n");
            beginTimeLoop(b);
            b.addStatement("$T.fill($L, 0)", Arrays.class, dHead);
            b.addStatement("headBackward(ws, t, t)");
            b.addStatement("System.arraycopy($L, 0, $L, t * $L, $L)", dHead, top.pass().outputGradient().orElseThrow()
                    .buffer().ref(), f, f);
            Kernels.endLoop(b);
        } else {
            b.add("// the head at the last step: its input gradient starts each of the top layer's passes, whose\n"
                    + "// BPTT begins where the head read it\n");
            b.addStatement("$T.fill($L, 0)", Arrays.class, dHead);
            b.addStatement("headBackward(ws, $L, 0)", schedule.lastStep());
            for (LayerPlan pass : top.passes()) {
                int from = pass.isReverse() && !top.merge().orElseThrow().sum() ? top.hiddenSize() : 0;
                if (top.dropout().isPresent()) {
                    // the head read the output with dropout: the gradient reaches the pass through the same mask
                    LayerPlan.Dropout d = top.dropout().get();
                    // the mask of the final states, or of the last step the head read
                    String mo = d.finalOnly() ? plusJ(from) : schedule.variableLength()
                            ? "(" + schedule.lastStep() + ") * " + d.size() + " + " + plusJ(from)
                            : plusJ((schedule.steps() - 1) * d.size() + from);
                    Kernels.beginLoop(b, "j", 0, top.hiddenSize());
                    b.addStatement("$L[j] = $L[$L] * $L[$L]", pass.buffers().dh().ref(), dHead, plusJ(from),
                            d.mask().ref(), mo);
                    Kernels.endLoop(b);
                } else {
                    b.addStatement("System.arraycopy($L, $L, $L, 0, $L)", dHead, from, pass.buffers().dh().ref(),
                            top.hiddenSize());
                }
            }
        }
        List<LayerPlan> layers = plan.layers();
        for (int i = layers.size() - 1; i >= 0; i--) {
            for (LayerPlan pass : layers.get(i).passes()) {
                beginBackwardLoop(b);
                b.addStatement("$L(ws, t)", pass.backwardMethod());
                b.unindent().add("}\n");
            }
        }
        embeddingBackward(b, "0", symbolsEnd());
        return MethodSpec.methodBuilder("backwardSequence")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addJavadoc("Backpropagation through time over the loaded sequence, after {@link #forwardSequence} and\n"
                        + "{@link #sequenceLoss}, layer by layer from the top: adds every parameter's gradient to its"
                        + " {@code grad} array.\n")
                .addCode(b.build())
                .build();
    }

    /** Returns {@code offset + j}, or {@code j} for offset 0. */
    private static String plusJ(int offset) {
        return offset == 0 ? "j" : offset + " + j";
    }

    /** Returns {@code sequenceLoss}: the summed loss of the loaded sequence's outputs. */
    MethodSpec loss() {
        CodeBlock.Builder b = CodeBlock.builder().addStatement("double loss = 0");
        if (schedule.variableLength() && schedule.everyStep()) {
            b.add("// the real steps only: outputs past the sequence's length are not scored\n");
            b.beginControlFlow("for (int s = 0; s < $L; s++)", schedule.length());
        } else {
            Kernels.beginLoop(b, "s", 0, schedule.outputSteps());
        }
        b.addStatement("loss += lossAt(ws, s, scale)");
        Kernels.endLoop(b);
        return MethodSpec.methodBuilder("sequenceLoss")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(double.class, "scale")
                .returns(double.class)
                .addJavadoc("Returns the summed loss of the loaded sequence and leaves {@code scale * dL/dlogits} in"
                        + " {@code $L}.\n", net.dLogits().ref())
                .addCode(b.addStatement("return loss").build())
                .build();
    }

    private MethodSpec backward() {
        CodeBlock.Builder b = CodeBlock.builder();
        zeroCarriedGradients(b);
        beginBackwardLoop(b);
        backwardStep(b);
        if (schedule.truncated()) {
            b.beginControlFlow("if (t % BPTT_WINDOW == 0)")
                    .add("// truncated BPTT: nothing flows back past the first step of a window (h.detach())\n");
            zeroCarriedGradients(b);
            b.endControlFlow();
        }
        b.unindent().add("}\n");
        for (LayerPlan layer : plan.layers()) {
            if (layer.weightGradients().isDeferred()) {
                b.addStatement("$L(ws)", layer.weightGradientsMethod());
            }
        }
        embeddingBackward(b, "0", symbolsEnd());
        return MethodSpec.methodBuilder("backwardSequence")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addJavadoc("Backpropagation through time over the loaded sequence, after {@link #forwardSequence} and\n"
                        + "{@link #sequenceLoss}: adds every parameter's gradient to its {@code grad} array$L.\n",
                        schedule.truncated() ? ", stopping at\nthe first step of every window of truncated BPTT" : "")
                .addCode(b.build())
                .build();
    }

    /**
     * Opens the loop over the loaded sequence's steps, {@code t} from 0: to the constant {@code steps}, or, with
     * variable lengths, to {@code ws.length}, so that padded steps cost nothing. Close with {@link Kernels#endLoop}.
     */
    private void beginTimeLoop(CodeBlock.Builder b) {
        if (schedule.variableLength()) {
            b.beginControlFlow("for (int t = 0; t < $L; t++)", schedule.length());
        } else {
            Kernels.beginLoop(b, "t", 0, schedule.steps());
        }
    }

    /** Opens the loop of BPTT, {@code t} from the loaded sequence's last step down to 0. */
    private void beginBackwardLoop(CodeBlock.Builder b) {
        if (schedule.variableLength()) {
            b.beginControlFlow("for (int t = $L; t >= 0; t--)", schedule.lastStep());
        } else if (schedule.steps() == 1) {
            b.add("{\n").indent().addStatement("final int t = 0");
        } else {
            b.beginControlFlow("for (int t = $L; t >= 0; t--)", schedule.steps() - 1);
        }
    }

    /** Returns {@code routeInputGradient}: where layer 0 sends {@code dL/dx_t}. */
    MethodSpec routeInputGradient() {
        int inputSize = plan.featureSize();
        String dxStep = net.dxStep().orElseThrow().ref();
        MethodSpec.Builder route = MethodSpec.methodBuilder("routeInputGradient")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(int.class, "t")
                .addJavadoc("Sends {@code dL/dx_t} (in {@code $L}) where it belongs: to the output fed back"
                        + " as {@code x_t}, or to the input gradient.\n", dxStep);
        if (net.dyFeedback().isPresent() && plan.embedding().isPresent()) {
            route.beginControlFlow("if (t > 0)")
                    .addStatement("$L(ws, t)", EmbeddingWriter.FEED_BACK_BACKWARD)
                    .addStatement("return")
                    .endControlFlow();
            net.dx().ifPresent(dx -> route.addStatement("System.arraycopy($L, 0, $L, 0, $L)", dxStep, dx.ref(),
                    inputSize));
            return route.build();
        }
        net.dyFeedback().ifPresent(dy -> route.beginControlFlow("if (t > 0)")
                .addStatement("System.arraycopy($L, 0, $L, 0, $L)", dxStep, dy.ref(), inputSize)
                .addStatement("return")
                .endControlFlow());
        net.dx().ifPresent(dx -> route.addStatement("System.arraycopy($L, 0, $L, t * $L, $L)", dxStep, dx.ref(),
                inputSize, inputSize));
        return route.build();
    }
}
