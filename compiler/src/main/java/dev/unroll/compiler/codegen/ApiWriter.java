package dev.unroll.compiler.codegen;

import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import dev.unroll.compiler.plan.BufferSpec;
import dev.unroll.compiler.plan.ModelPlan;
import dev.unroll.compiler.plan.NetworkBuffers;
import dev.unroll.compiler.plan.TimeSchedule;
import dev.unroll.compiler.plan.ValueShape;
import java.util.Arrays;
import javax.lang.model.element.Modifier;

/**
 * Writes the public API over batches (forward, loss, gradients) with its argument checks, and the
 * private batch driver: every sequence of a batch is checked before any is computed, then the batch
 * runs one sequence at a time, split over two threads when it is large enough.
 *
 * <p>Shapes follow the plan's {@link ValueShape}s: a sequence input is {@code x[t][i]} (or
 * {@code int[t]} symbols for one-hot input), a single input {@code x[i]} (or one {@code int});
 * outputs are {@code y[t][o]} for one_to_many and many_to_many, {@code y[o]} otherwise. Batched
 * methods take one more leading dimension.
 */
final class ApiWriter {
    private final ModelPlan plan;
    private final Num num;
    private final NetworkBuffers net;
    private final boolean dense;
    /** Whether sequences have their own lengths ({@code variable_length}): every method below then takes them. */
    private final boolean variable;
    /**
     * Whether a {@code variable_length} encoder-decoder's targets have their own lengths too ({@code targetLengths}),
     * which the batch driver takes beside the inputs' ({@code inputLengths}).
     */
    private final boolean targetLengths;

    ApiWriter(ModelPlan plan, Num num) {
        this.plan = plan;
        this.num = num;
        this.net = plan.network();
        this.dense = !plan.symbolInput();
        this.variable = plan.schedule().variableLength();
        this.targetLengths = variable && plan.decoder().isPresent();
    }

    /** Returns the Java type of one value of the given shape: {@code int}, {@code int[]}, {@code float[][]}... */
    static TypeName type(ValueShape shape, Num num) {
        TypeName type = shape.symbolic() ? TypeName.INT : num.type();
        for (int i = 0; i < shape.rank(); i++) {
            type = ArrayTypeName.of(type);
        }
        return type;
    }

    TypeName inputType() {
        return type(plan.input(), num);
    }

    TypeName targetType() {
        return type(plan.target(), num);
    }

    TypeName outputType() {
        return type(plan.output(), num);
    }

    void addTo(TypeSpec.Builder type) {
        type.addMethod(check("checkInput", plan.input(), "x", "Checks one sequence's input: sizes, symbol ranges,"
                + " finite values."));
        type.addMethod(load("loadInput", plan.input(), "x", dense ? net.x().orElseThrow() : net.symbols().orElseThrow(),
                "Copies one checked sequence's input into the workspace."));
        type.addMethod(check("checkTarget", plan.target(), "target", "Checks one sequence's target: sizes, class"
                + " ranges, finite values."));
        type.addMethod(load("loadTarget", plan.target(), "target", plan.target().symbolic()
                        ? net.targetSymbols().orElseThrow() : net.targets().orElseThrow(),
                "Copies one checked sequence's target into the workspace."));
        type.addMethod(copyOutput());
        addForward(type);
        addLossAndGradients(type);
        type.addMethod(runMethod());
        type.addMethod(runSequencesMethod());
    }

    // ---- one value in and out ----------------------------------------------------------------

    private MethodSpec check(String name, ValueShape shape, String variable, String doc) {
        MethodSpec.Builder m = MethodSpec.methodBuilder(name)
                .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                .addParameter(type(shape, num), variable)
                .addParameter(String.class, "name")
                .addJavadoc("$L\n", doc);
        if (this.variable && shape.sequence()) {
            m.addParameter(int.class, "length");
            if (shape.symbolic()) {
                m.addStatement("$T.symbols($L, $L, length, $L, name)", RuntimeTypes.CHECKS, variable, shape.steps(),
                        shape.size());
            } else {
                m.addStatement("$T.sequence($L, $L, length, $L, name, $S)", RuntimeTypes.CHECKS, variable,
                        shape.steps(), shape.size(), shape.sizeName());
            }
        } else if (shape.symbolic() && shape.sequence()) {
            m.addStatement("$T.symbols($L, $L, $L, name)", RuntimeTypes.CHECKS, variable, shape.steps(), shape.size());
        } else if (shape.symbolic()) {
            m.addStatement("$T.symbol($L, $L, name)", RuntimeTypes.CHECKS, variable, shape.size());
        } else if (shape.sequence()) {
            m.addStatement("$T.sequence($L, $L, $L, name, $S)", RuntimeTypes.CHECKS, variable, shape.steps(),
                    shape.size(), shape.sizeName());
        } else {
            m.addStatement("$T.vector($L, $L, name, $S)", RuntimeTypes.CHECKS, variable, shape.size(), shape.sizeName());
        }
        return m.build();
    }

    private MethodSpec load(String name, ValueShape shape, String variable, BufferSpec into, String doc) {
        MethodSpec.Builder m = MethodSpec.methodBuilder(name)
                .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(type(shape, num), variable)
                .addJavadoc("$L\n", doc);
        if (this.variable && shape.sequence()) {
            m.addParameter(int.class, "length");
            if (shape.symbolic()) {
                m.addStatement("System.arraycopy($L, 0, $L, 0, length)", variable, into.ref());
            } else {
                m.addCode(CodeBlock.builder()
                        .add("// the real steps only: padding is never read\n")
                        .beginControlFlow("for (int t = 0; t < length; t++)")
                        .addStatement("System.arraycopy($L[t], 0, $L, t * $L, $L)", variable, into.ref(), shape.size(),
                                shape.size())
                        .endControlFlow()
                        .build());
            }
        } else if (shape.symbolic() && shape.sequence()) {
            m.addStatement("System.arraycopy($L, 0, $L, 0, $L)", variable, into.ref(), shape.steps());
        } else if (shape.symbolic()) {
            m.addStatement("$L[0] = $L", into.ref(), variable);
        } else if (shape.sequence()) {
            CodeBlock.Builder b = CodeBlock.builder();
            Kernels.beginLoop(b, "t", 0, shape.steps());
            b.addStatement("System.arraycopy($L[t], 0, $L, t * $L, $L)", variable, into.ref(), shape.size(),
                    shape.size());
            Kernels.endLoop(b);
            m.addCode(b.build());
        } else {
            m.addStatement("System.arraycopy($L, 0, $L, 0, $L)", variable, into.ref(), shape.size());
        }
        return m.build();
    }

