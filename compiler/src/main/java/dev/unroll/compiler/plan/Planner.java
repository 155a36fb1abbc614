package dev.unroll.compiler.plan;

import dev.unroll.compiler.codegen.cell.CellEmitter;
import dev.unroll.compiler.codegen.cell.ChoGruCell;
import dev.unroll.compiler.codegen.cell.ElmanCell;
import dev.unroll.compiler.codegen.cell.GruCell;
import dev.unroll.compiler.codegen.cell.LstmCell;
import dev.unroll.compiler.codegen.cell.PeepholeLstmCell;
import dev.unroll.compiler.codegen.cell.RowSplitCell;
import dev.unroll.dsl.model.CellSpec;
import dev.unroll.dsl.model.Direction;
import dev.unroll.dsl.model.GruVariant;
import dev.unroll.dsl.model.InputEncoding;
import dev.unroll.dsl.model.LayerSpec;
import dev.unroll.dsl.model.LossKind;
import dev.unroll.dsl.model.ModelPositions;
import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.dsl.model.OutputActivation;
import dev.unroll.dsl.model.StatementKind;
import dev.unroll.dsl.model.Topology;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Builds the {@link ModelPlan} of a validated model: the one place where sizes, names, buffers and
 * the cell of each layer are derived, and where what the generator cannot emit yet is refused.
 *
 * <pre>{@code
 * Planner.Result result = Planner.plan(model);
 * if (result.plan().isEmpty()) {
 *     result.refusals().forEach(r -> report(r.position(), r.message()));
 * }
 * }</pre>
 */
public final class Planner {
    private final NetworkModel model;
    private final boolean oneHot;
    private final boolean embedding;
    private final boolean frozen;
    private final boolean sequenceInput;
    private final boolean sequenceOutput;
    private final boolean feedback;
    private final int steps;
    private final int outputSteps;
    private final boolean layerByLayer;
    private final boolean encoderDecoder;
    /** The stack the model's layers make: the network's, or an encoder-decoder's encoder. */
    private final Stack stack;

    /**
     * What differs between the layer stacks of a model: the network's own ({@code rnn.*}), or an encoder-decoder's
     * encoder ({@code encoder.*}) and decoder ({@code decoder.*}, names ending in {@code Decoder}).
     *
     * @param tensorPrefix the PyTorch prefix of the stack's tensors
     * @param decoder whether this is a decoder, whose fields, buffers and methods end in {@code Decoder}
     * @param steps the steps the stack is unrolled over
     * @param firstInputSize what the stack's first layer reads per step
     * @param firstMode how the first layer reads it
     * @param firstSource the buffer of the first layer's dense input, when it has one
     */
    private record Stack(String tensorPrefix, boolean decoder, int steps, int firstInputSize, InputMode firstMode,
            Optional<BufferSpec> firstSource) {}
    private final boolean variableLength;
    private final Options options;

    /**
     * What planning a model gave: a plan, or the refusals that prevent one.
     *
     * @param plan the plan, when nothing was refused
     * @param refusals the features that cannot be generated yet, in spec order
     */
    public record Result(Optional<ModelPlan> plan, List<Refusal> refusals) {
        public Result {
            refusals = List.copyOf(refusals);
        }
    }

    private Planner(NetworkModel model, Options options) {
        this.model = model;
        this.options = options;
        this.oneHot = model.input().encoding() == InputEncoding.ONE_HOT;
        this.embedding = model.input().encoding() == InputEncoding.EMBEDDING;
        this.frozen = model.input().embedding().map(e -> e.frozen()).orElse(false);
        Topology kind = model.topology().kind();
        this.encoderDecoder = kind == Topology.ENCODER_DECODER;
        this.sequenceInput = kind == Topology.MANY_TO_MANY || kind == Topology.MANY_TO_ONE || encoderDecoder;
        this.sequenceOutput = kind == Topology.MANY_TO_MANY || kind == Topology.ONE_TO_MANY || encoderDecoder;
        this.feedback = model.topology().feedback();
        // an encoder-decoder's stacks each run their own steps: the encoder TX, the decoder TY
        this.steps = encoderDecoder ? model.topology().inputSteps() : model.topology().unrolledSteps();
        this.outputSteps = model.topology().outputSteps();
        this.layerByLayer = model.layers().stream().anyMatch(LayerSpec::isBidirectional);
        this.variableLength = model.topology().variableLength();
        this.stack = new Stack(encoderDecoder ? "encoder." : "rnn.", false, steps, model.input().size(),
                firstLayerInput(), Optional.empty());
    }

