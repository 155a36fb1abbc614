package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.runtime.Parameter;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backpropagation through time against central differences of the loss, for every combination
 * of cell (rnn tanh, rnn relu, lstm, gru) x topology (one_to_one, one_to_many, one_to_many with
 * feedback, many_to_one, many_to_many) x depth (1, 2, and 3 layers with different hidden sizes) x
 * head and loss (softmax + cross_entropy, sigmoid + binary_cross_entropy, linear + mse, tanh + mse,
 * sigmoid + mse, softmax + mse) x input encoding (dense; one_hot too, except feedback into a
 * non-softmax head, which the language forbids). Sizes are drawn at random (seeded) and small, in
 * float64, without clipping, batch 2. Then bidirectional stacks: every cell x the topologies that
 * allow them (one_to_one, many_to_one, many_to_many) x depth 1 to 3, each layer forward, concat or
 * sum at random with at least one bidirectional, heads and encodings in turn. Then dropout (0.2 or 0.5 on
 * random layers, at least one): every cell, variants included, x every topology, the depths 1 to 3 in
 * turn, and bidirectional stacks of depth 1 and 2; for those {@code computeGradients} is compared with
 * differences of {@code trainingLoss}, the loss under the same masks (those of update 0: masks depend on
 * the seed, update, sequence, layer and element, never on the weights), which must also equal the
 * {@link ReferenceModel} with the masks of the language reference, while {@code loss()} stays the
 * network without dropout.
 *
 * <p>For each case, weights are uniform in [-0.5, 0.5] and inputs and targets random; every element
 * of every parameter's gradient, and of the input gradient for dense inputs, from
 * {@code computeGradients} must match the fourth-order central difference
 * <pre>
 * g ~ (-L(v + 2h) + 8 L(v + h) - 8 L(v - h) + L(v - 2h)) / 12h,     h = {@value #STEP}
 * </pre>
 * of {@code loss()}. Theory for the step: the truncation error is {@code h^4 |L^(5)| / 30}, about
 * {@code 5e-17 |L^(5)|} here, negligible for these small smooth networks; rounding adds about
 * {@code 1.5 k eps |L| / h}, with {@code eps = 2.2e-16}, losses of order 1, and {@code k} a few
 * ulps of noise in a loss that is a sum of rounded terms: a few 1e-12 in absolute terms. That
 * resolves gradients down to 1e-5 to a relative 1e-6, hence the criterion
 * <pre>
 * |analytic - numeric| / max(|analytic|, |numeric|, FLOOR) &lt; 1e-6,     FLOOR = {@value #FLOOR}
 * </pre>
 * The floor only matters for elements whose true gradient is below 1e-5 (many are exactly zero:
 * the recurrent weights of a one_to_one network, a relu unit that never fires): for them it
 * demands an absolute agreement of 1e-11.
 *
 * <p>A relu network is not differentiable where a pre-activation is 0, and a difference quotient
 * across such a kink is meaningless; as a careful fixture script would, the test redraws the
 * weights and inputs until no relu pre-activation (computed by {@link ReferenceModel}) lies within
 * {@value #RELU_MARGIN} of 0, which is well beyond what a perturbation of 2h can move it. Likewise
 * for {@code cell_clip}: a draw is kept when the clamp changes some cell state and no pre-clamp
 * {@code |c|} lies within {@value #CLIP_MARGIN} of the clip.
 *
 * <p>The variants PyTorch has no module for (LSTM peepholes, cell clip, both, the Cho GRU) are
 * drawn after those cases, over every topology and depth with the heads and encodings in turn.
 *
 * <p>Last, {@code variable_length}: many_to_one and many_to_many, 1 and 2 layers, each forward, concat or sum at
 * random, over rnn tanh, lstm, gru, the peephole LSTM and the Cho GRU, each batch of two holding one sequence shorter
 * than the steps: the gradients of {@code computeGradients(ws, xs, targets, lengths)} against the central differences
 * of {@code loss(ws, xs, targets, lengths)}; the gradient with respect to every padded input is exactly zero, and its
 * central difference rounding noise below {@code FLOOR * TOLERANCE} (the padding is never read).
 *
 * <p>Then encoder-decoders ({@code many_to_many input_steps TX output_steps TY}, trained with teacher
 * forcing): every cell, variants included, at depth 1 to 3, with the heads and encodings in turn and
 * {@code TX}, {@code TY} drawn independently; the gradients reach both stacks' weights, the head and
 * {@code dL/dx}. Last, {@code variable_length} encoder-decoders: every cell at depth 1 and 2, each batch of two
 * with one input and one target shorter than {@code TX} and {@code TY}: the gradients of
 * {@code computeGradients(ws, xs, targets, inputLengths, targetLengths)} against the differences of
 * {@code loss(ws, xs, targets, inputLengths, targetLengths)}, and every padded input's gradient exactly zero.
 * Then encoder-decoders with dropout (rnn tanh, lstm, gru at depth 1 and 2, fixed and {@code variable_length}, some
 * layers with dropout): {@code computeGradients} against the differences of {@code trainingLoss} under the masks of
 * update 0, whose full-length loss must equal the {@link ReferenceModel}'s with the masks of the language reference
 * (the decoder's layer {@code k} keyed {@code layers + k}, the encoder's top layer unmasked).
 */
class FiniteDifferenceTest {
    static final double STEP = 2e-4;
    static final double FLOOR = 1e-5;
    static final double TOLERANCE = 1e-6;
    static final double RELU_MARGIN = 4e-3;
    static final double CLIP_MARGIN = 4e-3;
    static final int BATCH = 2;
    private static final long SEED = 20240611L;

    @TempDir
    static Path work;

    private static final List<NetSpec> cases = new ArrayList<>();
    /** The lengths of the variable-length cases' batches, by case name. */
    private static final Map<String, int[]> lengths = new java.util.HashMap<>();
    /** The target lengths of the variable-length encoder-decoders' batches, by case name. */
    private static final Map<String, int[]> targetLengths = new java.util.HashMap<>();
    /** The cases whose embedding table is {@code frozen}: no gradient, none computed, none compared. */
    private static final java.util.Set<String> frozen = new java.util.HashSet<>();
    private static Map<String, Class<?>> classes;
    private static final AtomicReference<String> worst = new AtomicReference<>("none");
    private static double worstError;
    private static double worstVariantError;
    private static String worstVariant = "none";
    private static long checkedElements;
    private static int effectiveDropoutCases;
    private static double compileSeconds;
    private static double cpuAtStart;
    private static double compileCpuSeconds;

    @BeforeAll
    static void generateAndCompileEveryCase() {
        SplittableRandom random = new SplittableRandom(SEED);
        List<NetworkModel> models = new ArrayList<>();
        for (NetSpec.Cell cell : NetSpec.Cell.core()) {
            for (NetSpec.Topo topology : NetSpec.Topo.oneStack()) {
                for (int layers = 1; layers <= 3; layers++) {
                    for (NetSpec.Head head : NetSpec.Head.values()) {
                        for (boolean oneHot : new boolean[] {false, true}) {
                            if (oneHot && !NetSpec.oneHotAllowed(topology, head)) {
                                continue;
                            }
                            String name = "Fd" + cases.size();
                            NetSpec spec = NetSpec.random(random, "fd", name, cell, layers, topology, head, oneHot,
                                    true, 3, 4);
                            cases.add(spec);
                            models.add(spec.model());
                        }
                    }
                }
            }
        }
        // the variants: every topology and depth, the heads and encodings in turn (drawn after the cases above,
        // which stay as they were)
        int j = 0;
        for (NetSpec.Cell cell : NetSpec.Cell.variants()) {
            for (NetSpec.Topo topology : NetSpec.Topo.oneStack()) {
                for (int layers = 1; layers <= 3; layers++, j++) {
                    NetSpec.Head head = NetSpec.Head.values()[j % 6];
                    boolean oneHot = j / 6 % 2 == 1 && NetSpec.oneHotAllowed(topology, head);
                    String name = "Fd" + cases.size();
                    NetSpec spec = NetSpec.random(random, "fd", name, cell, layers, topology, head, oneHot, true, 3, 4);
                    cases.add(spec);
                    models.add(spec.model());
                }
            }
        }
        SplittableRandom bidirectional = new SplittableRandom(SEED + 1);
        NetSpec.Direction[] directions = NetSpec.Direction.values();
        NetSpec.Head[] heads = NetSpec.Head.values();
        for (NetSpec.Cell cell : NetSpec.Cell.core()) {
            for (NetSpec.Topo topology : List.of(NetSpec.Topo.ONE_TO_ONE, NetSpec.Topo.MANY_TO_ONE,
                    NetSpec.Topo.MANY_TO_MANY)) {
                for (int layers = 1; layers <= 3; layers++) {
                    for (int variant = 0; variant < 2; variant++) {
                        String name = "Fd" + cases.size();
                        NetSpec.Head head = heads[cases.size() % heads.length];
                        boolean oneHot = cases.size() % 3 == 0;
                        NetSpec base = NetSpec.random(bidirectional, "fd", name, cell, layers, topology, head, oneHot,
                                true, 3, 4);
                        List<NetSpec.Layer> stack = new ArrayList<>();
                        for (int k = 0; k < layers; k++) {
                            NetSpec.Direction d = directions[bidirectional.nextInt(directions.length)];
                            if (k == layers - 1 && stack.stream().noneMatch(NetSpec.Layer::bidirectional)
                                    && d == NetSpec.Direction.FORWARD) {
                                d = variant == 0 ? NetSpec.Direction.CONCAT : NetSpec.Direction.SUM;
                            }
                            stack.add(new NetSpec.Layer(cell, base.layers().get(k).hidden(), d));
                        }
                        NetSpec spec = new NetSpec(base.packageName(), name, stack, base.inputSize(), oneHot,
                                base.outputSize(), head, topology, base.steps(), base.fixedBatch(), true);
                        cases.add(spec);
                        models.add(spec.model());
                    }
                }
            }
        }
        // variable_length, drawn after every case above, which stay as they were
        SplittableRandom variable = new SplittableRandom(SEED + 2);
        for (NetSpec.Cell cell : List.of(NetSpec.Cell.RNN_TANH, NetSpec.Cell.LSTM, NetSpec.Cell.GRU,
                NetSpec.Cell.LSTM_PEEPHOLES, NetSpec.Cell.GRU_CHO)) {
            for (NetSpec.Topo topology : List.of(NetSpec.Topo.MANY_TO_ONE, NetSpec.Topo.MANY_TO_MANY)) {
                for (int layers = 1; layers <= 2; layers++) {
                    String name = "Fd" + cases.size();
                    NetSpec.Head head = heads[cases.size() % heads.length];
                    boolean oneHot = cases.size() % 3 == 0;
                    NetSpec base = NetSpec.random(variable, "fd", name, cell, layers, topology, head, oneHot, true, 3,
                            5);
                    List<NetSpec.Layer> stack = new ArrayList<>();
                    for (int k = 0; k < layers; k++) {
                        stack.add(new NetSpec.Layer(cell, base.layers().get(k).hidden(),
                                directions[variable.nextInt(directions.length)]));
                    }
                    NetSpec spec = new NetSpec(base.packageName(), name, stack, base.inputSize(), oneHot,
                            base.outputSize(), head, topology, base.steps(), base.fixedBatch(), true);
                    int shorter = 1 + variable.nextInt(spec.steps() - 1);
                    lengths.put(name, variable.nextBoolean() ? new int[] {shorter, spec.steps()}
                            : new int[] {spec.steps(), shorter});
                    cases.add(spec);
                    String statement = topology.statement(spec.steps());
                    models.add(GeneratedCode.model(name + ".rnn", spec.text().replace(statement,
                            statement.replace(";", " variable_length;"))));
                }
            }
        }
        // embeddings: every cell x the topologies without feedback x 1 and 2 layers, heads in turn, a vocabulary
        // of 2 to 5 symbols looked up in a table of dimension 1 to 3; then each cell bidirectional
        SplittableRandom embedded = new SplittableRandom(SEED + 2);
        for (NetSpec.Cell cell : NetSpec.Cell.core()) {
            for (NetSpec.Topo topology : List.of(NetSpec.Topo.ONE_TO_ONE, NetSpec.Topo.ONE_TO_MANY,
                    NetSpec.Topo.MANY_TO_ONE, NetSpec.Topo.MANY_TO_MANY)) {
                for (int layers = 1; layers <= 2; layers++) {
                    String name = "Fd" + cases.size();
                    NetSpec.Head head = heads[cases.size() % heads.length];
                    NetSpec spec = NetSpec.random(embedded, "fd", name, cell, layers, topology, head, true, true, 4, 4)
                            .withEmbedding(1 + embedded.nextInt(3));
                    cases.add(spec);
                    models.add(spec.model());
                }
            }
            String name = "Fd" + cases.size();
            NetSpec base = NetSpec.random(embedded, "fd", name, cell, 2, NetSpec.Topo.MANY_TO_MANY,
                    heads[cases.size() % heads.length], true, true, 4, 3);
            List<NetSpec.Layer> stack = List.of(new NetSpec.Layer(cell, base.layers().get(0).hidden(),
                    NetSpec.Direction.CONCAT), new NetSpec.Layer(cell, base.layers().get(1).hidden(), NetSpec.Direction.SUM));
            NetSpec spec = new NetSpec(base.packageName(), name, stack, base.inputSize(), true, base.outputSize(),
                    base.head(), base.topology(), base.steps(), base.fixedBatch(), true, 1 + embedded.nextInt(3));
            cases.add(spec);
            models.add(spec.model());
        }
        // feedback into an embedding: the fed-back probabilities weight the table's rows (every cell x 1 and 2 layers,
        // the softmax heads in turn), so the gradient reaches every row and the outputs fed back
        SplittableRandom fedBack = new SplittableRandom(SEED + 5);
        NetSpec.Head[] softmaxHeads = {NetSpec.Head.SOFTMAX_CE, NetSpec.Head.SOFTMAX_MSE};
        for (NetSpec.Cell cell : NetSpec.Cell.core()) {
            for (int layers = 1; layers <= 2; layers++) {
                String name = "Fd" + cases.size();
                NetSpec spec = NetSpec.random(fedBack, "fd", name, cell, layers, NetSpec.Topo.ONE_TO_MANY_FEEDBACK,
                        softmaxHeads[(layers + cases.size()) % 2], true, true, 4, 4).withEmbedding(1 + fedBack.nextInt(3));
                cases.add(spec);
                models.add(spec.model());
            }
        }
        // dropout, with the masks of update 0 held fixed (they depend on the seed, the update, the sequence, the layer
        // and the element, never on the weights): every cell and topology, the depths in turn, some layers with dropout
        // and at least one; then bidirectional stacks
        SplittableRandom dropout = new SplittableRandom(SEED + 2);
        List<NetSpec.Cell> allCells = new ArrayList<>(NetSpec.Cell.core());
        allCells.addAll(NetSpec.Cell.variants());
        int d = 0;
        for (NetSpec.Cell cell : allCells) {
            for (NetSpec.Topo topology : NetSpec.Topo.oneStack()) {
                int layers = 1 + d % 3;
                NetSpec.Head head = heads[d % heads.length];
                boolean oneHot = d / 3 % 2 == 1 && NetSpec.oneHotAllowed(topology, head);
                String name = "Fd" + cases.size();
                NetSpec base = NetSpec.random(dropout, "fd", name, cell, layers, topology, head, oneHot, true, 3, 4);
                NetSpec spec = withDropout(base, base.layers(), dropout);
                cases.add(spec);
                models.add(spec.model());
                d++;
            }
        }
        for (NetSpec.Cell cell : NetSpec.Cell.core()) {
            for (NetSpec.Topo topology : List.of(NetSpec.Topo.ONE_TO_ONE, NetSpec.Topo.MANY_TO_ONE,
                    NetSpec.Topo.MANY_TO_MANY)) {
                for (int layers = 1; layers <= 2; layers++, d++) {
                    String name = "Fd" + cases.size();
                    NetSpec.Head head = heads[d % heads.length];
                    boolean oneHot = d % 3 == 0;
                    NetSpec base = NetSpec.random(dropout, "fd", name, cell, layers, topology, head, oneHot, true, 3,
                            4);
                    List<NetSpec.Layer> stack = new ArrayList<>();
                    for (int k = 0; k < layers; k++) {
                        NetSpec.Direction direction = k == layers - 1 && stack.stream()
                                .noneMatch(NetSpec.Layer::bidirectional) ? (d % 2 == 0 ? NetSpec.Direction.CONCAT
                                        : NetSpec.Direction.SUM) : directions[dropout.nextInt(directions.length)];
                        stack.add(new NetSpec.Layer(cell, base.layers().get(k).hidden(), direction));
                    }
                    NetSpec spec = withDropout(base, stack, dropout);
                    cases.add(spec);
                    models.add(spec.model());
                }
            }
        }
        // encoder-decoders: every cell, depth 1 to 3, heads and encodings in turn, TX and TY drawn apart
        SplittableRandom encoderDecoder = new SplittableRandom(SEED + 2);
        for (NetSpec.Cell cell : allCells) {
            for (int layers = 1; layers <= 3; layers++) {
                String name = "Fd" + cases.size();
                NetSpec.Head head = heads[cases.size() % heads.length];
                boolean oneHot = cases.size() % 2 == 0;
                NetSpec base = NetSpec.random(encoderDecoder, "fd", name, cell, layers, NetSpec.Topo.MANY_TO_MANY,
                        head, oneHot, true, 3, 4);
                int outputSteps = 1 + encoderDecoder.nextInt(4);
                NetSpec spec = new NetSpec(base.packageName(), name, base.layers(), base.inputSize(), oneHot,
                        base.outputSize(), head, NetSpec.Topo.ENCODER_DECODER, base.steps(), base.fixedBatch(), true,
                        0, outputSteps);
                cases.add(spec);
                models.add(spec.model());
            }
        }
        // variable_length encoder-decoders: every cell, depth 1 and 2, heads and encodings in turn, each batch of two
        // with its own input and target lengths (one of each shorter than TX and TY, the other full)
        SplittableRandom variableEncoderDecoder = new SplittableRandom(SEED + 3);
        for (NetSpec.Cell cell : allCells) {
            for (int layers = 1; layers <= 2; layers++) {
                String name = "Fd" + cases.size();
                NetSpec.Head head = heads[cases.size() % heads.length];
                boolean oneHot = cases.size() % 2 == 1;
                NetSpec base = NetSpec.random(variableEncoderDecoder, "fd", name, cell, layers,
                        NetSpec.Topo.MANY_TO_MANY, head, oneHot, true, 3, 4);
                int outputSteps = 2 + variableEncoderDecoder.nextInt(3);
                NetSpec spec = new NetSpec(base.packageName(), name, base.layers(), base.inputSize(), oneHot,
                        base.outputSize(), head, NetSpec.Topo.ENCODER_DECODER, base.steps(), base.fixedBatch(), true,
                        0, outputSteps);
                lengths.put(name, shorterAndFull(variableEncoderDecoder, base.steps()));
                targetLengths.put(name, shorterAndFull(variableEncoderDecoder, outputSteps));
                cases.add(spec);
                String statement = "many_to_many input_steps " + base.steps() + " output_steps " + outputSteps + ";";
                models.add(GeneratedCode.model(name + ".rnn", spec.text().replace(statement,
                        statement.replace(";", " variable_length;"))));
            }
        }
        // embedding encoder-decoders: every cell, depth 1 and 2, fixed and variable length, the table frozen in every
        // other case and trained in the others, the heads in turn; the vocabulary is larger than the symbols a batch
        // reads (2 TX + 2), so that some rows are never read and their gradient must be exactly zero
        SplittableRandom embeddedEncoderDecoder = new SplittableRandom(SEED + 6);
        for (NetSpec.Cell cell : NetSpec.Cell.core()) {
            for (int layers = 1; layers <= 2; layers++) {
                for (boolean varying : new boolean[] {false, true}) {
                    String name = "Fd" + cases.size();
                    NetSpec.Head head = heads[cases.size() % heads.length];
                    NetSpec base = NetSpec.random(embeddedEncoderDecoder, "fd", name, cell, layers,
                            NetSpec.Topo.MANY_TO_MANY, head, true, true, 3, 4);
                    int outputSteps = 2 + embeddedEncoderDecoder.nextInt(3);
                    int width = 1 + embeddedEncoderDecoder.nextInt(3);
                    NetSpec spec = new NetSpec(base.packageName(), name, base.layers(), 2 * base.steps() + 2, true,
                            base.outputSize(), head, NetSpec.Topo.ENCODER_DECODER, base.steps(), base.fixedBatch(),
                            true, width, outputSteps);
                    String text = spec.text();
                    if (varying) {
                        lengths.put(name, shorterAndFull(embeddedEncoderDecoder, base.steps()));
                        targetLengths.put(name, shorterAndFull(embeddedEncoderDecoder, outputSteps));
                        String statement = "many_to_many input_steps " + base.steps() + " output_steps " + outputSteps
                                + ";";
                        text = text.replace(statement, statement.replace(";", " variable_length;"));
                    }
                    if (cases.size() % 2 == 1) {
                        frozen.add(name);
                        text = text.replace(" embedding " + width + ";", " embedding " + width + " frozen;");
                    }
                    cases.add(spec);
                    models.add(GeneratedCode.model(name + ".rnn", text));
                }
            }
        }
        // encoder-decoders with dropout, the masks of update 0 held fixed: rnn tanh, lstm and gru at depth 1 and 2,
        // fixed and variable_length, some layers with dropout (the encoder's top layer's is the decoder's alone)
        SplittableRandom encoderDecoderDropout = new SplittableRandom(SEED + 4);
        for (NetSpec.Cell cell : List.of(NetSpec.Cell.RNN_TANH, NetSpec.Cell.LSTM, NetSpec.Cell.GRU)) {
            for (int layers = 1; layers <= 2; layers++) {
                for (boolean padded : new boolean[] {false, true}) {
                    String name = "Fd" + cases.size();
                    NetSpec.Head head = heads[cases.size() % heads.length];
                    boolean oneHot = cases.size() % 2 == 0;
                    NetSpec base = NetSpec.random(encoderDecoderDropout, "fd", name, cell, layers,
                            NetSpec.Topo.MANY_TO_MANY, head, oneHot, true, 3, 4);
                    int outputSteps = 2 + encoderDecoderDropout.nextInt(3);
                    NetSpec spec = new NetSpec(base.packageName(), name, droppedLayers(base.layers(),
                            encoderDecoderDropout), base.inputSize(), oneHot, base.outputSize(), head,
                            NetSpec.Topo.ENCODER_DECODER, base.steps(), base.fixedBatch(), true, 0, outputSteps);
                    cases.add(spec);
                    if (padded) {
                        lengths.put(name, shorterAndFull(encoderDecoderDropout, base.steps()));
                        targetLengths.put(name, shorterAndFull(encoderDecoderDropout, outputSteps));
                        String statement = "many_to_many input_steps " + base.steps() + " output_steps " + outputSteps
                                + ";";
                        models.add(GeneratedCode.model(name + ".rnn", spec.text().replace(statement,
                                statement.replace(";", " variable_length;"))));
                    } else {
                        models.add(spec.model());
                    }
                }
            }
        }
        long start = System.nanoTime();
        double cpu = processCpuSeconds();
        classes = GeneratedCode.compile(models, work);
        compileSeconds = (System.nanoTime() - start) / 1e9;
        cpuAtStart = processCpuSeconds();
        compileCpuSeconds = cpuAtStart - cpu;
    }

    /** Two lengths of a batch of two: one in {@code [1, steps)} and {@code steps}, in a random order. */
    private static int[] shorterAndFull(SplittableRandom random, int steps) {
        int shorter = 1 + random.nextInt(steps - 1);
        return random.nextBoolean() ? new int[] {shorter, steps} : new int[] {steps, shorter};
    }

    /** The spec with dropout 0.2 or 0.5 on each layer of {@code stack} with probability 0.6, and on at least one. */
    private static NetSpec withDropout(NetSpec base, List<NetSpec.Layer> stack, SplittableRandom random) {
        return new NetSpec(base.packageName(), base.name(), droppedLayers(stack, random), base.inputSize(),
                base.oneHot(), base.outputSize(), base.head(), base.topology(), base.steps(), base.fixedBatch(), true);
    }

    /** The layers of {@code stack}, each with dropout 0.2 or 0.5 with probability 0.6, and at least one. */
    private static List<NetSpec.Layer> droppedLayers(List<NetSpec.Layer> stack, SplittableRandom random) {
        List<NetSpec.Layer> layers = new ArrayList<>();
        int chosen = random.nextInt(stack.size());
        for (int k = 0; k < stack.size(); k++) {
            double p = random.nextBoolean() ? 0.2 : 0.5;
            layers.add(k == chosen || random.nextDouble() < 0.6 ? stack.get(k).withDropout(p) : stack.get(k));
        }
        return layers;
    }

    private static double processCpuSeconds() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() / 1e9 : Double.NaN;
    }

    @AfterAll
    static void report() {
        System.out.printf("FiniteDifferenceTest: %d cases, %d gradient elements; largest relative error %.3g (%s),"
                + " of the variants' cases %.3g (%s); compiled in %.1f s (%.1f s of cpu), checked with %.1f s of cpu%n",
                cases.size(), checkedElements, worstError, worst.get(), worstVariantError, worstVariant, compileSeconds,
                compileCpuSeconds, processCpuSeconds() - cpuAtStart);
        System.out.printf("FiniteDifferenceTest: in %d of %d dropout cases the masks dropped elements%n",
                effectiveDropoutCases, cases.stream().filter(NetSpec::dropout).count());
    }

    /**
     * One dynamic test per case. The cases are independent (each has its own model instance), so
     * they are computed on every core ahead of the test that reports them.
     */
    @TestFactory
    Stream<DynamicTest> gradientsMatchCentralDifferences() {
        assertTrue(cases.size() >= 4 * 5 * 3 * 6 + 4 * 3 * 3 * 2, "every combination is generated");
        assertTrue(cases.stream().filter(NetSpec::dropout).count() == 8 * 5 + 4 * 3 * 2 + 3 * 2 * 2, "dropout cases");
        assertTrue(cases.stream().filter(c -> c.bidirectional() && !lengths.containsKey(c.name()) && c.embedding() == 0
                && !c.dropout())
                .count() == 4 * 3 * 3 * 2, "bidirectional cases");
        assertTrue(lengths.size() == 5 * 2 * 2 + 8 * 2 + 4 * 2 + 3 * 2, "variable-length cases");
        assertTrue(targetLengths.size() == 8 * 2 + 4 * 2 + 3 * 2, "variable-length encoder-decoder cases");
        assertTrue(cases.stream().filter(c -> c.embedding() > 0).count() == 4 * (4 * 2 + 1) + 4 * 2 + 4 * 2 * 2,
                "embedding cases: 8 with feedback, 16 encoder-decoders");
        assertTrue(cases.stream().filter(c -> c.topology() == NetSpec.Topo.ENCODER_DECODER).count()
                == 8 * 3 + 8 * 2 + 4 * 2 * 2 + 3 * 2 * 2, "encoder-decoder cases: plain, variable-length, embedding, dropout");
        assertTrue(frozen.size() == 8, "encoder-decoder cases with a frozen table");
        ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
        List<Future<?>> results = new ArrayList<>();
        for (NetSpec c : cases) {
            results.add(pool.submit(() -> check(c)));
        }
        pool.shutdown();
        return IntStream.range(0, cases.size()).mapToObj(i -> DynamicTest.dynamicTest(cases.get(i).toString(), () -> {
            try {
                results.get(i).get();
            } catch (ExecutionException e) {
                throw e.getCause();
            }
        }));
    }

    private static void check(NetSpec spec) {
        check(spec, classes.get(spec.qualifiedName()));
    }

    /**
     * Checks the gradients of {@code spec}'s model compiled as {@code type} (by any planner options, e.g. vector
     * kernels: {@link VectorFiniteDifferenceTest}) against central differences of its loss, as every case here is.
     * A spec not named as this class names its cases ({@code Fd} and a number) has no lengths and is not frozen.
     */
    static void check(NetSpec spec, Class<?> type) {
        ModelHandle model = new ModelHandle(type);
        SplittableRandom random = new SplittableRandom(SEED ^ spec.name().hashCode());
        TestBatch batch = null;
        for (int attempt = 0; attempt < 200 && batch == null; attempt++) {
            for (Parameter p : model.parameters()) {
                for (int i = 0; i < p.size(); i++) {
                    p.setValue(i, random.nextDouble(-0.5, 0.5));
                }
            }
            TestBatch candidate = TestBatch.random(spec, BATCH, random);
            // with dropout, the relu and clip margins of the network the masks make
            ReferenceModel.Result reference = spec.dropout()
                    ? new ReferenceModel(spec, model.parameters()).runTraining(candidate, 0, 0)
                    : new ReferenceModel(spec, model.parameters()).run(candidate);
            boolean clips = spec.layers().stream().anyMatch(l -> l.cell().cellClip());
            if (reference.smallestReluPreactivation() >= RELU_MARGIN
                    && (!clips || reference.smallestClipMargin() >= CLIP_MARGIN && reference.clampedElements() > 0)) {
                batch = candidate;
            }
        }
        assertTrue(batch != null, "no draw kept relu pre-activations away from 0 (and clamped some cell state,"
                + " none of it near the clip)");
        Object xs = batch.xs();
        Object targets = batch.targetsArgument();
        int[] lengths = FiniteDifferenceTest.lengths.get(spec.name());
        int[] outputLengths = targetLengths.get(spec.name());
        Object[] extra = lengths == null ? new Object[0]
                : outputLengths == null ? new Object[] {lengths} : new Object[] {lengths, outputLengths};
        // with dropout, computeGradients differentiates the loss under the masks of the next update, which
        // trainingLoss computes (the masks do not depend on the weights, so they stay fixed as the weights move)
        Method lossMethod = model.method(spec.dropout() ? "trainingLoss" : "loss", with(extra, model.workspace, xs,
                targets));
        if (spec.dropout()) {
            // the reference has no lengths: it is held to the full-length batch, which is what trainingLoss without
            // lengths computes
            double withMasks = (double) model.call("trainingLoss", model.workspace, xs, targets);
            ReferenceModel masked = new ReferenceModel(spec, model.parameters());
            double reference = masked.runTraining(batch, 0, 0).loss();
            assertEquals(reference, withMasks, 1e-12 * Math.abs(reference), "trainingLoss against the reference with"
                    + " the masks of the language reference (seed 0, update 0)");
            double evaluation = (double) model.call("loss", model.workspace, xs, targets);
            assertEquals(new ReferenceModel(spec, model.parameters()).run(batch).loss(), evaluation,
                    1e-12 * Math.abs(evaluation), "loss() is the network without dropout");
            // a tiny case's masks may drop nothing (0.8^4 for two sequences of two units, where the kept elements are
            // still scaled by 1 / (1 - p)); the report counts the cases where they dropped something
            synchronized (FiniteDifferenceTest.class) {
                effectiveDropoutCases += masked.droppedElements > 0 ? 1 : 0;
            }
        }
        Object inputGradients = spec.oneHot() ? null : batch.inputGradientBuffer();
        double loss = spec.oneHot()
                ? (double) model.call("computeGradients", with(extra, model.workspace, xs, targets))
                : (double) model.call("computeGradients", with(new Object[] {inputGradients},
                        with(extra, model.workspace, xs, targets)));
        assertEquals(loss, loss(model, lossMethod, xs, targets, extra), 0.0,
                "loss() equals the loss computeGradients returns");

        Errors errors = new Errors(spec);
        for (Parameter p : model.parameters()) {
            double[] analytic = new double[p.size()];
            for (int i = 0; i < analytic.length; i++) {
                analytic[i] = p.grad(i);
            }
            if (p.name().equals("embedding.weight")) {
                if (frozen.contains(spec.name())) {
                    assertTrue(!p.requiresGrad(), "a frozen table requires no gradient");
                    for (int i = 0; i < analytic.length; i++) {
                        assertEquals(0.0, analytic[i], 0.0, "the frozen table's gradient [" + i + "]");
                    }
                    continue; // the loss does depend on the table, but training never differentiates it
                }
                assertUnreadRowsZero(spec, batch, lengths, analytic);
            }
            for (int i = 0; i < p.size(); i++) {
                final int index = i;
                double v = p.value(i);
                double numeric = difference(v, w -> p.setValue(index, w), () -> loss(model, lossMethod, xs, targets, extra));
                p.setValue(i, v);
                errors.add(p.name() + "[" + i + "]", analytic[i], numeric);
            }
        }
        if (!spec.oneHot()) {
            List<double[]> xRows = TestBatch.rows(xs);
            List<double[]> gRows = TestBatch.rows(inputGradients);
            for (int r = 0; r < xRows.size(); r++) {
                double[] row = xRows.get(r);
                for (int i = 0; i < row.length; i++) {
                    final int index = i;
                    double v = row[i];
                    double numeric = difference(v, w -> row[index] = w, () -> loss(model, lossMethod, xs, targets, extra));
                    row[i] = v;
                    errors.add("dL/dx row " + r + " [" + i + "]", gRows.get(r)[i], numeric);
                    if (lengths != null && r % spec.steps() >= lengths[r / spec.steps()]) {
                        assertEquals(0.0, gRows.get(r)[i], 0.0, "dL/dx of padded input row " + r + " [" + i + "]");
                        // the loss itself may differ in its last bit between evaluations, so its difference
                        // quotient is rounding noise, far below what any read of the padding would give
                        assertTrue(Math.abs(numeric) < FLOOR * TOLERANCE, "central difference of padded input row "
                                + r + ": " + numeric);
                    }
                }
            }
        }
        errors.assertBelowTolerance();
    }

    /**
     * The gradient of every row of the table that no real input step read (steps past a sequence's length are not
     * read) is exactly zero, as {@code nn.Embedding}'s dense gradient is; and, for the encoder-decoder cases, which
     * are drawn so, some row is unread.
     */
    private static void assertUnreadRowsZero(NetSpec spec, TestBatch batch, int[] lengths, double[] gradient) {
        int d = spec.embedding();
        boolean[] read = new boolean[spec.inputSize()];
        for (int b = 0; b < batch.size(); b++) {
            for (int t = 0; t < (lengths == null ? spec.inputSteps() : lengths[b]); t++) {
                read[batch.symbols()[b][t]] = true;
            }
        }
        int unread = 0;
        for (int v = 0; v < read.length; v++) {
            if (!read[v] && !spec.topology().feedback()) {
                unread++;
                for (int i = 0; i < d; i++) {
                    assertEquals(0.0, gradient[v * d + i], 0.0, "embedding.weight[" + v + "][" + i + "]: row " + v
                            + " is read by no step, its gradient must be exactly zero");
                }
            }
        }
        assertTrue(unread > 0 || spec.topology() != NetSpec.Topo.ENCODER_DECODER, "some row is never read");
    }

    /** A setter of the perturbed value. */
    private interface Setter {
        void set(double value);
    }

    /** The fourth-order central difference of {@code f} in the value {@code v} that {@code set} changes. */
    private static double difference(double v, Setter set, java.util.function.DoubleSupplier f) {
        set.set(v + 2 * STEP);
        double p2 = f.getAsDouble();
        set.set(v + STEP);
        double p1 = f.getAsDouble();
        set.set(v - STEP);
        double m1 = f.getAsDouble();
        set.set(v - 2 * STEP);
        double m2 = f.getAsDouble();
        set.set(v);
        return (-p2 + 8 * p1 - 8 * m1 + m2) / (12 * STEP);
    }

    private static double loss(ModelHandle model, Method lossMethod, Object xs, Object targets, Object[] extra) {
        return (double) model.call(lossMethod, with(extra, model.workspace, xs, targets));
    }

    /** The arguments followed by {@code extra} (the lengths of a variable-length case, the input gradients). */
    private static Object[] with(Object[] extra, Object... arguments) {
        Object[] all = java.util.Arrays.copyOf(arguments, arguments.length + extra.length);
        System.arraycopy(extra, 0, all, arguments.length, extra.length);
        return all;
    }

    /** Collects the relative errors of one case. */
    private static final class Errors {
        private final NetSpec spec;
        private double max;
        private String where = "";
        private final List<String> failures = new ArrayList<>();
        private int count;

        Errors(NetSpec spec) {
            this.spec = spec;
        }

        void add(String what, double analytic, double numeric) {
            double error = Math.abs(analytic - numeric)
                    / Math.max(FLOOR, Math.max(Math.abs(analytic), Math.abs(numeric)));
            count++;
            if (!(error < TOLERANCE)) {
                failures.add(String.format("%s: BPTT %.12g, central difference %.12g, relative error %.3g", what,
                        analytic, numeric, error));
            }
            if (error > max) {
                max = error;
                where = what;
            }
        }

        void assertBelowTolerance() {
            synchronized (FiniteDifferenceTest.class) {
                checkedElements += count;
                if (max > worstError) {
                    worstError = max;
                    worst.set(spec.name() + " " + where);
                }
                boolean variant = spec.layers().stream().anyMatch(l -> NetSpec.Cell.variants().contains(l.cell()));
                if (variant && max > worstVariantError) {
                    worstVariantError = max;
                    worstVariant = spec + " " + where;
                }
            }
            if (!failures.isEmpty()) {
                throw new AssertionError(failures.size() + " of " + count + " gradient elements differ from central"
                        + " differences by more than " + TOLERANCE + " relative in " + spec + "\n" + spec.text()
                        + String.join("\n", failures.subList(0, Math.min(20, failures.size()))));
            }
        }
    }
}