    private MethodSpec copyOutput() {
        ValueShape shape = plan.output();
        MethodSpec.Builder m = MethodSpec.methodBuilder("copyOutput")
                .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .returns(outputType())
                .addJavadoc("Copies the outputs of the last forward pass out of the workspace.\n");
        if (shape.sequence() && variable) {
            m.addJavadoc(targetLengths ? "Outputs past {@code ws.outputLength} are zero.\n"
                    : "Outputs past the sequence's length are zero.\n");
            CodeBlock.Builder b = CodeBlock.builder()
                    .addStatement("$T y = new $T[$L][$L]", outputType(), num.type(), shape.steps(), shape.size())
                    .beginControlFlow("for (int s = 0; s < $L; s++)", targetLengths ? plan.schedule().outputLength()
                            : plan.schedule().length());
            b.addStatement("System.arraycopy($L, s * $L, y[s], 0, $L)", net.y().ref(), shape.size(), shape.size());
            b.endControlFlow();
            m.addCode(b.addStatement("return y").build());
        } else if (shape.sequence()) {
            CodeBlock.Builder b = CodeBlock.builder()
                    .addStatement("$T y = new $T[$L][$L]", outputType(), num.type(), shape.steps(), shape.size());
            Kernels.beginLoop(b, "s", 0, shape.steps());
            b.addStatement("System.arraycopy($L, s * $L, y[s], 0, $L)", net.y().ref(), shape.size(), shape.size());
            Kernels.endLoop(b);
            m.addCode(b.addStatement("return y").build());
        } else {
            m.addStatement("return $T.copyOf($L, $L)", Arrays.class, net.y().ref(), shape.size());
        }
        return m.build();
    }

    // ---- the public methods ------------------------------------------------------------------

    private void addForward(TypeSpec.Builder type) {
        if (variable) {
            addVariableLengthForward(type);
            return;
        }
        type.addMethod(MethodSpec.methodBuilder("forward")
                .addModifiers(Modifier.PUBLIC)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(inputType(), "x")
                .returns(outputType())
                .addJavadoc("Runs the network over one input $L and returns $L.\n\n"
                        + "@throws IllegalArgumentException if {@code x} has the wrong size or a non-finite value\n",
                        plan.input().sequence() ? "sequence {@code x[t][i]}" : "{@code x}",
                        plan.output().sequence() ? "its outputs {@code y[t][o]}" : "its output {@code y[o]}")
                .addStatement("$T.notNull(ws, $S)", RuntimeTypes.CHECKS, "ws")
                .addStatement("syncPackedWeights()")
                .addStatement("checkInput(x, $S)", "x")
                .addCode(inference())
                .addStatement("loadInput(ws, x)")
                .addStatement("$L(ws)", inferencePass())
                .addStatement("return copyOutput(ws)")
                .build());
        type.addMethod(MethodSpec.methodBuilder("forward")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(ArrayTypeName.of(inputType()), "xs")
                .returns(ArrayTypeName.of(outputType()))
                .addJavadoc("Runs the network over a batch of sequences and returns the outputs of each.\n")
                .addStatement("$T.notNull(xs, $S)", RuntimeTypes.CHECKS, "xs")
                .addStatement("$T.batch(xs.length, FIXED_BATCH_SIZE, $S)", RuntimeTypes.CHECKS, "xs")
                .addStatement("$T.notNull(ws, $S)", RuntimeTypes.CHECKS, "ws")
                .addStatement("syncPackedWeights()")
                .beginControlFlow("for (int b = 0; b < xs.length; b++)")
                .addStatement("checkInput(xs[b], $T.element($S, b))", RuntimeTypes.CHECKS, "xs")
                .endControlFlow()
                .addStatement("$T out = new $T[xs.length]$L", ArrayTypeName.of(outputType()), num.type(),
                        plan.output().sequence() ? "[][]" : "[]")
                .addCode(inference())
                .beginControlFlow("for (int b = 0; b < xs.length; b++)")
                .addStatement("loadInput(ws, xs[b])")
                .addStatement("$L(ws)", inferencePass())
                .addStatement("out[b] = copyOutput(ws)")
                .endControlFlow()
                .addStatement("return out")
                .build());
    }

