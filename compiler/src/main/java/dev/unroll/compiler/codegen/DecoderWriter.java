package dev.unroll.compiler.codegen;

import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterizedTypeName;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import com.palantir.javapoet.WildcardTypeName;
import dev.unroll.compiler.plan.BufferSpec;
import dev.unroll.compiler.plan.DecoderPlan;
import dev.unroll.compiler.plan.LayerPlan;
import dev.unroll.compiler.plan.ModelPlan;
import dev.unroll.compiler.plan.NetworkBuffers;
import dev.unroll.compiler.plan.TimeSchedule;
import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;
import javax.lang.model.element.Modifier;

/**
 * Writes what an encoder-decoder has that other topologies have not: the loops over time of its
 * two stacks (the encoder over {@code TX} steps, its final states handed to the decoder, the
 * decoder over {@code TY} steps with the head at each), teacher forcing for training, the decoder's
 * own output fed back for inference, BPTT through both stacks, and the decoding API (greedy,
 * sampling with a temperature, beam search). The layers' step methods are {@link LayerCode}'s, the
 * head's {@link HeadWriter}'s; this writer only calls them.
 *
 * <pre>
 * forwardSequence (training, teacher forcing):  encode; decoder input s = target s-1 (none at s = 0)
 * decodeGreedy (forward):                        encode; decoder input s = output s-1, its one-hot argmax
 *                                                for a softmax head
 * backwardSequence:  the decoder from its last step to its first, its dL/d(initial state) into the
 *                    encoder's carried gradients, the encoder from its last step to its first
 * </pre>
 */
final class DecoderWriter {
    private static final ClassName BEAM_SEARCH = ClassName.get("dev.unroll.runtime.sample", "BeamSearch");
    private static final ClassName SAMPLING = ClassName.get("dev.unroll.runtime.sample", "Sampling");

    private final ModelPlan plan;
    private final DecoderPlan decoder;
    private final NetworkBuffers net;
    private final Num num;
    private final int o;
    private final int tx;
    private final int ty;
    /**
     * Whether each sequence has its own input and target lengths ({@code variable_length}): the encoder's loops run
     * to {@code ws.length}, the decoder's to {@code ws.outputLength}, and decoding may stop at an end class.
     */
    private final boolean variable;
    /** The loops of a single stack, whose loss, input-gradient routing and embedding steps the encoder reuses. */
    private final SequenceWriter sequences;

    DecoderWriter(ModelPlan plan, Num num) {
        this.plan = plan;
        this.decoder = plan.decoder().orElseThrow();
        this.net = plan.network();
        this.num = num;
        this.o = plan.output().size();
        this.tx = decoder.inputSteps();
        this.ty = decoder.outputSteps();
        this.variable = plan.schedule().variableLength();
        this.sequences = new SequenceWriter(plan);
    }

    void addTo(TypeSpec.Builder type) {
        addDecodingApi(type);
        type.addMethod(forwardSequence());
        type.addMethod(decodeGreedy());
        if (variable && decoder.argmaxFeedback()) {
            type.addMethod(decodeUntilEnd());
        }
        type.addMethod(encode());
        type.addMethod(decoderStep());
        type.addMethod(feedBack());
        if (decoder.argmaxFeedback()) {
            type.addMethod(feedSymbol());
            type.addMethod(argmaxOutput());
        }
        type.addMethod(variable ? variableLengthLoss() : sequences.loss());
        type.addMethod(backwardSequence());
        if (net.dxStep().isPresent()) {
            type.addMethod(sequences.routeInputGradient());
        }
        if (decoder.argmaxFeedback()) {
            type.addMethod(decoderState("saveDecoderState", true));
            type.addMethod(decoderState("restoreDecoderState", false));
        }
        type.addMethod(MethodSpec.methodBuilder("newStepper")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .returns(ParameterizedTypeName.get(RuntimeTypes.SEQUENCE_STEPPER, WildcardTypeName.subtypeOf(
                        Object.class), WildcardTypeName.subtypeOf(Object.class)))
                .addJavadoc("Not available: an encoder-decoder reads its whole input sequence before it writes its"
                        + " first output,\nso there is no step-by-step form over an endless stream. Use {@code forward}"
                        + " (greedy decoding)$L.\n\n@throws UnsupportedOperationException always\n",
                        decoder.argmaxFeedback() ? ", {@code sample} or {@code beamSearch}" : "")
                .addStatement("throw new $T($S)", UnsupportedOperationException.class, plan.model().name()
                        + " is an encoder-decoder, which reads its " + tx + " input steps before it writes: it cannot"
                        + " run one step at a time. Use forward(...) (greedy decoding)"
                        + (decoder.argmaxFeedback() ? ", sample(...) or beamSearch(...)" : "") + " instead.")
                .build());
    }

    // ---- the public decoding API -------------------------------------------------------------

    /**
     * For a model with dropout, the statement that makes a decoding call an inference one (PyTorch's
     * {@code model.eval()}): every decoding path, teacher-forced outputs included, runs without dropout.
     */
    private CodeBlock inference() {
        return plan.hasDropout() ? CodeBlock.of("ws.dropout = false;\n") : CodeBlock.of("");
    }

    private TypeName inputType() {
        return ApiWriter.type(plan.input(), num);
    }

