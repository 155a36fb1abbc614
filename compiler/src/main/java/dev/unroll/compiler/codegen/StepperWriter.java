package dev.unroll.compiler.codegen;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterizedTypeName;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import com.palantir.javapoet.WildcardTypeName;
import dev.unroll.compiler.plan.BufferSpec;
import dev.unroll.compiler.plan.LayerPlan;
import dev.unroll.compiler.plan.ModelPlan;
import dev.unroll.compiler.plan.NetworkBuffers;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * Writes the nested {@code Stepper}: the network one step at a time with explicit state, for
 * inference over an endless stream. Its state is every layer's {@link LayerPlan#state()}, read from
 * the plan, so a cell with more state (an LSTM's {@code c}) needs nothing here.
 */
final class StepperWriter {
    private final ModelPlan plan;
    private final Num num;
    private final NetworkBuffers net;
    /** Whether a layer's step is large enough for a two-thread stepper to cut it. */
    private final boolean cut;

    StepperWriter(ModelPlan plan, Num num) {
        this.plan = plan;
        this.num = num;
        this.net = plan.network();
        this.cut = twoThreadLayers().findAny().isPresent();
    }

    void addTo(TypeSpec.Builder model) {
        if (plan.layerByLayer()) {
            model.addMethod(MethodSpec.methodBuilder("newStepper")
                    .addAnnotation(Override.class)
                    .addModifiers(Modifier.PUBLIC)
                    .returns(ParameterizedTypeName.get(RuntimeTypes.SEQUENCE_STEPPER, WildcardTypeName.subtypeOf(
                            Object.class), WildcardTypeName.subtypeOf(Object.class)))
                    .addJavadoc("Not available: a bidirectional layer's output at step {@code t} depends on every later"
                            + " input, so\nthere is no step-by-step form over an endless stream. Use {@code forward}"
                            + " over whole sequences.\n\n@throws UnsupportedOperationException always\n")
                    .addStatement("throw new $T($S)", UnsupportedOperationException.class, plan.model().name()
                            + " has a bidirectional layer, whose output at each step depends on the steps after it: it"
                            + " cannot run one step at a time. Use forward(...) over whole sequences of "
                            + plan.schedule().steps() + " steps instead.")
                    .build());
            return;
        }
        model.addMethod(MethodSpec.methodBuilder("newStepper")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .returns(RuntimeTypes.STEPPER)
                .addJavadoc("Returns a stepper that runs this model one step at a time from a zero state, on the"
                        + " caller's thread.\n")
                .addStatement(cut ? "return new Stepper(false)" : "return new Stepper()")
                .build());
        MethodSpec.Builder parallel = MethodSpec.methodBuilder("newParallelStepper")
                .addModifiers(Modifier.PUBLIC)
                .returns(RuntimeTypes.STEPPER);
        if (cut) {
            parallel.addJavadoc("Returns a stepper that runs this model one step at a time from a zero state, with a"
                            + " second thread of its own\nthat forms half of each large layer's pre-activations"
                            + " ($L) while the caller's thread forms\nthe other half: the same outputs to the bit,"
                            + " in less time per step on a machine with a free core.\nThe thread waits for the next"
                            + " step by spinning for 50 microseconds, then sleeps; {@link Stepper#close()}\nends"
                            + " it. When the second thread has not been scheduled by the time the caller's half is"
                            + " done,\nthe caller computes the other half too: a busy machine costs the step its"
                            + " second core, not a wait.\n", String.join(", ", twoThreadLayers().map(l -> "layer " + l.index()).toList()))
                    .addStatement("return new Stepper(true)");
        } else {
            parallel.addJavadoc("Returns {@link #newStepper()}: no layer of this model has a step large enough to pay"
                            + " for a second thread\n(at least $L multiply-adds, {@code G * H * (I + H)}), so the"
                            + " stepper runs on the caller's thread alone.\n", LayerPlan.TWO_THREAD_MIN_MULTIPLY_ADDS)
                    .addStatement("return newStepper()");
        }
        model.addMethod(parallel.build());
        model.addType(stepper());
    }

    /** The layers whose step a two-thread stepper cuts in two. */
    private java.util.stream.Stream<LayerPlan> twoThreadLayers() {
        return plan.layers().stream().filter(l -> l.twoThreadCut().isPresent());
    }

    private TypeSpec stepper() {
        int outputSize = plan.output().size();
        boolean symbol = plan.symbolInput();
        TypeName input = symbol ? TypeName.INT.box() : num.array(1);
        TypeSpec.Builder type = TypeSpec.classBuilder("Stepper")
                .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
                .addSuperinterface(ParameterizedTypeName.get(RuntimeTypes.SEQUENCE_STEPPER, input, num.array(1)))
                .addJavadoc("Runs the network one step at a time with explicit state, for inference over an endless"
                        + " stream:\n<pre>{@code\n$L.Stepper stepper = model.newStepper();\n"
                        + "for (...) {\n    $L[] y = stepper.step(x);\n}\n}</pre>\n"
                        + "Each step runs every layer once from the state the previous step left, then the head. A"
                        + " stepper\nowns its state: use one per stream and per thread. {@link #reset()} starts a"
                        + " new stream.\n", plan.model().name(), num.keyword())
                .addField(FieldSpec.builder(RuntimeTypes.WORKSPACE, "ws", Modifier.PRIVATE, Modifier.FINAL)
                        .addJavadoc("One step of every buffer: the state ($L) and the step's scratch.\n",
                                String.join(", ", plan.layers().stream().flatMap(l -> l.state().stream())
                                        .map(b -> "{@code " + b.name() + "}").toList()))
                        .initializer("new Workspace(true)").build())
                .addSuperinterface(AutoCloseable.class);
        MethodSpec.Builder close = MethodSpec.methodBuilder("close")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC);
        if (cut) {
            type.addField(FieldSpec.builder(RuntimeTypes.STEP_PARTNER_HALF, "half", Modifier.PRIVATE, Modifier.FINAL)
                    .addJavadoc("{@link #secondHalf}, held here: the partner holds it weakly, so that a stepper dropped"
                            + " without {@link #close()}\ndoes not keep its thread.\n")
                    .initializer("this::secondHalf").build());
            type.addField(FieldSpec.builder(RuntimeTypes.STEP_PARTNER, "partner", Modifier.PRIVATE, Modifier.FINAL)
                    .addJavadoc("The second thread of a two-thread stepper, or null.\n").build());
            type.addMethod(MethodSpec.constructorBuilder().addModifiers(Modifier.PRIVATE)
                    .addParameter(boolean.class, "twoThreads")
                    .addStatement("this.partner = twoThreads ? new $T(this, half, $S) : null",
                            RuntimeTypes.STEP_PARTNER, plan.model().name() + " stepper")
                    .build());
            CodeBlock.Builder cases = CodeBlock.builder().beginControlFlow("switch (layer)");
            twoThreadLayers().forEach(l -> cases.addStatement("case $L -> $L(ws, 0)", l.index(),
                    l.preActivationsMethod(l.twoThreadCut().getAsInt(), l.gateRows())));
            cases.addStatement("default -> throw new $T($S + layer)", IllegalStateException.class,
                    "no two-thread half for layer ");
            cases.endControlFlow();
            type.addMethod(MethodSpec.methodBuilder("secondHalf")
                    .addModifiers(Modifier.PRIVATE)
                    .addParameter(int.class, "layer")
                    .addJavadoc("The second thread's half of a layer's step: its pre-activations from the cut on.\n")
                    .addCode(cases.build())
                    .build());
            close.addJavadoc("Ends this stepper's second thread, if it has one (a {@code newParallelStepper()}), which"
                            + " cannot step after it.\nIdempotent.\n")
                    .beginControlFlow("if (partner != null)")
                    .addStatement("partner.close()")
                    .endControlFlow();
        } else {
            type.addMethod(MethodSpec.constructorBuilder().addModifiers(Modifier.PRIVATE).build());
            close.addJavadoc("Does nothing: this stepper runs on the caller's thread and holds nothing to release.\n");
        }
        type.addMethod(close.build());
        String stateNames = String.join(", ", plan.layers().stream().flatMap(l -> l.state().stream())
                .map(b -> "{@code " + b.name() + "}").toList());
        MethodSpec.Builder reset = MethodSpec.methodBuilder("reset")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .addJavadoc("Sets the state ($L) back to zero.\n", stateNames);
        for (LayerPlan layer : plan.layers()) {
            for (BufferSpec state : layer.state()) {
                reset.addStatement("$T.fill($L, 0, $L, 0)", Arrays.class, state.ref(), layer.hiddenSize());
            }
        }
        type.addMethod(reset.build());
        String inputName = symbol ? "symbol" : "x";
        TypeName inputParam = symbol ? TypeName.INT : num.array(1);
        MethodSpec.Builder step = MethodSpec.methodBuilder("step")
                .addModifiers(Modifier.PUBLIC)
                .addParameter(inputParam, inputName)
                .returns(num.array(1))
                .addJavadoc("Feeds one input, advances the state by one step, and returns this step's output"
                        + " {@code y[o]}\nin a new array.\n\n@throws IllegalArgumentException if the input has the"
                        + " wrong size or is not finite\n")
                .addStatement("advance($L)", inputName)
                .addStatement("return $T.copyOf($L, $L)", Arrays.class, net.y().ref(), outputSize);
        if (!symbol) {
            step.addAnnotation(Override.class);
        }
        type.addMethod(step.build());
        if (symbol) {
            type.addMethod(MethodSpec.methodBuilder("step")
                    .addAnnotation(Override.class)
                    .addModifiers(Modifier.PUBLIC)
                    .addParameter(TypeName.INT.box(), inputName)
                    .returns(num.array(1))
                    .addJavadoc("Like {@link #step(int)}, for generic code that holds the stepper as a"
                            + " {@code SequenceStepper}.\n")
                    .addStatement("$T.notNull($L, $S)", RuntimeTypes.CHECKS, inputName, inputName)
                    .addStatement("return step($L.intValue())", inputName)
                    .build());
        }
        type.addMethod(MethodSpec.methodBuilder("step")
                .addModifiers(Modifier.PUBLIC)
                .addParameter(inputParam, inputName)
                .addParameter(num.array(1), "y")
                .returns(num.array(1))
                .addJavadoc("Like {@link #step($T)}, but writes the output into {@code y} and returns it: a step that"
                        + " allocates\nnothing.\n\n@throws IllegalArgumentException if the input or {@code y} has"
                        + " the wrong size, or the input is not\nfinite; the state is then left unchanged\n",
                        inputParam)
                .addStatement("$T.buffer(y, $L, $S)", RuntimeTypes.CHECKS, outputSize, "y")
                .addStatement("advance($L)", inputName)
                .addStatement("System.arraycopy($L, 0, y, 0, $L)", net.y().ref(), outputSize)
                .addStatement("return y")
                .build());
        MethodSpec.Builder advance = MethodSpec.methodBuilder("advance")
                .addModifiers(Modifier.PRIVATE)
                .addJavadoc("Checks the input, runs one step and leaves its output in {@code $L}.\n", net.y().ref());
        int inputSize = plan.input().size();
        if (symbol) {
            advance.addParameter(int.class, "symbol")
                    .addStatement("$T.symbol(symbol, $L, $S)", RuntimeTypes.CHECKS, inputSize, "symbol")
                    .addStatement("$L[0] = symbol", net.symbols().orElseThrow().ref());
            plan.embedding().ifPresent(e -> advance.addStatement("System.arraycopy($L, symbol * $L, $L, 0, $L)",
                    e.table().valueRef(), e.width(), net.x().orElseThrow().ref(), e.width()));
        } else {
            advance.addParameter(num.array(1), "x")
                    .addStatement("$T.vector(x, $L, $S, $S)", RuntimeTypes.CHECKS, inputSize, "x", "the input size")
                    .addStatement("System.arraycopy(x, 0, $L, 0, $L)", net.x().orElseThrow().ref(), inputSize);
        }
        advance.addStatement("syncPackedWeights()");
        for (LayerPlan layer : plan.layers()) {
            if (layer.twoThreadCut().isPresent()) {
                int at = layer.twoThreadCut().getAsInt();
                advance.beginControlFlow("if (partner != null)")
                        .addComment("rows $L to $L on the second thread (or here, if it has not taken them when rows 0"
                                + " to $L are done), then the rest here", at, layer.gateRows() - 1, at - 1)
                        .addStatement("partner.start($L)", layer.index())
                        .addStatement("$L(ws, 0)", layer.preActivationsMethod(0, at))
                        .addStatement("partner.finish()")
                        .addStatement("$L(ws, 0)", layer.activateMethod())
                        .nextControlFlow("else")
                        .addStatement("$L(ws, 0)", layer.forwardMethod())
                        .endControlFlow();
            } else {
                advance.addStatement("$L(ws, 0)", layer.forwardMethod());
            }
            if (layer.dropout().isPresent()) {
                advance.addStatement("$L(ws, 0)", layer.dropoutMethod());
            }
        }
        advance.addStatement("headForward(ws, 0, 0)");
        advance.addComment("the state after this step becomes the state before the next");
        for (LayerPlan layer : plan.layers()) {
            for (BufferSpec state : layer.state()) {
                advance.addStatement("System.arraycopy($L, $L, $L, 0, $L)", state.ref(), layer.hiddenSize(),
                        state.ref(), layer.hiddenSize());
            }
        }
        type.addMethod(advance.build());
        addStateTransfer(type);
        return type.build();
    }

    /** {@code stateNames}, {@code exportState} and {@code importState}, over every layer's state vectors. */
    private void addStateTransfer(TypeSpec.Builder type) {
        List<String> names = new ArrayList<>();
        List<String> sizes = new ArrayList<>();
        CodeBlock.Builder export = CodeBlock.builder();
        CodeBlock.Builder restore = CodeBlock.builder();
        for (LayerPlan layer : plan.layers()) {
            for (BufferSpec state : layer.state()) {
                int v = names.size();
                names.add(state.name());
                sizes.add(Integer.toString(layer.hiddenSize()));
                if (v > 0) {
                    export.add(",$W");
                }
                export.add("$T.export($L, $L)", RuntimeTypes.STEPPER_STATES, state.ref(), layer.hiddenSize());
                restore.addStatement("$T.restore(state[$L], $L)", RuntimeTypes.STEPPER_STATES, v, state.ref());
            }
        }
        String quoted = String.join(", ", names.stream().map(n -> '"' + n + '"').toList());
        type.addField(FieldSpec.builder(ParameterizedTypeName.get(List.class, String.class), "STATE_NAMES",
                        Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                .addJavadoc("The state vectors, by layer from the input: {@code h}, and {@code c} for an LSTM.\n")
                .initializer("$T.of($L)", List.class, quoted)
                .build());
        type.addField(FieldSpec.builder(int[].class, "STATE_SIZES", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                .addJavadoc("The size of each state vector.\n")
                .initializer("{$L}", String.join(", ", sizes))
                .build());
        type.addMethod(MethodSpec.methodBuilder("stateNames")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .returns(ParameterizedTypeName.get(List.class, String.class))
                .addJavadoc("Returns the names of the state vectors: $L.\n", String.join(", ", names))
                .addStatement("return STATE_NAMES")
                .build());
        type.addMethod(MethodSpec.methodBuilder("exportState")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .returns(double[][].class)
                .addJavadoc("Returns a copy of the state ($L), to keep per stream and restore with\n"
                        + "{@link #importState}.\n", String.join(", ", names))
                .addStatement("return new double[][] {$L}", export.build())
                .build());
        type.addMethod(MethodSpec.methodBuilder("importState")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .addParameter(double[][].class, "state")
                .addJavadoc("Replaces the state with one {@link #exportState} gave; the next step continues from it"
                        + " bit for bit.\n\n@throws IllegalArgumentException if a vector is missing, has the wrong"
                        + " size or a non-finite value;\nthe state is then unchanged\n")
                .addStatement("$T.check(state, STATE_NAMES, STATE_SIZES, $L)", RuntimeTypes.STEPPER_STATES,
                        num.isFloat())
                .addCode(restore.build())
                .build());
    }
}