    /** The forward methods of a model with {@code variable_length}: with and without each sequence's length. */
    private void addVariableLengthForward(TypeSpec.Builder type) {
        String steps = plan.schedule().steps() + " steps";
        type.addMethod(MethodSpec.methodBuilder("forward")
                .addModifiers(Modifier.PUBLIC)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(inputType(), "x")
                .returns(outputType())
                .addJavadoc("Runs the network over one input sequence {@code x[t][i]} of all its $L and returns $L.\n\n"
                        + "@throws IllegalArgumentException if {@code x} has the wrong size or a non-finite value\n",
                        steps, plan.output().sequence() ? "its outputs {@code y[t][o]}" : "its output {@code y[o]}")
                .addStatement("return forward(ws, x, STEPS)")
                .build());
        type.addMethod(MethodSpec.methodBuilder("forward")
                .addModifiers(Modifier.PUBLIC)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(inputType(), "x")
                .addParameter(int.class, "length")
                .returns(outputType())
                .addJavadoc("Runs the network over the first {@code length} steps of one input sequence padded to $L"
                        + " and returns $L.\n\n"
                        + "@throws IllegalArgumentException if {@code length} is not in {@code [1, STEPS]}, or {@code x}"
                        + " has the wrong size\nor a non-finite value in its first {@code length} steps\n", steps,
                        targetLengths ? "the outputs {@code y[s][o]} of greedy decoding, every one of the {@code"
                                + " OUTPUT_STEPS}" : plan.output().sequence()
                                ? "its outputs {@code y[t][o]} (zero past {@code length})"
                                : "its output {@code y[o]} after its last step")
                .addStatement("$T.notNull(ws, $S)", RuntimeTypes.CHECKS, "ws")
                .addStatement("$T.length(length, STEPS, $S)", RuntimeTypes.CHECKS, "length")
                .addStatement("syncPackedWeights()")
                .addStatement("checkInput(x, $S, length)", "x")
                .addStatement("ws.$L = length", TimeSchedule.LENGTH)
                .addCode(inference())
                .addStatement("loadInput(ws, x, length)")
                .addStatement("$L(ws)", inferencePass())
                .addStatement("return copyOutput(ws)")
                .build());
        type.addMethod(MethodSpec.methodBuilder("forward")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(ArrayTypeName.of(inputType()), "xs")
                .returns(ArrayTypeName.of(outputType()))
                .addJavadoc("Runs the network over a batch of sequences of all their $L and returns the outputs of"
                        + " each.\n", steps)
                .addStatement("return forwardBatch(ws, xs, null)")
                .build());
        type.addMethod(MethodSpec.methodBuilder("forward")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(ArrayTypeName.of(inputType()), "xs")
                .addParameter(int[].class, "lengths")
                .returns(ArrayTypeName.of(outputType()))
                .addJavadoc("Runs the network over a batch of sequences padded to $L, sequence {@code b} over its first"
                        + "\n{@code lengths[b]} steps, and returns the outputs of each$L.\n\n"
                        + "@throws IllegalArgumentException if there is not one length per sequence, a length is not"
                        + " in\n{@code [1, STEPS]}, or an input has the wrong size or a non-finite value in its real"
                        + " steps\n", steps, targetLengths ? " (greedy decoding, every one of the {@code OUTPUT_STEPS})"
                                : plan.output().sequence() ? " (zero past its length)" : " after its last step")
                .addStatement("$T.notNull(lengths, $S)", RuntimeTypes.CHECKS, "lengths")
                .addStatement("return forwardBatch(ws, xs, lengths)")
                .build());
        type.addMethod(MethodSpec.methodBuilder("forwardBatch")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(ArrayTypeName.of(inputType()), "xs")
                .addParameter(int[].class, "lengths")
                .returns(ArrayTypeName.of(outputType()))
                .addJavadoc("The batched forward pass; {@code lengths} null means every sequence has all its steps.\n")
                .addStatement("$T.notNull(xs, $S)", RuntimeTypes.CHECKS, "xs")
                .addStatement("$T.batch(xs.length, FIXED_BATCH_SIZE, $S)", RuntimeTypes.CHECKS, "xs")
                .addStatement("$T.notNull(ws, $S)", RuntimeTypes.CHECKS, "ws")
                .beginControlFlow("if (lengths != null)")
                .addStatement("$T.lengths(lengths, xs.length, STEPS, $S)", RuntimeTypes.CHECKS, "lengths")
                .endControlFlow()
                .addStatement("syncPackedWeights()")
                .beginControlFlow("for (int b = 0; b < xs.length; b++)")
                .addStatement("checkInput(xs[b], $T.element($S, b), lengths == null ? STEPS : lengths[b])",
                        RuntimeTypes.CHECKS, "xs")
                .endControlFlow()
                .addStatement("$T out = new $T[xs.length]$L", ArrayTypeName.of(outputType()), num.type(),
                        plan.output().sequence() ? "[][]" : "[]")
                .addCode(inference())
                .beginControlFlow("for (int b = 0; b < xs.length; b++)")
                .addStatement("ws.$L = lengths == null ? STEPS : lengths[b]", TimeSchedule.LENGTH)
                .addStatement("loadInput(ws, xs[b], ws.$L)", TimeSchedule.LENGTH)
                .addStatement("$L(ws)", inferencePass())
                .addStatement("out[b] = copyOutput(ws)")
                .endControlFlow()
                .addStatement("return out")
                .build());
    }

    /** For a model with dropout, the statement that makes the forward pass an inference one; else nothing. */
    private CodeBlock inference() {
        return plan.hasDropout() ? CodeBlock.builder()
                .addStatement("ws.dropout = false")
                .build() : CodeBlock.of("");
    }

    /** The last arguments of a call to {@code run}: the input gradients, and whether to apply dropout if any. */
    private String runArguments(String inputGradients, boolean dropout) {
        return inputGradients + (plan.hasDropout() ? ", " + dropout : "");
    }

    /**
     * Returns the method that runs a loaded sequence for inference: {@code forwardSequence}, or an encoder-decoder's
     * {@code decodeGreedy}, whose decoder reads its own outputs rather than the targets.
     */
    private String inferencePass() {
        return plan.decoder().isPresent() ? "decodeGreedy" : "forwardSequence";
    }

