package dev.unroll.compiler;

import dev.unroll.dsl.model.NetworkModel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Test support: a small network described by the test's own terms, written out as {@code .rnn}
 * text. The tests that compare generated code with an independent computation
 * ({@link FiniteDifferenceTest}, {@link ReferenceOracleTest}) build their cases from these, so that
 * the reference side never reads the generator's view of the model.
 *
 * @param packageName the spec's package (distinct per case, so that cases never share a class)
 * @param name the model name
 * @param layers the recurrent stack, input side first
 * @param inputSize numbers per step, or the vocabulary of a one-hot input
 * @param oneHot whether the input is one-hot symbols
 * @param outputSize the head's size
 * @param head the head's activation and the loss
 * @param topology how inputs and outputs line up
 * @param steps unrolled steps (ignored, 1, for one_to_one)
 * @param fixedBatch the spec's {@code batch N}, or 0 for {@code batch any}
 * @param float64 double precision (else float32)
 * @param embedding the dimension of an embedding table the symbols are looked up in ({@code input V embedding D}),
 *     or 0; with one, {@code oneHot} (symbol input) is true
 * @param decoderSteps an encoder-decoder's output steps {@code TY} ({@code steps} is then its input steps
 *     {@code TX}), else 0
 */
record NetSpec(String packageName, String name, List<Layer> layers, int inputSize, boolean oneHot, int outputSize,
        Head head, Topo topology, int steps, int fixedBatch, boolean float64, int embedding, int decoderSteps) {

    /** A network without an embedding and not an encoder-decoder. */
    NetSpec(String packageName, String name, List<Layer> layers, int inputSize, boolean oneHot, int outputSize,
            Head head, Topo topology, int steps, int fixedBatch, boolean float64) {
        this(packageName, name, layers, inputSize, oneHot, outputSize, head, topology, steps, fixedBatch, float64, 0,
                0);
    }

    /** A network, not an encoder-decoder, with its symbols looked up in a table of dimension {@code embedding}. */
    NetSpec(String packageName, String name, List<Layer> layers, int inputSize, boolean oneHot, int outputSize,
            Head head, Topo topology, int steps, int fixedBatch, boolean float64, int embedding) {
        this(packageName, name, layers, inputSize, oneHot, outputSize, head, topology, steps, fixedBatch, float64,
                embedding, 0);
    }

    /** The same network with its symbols looked up in a table of dimension {@code d}. */
    NetSpec withEmbedding(int d) {
        return new NetSpec(packageName, name, layers, inputSize, true, outputSize, head, topology, steps, fixedBatch,
                float64, d, decoderSteps);
    }

    /**
     * The cells: the four of PyTorch (the rnn cell with each of its nonlinearities), then the variants PyTorch has
     * not (LSTM peepholes and cell clip, the Cho GRU), which tests draw after the others so that adding them kept
     * every earlier random case as it was.
     */
    enum Cell {
        RNN_TANH("rnn", ""), RNN_RELU("rnn", " relu"), LSTM("lstm", ""), GRU("gru", ""),
        LSTM_PEEPHOLES("lstm", " peepholes"), LSTM_CELL_CLIP("lstm", " cell_clip " + Cell.CELL_CLIP),
        LSTM_PEEPHOLES_CELL_CLIP("lstm", " peepholes cell_clip " + Cell.CELL_CLIP), GRU_CHO("gru", " cho");

        /** The clip of the cell_clip variants: small enough that random small networks reach it. */
        static final double CELL_CLIP = 0.25;

        final String keyword;
        final String options;

        Cell(String keyword, String options) {
            this.keyword = keyword;
            this.options = options;
        }

        /** The cells of PyTorch's modules. */
        static List<Cell> core() {
            return List.of(RNN_TANH, RNN_RELU, LSTM, GRU);
        }

        /** The variants PyTorch has no module for. */
        static List<Cell> variants() {
            return List.of(LSTM_PEEPHOLES, LSTM_CELL_CLIP, LSTM_PEEPHOLES_CELL_CLIP, GRU_CHO);
        }

        /** Gate blocks per layer: PyTorch's G. */
        int gates() {
            return switch (this) {
                case RNN_TANH, RNN_RELU -> 1;
                case LSTM, LSTM_PEEPHOLES, LSTM_CELL_CLIP, LSTM_PEEPHOLES_CELL_CLIP -> 4;
                case GRU, GRU_CHO -> 3;
            };
        }

        boolean peepholes() {
            return this == LSTM_PEEPHOLES || this == LSTM_PEEPHOLES_CELL_CLIP;
        }

        boolean cellClip() {
            return this == LSTM_CELL_CLIP || this == LSTM_PEEPHOLES_CELL_CLIP;
        }

        String statement(int hidden) {
            return keyword + " " + hidden + options + ";";
        }
    }

    /** The heads and losses covered: activation and loss. */
    enum Head {
        SOFTMAX_CE("softmax", "cross_entropy"),
        SIGMOID_BCE("sigmoid", "binary_cross_entropy"),
        LINEAR_MSE("linear", "mse"),
        TANH_MSE("tanh", "mse"),
        SIGMOID_MSE("sigmoid", "mse"),
        SOFTMAX_MSE("softmax", "mse");

        final String activation;
        final String loss;

        Head(String activation, String loss) {
            this.activation = activation;
            this.loss = loss;
        }

        boolean classTargets() {
            return this == SOFTMAX_CE;
        }
    }

    /** The topologies the generator supports. */
    enum Topo {
        ONE_TO_ONE, ONE_TO_MANY, ONE_TO_MANY_FEEDBACK, MANY_TO_ONE, MANY_TO_MANY,
        /** {@code many_to_many input_steps TX output_steps TY}: an encoder and a decoder with their own weights. */
        ENCODER_DECODER;

        /** The topologies of one stack, which the tests that loop over every topology draw (in this order). */
        static List<Topo> oneStack() {
            return List.of(ONE_TO_ONE, ONE_TO_MANY, ONE_TO_MANY_FEEDBACK, MANY_TO_ONE, MANY_TO_MANY);
        }

        boolean sequenceInput() {
            return this == MANY_TO_ONE || this == MANY_TO_MANY || this == ENCODER_DECODER;
        }

        boolean sequenceOutput() {
            return this == ONE_TO_MANY || this == ONE_TO_MANY_FEEDBACK || this == MANY_TO_MANY
                    || this == ENCODER_DECODER;
        }

        boolean feedback() {
            return this == ONE_TO_MANY_FEEDBACK;
        }

        String statement(int steps) {
            return switch (this) {
                case ONE_TO_ONE -> "one_to_one;";
                case ONE_TO_MANY -> "one_to_many steps " + steps + ";";
                case ONE_TO_MANY_FEEDBACK -> "one_to_many steps " + steps + " feedback;";
                case MANY_TO_ONE -> "many_to_one steps " + steps + ";";
                case MANY_TO_MANY -> "many_to_many steps " + steps + ";";
                case ENCODER_DECODER -> throw new IllegalArgumentException("an encoder-decoder has two step counts");
            };
        }
    }

    /** How a layer reads the sequence: forwards only, or bidirectional with its two passes merged. */
    enum Direction {
        FORWARD(""), CONCAT(" bidirectional concat"), SUM(" bidirectional sum");

        final String words;

        Direction(String words) {
            this.words = words;
        }
    }

    /** One layer: its cell, hidden size, direction and dropout on its output (0 for none). */
    record Layer(Cell cell, int hidden, Direction direction, double dropout) {
        Layer(Cell cell, int hidden) {
            this(cell, hidden, Direction.FORWARD);
        }

        Layer(Cell cell, int hidden, Direction direction) {
            this(cell, hidden, direction, 0);
        }

        /** The same layer with dropout {@code p} on its output. */
        Layer withDropout(double p) {
            return new Layer(cell, hidden, direction, p);
        }

        /** What the layer passes on per step: 2H for concat, else H. */
        int outputSize() {
            return direction == Direction.CONCAT ? 2 * hidden : hidden;
        }

        boolean bidirectional() {
            return direction != Direction.FORWARD;
        }
    }

    /** Steps the network runs: 1 for one_to_one. */
    int unrolledSteps() {
        return topology == Topo.ONE_TO_ONE ? 1 : steps;
    }

    /** Input steps per sequence in the public API: the unrolled steps for many_to_*, else 1. */
    int inputSteps() {
        return topology.sequenceInput() ? steps : 1;
    }

    /** Outputs per sequence. */
    int outputSteps() {
        if (topology == Topo.ENCODER_DECODER) {
            return decoderSteps;
        }
        return topology.sequenceOutput() ? steps : 1;
    }

    String qualifiedName() {
        return packageName + "." + name;
    }

    /** Input size of layer {@code k}. */
    int layerInput(int k) {
        return k == 0 ? (embedding > 0 ? embedding : inputSize) : layers.get(k - 1).outputSize();
    }

    /** Whether some layer is bidirectional. */
    boolean bidirectional() {
        return layers.stream().anyMatch(Layer::bidirectional);
    }

    /** Whether some layer has dropout. */
    boolean dropout() {
        return layers.stream().anyMatch(l -> l.dropout() > 0);
    }

    /** Whether a one-hot input makes sense: with feedback, only into a softmax of the vocabulary's size. */
    static boolean oneHotAllowed(Topo topology, Head head) {
        return !topology.feedback() || head.activation.equals("softmax");
    }

    /** The spec text. */
    String text() {
        StringBuilder s = new StringBuilder();
        s.append("package ").append(packageName).append(";\n\n");
        s.append("model ").append(name).append(" {\n");
        s.append("    input ").append(inputSize).append(embedding > 0 ? " embedding " + embedding : oneHot ? " one_hot" : "")
                .append(";\n");
        for (Layer layer : layers) {
            String statement = layer.cell().statement(layer.hidden());
            s.append("    ").append(statement, 0, statement.length() - 1).append(layer.direction().words)
                    .append(layer.dropout() > 0 ? " dropout " + layer.dropout() : "").append(";\n");
        }
        s.append("    output ").append(outputSize).append(' ').append(head.activation).append(";\n");
        s.append("    ").append(topology == Topo.ENCODER_DECODER
                ? "many_to_many input_steps " + steps + " output_steps " + decoderSteps + ";"
                : topology.statement(steps)).append("\n");
        s.append("    loss ").append(head.loss).append(";\n");
        s.append("    batch ").append(fixedBatch == 0 ? "any" : Integer.toString(fixedBatch)).append(";\n");
        s.append("    precision ").append(float64 ? "float64" : "float32").append(";\n");
        s.append("}\n");
        return s.toString();
    }

    /** Runs the spec through the front end (warnings allowed, e.g. mse on softmax). */
    NetworkModel model() {
        return GeneratedCode.model(name + ".rnn", text());
    }

    /** The same network in the other precision, in its own package. */
    NetSpec withPrecision(boolean f64, String newPackage) {
        return new NetSpec(newPackage, name, layers, inputSize, oneHot, outputSize, head, topology, steps,
                fixedBatch, f64, embedding, decoderSteps);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(name).append(" [");
        for (int k = 0; k < layers.size(); k++) {
            s.append(k == 0 ? "" : " > ").append(layers.get(k).cell().name().toLowerCase()).append(' ')
                    .append(layers.get(k).hidden());
            if (layers.get(k).bidirectional()) {
                s.append(' ').append(layers.get(k).direction().name().toLowerCase());
            }
            if (layers.get(k).dropout() > 0) {
                s.append(" dropout ").append(layers.get(k).dropout());
            }
        }
        return s.append("; ").append(topology.name().toLowerCase()).append("; ")
                .append(head.name().toLowerCase()).append("; ")
                .append(embedding > 0 ? "embedding " + embedding + " of " : oneHot ? "one_hot " : "dense ")
                .append(inputSize).append(" -> ").append(outputSize).append("; T=").append(unrolledSteps())
                .append(topology == Topo.ENCODER_DECODER ? "+" + decoderSteps : "")
                .append(float64 ? "; float64]" : "; float32]").toString();
    }

    /**
     * A random small network of the given shape: sizes drawn from {@code random}, every layer of
     * {@code cell} except that a 3-layer stack always mixes hidden sizes.
     */
    static NetSpec random(SplittableRandom random, String packageName, String name, Cell cell, int layerCount,
            Topo topology, Head head, boolean oneHot, boolean float64, int maxSize, int maxSteps) {
        int outputSize = 2 + random.nextInt(maxSize - 1);
        int inputSize = topology.feedback() ? outputSize : 1 + random.nextInt(maxSize);
        if (oneHot && inputSize < 2) {
            inputSize = 2;
        }
        List<Layer> layers = new ArrayList<>();
        for (int k = 0; k < layerCount; k++) {
            int hidden = 1 + random.nextInt(maxSize);
            if (layerCount == 3) {
                // different hidden sizes in every 3-layer stack: 2..maxSize, distinct from the one below
                hidden = 2 + random.nextInt(maxSize - 1);
                while (k > 0 && hidden == layers.get(k - 1).hidden()) {
                    hidden = 2 + random.nextInt(maxSize - 1);
                }
            }
            layers.add(new Layer(cell, hidden));
        }
        int steps = topology == Topo.ONE_TO_ONE ? 1 : 2 + random.nextInt(maxSteps - 1);
        return new NetSpec(packageName, name, layers, inputSize, oneHot, outputSize, head, topology, steps,
                random.nextBoolean() ? 0 : 2, float64);
    }
}