    /**
     * Choices of the planner that do not change what the generated code computes, only how (and so the rounding):
     * for tests that hold one form against the other.
     *
     * @param deferWeightGradients form the weight gradients once per sequence where the plan allows it
     *     ({@link LayerPlan.WeightGradients}); false keeps them per step everywhere
     * @param kernels how the matrix products are written: plain Java, or the Vector API at a fixed width
     * @param lockstep run the sequences of a training batch {@link ModelPlan#LOCKSTEP} at a time, step by step, where
     *     the plan allows it (Vector API kernels only); false runs them one at a time
     */
    public record Options(boolean deferWeightGradients, KernelStyle kernels, boolean lockstep) {
        /** The options of the compiler. */
        public static final Options DEFAULT = new Options(true, KernelStyle.PLAIN);

        public Options {
            java.util.Objects.requireNonNull(kernels, "kernels");
        }

        /** Returns options with plain kernels. */
        public Options(boolean deferWeightGradients) {
            this(deferWeightGradients, KernelStyle.PLAIN);
        }

        /** Returns options that run sequences in lockstep where the plan allows it. */
        public Options(boolean deferWeightGradients, KernelStyle kernels) {
            this(deferWeightGradients, kernels, true);
        }

        /** Returns these options with {@code kernels}. */
        public Options withKernels(KernelStyle kernels) {
            return new Options(deferWeightGradients, kernels, lockstep);
        }

        /** Returns these options with every batch run one sequence at a time ({@link ModelPlan#lockstep()} 1). */
        public Options withoutLockstep() {
            return new Options(deferWeightGradients, kernels, false);
        }
    }

    /** Plans a validated model, or says what in it cannot be generated yet. */
    public static Result plan(NetworkModel model) {
        return plan(model, Options.DEFAULT);
    }

    /** Plans a validated model with the given options, or says what in it cannot be generated yet. */
    public static Result plan(NetworkModel model, Options options) {
        List<Refusal> refusals = refusals(model);
        if (!refusals.isEmpty()) {
            return new Result(Optional.empty(), refusals);
        }
        return new Result(Optional.of(new Planner(model, options).build()), List.of());
    }

    /** Plans a model that must be generatable. */
    public static ModelPlan planOrThrow(NetworkModel model) {
        return planOrThrow(model, Options.DEFAULT);
    }

    /** Plans a model that must be generatable, with the given options. */
    public static ModelPlan planOrThrow(NetworkModel model, Options options) {
        Result result = plan(model, options);
        return result.plan().orElseThrow(() -> new IllegalArgumentException(model.name() + ": "
                + String.join("; ", result.refusals().stream().map(Refusal::message).toList())));
    }

    // ---- refusals ------------------------------------------------------------------------------

    /**
     * The features of a valid model that the code generator cannot emit yet. The language accepts them so that
     * specs can be written now; generation refuses them clearly instead of emitting wrong code.
     */
    private static List<Refusal> refusals(NetworkModel model) {
        List<Refusal> problems = new ArrayList<>();
        ModelPositions at = model.positions();
        nameClash(model.name()).ifPresent(m -> problems.add(new Refusal(at.name(), m)));
        if (model.topology().bpttWindow().isPresent() && model.topology().kind() == Topology.ENCODER_DECODER) {
            // deliberately: what an encoder-decoder trains is short (input_steps + output_steps), and windows would
            // cut the one path from the decoder's loss into the encoder, its initial state
            problems.add(new Refusal(at.atStatement(StatementKind.TRUNCATED_BPTT),
                    "truncated_bptt in an encoder-decoder is not generated yet, and is not planned: its windows would"
                            + " cut the gradient from the decoder's outputs into the encoder, whose final states are"
                            + " the only way the input reaches them; encoder-decoders train on short sequences"
                            + " (input_steps + output_steps), so remove truncated_bptt for full BPTT"));
        }
        return problems;
    }

    /** The classes every generated model nests, whose names a model cannot take. */
    private static final List<String> NESTED_TYPES = List.of("Workspace", "Gradients", "Stepper");