    private void addLossAndGradients(TypeSpec.Builder type) {
        TypeName xs = ArrayTypeName.of(inputType());
        TypeName ys = ArrayTypeName.of(targetType());
        boolean dropout = plan.hasDropout();
        type.addMethod(overBatch("loss", xs, ys)
                .addAnnotation(Override.class)
                .addJavadoc("Returns the $L loss of a batch, averaged as PyTorch's {@code reduction='mean'} does;"
                        + " computes no gradients.\n$L", plan.head().loss().keyword(), dropout
                        ? "Evaluation: without dropout, as PyTorch's {@code model.eval()}; {@link #trainingLoss} applies"
                                + " it.\n" : "")
                .addStatement("return run(ws, xs, targets, $Lfalse, $L)", variable ? (targetLengths ? "null, null, " : "null, ") : "",
                        runArguments("null", false))
                .build());
        if (dropout) {
            type.addMethod(overBatch("trainingLoss", xs, ys)
                    .addJavadoc("Returns the loss of a batch as {@link #computeGradients($T, $T, $T)} computes it now:"
                            + " with the\ndropout masks of the next update (they depend on the seed, {@link #updates()}"
                            + " and each sequence's index\nin the batch, never on the weights); computes no"
                            + " gradients.\n", RuntimeTypes.WORKSPACE, xs, ys)
                    .addStatement("return run(ws, xs, targets, $Lfalse, $L)", variable ? (targetLengths ? "null, null, " : "null, ") : "",
                            runArguments("null", true))
                    .build());
        }
        type.addMethod(overBatch("computeGradients", xs, ys)
                .addAnnotation(Override.class)
                .addJavadoc("Sets every parameter's gradient to that of the batch's mean loss (backpropagation through"
                        + " time$L)\nand returns the loss.\n", plan.schedule().truncated()
                        ? ", truncated: nothing flows back past the first step of a\nwindow of {@link #BPTT_WINDOW}"
                        + " steps, and the windows' gradients are summed with the weights fixed" : "")
                .addJavadoc(dropout ? "Training: with the dropout masks of the next update, which its forward and"
                        + " backward passes share.\n" : "")
                .addStatement("return run(ws, xs, targets, $Ltrue, $L)", variable ? (targetLengths ? "null, null, " : "null, ") : "",
                        runArguments("null", true))
                .build());
        if (dense) {
            type.addMethod(overBatch("computeGradients", xs, ys)
                    .addParameter(inputGradientType(), "inputGradients")
                    .addJavadoc("Like {@link #computeGradients($T, $T, $T)}, and also writes {@code dLoss/dx} into"
                            + " {@code inputGradients},\nwhich must have the shape of {@code xs}.\n",
                            RuntimeTypes.WORKSPACE, xs, ys)
                    .addStatement("$T.notNull(inputGradients, $S)", RuntimeTypes.CHECKS, "inputGradients")
                    .addStatement("return run(ws, xs, targets, $Ltrue, $L)", variable ? (targetLengths ? "null, null, " : "null, ") : "",
                            runArguments("inputGradients", true))
                    .build());
        }
        if (variable) {
            addVariableLengthLossAndGradients(type, xs, ys);
        }
    }

    /** The overloads that take each sequence's length ({@code variable_length}). */
    private void addVariableLengthLossAndGradients(TypeSpec.Builder type, TypeName xs, TypeName ys) {
        if (targetLengths) {
            addEncoderDecoderLossAndGradients(type, xs, ys);
            return;
        }
        String mean = plan.schedule().everyStep()
                ? (plan.head().symbolTargets() ? "averaged over the real steps of the batch (the sum of the lengths)"
                        : "averaged over every element of the real steps of the batch (the sum of the lengths times"
                                + " {@code OUTPUT_SIZE})")
                : (plan.head().symbolTargets() ? "averaged over the sequences"
                        : "averaged over every element of the outputs");
        type.addMethod(overBatch("loss", xs, ys)
                .addAnnotation(Override.class)
                .addParameter(int[].class, "lengths")
                .addJavadoc("Returns the $L loss of a batch padded to {@code STEPS}, sequence {@code b} having"
                        + " {@code lengths[b]}\nreal steps, $L, as PyTorch's {@code reduction='mean'} over a packed"
                        + " sequence's outputs; padding\nis never read. Computes no gradients.\n",
                        plan.head().loss().keyword(), mean)
                .addStatement("$T.notNull(lengths, $S)", RuntimeTypes.CHECKS, "lengths")
                .addStatement("return run(ws, xs, targets, lengths, false, $L)", runArguments("null", false))
                .build());
        if (plan.hasDropout()) {
            type.addMethod(overBatch("trainingLoss", xs, ys)
                    .addParameter(int[].class, "lengths")
                    .addJavadoc("Returns the loss of a padded batch as {@link #computeGradients($T, $T, $T, int[])}"
                            + " computes it now: with\nthe dropout masks of the next update; computes no gradients.\n",
                            RuntimeTypes.WORKSPACE, xs, ys)
                    .addStatement("$T.notNull(lengths, $S)", RuntimeTypes.CHECKS, "lengths")
                    .addStatement("return run(ws, xs, targets, lengths, false, $L)", runArguments("null", true))
                    .build());
        }
        type.addMethod(overBatch("computeGradients", xs, ys)
                .addAnnotation(Override.class)
                .addParameter(int[].class, "lengths")
                .addJavadoc("Sets every parameter's gradient to that of the mean loss of a padded batch, sequence"
                        + " {@code b} having\n{@code lengths[b]} real steps (as {@link #loss($T, $T, $T, int[])}"
                        + " averages it), and returns the loss.\n$L", RuntimeTypes.WORKSPACE, xs, ys,
                        plan.schedule().truncated() ? "Truncated BPTT: nothing flows back past the first step of a"
                                + " window of {@link #BPTT_WINDOW} steps,\nand the windows' gradients are summed with"
                                + " the weights fixed ({@code trainStep} makes one update per window).\n" : "")
                .addStatement("$T.notNull(lengths, $S)", RuntimeTypes.CHECKS, "lengths")
                .addStatement("return run(ws, xs, targets, lengths, true, $L)", runArguments("null", true))
                .build());
        if (dense) {
            type.addMethod(overBatch("computeGradients", xs, ys)
                    .addParameter(int[].class, "lengths")
                    .addParameter(inputGradientType(), "inputGradients")
                    .addJavadoc("Like {@link #computeGradients($T, $T, $T, int[])}, and also writes {@code dLoss/dx}"
                            + " into\n{@code inputGradients}, which must have the padded shape of {@code xs}; its"
                            + " padded steps get exactly zero.\n", RuntimeTypes.WORKSPACE, xs, ys)
                    .addStatement("$T.notNull(lengths, $S)", RuntimeTypes.CHECKS, "lengths")
                    .addStatement("$T.notNull(inputGradients, $S)", RuntimeTypes.CHECKS, "inputGradients")
                    .addStatement("return run(ws, xs, targets, lengths, true, $L)",
                            runArguments("inputGradients", true))
                    .build());
        }
    }

