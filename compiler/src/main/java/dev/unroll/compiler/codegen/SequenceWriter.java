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
 * calls: what wraps a layer over time (direction, masking, windows) belongs here, never in a cell.
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
    }

    private MethodSpec forward() {
        int steps = schedule.steps();
        int inputSize = plan.input().size();
        int outputSize = plan.output().size();
        CodeBlock.Builder b = CodeBlock.builder();
        Kernels.beginLoop(b, "t", 0, steps);
        if (schedule.feedback()) {
            b.beginControlFlow("if (t > 0)")
                    .add("// feedback: the previous output is this step's input\n")
                    .addStatement("System.arraycopy($L, (t - 1) * $L, $L, t * $L, $L)", net.y().ref(), outputSize,
                            net.x().orElseThrow().ref(), inputSize, inputSize)
                    .endControlFlow();
        }
        for (LayerPlan layer : plan.layers()) {
            b.addStatement("$L(ws, t)", layer.forwardMethod());
        }
        if (schedule.everyStep()) {
            b.addStatement("headForward(ws, t, t)");
        }
        Kernels.endLoop(b);
        if (!schedule.everyStep()) {
            b.addStatement("headForward(ws, $L, 0)", steps - 1);
        }
        return MethodSpec.methodBuilder("forwardSequence")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addJavadoc("Runs every layer over the sequence loaded in {@code ws}, then the head at each output step.\n")
                .addCode(b.build())
                .build();
    }

    private MethodSpec forwardLayerByLayer() {
        int steps = schedule.steps();
        CodeBlock.Builder b = CodeBlock.builder();
        for (LayerPlan layer : plan.layers()) {
            for (LayerPlan pass : layer.passes()) {
                if (pass.isReverse()) {
                    b.add("// layer $L's reverse pass: its step t reads time $L - t\n", layer.index(), steps - 1);
                }
                Kernels.beginLoop(b, "t", 0, steps);
                b.addStatement("$L(ws, t)", pass.forwardMethod());
                Kernels.endLoop(b);
            }
            if (layer.merge().isPresent()) {
                b.addStatement("$L(ws)", layer.mergeMethod());
            }
        }
        if (schedule.everyStep()) {
            Kernels.beginLoop(b, "t", 0, steps);
            b.addStatement("headForward(ws, t, t)");
            Kernels.endLoop(b);
        } else {
            b.addStatement("headForward(ws, $L, 0)", steps - 1);
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
        int steps = schedule.steps();
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
        net.dx().ifPresent(dx -> b.beginControlFlow("if ($L)", net.wantInputGradient())
                .add("// layer 0's passes add dL/dx_t to dx, step by step\n")
                .addStatement("$T.fill($L, 0)", Arrays.class, dx.ref())
                .endControlFlow());
        String dHead = net.headInputGradient().orElseThrow().ref();
        LayerPlan top = plan.top();
        int f = plan.head().inputSize();
        if (schedule.everyStep()) {
            b.add("// the head at every output, its input gradient kept per step for the top layer's passes\n");
            Kernels.beginLoop(b, "t", 0, steps);
            b.addStatement("$T.fill($L, 0)", Arrays.class, dHead);
            b.addStatement("headBackward(ws, t, t)");
            b.addStatement("System.arraycopy($L, 0, $L, t * $L, $L)", dHead, top.pass().outputGradient().orElseThrow()
                    .buffer().ref(), f, f);
            Kernels.endLoop(b);
        } else {
            b.add("// the head at the last step: its input gradient starts each of the top layer's passes, whose\n"
                    + "// BPTT begins where the head read it\n");
            b.addStatement("$T.fill($L, 0)", Arrays.class, dHead);
            b.addStatement("headBackward(ws, $L, 0)", steps - 1);
            for (LayerPlan pass : top.passes()) {
                int from = pass.isReverse() && !top.merge().orElseThrow().sum() ? top.hiddenSize() : 0;
                b.addStatement("System.arraycopy($L, $L, $L, 0, $L)", dHead, from, pass.buffers().dh().ref(),
                        top.hiddenSize());
            }
        }
        List<LayerPlan> layers = plan.layers();
        for (int i = layers.size() - 1; i >= 0; i--) {
            for (LayerPlan pass : layers.get(i).passes()) {
                if (steps == 1) {
                    b.add("{\n").indent().addStatement("final int t = 0");
                } else {
                    b.beginControlFlow("for (int t = $L; t >= 0; t--)", steps - 1);
                }
                b.addStatement("$L(ws, t)", pass.backwardMethod());
                b.unindent().add("}\n");
            }
        }
        return MethodSpec.methodBuilder("backwardSequence")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addJavadoc("Backpropagation through time over the loaded sequence, after {@link #forwardSequence} and\n"
                        + "{@link #sequenceLoss}, layer by layer from the top: adds every parameter's gradient to its"
                        + " {@code grad} array.\n")
                .addCode(b.build())
                .build();
    }

    /** Returns {@code sequenceLoss}: the summed loss of the loaded sequence's outputs. */
    MethodSpec loss() {
        CodeBlock.Builder b = CodeBlock.builder().addStatement("double loss = 0");
        Kernels.beginLoop(b, "s", 0, schedule.outputSteps());
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
        int steps = schedule.steps();
        CodeBlock.Builder b = CodeBlock.builder();
        for (LayerPlan layer : plan.layers()) {
            for (BufferSpec carried : layer.carriedGradients()) {
                b.addStatement("$T.fill($L, 0)", Arrays.class, carried.ref());
            }
        }
        net.dyFeedback().ifPresent(d -> b.addStatement("$T.fill($L, 0)", Arrays.class, d.ref()));
        if (steps == 1) {
            b.add("{\n").indent().addStatement("final int t = 0");
        } else {
            b.beginControlFlow("for (int t = $L; t >= 0; t--)", steps - 1);
        }
        if (schedule.everyStep()) {
            b.addStatement("headBackward(ws, t, t)");
        } else if (steps == 1) {
            b.addStatement("headBackward(ws, t, 0)");
        } else {
            b.beginControlFlow("if (t == $L)", steps - 1).addStatement("headBackward(ws, t, 0)").endControlFlow();
        }
        List<LayerPlan> layers = plan.layers();
        for (int i = layers.size() - 1; i >= 0; i--) {
            b.addStatement("$L(ws, t)", layers.get(i).backwardMethod());
        }
        b.unindent().add("}\n");
        return MethodSpec.methodBuilder("backwardSequence")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addJavadoc("Backpropagation through time over the loaded sequence, after {@link #forwardSequence} and\n"
                        + "{@link #sequenceLoss}: adds every parameter's gradient to its {@code grad} array.\n")
                .addCode(b.build())
                .build();
    }

    /** Returns {@code routeInputGradient}: where layer 0 sends {@code dL/dx_t}. */
    MethodSpec routeInputGradient() {
        int inputSize = plan.input().size();
        String dxStep = net.dxStep().orElseThrow().ref();
        MethodSpec.Builder route = MethodSpec.methodBuilder("routeInputGradient")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(int.class, "t")
                .addJavadoc("Sends {@code dL/dx_t} (in {@code $L}) where it belongs: to the output fed back"
                        + " as {@code x_t}, or to the input gradient.\n", dxStep);
        net.dyFeedback().ifPresent(dy -> route.beginControlFlow("if (t > 0)")
                .addStatement("System.arraycopy($L, 0, $L, 0, $L)", dxStep, dy.ref(), inputSize)
                .addStatement("return")
                .endControlFlow());
        net.dx().ifPresent(dx -> route.addStatement("System.arraycopy($L, 0, $L, t * $L, $L)", dxStep, dx.ref(),
                inputSize, inputSize));
        return route.build();
    }
}