    private void addDecodingApi(TypeSpec.Builder type) {
        if (variable) {
            addVariableLengthDecodingApi(type);
            return;
        }
        TypeName xs = ArrayTypeName.of(inputType());
        TypeName ys = ArrayTypeName.of(ApiWriter.type(plan.target(), num));
        TypeName out = ArrayTypeName.of(ApiWriter.type(plan.output(), num));
        type.addMethod(MethodSpec.methodBuilder("forwardTeacherForced")
                .addModifiers(Modifier.PUBLIC)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(xs, "xs")
                .addParameter(ys, "targets")
                .returns(out)
                .addJavadoc("Returns the outputs of a batch as training computes them, with teacher forcing: the"
                        + " decoder's input at\nstep {@code s} is the target of step {@code s - 1}$L (the zero vector"
                        + " at step 0), not its own output.\n{@link #forward} feeds back its own outputs instead.\n",
                        decoder.symbolInput() ? ", one-hot" : "")
                .addStatement("$T.notNull(ws, $S)", RuntimeTypes.CHECKS, "ws")
                .addCode(inference())
                .addCode(ApiWriter.batchChecks())
                .addStatement("syncPackedWeights()")
                .addCode(ApiWriter.sequenceChecks())
                .addStatement("$T result = new $T[xs.length][][]", out, num.type())
                .beginControlFlow("for (int b = 0; b < xs.length; b++)")
                .addStatement("loadInput(ws, xs[b])")
                .addStatement("loadTarget(ws, targets[b])")
                .addStatement("forwardSequence(ws)")
                .addStatement("result[b] = copyOutput(ws)")
                .endControlFlow()
                .addStatement("return result")
                .build());
        if (!decoder.argmaxFeedback()) {
            return;
        }
        type.addMethod(MethodSpec.methodBuilder("sample")
                .addModifiers(Modifier.PUBLIC)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(inputType(), "x")
                .addParameter(double.class, "temperature")
                .addParameter(RandomGenerator.class, "rng")
                .returns(int[].class)
                .addJavadoc("Decodes one input sequence by sampling: the class of step {@code s} is drawn from"
                        + " {@code softmax(z_s / temperature)}\n(see {@link $T}) and fed back, one-hot, as the"
                        + " input of step {@code s + 1}. Temperature 0 is greedy\n(the argmax, as {@link #forward}"
                        + " feeds back); a seeded {@code rng} replays the same sequence.\n\n"
                        + "@return the $L classes\n"
                        + "@throws IllegalArgumentException if {@code x} is invalid or the temperature is negative or"
                        + " not finite\n", SAMPLING, ty)
                .addStatement("$T.notNull(ws, $S)", RuntimeTypes.CHECKS, "ws")
                .addCode(inference())
                .addStatement("syncPackedWeights()")
                .addStatement("checkInput(x, $S)", "x")
                .addCode(checkTemperature())
                .addStatement("loadInput(ws, x)")
                .addStatement("encode(ws)")
                .addStatement("final int[] symbols = new int[$L]", ty)
                .addCode(decodeLoop(CodeBlock.of("feedSymbol(ws, s, symbols[s - 1])"), CodeBlock.of(
                        "symbols[s] = temperature == 0 ? argmaxOutput(ws, s) : $T.fromLogits($L, s * $L, $L,"
                                + " temperature, rng)", SAMPLING, net.logits().ref(), o, o)))
                .addStatement("return symbols")
                .build());
        int state = decoder.stateSize();
        type.addMethod(MethodSpec.methodBuilder("beamSearch")
                .addModifiers(Modifier.PUBLIC)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(inputType(), "x")
                .addParameter(int.class, "width")
                .returns(ParameterizedTypeName.get(ClassName.get(List.class), BEAM_SEARCH.nestedClass("Hypothesis")))
                .addJavadoc("Decodes one input sequence by beam search: keeps the {@code width} most probable"
                        + " sequences of classes at\neach step (each extended by every class, fed back one-hot, and"
                        + " scored by the sum of {@code log softmax(z)}),\nand returns them, most probable first"
                        + " (see {@link $T} for the order of equal scores). Width 1 is greedy\ndecoding; fewer than"
                        + " {@code width} sequences are returned when there are fewer.\n\n"
                        + "@throws IllegalArgumentException if {@code x} is invalid or {@code width < 1}\n", BEAM_SEARCH)
                .addStatement("$T.notNull(ws, $S)", RuntimeTypes.CHECKS, "ws")
                .addCode(inference())
                .addStatement("syncPackedWeights()")
                .addStatement("checkInput(x, $S)", "x")
                .addStatement("final $T search = new $T(width, $L, $L)", BEAM_SEARCH, BEAM_SEARCH, ty, o)
                .addStatement("loadInput(ws, x)")
                .addCode(encodeAndSearch(state))
                .build());
    }