    /**
     * The overloads of a {@code variable_length} encoder-decoder: with the inputs' lengths alone (the common
     * interface's, every target of all its {@code OUTPUT_STEPS}), and with the targets' lengths too.
     */
    private void addEncoderDecoderLossAndGradients(TypeSpec.Builder type, TypeName xs, TypeName ys) {
        String mean = plan.head().symbolTargets()
                ? "averaged over the real target steps of the batch (the sum of the target lengths)"
                : "averaged over every element of the real target steps of the batch (the sum of the target lengths"
                        + " times\n{@code OUTPUT_SIZE})";
        type.addMethod(overBatch("loss", xs, ys)
                .addAnnotation(Override.class)
                .addParameter(int[].class, "inputLengths")
                .addJavadoc("Returns the loss of a batch whose inputs are padded to {@code STEPS}, sequence {@code b}"
                        + " having\n{@code inputLengths[b]} real steps, and whose targets have all their"
                        + " {@code OUTPUT_STEPS}; computes no gradients.\n")
                .addStatement("$T.notNull(inputLengths, $S)", RuntimeTypes.CHECKS, "inputLengths")
                .addStatement("return run(ws, xs, targets, inputLengths, null, false, $L)", runArguments("null", false))
                .build());
        type.addMethod(overBatch("loss", xs, ys)
                .addParameter(int[].class, "inputLengths")
                .addParameter(int[].class, "targetLengths")
                .addJavadoc("Returns the $L loss of a padded batch with teacher forcing, the encoder reading the first"
                        + "\n{@code inputLengths[b]} steps of {@code xs[b]} and the decoder running the first"
                        + " {@code targetLengths[b]} of\n{@code targets[b]}, $L; padding is never read. Computes no"
                        + " gradients.\n", plan.head().loss().keyword(), mean)
                .addStatement("$T.notNull(inputLengths, $S)", RuntimeTypes.CHECKS, "inputLengths")
                .addStatement("$T.notNull(targetLengths, $S)", RuntimeTypes.CHECKS, "targetLengths")
                .addStatement("return run(ws, xs, targets, inputLengths, targetLengths, false, $L)",
                        runArguments("null", false))
                .build());
        if (plan.hasDropout()) {
            type.addMethod(overBatch("trainingLoss", xs, ys)
                    .addParameter(int[].class, "inputLengths")
                    .addParameter(int[].class, "targetLengths")
                    .addJavadoc("Returns the loss of a padded batch as"
                            + " {@link #computeGradients($T, $T, $T, int[], int[])} computes it\nnow: with the dropout"
                            + " masks of the next update; computes no gradients.\n", RuntimeTypes.WORKSPACE, xs, ys)
                    .addStatement("$T.notNull(inputLengths, $S)", RuntimeTypes.CHECKS, "inputLengths")
                    .addStatement("$T.notNull(targetLengths, $S)", RuntimeTypes.CHECKS, "targetLengths")
                    .addStatement("return run(ws, xs, targets, inputLengths, targetLengths, false, $L)",
                            runArguments("null", true))
                    .build());
        }
        type.addMethod(overBatch("computeGradients", xs, ys)
                .addAnnotation(Override.class)
                .addParameter(int[].class, "inputLengths")
                .addJavadoc("Sets every parameter's gradient to that of the mean loss of a batch whose inputs are"
                        + " padded, sequence\n{@code b} having {@code inputLengths[b]} real steps, and whose targets"
                        + " have all their {@code OUTPUT_STEPS}; returns\nthe loss.\n")
                .addStatement("$T.notNull(inputLengths, $S)", RuntimeTypes.CHECKS, "inputLengths")
                .addStatement("return run(ws, xs, targets, inputLengths, null, true, $L)", runArguments("null", true))
                .build());
        type.addMethod(overBatch("computeGradients", xs, ys)
                .addParameter(int[].class, "inputLengths")
                .addParameter(int[].class, "targetLengths")
                .addJavadoc("Sets every parameter's gradient to that of the mean loss of a padded batch (as"
                        + " {@link #loss($T, $T, $T, int[], int[])}\naverages it) and returns the loss.\n",
                        RuntimeTypes.WORKSPACE, xs, ys)
                .addStatement("$T.notNull(inputLengths, $S)", RuntimeTypes.CHECKS, "inputLengths")
                .addStatement("$T.notNull(targetLengths, $S)", RuntimeTypes.CHECKS, "targetLengths")
                .addStatement("return run(ws, xs, targets, inputLengths, targetLengths, true, $L)",
                        runArguments("null", true))
                .build());
        if (dense) {
            type.addMethod(overBatch("computeGradients", xs, ys)
                    .addParameter(int[].class, "inputLengths")
                    .addParameter(int[].class, "targetLengths")
                    .addParameter(inputGradientType(), "inputGradients")
                    .addJavadoc("Like {@link #computeGradients($T, $T, $T, int[], int[])}, and also writes"
                            + " {@code dLoss/dx} into\n{@code inputGradients}, which must have the padded shape of"
                            + " {@code xs}; its padded steps get exactly zero.\n", RuntimeTypes.WORKSPACE, xs, ys)
                    .addStatement("$T.notNull(inputLengths, $S)", RuntimeTypes.CHECKS, "inputLengths")
                    .addStatement("$T.notNull(targetLengths, $S)", RuntimeTypes.CHECKS, "targetLengths")
                    .addStatement("$T.notNull(inputGradients, $S)", RuntimeTypes.CHECKS, "inputGradients")
                    .addStatement("return run(ws, xs, targets, inputLengths, targetLengths, true, $L)",
                            runArguments("inputGradients", true))
                    .build());
        }
    }