    /**
     * Why a model cannot have this class name, if it cannot: a generated class named like a {@code java.lang}
     * type hides it from its own code ({@code Long.MIN_VALUE}, {@code System.arraycopy}, {@code Double.isFinite}
     * stop compiling), and one named like a nested class clashes with it. Refused by name, so that the user
     * gets this message rather than javac's on generated code.
     */
    static Optional<String> nameClash(String name) {
        if (NESTED_TYPES.contains(name)) {
            return Optional.of("a model cannot be named '" + name + "': every generated model has a nested class of"
                    + " that name (" + String.join(", ", NESTED_TYPES) + "); choose another name");
        }
        if (javaLangType(name)) {
            return Optional.of("a model cannot be named '" + name + "': the generated class would hide java.lang."
                    + name + ", which the generated code uses by its simple name; choose another name");
        }
        return Optional.empty();
    }

    private static boolean javaLangType(String name) {
        try {
            // the platform's own classes, through the bootstrap loader: no user class is loaded or initialized
            Class.forName("java.lang." + name, false, null);
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    // ---- the plan ------------------------------------------------------------------------------

    private ModelPlan build() {
        int inputSize = model.input().size();
        int featureSize = model.input().featureSize();
        int outputSize = model.output().size();
        boolean symbolTargets = model.training().loss() == LossKind.CROSS_ENTROPY;
        boolean denseX = !oneHot || feedback;
        boolean inputGradient = !oneHot && !frozen;
        NetworkBuffers network = new NetworkBuffers(
                oneHot || embedding ? Optional.of(BufferSpec.symbolsByTime("symbols", steps, "Input symbols, one per step."))
                        : Optional.empty(),
                denseX ? Optional.of(BufferSpec.numbersByTime("x", steps, 1, featureSize, embedding
                        ? "Inputs, {@code x[t * D + i]}: the embedding row of each step's symbol."
                        : "Inputs, {@code x[t * INPUT_SIZE + i]}.")) : Optional.empty(),
                denseX && (!frozen || feedback) ? Optional.of(BufferSpec.numbers("dxStep", featureSize,
                        "{@code dL/dx_t} of the step being back-propagated.")) : Optional.empty(),
                inputGradient ? Optional.of(BufferSpec.numbersByTime("dx", steps, 1, featureSize,
                        "{@code dL/dx}, laid out like {@code x}.")) : Optional.empty(),
                BufferSpec.numbersByTime("logits", outputSteps, 1, outputSize, "Head pre-activations per output."),
                BufferSpec.numbers("headAcc", outputSize, "Head pre-activations of the output being computed."),
                BufferSpec.numbers("headIn", topOutputSize(),
                        "The head's input {@code h_t} of the output being back-propagated."),
                BufferSpec.numbersByTime("y", outputSteps, 1, outputSize, "Outputs per output step."),
                BufferSpec.numbersByTime("dLogits", outputSteps, 1, outputSize, "Loss gradient with respect to the logits."),
                symbolTargets ? Optional.of(BufferSpec.symbolsByTime("targetSymbols", outputSteps,
                        "Target classes, one per output.")) : Optional.empty(),
                symbolTargets ? Optional.empty()
                        : Optional.of(BufferSpec.numbersByTime("targets", outputSteps, 1, outputSize,
                                "Targets, laid out like {@code y}.")),
                model.training().loss() == LossKind.MSE
                        ? Optional.of(BufferSpec.numbers("dy", outputSize, "{@code dL/dy} of one output."))
                        : Optional.empty(),
                feedback ? Optional.of(BufferSpec.numbers("dyFeedback", outputSize,
                        "{@code dL/dy_t} through the feedback path into {@code x_{t+1}}.")) : Optional.empty(),
                layerByLayer ? Optional.of(BufferSpec.numbers("dHeadIn", topOutputSize(),
                        "{@code dL/d(head input)} of the output being back-propagated.")) : Optional.empty());

        List<LayerPlan> layers = new ArrayList<>();
        for (LayerSpec spec : model.layers()) {
            layers.add(layer(spec, layers.isEmpty() ? null : layers.get(layers.size() - 1), network));
        }
        Optional<DecoderPlan> decoder = encoderDecoder ? Optional.of(decoder(network)) : Optional.empty();
        // the head reads the top layer, an encoder-decoder's decoder's
        LayerPlan top = decoder.map(DecoderPlan::top).orElse(layers.get(layers.size() - 1));
        int f = topOutputSize();
        boolean finalState = top.merge().map(LayerPlan.Merge::finalOnly).orElse(false);
        HeadPlan head = new HeadPlan(
                new TensorSpec("headWeight", "head.weight", outputSize, f, 1,
                        new TensorSpec.Init(TensorSpec.Init.Kind.WEIGHT, f), true, true),
                new TensorSpec("headBias", "head.bias", outputSize, 0, 1,
                        new TensorSpec.Init(TensorSpec.Init.Kind.BIAS, f), false, false),
                top.output(), finalState ? "0" : "(t + 1) * " + f,
                network.headInputGradient().orElse(top.stepOutputGradient()), f, outputSize, model.output().activation(),
                model.training().loss());

        ValueShape input = new ValueShape(oneHot || embedding, sequenceInput, sequenceInput ? steps : 1, inputSize, "the input size");
        ValueShape target = new ValueShape(symbolTargets, sequenceOutput, sequenceOutput ? outputSteps : 1, outputSize,
                "the output size");
        ValueShape output = new ValueShape(false, sequenceOutput, sequenceOutput ? outputSteps : 1, outputSize,
                "the output size");
        TimeSchedule schedule = new TimeSchedule(steps, outputSteps,
                sequenceOutput ? TimeSchedule.Scoring.EVERY_STEP : TimeSchedule.Scoring.LAST_STEP, feedback,
                variableLength, model.topology().bpttWindow());
        Optional<EmbeddingPlan> table = model.input().embedding().map(e -> new EmbeddingPlan(
                new TensorSpec("embeddingWeight", "embedding.weight", inputSize, e.size(), 1,
                        new TensorSpec.Init(TensorSpec.Init.Kind.EMBEDDING, e.size()), false, false),
                e.frozen(), sequenceInput ? steps : 1));
        return new ModelPlan(model, input, target, output, schedule, layers, head, network, forwardFlops(), table,
                decoder, options.kernels(), lockstep(layers, table.isPresent() || decoder.isPresent()));
    }

    /**
     * The decoder of an encoder-decoder: the same layers as the encoder with their own parameters, over
     * {@code TY} steps; the first reads the previous output's value (5.5 of the language reference) from a buffer of
     * its own, symbols for class targets, vectors otherwise.
     */
    private DecoderPlan decoder(NetworkBuffers network) {
        int o = model.output().size();
        boolean symbols = model.training().loss() == LossKind.CROSS_ENTROPY;
        BufferSpec input = symbols
                ? BufferSpec.symbols("decoderSymbols", outputSteps, "Decoder: the class step {@code s} reads (the"
                        + " previous target, or the previous output's argmax) at {@code s}; step 0 reads none.")
                : BufferSpec.numbers("decoderX", outputSteps * o, "Decoder: the vector step {@code s} reads (the"
                        + " previous target, or the previous output) at {@code s * OUTPUT_SIZE}; step 0 reads none.");
        Stack decoder = new Stack("decoder.", true, outputSteps, o,
                symbols ? InputMode.FED_BACK_SYMBOL : InputMode.FED_BACK_DENSE, Optional.of(input));
        List<LayerPlan> layers = new ArrayList<>();
        int stateSize = 0;
        for (LayerSpec spec : model.layers()) {
            LayerPlan below = layers.isEmpty() ? null : layers.get(layers.size() - 1);
            int inputSize = below == null ? o : spec.inputSize();
            LayerPlan layer = pass(spec, new LayerShape(spec.index(), inputSize, spec.hiddenSize(),
                    spec.cell().gateCount(), outputSteps, false, LayerShape.DECODER), below, network,
                    LayerPlan.Pass.stepByStep(), Optional.empty(), Optional.empty(),
                    dropout(spec, spec.hiddenSize(), false, decoder, model.layers().size() + spec.index()), List.of(),
                    decoder);
            layers.add(layer);
            stateSize += layer.state().size() * spec.hiddenSize();
        }
        return new DecoderPlan(layers, input, symbols, model.output().activation() == OutputActivation.SOFTMAX,
                steps, outputSteps, stateSize);
    }

    private int topOutputSize() {
        return model.layers().get(model.layers().size() - 1).outputSize();
    }

    private InputMode firstLayerInput() {
        if (embedding && feedback) {
            return InputMode.EMBEDDED_THEN_FED_BACK;
        }
        if (embedding) {
            return sequenceInput ? InputMode.EMBEDDED : InputMode.EMBEDDED_FIRST;
        }
        if (oneHot) {
            if (feedback) {
                return InputMode.SYMBOL_THEN_DENSE;
            }
            return sequenceInput ? InputMode.SYMBOL : InputMode.SYMBOL_FIRST;
        }
        return sequenceInput || feedback ? InputMode.DENSE : InputMode.DENSE_FIRST;
    }

    private LayerPlan layer(LayerSpec spec, LayerPlan below, NetworkBuffers network) {
        int l = spec.index();
        int h = spec.hiddenSize();
        boolean top = l == model.layers().size() - 1;
        if (!layerByLayer) {
            // an encoder's top layer passes nothing on but its final states, which PyTorch never masks (nn.LSTM's
            // dropout acts between layers, not on h_n): its dropout is the decoder's top layer's, before the head
            Optional<LayerPlan.Dropout> dropout = encoderDecoder && top ? Optional.empty()
                    : dropout(spec, h, false, stack, l);
            return pass(spec, new LayerShape(l, spec.inputSize(), h, spec.cell().gateCount(), steps, false,
                    stack.tensorPrefix()), below, network, LayerPlan.Pass.stepByStep(), Optional.empty(),
                    Optional.empty(), dropout, List.of(), stack);
        }
        // a network with a bidirectional layer runs layer by layer; the layer's output, and its gradient per step
        int o = spec.outputSize();
        boolean scoredAtTheEnd = !sequenceOutput;
        boolean finalOnly = top && scoredAtTheEnd;
        String p = "Layer " + l + ": ";
        List<BufferSpec> sequenceBuffers = new ArrayList<>();
        Optional<BufferSpec> outputGradient = top && scoredAtTheEnd ? Optional.empty()
                : Optional.of(BufferSpec.numbers("dOut" + l, steps * o,
                        p + "{@code dL/d(output)} of each step {@code t} at {@code t * " + o + "}, from "
                                + (top ? "the head." : "layer " + (l + 1) + ".")));
        Optional<BufferSpec> inputGradientStep = below == null ? network.dxStep()
                : Optional.of(BufferSpec.numbers("dIn" + l, spec.inputSize(),
                        p + "{@code dL/dx_t} of the step being back-propagated, at offset 0."));
        Optional<LayerPlan.StepSlice> inputGradient = below == null
                ? network.dx().map(dx -> new LayerPlan.StepSlice(dx, spec.inputSize(), 0))
                : Optional.of(new LayerPlan.StepSlice(below.pass().outputGradient().orElseThrow().buffer(),
                        below.outputSize(), 0));
        Optional<LayerPlan.Merge> merge = Optional.empty();
        if (spec.isBidirectional()) {
            boolean sum = spec.direction() == Direction.SUM;
            String what = sum ? "{@code h_fwd + h_bwd}" : "{@code [h_fwd; h_bwd]}";
            merge = Optional.of(new LayerPlan.Merge(sum, finalOnly
                    ? BufferSpec.numbers("hN" + l, o, p + what + " of the passes' final states (PyTorch's {@code h_n}):"
                            + " the forward pass after the last step, the reverse pass after the first.")
                    : BufferSpec.numbers("out" + l, (steps + 1) * o, p + "the output " + what + " of time {@code t} at"
                            + " {@code (t + 1) * " + o + "}; offset 0 stays zero."), o, finalOnly));
        }
        outputGradient.ifPresent(sequenceBuffers::add);
        if (below != null) {
            sequenceBuffers.add(inputGradientStep.orElseThrow());
        }
        merge.ifPresent(m -> sequenceBuffers.add(m.output()));
        Optional<LayerPlan.Dropout> dropout = dropout(spec, o, finalOnly && spec.isBidirectional(), stack, l);
        // the output gradient is masked as it reaches each pass: the mask is laid out like the gradient
        Optional<BufferSpec> mask = outputGradient.isPresent() ? dropout.map(LayerPlan.Dropout::mask) : Optional.empty();
        LayerPlan.Pass forwards = new LayerPlan.Pass("t",
                outputGradient.map(g -> new LayerPlan.StepSlice(g, o, 0)), inputGradient, inputGradientStep,
                mask.map(m -> new LayerPlan.StepSlice(m, o, 0)));
        Optional<LayerPlan> reverse = Optional.empty();
        if (spec.isBidirectional()) {
            // with variable lengths, the reverse pass starts at each sequence's own last step (PyTorch's packed
            // sequences): its step t reads time L - 1 - t
            String time = variableLength ? "(ws." + TimeSchedule.LENGTH + " - 1 - t)"
                    : steps == 1 ? "t" : "(" + (steps - 1) + " - t)";
            int half = spec.direction() == Direction.SUM ? 0 : h;
            LayerPlan.Pass backwards = new LayerPlan.Pass(time,
                    outputGradient.map(g -> new LayerPlan.StepSlice(g, o, half)), inputGradient, inputGradientStep,
                    mask.map(m -> new LayerPlan.StepSlice(m, o, half)));
            reverse = Optional.of(pass(spec, new LayerShape(l, spec.inputSize(), h, spec.cell().gateCount(), steps,
                    true), below, network, backwards, Optional.empty(), Optional.empty(), Optional.empty(), List.of(),
                    stack));
        }
        return pass(spec, new LayerShape(l, spec.inputSize(), h, spec.cell().gateCount(), steps), below, network,
                forwards, reverse, merge, dropout, sequenceBuffers, stack);
    }

    /**
     * The dropout of a layer of {@code stack} whose output has {@code size} elements per step, if its spec asks for
     * one: the masked output, the mask and, in a network that runs step by step, the gradient the layer above adds
     * to. When {@code finalOnly}, only the final states are masked, one output. {@code maskKey} is the layer's
     * part of the masks' key: the layer's index, or, in a decoder, the number of layers plus it (language.md 4.8),
     * so that no decoder layer draws an encoder layer's masks.
     */
    private Optional<LayerPlan.Dropout> dropout(LayerSpec spec, int size, boolean finalOnly, Stack stack, int maskKey) {
        if (spec.dropout() == 0) {
            return Optional.empty();
        }
        int l = spec.index();
        int steps = stack.steps();
        String k = l + (stack.decoder() ? "Decoder" : "");
        String p = (stack.decoder() ? "Decoder layer " : "Layer ") + l + ": ";
        String reader = l == model.layers().size() - 1 ? "the head" : (stack.decoder() ? "decoder layer " : "layer ")
                + (l + 1);
        return Optional.of(new LayerPlan.Dropout(spec.dropout(),
                finalOnly ? BufferSpec.numbers("dropped" + k, size, p + "the final states with dropout, which "
                        + reader + " reads.")
                        : BufferSpec.numbersByTime("dropped" + k, steps + 1, 2, size, p + "the output with dropout, which "
                                + reader + " reads: time {@code t} at {@code (t + 1) * " + size + "}; offset 0 stays zero."),
                BufferSpec.numbersByTime("dropMask" + k, finalOnly ? 1 : steps, 1, size, p + "the dropout mask"
                        + (finalOnly ? "" : " of time {@code t} at {@code t * " + size + "}")
                        + ": 0 or {@code 1 / (1 - p)} in training, drawn by the forward pass."),
                layerByLayer ? Optional.empty() : Optional.of(BufferSpec.numbers("dDropped" + k, size, p
                        + "{@code dL/d(the output with dropout)} of the step being back-propagated, from " + reader
                        + ".")),
                size, finalOnly, maskKey));
    }

    /** One pass of a layer of a stack over the sequence: its emitter, tensors and buffers, named by its shape's key. */
    private LayerPlan pass(LayerSpec spec, LayerShape shape, LayerPlan below, NetworkBuffers network,
            LayerPlan.Pass pass, Optional<LayerPlan> reverse, Optional<LayerPlan.Merge> merge,
            Optional<LayerPlan.Dropout> dropout, List<BufferSpec> sequenceBuffers, Stack stack) {
        int l = spec.index();
        String k = shape.key();
        int h = spec.hiddenSize();
        int g = spec.cell().gateCount();
        int gh = g * h;
        int steps = stack.steps();
        int inputSize = shape.inputSize();
        InputMode mode = below == null ? stack.firstMode() : InputMode.DENSE;
        if (shape.reverse() && steps > 1 && !mode.everyStep()) {
            throw new IllegalStateException("a reverse pass needs an input at every step: " + mode);
        }
        String p = shape.docPrefix();
        String field = (shape.reverse() ? "Reverse" : "") + (stack.decoder() ? "Decoder" : "");
        TensorSpec.Init weight = new TensorSpec.Init(TensorSpec.Init.Kind.WEIGHT, h);
        TensorSpec.Init recurrent = new TensorSpec.Init(TensorSpec.Init.Kind.RECURRENT_WEIGHT, h);
        TensorSpec.Init bias = new TensorSpec.Init(TensorSpec.Init.Kind.BIAS, h);
        // W_ih is read row by row only for W_ih^T dz, which a one-hot input never needs, nor a decoder's first layer
        boolean inputRows = below != null || mode.readsDense();
        boolean inputGradient = below != null || mode.readsDense() && !stack.decoder();
        CellEmitter cell = cell(spec.cell(), shape);
        LayerPlan.WeightGradients weightGradients = weightGradients(shape, cell, mode, below != null, stack);
        // x_t copied for dW_ih += dz x_t^T at each step, unless that is formed after BPTT
        boolean inputStep = inputRows && weightGradients.deferred().flatMap(LayerPlan.Deferred::inputBlock).isEmpty();
        LayerPlan.LayerBuffers buffers = new LayerPlan.LayerBuffers(
                BufferSpec.numbersByTime("h" + k, steps + 1, 2, h, p + (shape.reverse()
                        ? "{@code h} after step {@code s} (time {@code T - 1 - s}) at {@code (s + 1) * H}; 0 at offset 0."
                        : "{@code h_{t}} at {@code (t + 1) * H}; {@code h_{-1} = 0}.")),
                BufferSpec.numbers("hPrev" + k, h, p + "{@code h_{t-1}} of the step being back-propagated, at offset 0."),
                BufferSpec.numbers("hStep" + k, h, p + "scratch of one step's hidden size, at offset 0."),
                inputStep ? Optional.of(BufferSpec.numbers("inStep" + k, inputSize,
                        p + "{@code x_t} of the step being back-propagated.")) : Optional.empty(),
                BufferSpec.numbers("dh" + k, h, p + "{@code dL/dh} of the step being back-propagated."),
                BufferSpec.numbers("dz" + k, gh, p + "gradient of the gate pre-activations."));
        String time = pass.time();
        String sourceOffset;
        if (below == null) {
            sourceOffset = time + " * " + inputSize;
        } else if (time.equals("t")) {
            sourceOffset = "(t + 1) * " + below.outputSize();
        } else if (variableLength) {
            sourceOffset = "(ws." + TimeSchedule.LENGTH + " - t) * " + below.outputSize();
        } else {
            sourceOffset = "(" + steps + " - t) * " + below.outputSize();
        }
        return new LayerPlan(shape, cell, mode,
                below == null ? stack.firstSource().or(network::x) : Optional.of(below.output()),
                sourceOffset,
                below == null || layerByLayer ? Optional.empty() : Optional.of(below.stepOutputGradient()),
                new TensorSpec("weightIhL" + l + field, shape.tensorName("weight_ih"), gh, inputSize, g, weight, true,
                        inputGradient),
                new TensorSpec("weightHhL" + l + field, shape.tensorName("weight_hh"), gh, h, g, recurrent, true, true),
                new TensorSpec("biasIhL" + l + field, shape.tensorName("bias_ih"), gh, 0, g, bias, false, false),
                new TensorSpec("biasHhL" + l + field, shape.tensorName("bias_hh"), gh, 0, g, bias, false, false),
                buffers, pass, reverse, merge, dropout, sequenceBuffers, weightGradients);
    }

    /**
     * Chooses how many sequences of a training batch run together, step by step ({@link ModelPlan#lockstep()}):
     * {@link ModelPlan#LOCKSTEP} where the Vector API kernels can share each weight load between them, else 1. That
     * needs every layer's step cut into its pre-activations and the rest ({@code RowSplitCell}), one fixed-length
     * BPTT loop with the weight gradients formed after it (so that each sequence's weight gradients are added whole,
     * in batch order, and come out as when one runs at a time), no dropout and an input at every step.
     */
    private int lockstep(List<LayerPlan> layers, boolean tableOrDecoder) {
        boolean allowed = options.lockstep() && options.kernels().isVector() && !tableOrDecoder && !feedback
                && layers.stream().allMatch(l -> l.reverse().isEmpty() && l.dropout().isEmpty()
                        && l.weightGradients().isDeferred() && l.cell() instanceof RowSplitCell
                        && (l.inputMode() == InputMode.DENSE || l.inputMode() == InputMode.SYMBOL));
        return allowed ? ModelPlan.LOCKSTEP : 1;
    }

    /**
     * Chooses when a layer's weight gradients are formed: once per sequence, four steps per pass over the gradient
     * rows, where the sequence's BPTT is the one loop of {@code backwardSequence} over a fixed number of steps;
     * per step everywhere else (each of those paths calls the backward steps in its own order, and would need its
     * own call of the deferred pass).
     */
    private LayerPlan.WeightGradients weightGradients(LayerShape shape, CellEmitter cell, InputMode mode,
            boolean denseFromBelow, Stack stack) {
        String refused = !options.deferWeightGradients() ? "the planner's options keep them per step"
                : encoderDecoder || stack.decoder() ? "an encoder-decoder runs its own BPTT loops"
                : layerByLayer ? "a bidirectional network runs BPTT layer by layer"
                : model.topology().bpttWindow().isPresent() ? "truncated BPTT runs window by window"
                : variableLength ? "variable lengths end BPTT at each sequence's own length"
                : stack.steps() < 2 ? "one step: nothing to share"
                : cell instanceof ChoGruCell ? "the Cho GRU forms its W_hn rows itself"
                : null;
        if (refused != null) {
            return LayerPlan.WeightGradients.perStep("per step: " + refused);
        }
        String k = shape.key();
        int h = shape.hiddenSize();
        int gh = shape.gateRows();
        int steps = stack.steps();
        int block = LayerPlan.Deferred.BLOCK;
        String p = shape.docPrefix();
        boolean hidden = cell.separateHiddenGradient();
        // a dense input at every step defers dW_ih too; a one-hot input's column update stays per step (it reads
        // one column of each row, not the row)
        boolean input = denseFromBelow || mode == InputMode.DENSE || mode == InputMode.EMBEDDED;
        LayerPlan.Deferred deferred = new LayerPlan.Deferred(
                BufferSpec.numbersByTime("dzSteps" + k, steps, 1, gh, p + "{@code dz_t} of every step at"
                        + " {@code t * " + gh + "}, for the weight gradients formed after BPTT."),
                hidden ? Optional.of(BufferSpec.numbersByTime("dzHiddenSteps" + k, steps, 1, gh, p + "the hidden"
                        + " side's {@code dz_t} of every step at {@code t * " + gh + "}.")) : Optional.empty(),
                BufferSpec.numbers("dzBlock" + k, block * gh, p + "four steps' {@code dz} at offset 0, " + gh
                        + " apart."),
                hidden ? Optional.of(BufferSpec.numbers("dzHiddenBlock" + k, block * gh, p + "four steps'"
                        + " hidden-side {@code dz} at offset 0.")) : Optional.empty(),
                BufferSpec.numbers("hBlock" + k, block * h, p + "four steps' {@code h_{t-1}} at offset 0, " + h
                        + " apart."),
                input ? Optional.of(BufferSpec.numbers("inBlock" + k, block * shape.inputSize(), p + "four steps'"
                        + " {@code x_t} at offset 0, " + shape.inputSize() + " apart.")) : Optional.empty());
        return new LayerPlan.WeightGradients(Optional.of(deferred), "formed once per sequence, " + block
                + " steps per pass over the gradient rows" + (input ? "" : "; W_ih's one-hot columns stay per step"));
    }

    /** The one place that maps a cell of the spec to its emitter. */
    private static CellEmitter cell(CellSpec spec, LayerShape shape) {
        if (spec instanceof CellSpec.Rnn rnn) {
            return new ElmanCell(rnn, shape);
        }
        if (spec instanceof CellSpec.Lstm lstm) {
            return lstm.peepholes() || lstm.cellClip().isPresent() ? new PeepholeLstmCell(lstm, shape)
                    : new LstmCell(lstm, shape);
        }
        if (spec instanceof CellSpec.Gru gru) {
            return gru.variant() == GruVariant.CHO ? new ChoGruCell(gru, shape) : new GruCell(gru, shape);
        }
        throw new AssertionError("no emitter for " + spec);
    }

    /**
     * Returns the options of a layer's cell as the spec writes them, for the model's {@code shape()}: the Elman
     * activation, an LSTM's peepholes and cell clip, the GRU's form. The defaults that change no computation are
     * left out.
     */
    public static List<String> cellOptions(CellSpec spec) {
        List<String> options = new ArrayList<>();
        if (spec instanceof CellSpec.Rnn rnn) {
            options.add(rnn.activation().keyword());
        } else if (spec instanceof CellSpec.Lstm lstm) {
            if (lstm.peepholes()) {
                options.add("peepholes");
            }
            lstm.cellClip().ifPresent(clip -> options.add("cell_clip " + clip));
        } else if (spec instanceof CellSpec.Gru gru && gru.variant() == GruVariant.CHO) {
            options.add("cho");
        }
        return List.copyOf(options);
    }

    private long forwardFlops() {
        long flops = 0;
        for (LayerSpec layer : model.layers()) {
            long gh = (long) layer.cell().gateCount() * layer.hiddenSize();
            flops += (long) steps * 2 * gh * (layer.inputSize() + layer.hiddenSize()) * (layer.isBidirectional() ? 2 : 1);
            if (encoderDecoder) {
                int in = layer.index() == 0 ? model.output().size() : layer.inputSize();
                flops += (long) outputSteps * 2 * gh * (in + layer.hiddenSize());
            }
        }
        return flops + (long) outputSteps * 2 * model.output().size() * topOutputSize();
    }
}