    /**
     * The decoding API of a {@code variable_length} encoder-decoder: each input sequence has its own length, targets
     * theirs, and a softmax head's decoding may stop at an end class. The overloads without lengths give every
     * sequence all its steps.
     */
    private void addVariableLengthDecodingApi(TypeSpec.Builder type) {
        TypeName xs = ArrayTypeName.of(inputType());
        TypeName ys = ArrayTypeName.of(ApiWriter.type(plan.target(), num));
        TypeName out = ArrayTypeName.of(ApiWriter.type(plan.output(), num));
        String length = "ws." + TimeSchedule.LENGTH;
        String outputLength = "ws." + TimeSchedule.OUTPUT_LENGTH;
        type.addMethod(MethodSpec.methodBuilder("forwardTeacherForced")
                .addModifiers(Modifier.PUBLIC)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(xs, "xs")
                .addParameter(ys, "targets")
                .returns(out)
                .addJavadoc("Returns the outputs of a batch of sequences of all their steps as training computes them,"
                        + " with teacher\nforcing (see {@link #forwardTeacherForced($T, $T, $T, int[], int[])}).\n",
                        RuntimeTypes.WORKSPACE, xs, ys)
                .addStatement("return teacherForced(ws, xs, targets, null, null)")
                .build());
        type.addMethod(MethodSpec.methodBuilder("forwardTeacherForced")
                .addModifiers(Modifier.PUBLIC)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(xs, "xs")
                .addParameter(ys, "targets")
                .addParameter(int[].class, "inputLengths")
                .addParameter(int[].class, "targetLengths")
                .returns(out)
                .addJavadoc("Returns the outputs of a padded batch as training computes them, with teacher forcing:"
                        + " the encoder reads\nthe first {@code inputLengths[b]} steps of {@code xs[b]}, the decoder"
                        + " runs {@code targetLengths[b]} steps, its input at\nstep {@code s} being the target of step"
                        + " {@code s - 1}$L (the zero vector at step 0). Outputs past a target's\nlength are zero."
                        + " {@link #forward} feeds back its own outputs instead.\n\n"
                        + "@throws IllegalArgumentException if a length is not in {@code [1, STEPS]} or"
                        + " {@code [1, OUTPUT_STEPS]}, or a real step\nof an input or target is invalid\n",
                        decoder.symbolInput() ? ", one-hot" : "")
                .addStatement("$T.notNull(inputLengths, $S)", RuntimeTypes.CHECKS, "inputLengths")
                .addStatement("$T.notNull(targetLengths, $S)", RuntimeTypes.CHECKS, "targetLengths")
                .addStatement("return teacherForced(ws, xs, targets, inputLengths, targetLengths)")
                .build());
        type.addMethod(MethodSpec.methodBuilder("teacherForced")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(xs, "xs")
                .addParameter(ys, "targets")
                .addParameter(int[].class, "inputLengths")
                .addParameter(int[].class, "targetLengths")
                .returns(out)
                .addJavadoc("The teacher-forced outputs of a batch; null lengths mean all the steps.\n")
                .addStatement("$T.notNull(ws, $S)", RuntimeTypes.CHECKS, "ws")
                .addCode(inference())
                .addCode(ApiWriter.batchChecks())
                .addCode(ApiWriter.decoderLengthChecks())
                .addStatement("syncPackedWeights()")
                .beginControlFlow("for (int b = 0; b < xs.length; b++)")
                .addStatement("checkInput(xs[b], $T.element($S, b), inputLengths == null ? STEPS : inputLengths[b])",
                        RuntimeTypes.CHECKS, "xs")
                .addStatement("checkTarget(targets[b], $T.element($S, b), targetLengths == null ? OUTPUT_STEPS :"
                        + " targetLengths[b])", RuntimeTypes.CHECKS, "targets")
                .endControlFlow()
                .addStatement("$T result = new $T[xs.length][][]", out, num.type())
                .beginControlFlow("for (int b = 0; b < xs.length; b++)")
                .addStatement("$L = inputLengths == null ? STEPS : inputLengths[b]", length)
                .addStatement("$L = targetLengths == null ? OUTPUT_STEPS : targetLengths[b]", outputLength)
                .addStatement("loadInput(ws, xs[b], $L)", length)
                .addStatement("loadTarget(ws, targets[b], $L)", outputLength)
                .addStatement("forwardSequence(ws)")
                .addStatement("result[b] = copyOutput(ws)")
                .endControlFlow()
                .addStatement("return result")
                .build());
        if (!decoder.argmaxFeedback()) {
            return;
        }
        type.addMethod(MethodSpec.methodBuilder("checkEndClass")
                .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                .addParameter(int.class, "endClass")
                .addJavadoc("Checks an end class: a class of the output, or -1 for none.\n")
                .beginControlFlow("if (endClass < -1 || endClass >= OUTPUT_SIZE)")
                .addStatement("throw new IllegalArgumentException($S + endClass + $S)", "endClass is ",
                        ", outside [0, " + o + "): give a class of the output, or -1 for no end class")
                .endControlFlow()
                .build());
        String endDoc = "Decoding stops after the step whose class is {@code endClass}"
                + " (kept as the last class); -1 means no end class, and every\nsequence has {@code OUTPUT_STEPS}"
                + " classes, as one that never emits the end class has.\n";
        type.addMethod(MethodSpec.methodBuilder("greedy")
                .addModifiers(Modifier.PUBLIC)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(inputType(), "x")
                .addParameter(int.class, "length")
                .addParameter(int.class, "endClass")
                .returns(int[].class)
                .addJavadoc("Decodes the first {@code length} steps of one padded input sequence greedily, as"
                        + " {@link #forward} does\n(each step's argmax fed back, one-hot), and returns the classes. "
                        + endDoc + "\n@return the classes, from 1 to {@code OUTPUT_STEPS} of them\n"
                        + "@throws IllegalArgumentException if {@code length} is not in {@code [1, STEPS]},"
                        + " {@code endClass} is not a class\nor -1, or {@code x} is invalid in its first"
                        + " {@code length} steps\n")
                .addStatement("$T.notNull(ws, $S)", RuntimeTypes.CHECKS, "ws")
                .addCode(inference())
                .addStatement("$T.length(length, STEPS, $S)", RuntimeTypes.CHECKS, "length")
                .addStatement("checkEndClass(endClass)")
                .addStatement("syncPackedWeights()")
                .addStatement("checkInput(x, $S, length)", "x")
                .addStatement("$L = length", length)
                .addStatement("loadInput(ws, x, length)")
                .addStatement("return decodeUntilEnd(ws, endClass)")
                .build());
        type.addMethod(MethodSpec.methodBuilder("forward")
                .addModifiers(Modifier.PUBLIC)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(xs, "xs")
                .addParameter(int[].class, "lengths")
                .addParameter(int.class, "endClass")
                .addParameter(int[].class, "outputLengths")
                .returns(out)
                .addJavadoc("Decodes a padded batch greedily, sequence {@code b} from its first {@code lengths[b]}"
                        + " steps, each stopping\nafter the step whose argmax is {@code endClass} (-1: none), and"
                        + " returns the outputs of each, zero past its\nlength, which is written to"
                        + " {@code outputLengths[b]}.\n\n"
                        + "@throws IllegalArgumentException if there is not one length and one output length per"
                        + " sequence, a length is\nnot in {@code [1, STEPS]}, {@code endClass} is not a class or -1,"
                        + " or an input is invalid in its real steps\n")
                .addStatement("$T.notNull(xs, $S)", RuntimeTypes.CHECKS, "xs")
                .addStatement("$T.batch(xs.length, FIXED_BATCH_SIZE, $S)", RuntimeTypes.CHECKS, "xs")
                .addStatement("$T.notNull(ws, $S)", RuntimeTypes.CHECKS, "ws")
                .addCode(inference())
                .addStatement("$T.lengths(lengths, xs.length, STEPS, $S)", RuntimeTypes.CHECKS, "lengths")
                .addStatement("checkEndClass(endClass)")
                .addStatement("$T.notNull(outputLengths, $S)", RuntimeTypes.CHECKS, "outputLengths")
                .beginControlFlow("if (outputLengths.length != xs.length)")
                .addStatement("throw new IllegalArgumentException($S + xs.length + $S + outputLengths.length)",
                        "outputLengths: expected ", " lengths, one per sequence of the batch, got ")
                .endControlFlow()
                .addStatement("syncPackedWeights()")
                .beginControlFlow("for (int b = 0; b < xs.length; b++)")
                .addStatement("checkInput(xs[b], $T.element($S, b), lengths[b])", RuntimeTypes.CHECKS, "xs")
                .endControlFlow()
                .addStatement("$T result = new $T[xs.length][][]", out, num.type())
                .beginControlFlow("for (int b = 0; b < xs.length; b++)")
                .addStatement("$L = lengths[b]", length)
                .addStatement("loadInput(ws, xs[b], $L)", length)
                .addStatement("decodeUntilEnd(ws, endClass)")
                .addStatement("outputLengths[b] = $L", outputLength)
                .addStatement("result[b] = copyOutput(ws)")
                .endControlFlow()
                .addStatement("return result")
                .build());
        type.addMethod(MethodSpec.methodBuilder("sample")
                .addModifiers(Modifier.PUBLIC)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(inputType(), "x")
                .addParameter(double.class, "temperature")
                .addParameter(RandomGenerator.class, "rng")
                .returns(int[].class)
                .addJavadoc("Decodes one input sequence of all its steps by sampling, without an end class (see"
                        + " {@link #sample($T, $T, int, int, double, $T)}).\n", RuntimeTypes.WORKSPACE, inputType(),
                        RandomGenerator.class)
                .addStatement("return sample(ws, x, STEPS, -1, temperature, rng)")
                .build());
        type.addMethod(MethodSpec.methodBuilder("sample")
                .addModifiers(Modifier.PUBLIC)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(inputType(), "x")
                .addParameter(int.class, "length")
                .addParameter(int.class, "endClass")
                .addParameter(double.class, "temperature")
                .addParameter(RandomGenerator.class, "rng")
                .returns(int[].class)
                .addJavadoc("Decodes the first {@code length} steps of one padded input sequence by sampling: the"
                        + " class of step {@code s}\nis drawn from {@code softmax(z_s / temperature)} (see"
                        + " {@link $T}) and fed back, one-hot, as the input of step\n{@code s + 1}. Temperature 0 is"
                        + " greedy; a seeded {@code rng} replays the same sequence. " + endDoc + "\n"
                        + "@return the classes, from 1 to {@code OUTPUT_STEPS} of them\n"
                        + "@throws IllegalArgumentException if {@code length} or {@code endClass} is out of range,"
                        + " {@code x} is invalid,\nor the temperature is negative or not finite\n", SAMPLING)
                .addStatement("$T.notNull(ws, $S)", RuntimeTypes.CHECKS, "ws")
                .addCode(inference())
                .addStatement("$T.length(length, STEPS, $S)", RuntimeTypes.CHECKS, "length")
                .addStatement("checkEndClass(endClass)")
                .addStatement("syncPackedWeights()")
                .addStatement("checkInput(x, $S, length)", "x")
                .addCode(checkTemperature())
                .addStatement("$L = length", length)
                .addStatement("loadInput(ws, x, length)")
                .addStatement("encode(ws)")
                .addStatement("final int[] symbols = new int[$L]", ty)
                .addCode(untilEnd(CodeBlock.of("symbols[s] = temperature == 0 ? argmaxOutput(ws, s) : $T.fromLogits($L,"
                        + " s * $L, $L, temperature, rng)", SAMPLING, net.logits().ref(), o, o), "return"))
                .addStatement("return symbols")
                .build());
        int state = decoder.stateSize();
        type.addMethod(MethodSpec.methodBuilder("beamSearch")
                .addModifiers(Modifier.PUBLIC)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(inputType(), "x")
                .addParameter(int.class, "width")
                .returns(ParameterizedTypeName.get(ClassName.get(List.class), BEAM_SEARCH.nestedClass("Hypothesis")))
                .addJavadoc("Decodes one input sequence of all its steps by beam search, without an end class (see"
                        + " {@link #beamSearch($T, $T, int, int, int)}).\n", RuntimeTypes.WORKSPACE, inputType())
                .addStatement("return beamSearch(ws, x, STEPS, width, -1)")
                .build());
        type.addMethod(MethodSpec.methodBuilder("beamSearch")
                .addModifiers(Modifier.PUBLIC)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(inputType(), "x")
                .addParameter(int.class, "length")
                .addParameter(int.class, "width")
                .addParameter(int.class, "endClass")
                .returns(ParameterizedTypeName.get(ClassName.get(List.class), BEAM_SEARCH.nestedClass("Hypothesis")))
                .addJavadoc("Decodes the first {@code length} steps of one padded input sequence by beam search:"
                        + " keeps the {@code width}\nmost probable unfinished sequences of classes at each step (each"
                        + " extended by every class, fed back one-hot,\nand scored by the sum of"
                        + " {@code log softmax(z)}). An extension by {@code endClass} that ranks among the\n"
                        + "{@code width} best of its step is finished and kept aside; the search stops when no"
                        + " unfinished sequence can\nbeat the {@code width}-th finished one, or after"
                        + " {@code OUTPUT_STEPS} steps. Returns the {@code width} best of the finished\nand the"
                        + " unfinished sequences by total log-probability, with no length normalization (see"
                        + " {@link $T}\nfor the order of equal scores); -1 means no end class. Width 1 is greedy"
                        + " decoding.\n\n"
                        + "@throws IllegalArgumentException if {@code length} or {@code endClass} is out of range,"
                        + " {@code x} is invalid,\nor {@code width < 1}\n", BEAM_SEARCH)
                .addStatement("$T.notNull(ws, $S)", RuntimeTypes.CHECKS, "ws")
                .addCode(inference())
                .addStatement("$T.length(length, STEPS, $S)", RuntimeTypes.CHECKS, "length")
                .addStatement("checkEndClass(endClass)")
                .addStatement("syncPackedWeights()")
                .addStatement("checkInput(x, $S, length)", "x")
                .addStatement("final $T search = new $T(width, $L, $L, endClass)", BEAM_SEARCH, BEAM_SEARCH, ty, o)
                .addStatement("$L = length", length)
                .addStatement("loadInput(ws, x, length)")
                .addCode(encodeAndSearch(state))
                .build());
    }