    /** A public method over a batch, {@code double name(Workspace ws, X[] xs, Y[] targets, ...)}. */
    private static MethodSpec.Builder overBatch(String name, TypeName xs, TypeName ys) {
        return MethodSpec.methodBuilder(name)
                .addModifiers(Modifier.PUBLIC)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(xs, "xs")
                .addParameter(ys, "targets")
                .returns(double.class);
    }

    /** The type of a batch's input gradients, the shape of a batch of dense inputs; an unused Object for symbols. */
    private TypeName inputGradientType() {
        return dense ? ArrayTypeName.of(inputType()) : ClassName.OBJECT;
    }

    // ---- the batch driver --------------------------------------------------------------------

    /**
     * A private method taking what {@code run} and {@code runSequences} share: the workspace, the batch, whether
     * to back-propagate, and the caller's input-gradient buffers (an {@code Object}, always null, for one-hot inputs).
     */
    private MethodSpec.Builder batchMethod(String name) {
        MethodSpec.Builder m = MethodSpec.methodBuilder(name)
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(ArrayTypeName.of(inputType()), "xs")
                .addParameter(ArrayTypeName.of(targetType()), "targets");
        if (variable) {
            m.addParameter(int[].class, "lengths");
        }
        if (targetLengths) {
            m.addParameter(int[].class, "targetLengths");
        }
        return m.addParameter(boolean.class, "backward")
                .addParameter(inputGradientType(), "inputGradients");
    }

    /** The checks of a batch's arrays every batch method starts with: present, of an allowed size, paired. */
    static CodeBlock batchChecks() {
        return CodeBlock.builder()
                .addStatement("$T.notNull(xs, $S)", RuntimeTypes.CHECKS, "xs")
                .addStatement("$T.notNull(targets, $S)", RuntimeTypes.CHECKS, "targets")
                .addStatement("$T.batch(xs.length, FIXED_BATCH_SIZE, $S)", RuntimeTypes.CHECKS, "xs")
                .addStatement("$T.sameBatch(xs.length, targets.length)", RuntimeTypes.CHECKS)
                .build();
    }

    /**
     * The checks of a {@code variable_length} encoder-decoder's lengths, each array null (all the steps) or one
     * length per sequence: the inputs' from 1 to {@code STEPS}, the targets' from 1 to {@code OUTPUT_STEPS}.
     */
    static CodeBlock decoderLengthChecks() {
        return CodeBlock.builder()
                .beginControlFlow("if (inputLengths != null)")
                .addStatement("$T.lengths(inputLengths, xs.length, STEPS, $S)", RuntimeTypes.CHECKS, "inputLengths")
                .endControlFlow()
                .beginControlFlow("if (targetLengths != null)")
                .addStatement("$T.lengths(targetLengths, xs.length, OUTPUT_STEPS, $S)", RuntimeTypes.CHECKS,
                        "targetLengths")
                .endControlFlow()
                .build();
    }

    /** Checks every full-length sequence of a batch and its target, before any is computed. */
    static CodeBlock sequenceChecks() {
        return CodeBlock.builder()
                .beginControlFlow("for (int b = 0; b < xs.length; b++)")
                .addStatement("checkInput(xs[b], $T.element($S, b))", RuntimeTypes.CHECKS, "xs")
                .addStatement("checkTarget(targets[b], $T.element($S, b))", RuntimeTypes.CHECKS, "targets")
                .endControlFlow()
                .build();
    }

