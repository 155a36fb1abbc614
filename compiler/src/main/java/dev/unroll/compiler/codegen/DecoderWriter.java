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

    DecoderWriter(ModelPlan plan, Num num) {
        this.plan = plan;
        this.decoder = plan.decoder().orElseThrow();
        this.net = plan.network();
        this.num = num;
        this.o = plan.output().size();
        this.tx = decoder.inputSteps();
        this.ty = decoder.outputSteps();
    }

    void addTo(TypeSpec.Builder type) {
        addDecodingApi(type);
        SequenceWriter sequences = new SequenceWriter(plan);
        type.addMethod(forwardSequence());
        type.addMethod(decodeGreedy());
        type.addMethod(encode());
        type.addMethod(decoderStep());
        type.addMethod(feedBack());
        if (decoder.argmaxFeedback()) {
            type.addMethod(feedSymbol());
            type.addMethod(argmaxOutput());
        }
        type.addMethod(sequences.loss());
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

    private TypeName inputType() {
        return ApiWriter.type(plan.input(), num);
    }

    private void addDecodingApi(TypeSpec.Builder type) {
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
                .addStatement("syncPackedWeights()")
                .addStatement("checkInput(x, $S)", "x")
                .beginControlFlow("if (!(temperature >= 0 && temperature < Double.POSITIVE_INFINITY))")
                .addStatement("throw new IllegalArgumentException($S + temperature)",
                        "temperature must be finite and >= 0, got ")
                .endControlFlow()
                .beginControlFlow("if (temperature > 0)")
                .addStatement("$T.notNull(rng, $S)", RuntimeTypes.CHECKS, "rng")
                .endControlFlow()
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
                .addStatement("syncPackedWeights()")
                .addStatement("checkInput(x, $S)", "x")
                .addStatement("final $T search = new $T(width, $L, $L)", BEAM_SEARCH, BEAM_SEARCH, ty, o)
                .addStatement("loadInput(ws, x)")
                .addStatement("encode(ws)")
                .addComment("each hypothesis's decoder state: every decoder layer's h (and c) before its next step")
                .addStatement("$T states = new $T[Math.min(width, $L)][$L]", num.array(2), num.type(),
                        mostHypotheses(), state)
                .addStatement("$T next = new $T[states.length][$L]", num.array(2), num.type(), state)
                .addStatement("saveDecoderState(ws, 0, states[0])")
                .addCode(beamLoop(state))
                .addStatement("return search.hypotheses()")
                .build());
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
        Kernels.beginLoop(b, "s", 0, ty);
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
        Kernels.beginLoop(b, "s", 0, ty);
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
            if (decoder.symbolInput()) {
                b.addStatement("System.arraycopy($L, 0, $L, 1, $L)", net.targetSymbols().orElseThrow().ref(),
                        decoder.input().ref(), ty - 1);
            } else {
                b.addStatement("System.arraycopy($L, 0, $L, $L, $L)", net.targets().orElseThrow().ref(),
                        decoder.input().ref(), o, (ty - 1) * o);
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
                .addStatement("encode(ws)")
                .addCode(decodeLoop(CodeBlock.of("feedBack(ws, s)"), null))
                .build();
    }

    private MethodSpec encode() {
        CodeBlock.Builder b = CodeBlock.builder();
        Kernels.beginLoop(b, "t", 0, tx);
        for (LayerPlan layer : plan.layers()) {
            b.addStatement("$L(ws, t)", layer.forwardMethod());
        }
        Kernels.endLoop(b);
        b.add("// the decoder starts from the encoder's final states, layer by layer\n");
        List<LayerPlan> encoder = plan.layers();
        for (int k = 0; k < encoder.size(); k++) {
            List<BufferSpec> from = encoder.get(k).state();
            List<BufferSpec> to = decoder.layers().get(k).state();
            int h = encoder.get(k).hiddenSize();
            for (int j = 0; j < from.size(); j++) {
                b.addStatement("System.arraycopy($L, $L, $L, 0, $L)", from.get(j).ref(), tx * h, to.get(j).ref(), h);
            }
        }
        return MethodSpec.methodBuilder("encode")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addJavadoc("Runs the encoder over the $L input steps loaded in {@code ws} and starts the decoder"
                        + " from its final states.\n", tx)
                .addCode(b.build())
                .build();
    }

    private MethodSpec decoderStep() {
        CodeBlock.Builder b = CodeBlock.builder();
        for (LayerPlan layer : decoder.layers()) {
            b.addStatement("$L(ws, s)", layer.forwardMethod());
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
        List<LayerPlan> dec = decoder.layers();
        backwardLoop(b, ty, "s", () -> {
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
        backwardLoop(b, tx, "t", () -> {
            for (int i = enc.size() - 1; i >= 0; i--) {
                b.addStatement("$L(ws, t)", enc.get(i).backwardMethod());
            }
        });
        return MethodSpec.methodBuilder("backwardSequence")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addJavadoc("Backpropagation through time over the loaded sequence, after {@link #forwardSequence} and\n"
                        + "{@link #sequenceLoss}: the decoder and the head from the last output step to the first,"
                        + " then the encoder\nfrom its last step to its first; adds every parameter's gradient to its"
                        + " {@code grad} array.\n")
                .addCode(b.build())
                .build();
    }

    private static void backwardLoop(CodeBlock.Builder b, int steps, String variable, Runnable body) {
        if (steps == 1) {
            b.add("{\n").indent().addStatement("final int $L = 0", variable);
        } else {
            b.beginControlFlow("for (int $L = $L; $L >= 0; $L--)", variable, steps - 1, variable, variable);
        }
        body.run();
        b.unindent().add("}\n");
    }
}