    /** Refuses a negative or non-finite temperature, and a missing {@code rng} where one is drawn from. */
    private static CodeBlock checkTemperature() {
        return CodeBlock.builder()
                .beginControlFlow("if (!(temperature >= 0 && temperature < Double.POSITIVE_INFINITY))")
                .addStatement("throw new IllegalArgumentException($S + temperature)",
                        "temperature must be finite and >= 0, got ")
                .endControlFlow()
                .beginControlFlow("if (temperature > 0)")
                .addStatement("$T.notNull(rng, $S)", RuntimeTypes.CHECKS, "rng")
                .endControlFlow()
                .build();
    }

    /**
     * A beam search's body once its input is loaded and its {@code search} made: encode, then keep each
     * hypothesis's decoder state through the beam loop, and return the hypotheses.
     */
    private CodeBlock encodeAndSearch(int state) {
        return CodeBlock.builder()
                .addStatement("encode(ws)")
                .add("// each hypothesis's decoder state: every decoder layer's h (and c) before its next step\n")
                .addStatement("$T states = new $T[Math.min(width, $L)][$L]", num.array(2), num.type(),
                        mostHypotheses(), state)
                .addStatement("$T next = new $T[states.length][$L]", num.array(2), num.type(), state)
                .addStatement("saveDecoderState(ws, 0, states[0])")
                .add(beamLoop(state))
                .addStatement("return search.hypotheses()")
                .build();
    }