    private MethodSpec runMethod() {
        int steps = plan.schedule().steps();
        int inputSize = plan.input().size();
        String want = net.wantInputGradient();
        MethodSpec.Builder m = batchMethod("run");
        if (plan.hasDropout()) {
            m.addParameter(boolean.class, "dropout");
        }
        m.returns(double.class)
                .addJavadoc("Loss of a batch, and its gradients when {@code backward}; sequences are processed one by"
                        + " one.$L\n", plan.hasDropout() ? " With\n{@code dropout}, the forward pass applies the"
                        + " dropout masks of the next update." : "")
                .addStatement("$T.notNull(ws, $S)", RuntimeTypes.CHECKS, "ws")
                .addCode(batchChecks());
        if (variable) {
            m.beginControlFlow("if (lengths != null)")
                    .addStatement("$T.lengths(lengths, xs.length, STEPS, $S)", RuntimeTypes.CHECKS,
                            targetLengths ? "inputLengths" : "lengths")
                    .endControlFlow();
        }
        if (targetLengths) {
            m.beginControlFlow("if (targetLengths != null)")
                    .addStatement("$T.lengths(targetLengths, xs.length, OUTPUT_STEPS, $S)", RuntimeTypes.CHECKS,
                            "targetLengths")
                    .endControlFlow();
        }
        m.addStatement("syncPackedWeights()");
        if (dense) {
            m.addComment("the caller's gradient buffers are checked before anything is computed or written")
                    .beginControlFlow("if (inputGradients != null)")
                    .beginControlFlow("if (inputGradients.length != xs.length)")
                    .addStatement("throw new IllegalArgumentException($S + xs.length + $S + inputGradients.length)",
                            "inputGradients: expected ", " sequences, got ")
                    .endControlFlow()
                    .beginControlFlow("for (int b = 0; b < xs.length; b++)");
            if (plan.input().sequence()) {
                CodeBlock.Builder each = CodeBlock.builder();
                Kernels.beginLoop(each, "t", 0, steps);
                each.addStatement("$T.buffer(inputGradients[b][t], $L, $T.element($S, b, t))", RuntimeTypes.CHECKS,
                        inputSize, RuntimeTypes.CHECKS, "inputGradients");
                Kernels.endLoop(each);
                m.addStatement("$T.outputSequence(inputGradients[b], $L, $T.element($S, b))", RuntimeTypes.CHECKS, steps,
                                RuntimeTypes.CHECKS, "inputGradients")
                        .addCode(each.build());
            } else {
                m.addStatement("$T.buffer(inputGradients[b], $L, $T.element($S, b))", RuntimeTypes.CHECKS, inputSize,
                        RuntimeTypes.CHECKS, "inputGradients");
            }
            m.endControlFlow().endControlFlow();
        }
        m.addComment("every sequence is checked before any is computed, so a bad one changes nothing")
                .beginControlFlow("for (int b = 0; b < xs.length; b++)");
        if (targetLengths) {
            m.addStatement("checkInput(xs[b], $T.element($S, b), lengths == null ? STEPS : lengths[b])",
                    RuntimeTypes.CHECKS, "xs")
                    .addStatement("checkTarget(targets[b], $T.element($S, b), targetLengths == null ? OUTPUT_STEPS"
                            + " : targetLengths[b])", RuntimeTypes.CHECKS, "targets");
        } else if (variable) {
            m.addStatement("final int length = lengths == null ? STEPS : lengths[b]")
                    .addStatement("checkInput(xs[b], $T.element($S, b), length)", RuntimeTypes.CHECKS, "xs")
                    .addStatement(plan.target().sequence() ? "checkTarget(targets[b], $T.element($S, b), length)"
                            : "checkTarget(targets[b], $T.element($S, b))", RuntimeTypes.CHECKS, "targets");
        } else {
            m.addStatement("checkInput(xs[b], $T.element($S, b))", RuntimeTypes.CHECKS, "xs")
                    .addStatement("checkTarget(targets[b], $T.element($S, b))", RuntimeTypes.CHECKS, "targets");
        }
        m.endControlFlow()
                .beginControlFlow("if (backward)")
                .addStatement("ws.zeroGradients()")
                .endControlFlow();
        int perSequence = plan.head().symbolTargets() ? plan.schedule().outputSteps()
                : plan.schedule().outputSteps() * plan.output().size();
        if (targetLengths) {
            int perStep = plan.head().symbolTargets() ? 1 : plan.output().size();
            m.addComment("PyTorch's 'mean' over the real target steps of the batch (CE), or every element of them")
                    .addComment("(BCE, MSE), as a loss masked by the target lengths and divided by the mask's sum")
                    .addStatement("long realSteps = 0")
                    .beginControlFlow("for (int b = 0; b < xs.length; b++)")
                    .addStatement("realSteps += targetLengths == null ? OUTPUT_STEPS : targetLengths[b]")
                    .endControlFlow()
                    .addStatement("final double scale = 1.0 / ((double) realSteps * $L)", perStep);
        } else if (variable && plan.schedule().everyStep()) {
            int perStep = plan.head().symbolTargets() ? 1 : plan.output().size();
            m.addComment("PyTorch's 'mean' over a packed sequence: over the real steps of the batch (CE), or every")
                    .addComment("element of them (BCE, MSE); padded steps are not scored")
                    .addStatement("long realSteps = 0")
                    .beginControlFlow("for (int b = 0; b < xs.length; b++)")
                    .addStatement("realSteps += lengths == null ? STEPS : lengths[b]")
                    .endControlFlow()
                    .addStatement("final double scale = 1.0 / ((double) realSteps * $L)", perStep);
        } else {
            m.addComment("PyTorch's 'mean': CE averages over sequences and steps, BCE and MSE over every element")
                    .addStatement("final double scale = 1.0 / ((double) xs.length * $L)", perSequence);
        }
        String lengthsArgument = targetLengths ? " lengths, targetLengths," : variable ? " lengths," : "";
        if (dense) {
            m.addStatement("$L = inputGradients != null", want);
        }
        if (plan.hasDropout()) {
            m.addStatement("ws.dropout = dropout")
                    .addStatement("ws.update = optimizer.stepCount()");
        }
        m.addStatement("final int half = $T.half(xs.length, FORWARD_FLOPS)", RuntimeTypes.BATCH_SPLIT)
                .addStatement("double loss")
                .beginControlFlow("if (half == 0)")
                .addStatement("loss = runSequences(ws, xs, targets,$L backward, inputGradients, scale, 0, xs.length)",
                        lengthsArgument)
                .nextControlFlow("else")
                .addComment("the second half of the batch on another thread, in the workspace's partner; the split")
                .addComment("depends only on the batch size, so the sums are the same however many cores run them")
                .addStatement("final Workspace partner = ws.partner()");
        if (dense) {
            m.addStatement("partner.$L = $L", NetworkBuffers.WANT_INPUT_GRADIENT, want);
        }
        if (plan.hasDropout()) {
            m.addStatement("partner.dropout = dropout")
                    .addStatement("partner.update = ws.update");
        }
        m.beginControlFlow("if (backward)")
                .addStatement("partner.zeroGradients()")
                .endControlFlow()
                .addStatement("loss = $T.sumOfHalves(parallel,$W() -> runSequences(ws, xs, targets,$L backward,"
                        + " inputGradients, scale, 0, half),$W() -> runSequences(partner, xs, targets,$L backward,"
                        + " inputGradients, scale, half, xs.length))", RuntimeTypes.BATCH_SPLIT, lengthsArgument,
                        lengthsArgument)
                .beginControlFlow("if (backward)")
                .addStatement("ws.grads.add(partner.grads)")
                .endControlFlow()
                .endControlFlow();
        if (dense) {
            m.addStatement("$L = false", want);
        }
        m.beginControlFlow("if (backward)")
                .addStatement("storeGradients(ws.grads)")
                .endControlFlow();
        return m.addStatement("return loss * scale").build();
    }