    /**
     * The decoder's steps from the encoded state, each feeding back the class of the step before, then choosing
     * {@code symbols[s]} with {@code choose}; after the step whose class is {@code endClass}, {@code exit} with the
     * classes so far ({@code return} them, or set the decoded length and return them).
     */
    private CodeBlock untilEnd(CodeBlock choose, String exit) {
        CodeBlock.Builder b = CodeBlock.builder();
        Kernels.beginLoop(b, "s", 0, ty);
        if (ty > 1) {
            b.beginControlFlow("if (s > 0)").addStatement("feedSymbol(ws, s, symbols[s - 1])").endControlFlow();
        }
        b.addStatement("decoderStep(ws, s)")
                .addStatement(choose)
                .beginControlFlow("if (symbols[s] == endClass)");
        if (!exit.equals("return")) {
            b.addStatement(exit);
        }
        b.addStatement("return $T.copyOf(symbols, s + 1)", Arrays.class)
                .endControlFlow();
        Kernels.endLoop(b);
        return b.build();
    }

    /** Greedy decoding until the end class: what {@code greedy} and the batch {@code forward} with an end run. */
    private MethodSpec decodeUntilEnd() {
        String outputLength = "ws." + TimeSchedule.OUTPUT_LENGTH;
        return MethodSpec.methodBuilder("decodeUntilEnd")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(int.class, "endClass")
                .returns(int[].class)
                .addJavadoc("Runs the encoder over the sequence loaded in {@code ws}, then the decoder on the one-hot"
                        + " argmax of its own\noutputs until the step whose argmax is {@code endClass} (-1: none), or"
                        + " {@code OUTPUT_STEPS} steps; sets\n{@code ws.outputLength} to the steps run and returns"
                        + " their classes.\n")
                .addStatement("encode(ws)")
                .addStatement("final int[] symbols = new int[$L]", ty)
                .addCode(untilEnd(CodeBlock.of("symbols[s] = argmaxOutput(ws, s)"), outputLength + " = s + 1"))
                .addStatement("$L = OUTPUT_STEPS", outputLength)
                .addStatement("return symbols")
                .build();
    }

    /** The loss of the loaded sequence over its real target steps, {@code ws.outputLength} of them. */
    private MethodSpec variableLengthLoss() {
        CodeBlock.Builder b = CodeBlock.builder().addStatement("double loss = 0")
                .add("// the real target steps only: outputs past the target's length are not scored\n")
                .beginControlFlow("for (int s = 0; s < $L; s++)", plan.schedule().outputLength())
                .addStatement("loss += lossAt(ws, s, scale)")
                .endControlFlow();
        return MethodSpec.methodBuilder("sequenceLoss")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(double.class, "scale")
                .returns(double.class)
                .addJavadoc("Returns the summed loss of the loaded sequence's {@code ws.outputLength} output steps and"
                        + " leaves\n{@code scale * dL/dlogits} in {@code $L}.\n", net.dLogits().ref())
                .addCode(b.addStatement("return loss").build())
                .build();
    }

    /** Returns how many hypotheses there can be at most, {@code O^TY}, capped at {@code Integer.MAX_VALUE}. */
    private int mostHypotheses() {
        long most = 1;
        for (int s = 0; s < ty && most < Integer.MAX_VALUE; s++) {
            most = Math.min(Integer.MAX_VALUE, most * o);
        }
        return (int) most;
    }

    private CodeBlock beamLoop(int state) {
        CodeBlock.Builder b = CodeBlock.builder();
        if (variable) {
            b.add("// until every kept hypothesis has ended, or none unfinished can beat the finished ones\n");
            b.beginControlFlow("for (int s = 0; s < $L && !search.done(); s++)", ty);
        } else {
            Kernels.beginLoop(b, "s", 0, ty);
        }
        b.beginControlFlow("for (int k = 0; k < search.size(); k++)")
                .addStatement("restoreDecoderState(ws, s, states[k])");
        if (ty > 1) {
            b.beginControlFlow("if (s > 0)")
                    .addStatement("feedSymbol(ws, s, search.lastSymbol(k))")
                    .endControlFlow();
        }
        b.addStatement("decoderStep(ws, s)")
                .addStatement("search.score(k, $L, s * $L)", net.logits().ref(), o)
                .addStatement("saveDecoderState(ws, s + 1, next[k])")
                .endControlFlow()
                .addStatement("final int[] parents = search.advance()")
                .beginControlFlow("for (int k = 0; k < parents.length; k++)")
                .addStatement("System.arraycopy(next[parents[k]], 0, states[k], 0, $L)", state)
                .endControlFlow();
        Kernels.endLoop(b);
        return b.build();
    }

    /** The decoder's steps, each reading what {@code feed} put at step {@code s > 0}, then {@code after}. */
    private CodeBlock decodeLoop(CodeBlock feed, CodeBlock after) {
        CodeBlock.Builder b = CodeBlock.builder();
        if (variable) {
            b.beginControlFlow("for (int s = 0; s < $L; s++)", plan.schedule().outputLength());
        } else {
            Kernels.beginLoop(b, "s", 0, ty);
        }
        if (ty > 1 && feed != null) {
            b.beginControlFlow("if (s > 0)").addStatement(feed).endControlFlow();
        }
        b.addStatement("decoderStep(ws, s)");
        if (after != null) {
            b.addStatement(after);
        }
        Kernels.endLoop(b);
        return b.build();
    }

    // ---- forward -----------------------------------------------------------------------------

    private MethodSpec forwardSequence() {
        CodeBlock.Builder b = CodeBlock.builder().addStatement("encode(ws)");
        if (ty > 1) {
            b.add("// teacher forcing: the decoder's input at step s is the target of step s - 1\n");
            if (variable) {
                b.add("// the real target steps only: the decoder runs ws.outputLength steps\n");
            }
            if (decoder.symbolInput()) {
                b.addStatement("System.arraycopy($L, 0, $L, 1, $L)", net.targetSymbols().orElseThrow().ref(),
                        decoder.input().ref(), variable ? "ws." + TimeSchedule.OUTPUT_LENGTH + " - 1" : ty - 1);
            } else {
                b.addStatement("System.arraycopy($L, 0, $L, $L, $L)", net.targets().orElseThrow().ref(),
                        decoder.input().ref(), o, variable ? "(ws." + TimeSchedule.OUTPUT_LENGTH + " - 1) * " + o
                                : (ty - 1) * o);
            }
        }
        b.add(decodeLoop(null, null));
        return MethodSpec.methodBuilder("forwardSequence")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addJavadoc("Runs the encoder over the sequence loaded in {@code ws}, then the decoder with teacher"
                        + " forcing: its input\nat step {@code s} is the loaded target of step {@code s - 1}$L, the"
                        + " zero vector at step 0. The head writes\nevery output step.\n",
                        decoder.symbolInput() ? " (one-hot)" : "")
                .addCode(b.build())
                .build();
    }