    /**
     * The start of {@code runSequences} for a model that runs {@link ModelPlan#lockstep()} sequences at once: blocks of
     * them while the range holds one, in workspaces that share {@code ws}'s gradients; the rest one at a time. The
     * losses are summed in batch order, and each sequence's weight gradients added whole in batch order, as one at a
     * time would.
     */
    private void lockstepSequences(MethodSpec.Builder m) {
        int n = plan.lockstep();
        int steps = plan.schedule().steps();
        int inputSize = plan.input().size();
        String want = net.wantInputGradient();
        StringBuilder all = new StringBuilder("ws");
        m.addComment("$L sequences at a time, step by step: each weight vector loaded once for the $L", n, n)
                .beginControlFlow("for (; b + $L <= to; b += $L)", n, n);
        for (int s = 1; s < n; s++) {
            m.addStatement("final $T w$L = ws.lockstep($L)", RuntimeTypes.WORKSPACE, s, s);
            all.append(", w").append(s);
        }
        for (int s = 0; s < n; s++) {
            m.addStatement("loadInput($L, xs[b + $L])", lane(s), s)
                    .addStatement("loadTarget($L, targets[b + $L])", lane(s), s);
        }
        m.addStatement("$L($L)", SequenceWriter.FORWARD_LOCKSTEP, all);
        for (int s = 0; s < n; s++) {
            m.addStatement("loss += sequenceLoss($L, scale)", lane(s));
        }
        m.beginControlFlow("if (backward)");
        BufferSpec dx = net.dx().orElse(null);
        if (dense) {
            m.beginControlFlow("if ($L)", want);
            for (int s = 0; s < n; s++) {
                m.addStatement("$T.fill($L, 0)", Arrays.class, dx.ref(lane(s)));
            }
            m.endControlFlow();
        }
        m.addStatement("$L($L)", SequenceWriter.BACKWARD_LOCKSTEP, all);
        if (dense) {
            m.beginControlFlow("if ($L)", want);
            for (int s = 0; s < n; s++) {
                CodeBlock.Builder b = CodeBlock.builder();
                Kernels.beginLoop(b, "t", 0, steps);
                b.addStatement("System.arraycopy($L, t * $L, inputGradients[b + $L][t], 0, $L)",
                        dx.ref(lane(s)), inputSize, s, inputSize);
                Kernels.endLoop(b);
                m.addCode(b.build());
            }
            m.endControlFlow();
        }
        m.endControlFlow().endControlFlow();
    }

    /** The workspace of sequence {@code s} of a lockstep block in {@code runSequences}. */
    private static String lane(int s) {
        return s == 0 ? "ws" : "w" + s;
    }

    /** The model's {@code runSequences}: forward, loss and optionally BPTT over {@code xs[from, to)}. */
    private MethodSpec runSequencesMethod() {
        int steps = plan.schedule().steps();
        int inputSize = plan.input().size();
        String want = net.wantInputGradient();
        MethodSpec.Builder m = batchMethod("runSequences")
                .addParameter(double.class, "scale")
                .addParameter(int.class, "from")
                .addParameter(int.class, "to")
                .returns(double.class)
                .addJavadoc("Forward, loss and, when {@code backward}, BPTT into {@code ws.grads} for sequences {@code from}"
                        + " to {@code to - 1},\none at a time; returns their summed loss.\n")
                .addStatement("double loss = 0");
        if (plan.lockstep() > 1) {
            m.addStatement("int b = from");
            lockstepSequences(m);
            m.beginControlFlow("for (; b < to; b++)");
        } else {
            m.beginControlFlow("for (int b = from; b < to; b++)");
        }
        if (plan.hasDropout()) {
            m.addComment("the sequence's index in the whole batch keys its masks, whichever half it runs in")
                    .addStatement("ws.sequence = b");
        }
        if (targetLengths) {
            m.addStatement("ws.$L = lengths == null ? STEPS : lengths[b]", TimeSchedule.LENGTH)
                    .addStatement("ws.$L = targetLengths == null ? OUTPUT_STEPS : targetLengths[b]",
                            TimeSchedule.OUTPUT_LENGTH)
                    .addStatement("loadInput(ws, xs[b], ws.$L)", TimeSchedule.LENGTH)
                    .addStatement("loadTarget(ws, targets[b], ws.$L)", TimeSchedule.OUTPUT_LENGTH);
        } else if (variable) {
            m.addStatement("ws.$L = lengths == null ? STEPS : lengths[b]", TimeSchedule.LENGTH)
                    .addStatement("loadInput(ws, xs[b], ws.$L)", TimeSchedule.LENGTH)
                    .addStatement(plan.target().sequence() ? "loadTarget(ws, targets[b], ws.length)"
                            : "loadTarget(ws, targets[b])");
        } else {
            m.addStatement("loadInput(ws, xs[b])")
                    .addStatement("loadTarget(ws, targets[b])");
        }
        m
                .addStatement("forwardSequence(ws)")
                .addStatement("loss += sequenceLoss(ws, scale)")
                .beginControlFlow("if (backward)");
        String dx = net.dx().map(BufferSpec::ref).orElse(null);
        if (dense) {
            m.beginControlFlow("if ($L)", want)
                    .addStatement("$T.fill($L, 0)", Arrays.class, dx)
                    .endControlFlow();
        }
        m.addStatement("backwardSequence(ws)");
        if (dense) {
            m.beginControlFlow("if ($L)", want);
            if (plan.input().sequence()) {
                CodeBlock.Builder b = CodeBlock.builder();
                Kernels.beginLoop(b, "t", 0, steps);
                b.addStatement("System.arraycopy($L, t * $L, inputGradients[b][t], 0, $L)", dx, inputSize, inputSize);
                Kernels.endLoop(b);
                m.addCode(b.build());
            } else {
                m.addStatement("System.arraycopy($L, 0, inputGradients[b], 0, $L)", dx, inputSize);
            }
            m.endControlFlow();
        }
        m.endControlFlow().endControlFlow();
        return m.addStatement("return loss").build();
    }
}