    private MethodSpec decodeGreedy() {
        return MethodSpec.methodBuilder("decodeGreedy")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addJavadoc("Runs the encoder over the sequence loaded in {@code ws}, then the decoder on its own"
                        + " outputs: its input at\nstep {@code s} is $L of step {@code s - 1}, the zero vector at"
                        + " step 0.\n", decoder.argmaxFeedback() ? "the one-hot argmax of the output" : "the output")
                .addCode(variable ? CodeBlock.of("ws.$L = OUTPUT_STEPS;\n", TimeSchedule.OUTPUT_LENGTH)
                        : CodeBlock.of(""))
                .addStatement("encode(ws)")
                .addCode(decodeLoop(CodeBlock.of("feedBack(ws, s)"), null))
                .build();
    }

    private MethodSpec encode() {
        CodeBlock.Builder b = CodeBlock.builder();
        // an embedding input: the table's row of every real step's symbol, as the encoder's dense input
        sequences.lookUpEmbedding(b, "0", inputEnd());
        if (variable) {
            b.add("// the real input steps only: padded steps are neither read nor computed\n");
            b.beginControlFlow("for (int t = 0; t < $L; t++)", plan.schedule().length());
        } else {
            Kernels.beginLoop(b, "t", 0, tx);
        }
        for (LayerPlan layer : plan.layers()) {
            b.addStatement("$L(ws, t)", layer.forwardMethod());
            if (layer.dropout().isPresent()) {
                b.addStatement("$L(ws, t)", layer.dropoutMethod());
            }
        }
        Kernels.endLoop(b);
        b.add(variable ? "// the decoder starts from the encoder's states after the sequence's last real step, layer by"
                + " layer\n" : "// the decoder starts from the encoder's final states, layer by layer\n");
        List<LayerPlan> encoder = plan.layers();
        for (int k = 0; k < encoder.size(); k++) {
            List<BufferSpec> from = encoder.get(k).state();
            List<BufferSpec> to = decoder.layers().get(k).state();
            int h = encoder.get(k).hiddenSize();
            for (int j = 0; j < from.size(); j++) {
                String last = variable ? "ws." + TimeSchedule.LENGTH + " * " + h : String.valueOf(tx * h);
                b.addStatement("System.arraycopy($L, $L, $L, 0, $L)", from.get(j).ref(), last, to.get(j).ref(), h);
            }
        }
        return MethodSpec.methodBuilder("encode")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addJavadoc(variable ? CodeBlock.of("Runs the encoder over the {@code ws.length} real input steps"
                        + " loaded in {@code ws} and starts the decoder\nfrom its states after the last of them.\n")
                        : CodeBlock.of("Runs the encoder over the $L input steps loaded in {@code ws} and starts the"
                        + " decoder from its final states.\n", tx))
                .addJavadoc(plan.embedding().isPresent() ? "The encoder reads the embedding row of each step's"
                        + " symbol, looked up first.\n" : "")
                .addCode(b.build())
                .build();
    }

    private MethodSpec decoderStep() {
        CodeBlock.Builder b = CodeBlock.builder();
        for (LayerPlan layer : decoder.layers()) {
            b.addStatement("$L(ws, s)", layer.forwardMethod());
            if (layer.dropout().isPresent()) {
                b.addStatement("$L(ws, s)", layer.dropoutMethod());
            }
        }
        b.addStatement("headForward(ws, s, s)");
        return MethodSpec.methodBuilder("decoderStep")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(int.class, "s")
                .addJavadoc("Runs every decoder layer at step {@code s}, from the state at step {@code s} and the"
                        + " input there, then\nthe head: output {@code s}.\n")
                .addCode(b.build())
                .build();
    }

    private MethodSpec feedBack() {
        MethodSpec.Builder m = MethodSpec.methodBuilder("feedBack")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(int.class, "s")
                .addJavadoc("Makes output {@code s - 1} the decoder's input at step {@code s}$L.\n",
                        decoder.argmaxFeedback() ? ": its argmax, one-hot" : "");
        if (decoder.argmaxFeedback()) {
            m.addStatement("feedSymbol(ws, s, argmaxOutput(ws, s - 1))");
        } else {
            m.addStatement("System.arraycopy($L, (s - 1) * $L, $L, s * $L, $L)", net.y().ref(), o,
                    decoder.input().ref(), o, o);
        }
        return m.build();
    }

    private MethodSpec feedSymbol() {
        MethodSpec.Builder m = MethodSpec.methodBuilder("feedSymbol")
                .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(int.class, "s")
                .addParameter(int.class, "symbol")
                .addJavadoc("Makes class {@code symbol}, one-hot, the decoder's input at step {@code s}.\n");
        if (decoder.symbolInput()) {
            m.addStatement("$L[s] = symbol", decoder.input().ref());
        } else {
            m.addStatement("$T.fill($L, s * $L, (s + 1) * $L, 0)", Arrays.class, decoder.input().ref(), o, o)
                    .addStatement("$L[s * $L + symbol] = 1", decoder.input().ref(), o);
        }
        return m.build();
    }

    private MethodSpec argmaxOutput() {
        CodeBlock.Builder b = CodeBlock.builder()
                .addStatement("final $L[] z = $L", num.keyword(), net.logits().ref())
                .addStatement("final int zo = s * $L", o)
                .addStatement("int best = 0");
        Kernels.beginLoop(b, "o", 1, o);
        b.beginControlFlow("if (z[zo + o] > z[zo + best])")
                .addStatement("best = o")
                .endControlFlow();
        Kernels.endLoop(b);
        return MethodSpec.methodBuilder("argmaxOutput")
                .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(int.class, "s")
                .returns(int.class)
                .addJavadoc("Returns the class of output {@code s} with the largest logit (the first on ties).\n")
                .addCode(b.addStatement("return best").build())
                .build();
    }

    /** Copies every decoder layer's state at step {@code slot} into {@code state}, or back. */
    private MethodSpec decoderState(String name, boolean save) {
        CodeBlock.Builder b = CodeBlock.builder();
        int at = 0;
        for (LayerPlan layer : decoder.layers()) {
            int h = layer.hiddenSize();
            for (BufferSpec vector : layer.state()) {
                if (save) {
                    b.addStatement("System.arraycopy($L, slot * $L, state, $L, $L)", vector.ref(), h, at, h);
                } else {
                    b.addStatement("System.arraycopy(state, $L, $L, slot * $L, $L)", at, vector.ref(), h, h);
                }
                at += h;
            }
        }
        return MethodSpec.methodBuilder(name)
                .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(int.class, "slot")
                .addParameter(num.array(1), "state")
                .addJavadoc(save ? "Copies the decoder's state before step {@code slot} (every layer's $L) into"
                        + " {@code state}.\n" : "Sets the decoder's state before step {@code slot} (every layer's $L)"
                        + " from {@code state}.\n", String.join(", ", decoder.layers().get(0).state().stream()
                        .map(v -> v.name().replaceAll("\\d.*", "")).toList()))
                .addCode(b.build())
                .build();
    }

    // ---- backward ----------------------------------------------------------------------------

    private MethodSpec backwardSequence() {
        CodeBlock.Builder b = CodeBlock.builder();
        for (LayerPlan layer : decoder.layers()) {
            for (BufferSpec carried : layer.carriedGradients()) {
                b.addStatement("$T.fill($L, 0)", Arrays.class, carried.ref());
            }
        }
        // the gradients that reach a layer through its dropout start from zero, in both stacks
        for (LayerPlan layer : plan.allLayers()) {
            layer.dropout().flatMap(LayerPlan.Dropout::gradient).ifPresent(g -> b.addStatement("$T.fill($L, 0)",
                    Arrays.class, g.ref()));
        }
        List<LayerPlan> dec = decoder.layers();
        backwardLoop(b, ty, variable ? plan.schedule().outputLength() : null, "s", () -> {
            b.addStatement("headBackward(ws, s, s)");
            for (int i = dec.size() - 1; i >= 0; i--) {
                b.addStatement("$L(ws, s)", dec.get(i).backwardMethod());
            }
        });
        b.add("// the decoder's initial state is the encoder's final state: its gradient starts the encoder's BPTT\n");
        List<LayerPlan> enc = plan.layers();
        for (int k = 0; k < enc.size(); k++) {
            List<BufferSpec> from = dec.get(k).carriedGradients();
            List<BufferSpec> to = enc.get(k).carriedGradients();
            for (int j = 0; j < from.size(); j++) {
                b.addStatement("System.arraycopy($L, 0, $L, 0, $L)", from.get(j).ref(), to.get(j).ref(),
                        enc.get(k).hiddenSize());
            }
        }
        backwardLoop(b, tx, variable ? plan.schedule().length() : null, "t", () -> {
            for (int i = enc.size() - 1; i >= 0; i--) {
                b.addStatement("$L(ws, t)", enc.get(i).backwardMethod());
            }
        });
        // an embedding input: each real step's dL/dx_t into its symbol's row of the table's gradient
        sequences.embeddingBackward(b, "0", inputEnd());
        return MethodSpec.methodBuilder("backwardSequence")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addJavadoc("Backpropagation through time over the loaded sequence, after {@link #forwardSequence} and\n"
                        + "{@link #sequenceLoss}: the decoder and the head from the last output step to the first,"
                        + " then the encoder\nfrom its last step to its first; adds every parameter's gradient to its"
                        + " {@code grad} array$L.\n", plan.embedding().isPresent() && !plan.embedding().get().frozen()
                                ? ",\nand each real input step's {@code dL/dx_t} to its symbol's row of the table's"
                                        + " gradient" : "")
                .addCode(b.build())
                .build();
    }

    /** The end of the loaded sequence's input steps: its own length, or all {@code TX}. */
    private String inputEnd() {
        return variable ? plan.schedule().length() : "STEPS";
    }

    /** Opens a loop from the last step down to 0: {@code steps - 1}, or {@code length - 1} when a length is given. */
    private static void backwardLoop(CodeBlock.Builder b, int steps, String length, String variable, Runnable body) {
        if (length != null) {
            b.beginControlFlow("for (int $L = $L - 1; $L >= 0; $L--)", variable, length, variable, variable);
        } else if (steps == 1) {
            b.add("{\n").indent().addStatement("final int $L = 0", variable);
        } else {
            b.beginControlFlow("for (int $L = $L; $L >= 0; $L--)", variable, steps - 1, variable, variable);
        }
        body.run();
        b.unindent().add("}\n");
    }
}
