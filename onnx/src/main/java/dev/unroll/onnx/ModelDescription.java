package dev.unroll.onnx;

import dev.unroll.dsl.model.CellSpec;
import dev.unroll.dsl.model.InputEncoding;
import dev.unroll.dsl.model.LayerSpec;
import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.dsl.model.RnnActivation;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What ONNX import produces and ONNX export reads: the inference-relevant part of an Unroll
 * model (cells per layer, sizes, directions, head, topology, precision), without training
 * settings. Parameters are named as in {@code docs/language.md} 4.5 ({@code rnn.weight_ih_l0},
 * ..., {@code head.weight}, {@code head.bias}), PyTorch's names and layout.
 *
 * <pre>{@code
 * ModelDescription m = new ModelDescription("Tagger", 3, false,
 *         List.of(new ModelDescription.Layer(Cell.LSTM, 16, Direction.CONCAT, false, false, false)),
 *         4, Activation.SOFTMAX, Topology.MANY_TO_MANY, 20, Precision.FLOAT32);
 * String spec = m.toSpec();   // "model Tagger { input 3; lstm 16 bidirectional concat; ... }"
 * }</pre>
 *
 * @param name the model (and Java class) name
 * @param inputSize numbers per step, or the vocabulary size when {@code oneHot}
 * @param oneHot whether each step reads a symbol index instead of a vector
 * @param layers the recurrent stack, input side first
 * @param outputSize the head's number of outputs
 * @param activation the head's activation
 * @param topology where the head reads the stack
 * @param steps the number of steps the spec unrolls (1 for one_to_one)
 * @param precision float32 or float64 parameters
 */
public record ModelDescription(String name, int inputSize, boolean oneHot, List<Layer> layers, int outputSize,
        Activation activation, Topology topology, int steps, Precision precision) {

    /** A recurrent cell. */
    public enum Cell {
        /** Elman RNN, {@code G = 1}. */
        RNN(1),
        /** LSTM, gates i, f, g, o, {@code G = 4}. */
        LSTM(4),
        /** GRU, gates r, z, n, {@code G = 3}. */
        GRU(3);

        private final int gates;

        Cell(int gates) {
            this.gates = gates;
        }

        /** Returns the number of gate blocks stacked in the cell's weights. */
        public int gates() {
            return gates;
        }
    }

    /** Forward only, or bidirectional with the two directions concatenated or summed. */
    public enum Direction {
        /** Reads the sequence forwards only. */
        FORWARD,
        /** Bidirectional; outputs {@code [h_fwd; h_bwd]}, {@code 2H} values. */
        CONCAT,
        /** Bidirectional; outputs {@code h_fwd + h_bwd}, {@code H} values. */
        SUM
    }

    /** The head's activation. */
    public enum Activation {
        /** None: the head's output is {@code W o + b}. */
        LINEAR,
        /** Softmax over the outputs. */
        SOFTMAX,
        /** The logistic sigmoid of each output. */
        SIGMOID,
        /** The hyperbolic tangent of each output. */
        TANH
    }

    /** The topologies an ONNX graph of a recurrent stack and a head can express. */
    public enum Topology {
        /** One input, one step from the zero state, one output. */
        ONE_TO_ONE,
        /** An input at every step, the head on the last step's output. */
        MANY_TO_ONE,
        /** An input and an output at every step. */
        MANY_TO_MANY
    }

    /** The floating-point type of the parameters. */
    public enum Precision {
        /** Java {@code float}, ONNX {@code FLOAT}. */
        FLOAT32,
        /** Java {@code double}, ONNX {@code DOUBLE}. */
        FLOAT64
    }

    /**
     * One recurrent layer.
     *
     * @param cell the cell
     * @param hiddenSize {@code H}
     * @param direction forward, or bidirectional concat or sum
     * @param relu RNN only: ReLU instead of tanh
     * @param cho GRU only: the reset gate multiplies {@code h} before {@code W_hn} (ONNX
     *     {@code linear_before_reset = 0}) instead of PyTorch's reset-after form
     * @param peepholes LSTM only: diagonal peephole weights {@code weight_c{i,f,o}_l{k}}
     */
    public record Layer(Cell cell, int hiddenSize, Direction direction, boolean relu, boolean cho, boolean peepholes) {
        /** Checks the size and that each option belongs to the cell. */
        public Layer {
            if (hiddenSize < 1) {
                throw new IllegalArgumentException("hidden size must be positive, got " + hiddenSize);
            }
            if (relu && cell != Cell.RNN || cho && cell != Cell.GRU || peepholes && cell != Cell.LSTM) {
                throw new IllegalArgumentException("option not valid for " + cell + ": relu=" + relu + " cho=" + cho
                        + " peepholes=" + peepholes);
            }
        }

        /** Returns a layer without cell options. */
        public static Layer of(Cell cell, int hiddenSize, Direction direction) {
            return new Layer(cell, hiddenSize, direction, false, false, false);
        }

        /** Returns 2 for a bidirectional layer, else 1. */
        public int directions() {
            return direction == Direction.FORWARD ? 1 : 2;
        }

        /** Returns what the layer passes on per step: {@code 2H} for concat, else {@code H}. */
        public int outputSize() {
            return direction == Direction.CONCAT ? 2 * hiddenSize : hiddenSize;
        }
    }

    /**
     * A parameter's name and shape.
     *
     * @param name the PyTorch-style name
     * @param shape its dimensions, row-major
     */
    public record TensorSpec(String name, int[] shape) {
        /** Returns the number of elements. */
        public int size() {
            int n = 1;
            for (int d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** Checks the sizes, that there is a layer, and that one_to_one runs one step. */
    public ModelDescription {
        layers = List.copyOf(layers);
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("a model needs at least one recurrent layer");
        }
        if (inputSize < 1 || outputSize < 1 || steps < 1) {
            throw new IllegalArgumentException("sizes and steps must be positive: input " + inputSize + ", output "
                    + outputSize + ", steps " + steps);
        }
        if (topology == Topology.ONE_TO_ONE && steps != 1) {
            throw new IllegalArgumentException("one_to_one runs one step, got steps " + steps);
        }
    }

    /** Returns the input size of layer {@code k}: the model input for layer 0, else the previous layer's output. */
    public int layerInputSize(int k) {
        return k == 0 ? inputSize : layers.get(k - 1).outputSize();
    }

    /** Returns the parameters in PyTorch's {@code state_dict} order (docs/language.md 4.5), peepholes after each direction's four. */
    public List<TensorSpec> parameters() {
        List<TensorSpec> out = new ArrayList<>();
        for (int k = 0; k < layers.size(); k++) {
            Layer layer = layers.get(k);
            int gh = layer.cell().gates() * layer.hiddenSize();
            int h = layer.hiddenSize();
            for (int d = 0; d < layer.directions(); d++) {
                String suffix = "_l" + k + (d == 1 ? "_reverse" : "");
                out.add(new TensorSpec("rnn.weight_ih" + suffix, new int[] {gh, layerInputSize(k)}));
                out.add(new TensorSpec("rnn.weight_hh" + suffix, new int[] {gh, h}));
                out.add(new TensorSpec("rnn.bias_ih" + suffix, new int[] {gh}));
                out.add(new TensorSpec("rnn.bias_hh" + suffix, new int[] {gh}));
                if (layer.peepholes()) {
                    for (String gate : PEEPHOLE_GATES) {
                        out.add(new TensorSpec("rnn.weight_c" + gate + suffix, new int[] {h}));
                    }
                }
            }
        }
        out.add(new TensorSpec("head.weight", new int[] {outputSize, layers.get(layers.size() - 1).outputSize()}));
        out.add(new TensorSpec("head.bias", new int[] {outputSize}));
        return out;
    }

    /** The peephole vectors' gate letters, in the order of their names {@code weight_ci}, {@code weight_cf}, {@code weight_co}. */
    static final List<String> PEEPHOLE_GATES = List.of("i", "f", "o");

    /**
     * Returns the {@code .rnn} spec of this model: its statements, with training settings left at
     * their defaults. The text is what {@link dev.unroll.dsl.RnnFrontEnd} accepts.
     */
    public String toSpec() {
        StringBuilder s = new StringBuilder();
        s.append("model ").append(name).append(" {\n");
        s.append("    input ").append(inputSize).append(oneHot ? " one_hot" : "").append(";\n");
        for (Layer layer : layers) {
            s.append("    ").append(layer.cell().name().toLowerCase(Locale.ROOT)).append(' ').append(layer.hiddenSize());
            if (layer.relu()) {
                s.append(" relu");
            }
            if (layer.cho()) {
                s.append(" cho");
            }
            if (layer.peepholes()) {
                s.append(" peepholes");
            }
            if (layer.direction() != Direction.FORWARD) {
                s.append(" bidirectional ").append(layer.direction().name().toLowerCase(Locale.ROOT));
            }
            s.append(";\n");
        }
        s.append("    output ").append(outputSize).append(' ').append(activation.name().toLowerCase(Locale.ROOT)).append(";\n");
        s.append("    ").append(topology.name().toLowerCase(Locale.ROOT));
        if (topology != Topology.ONE_TO_ONE) {
            s.append(" steps ").append(steps);
        }
        s.append(";\n");
        s.append("    precision ").append(precision.name().toLowerCase(Locale.ROOT)).append(";\n");
        s.append("}\n");
        return s.toString();
    }

    /**
     * Returns the description of a validated spec, for export.
     *
     * @throws OnnxException when the model uses something ONNX export does not express (an
     *     encoder-decoder, one_to_many, an embedding input, variable_length, cell_clip), naming it
     */
    public static ModelDescription from(NetworkModel model) throws OnnxException {
        String where = "model " + model.name() + ": ";
        Topology topology = switch (model.topology().kind()) {
            case ONE_TO_ONE -> Topology.ONE_TO_ONE;
            case MANY_TO_ONE -> Topology.MANY_TO_ONE;
            case MANY_TO_MANY -> Topology.MANY_TO_MANY;
            case ONE_TO_MANY -> throw new OnnxException(where + "one_to_many is not exported to ONNX yet: its later steps "
                    + "read zeros or the fed-back output, which an ONNX recurrent node cannot express");
            case ENCODER_DECODER -> throw new OnnxException(where + "an encoder-decoder is not exported to ONNX yet "
                    + "(its decoder feeds back its own outputs)");
        };
        if (model.input().encoding() == InputEncoding.EMBEDDING) {
            throw new OnnxException(where + "an embedding input is not exported to ONNX yet (its lookup would be a Gather"
                    + " of embedding.weight before the first layer)");
        }
        if (model.topology().variableLength()) {
            throw new OnnxException(where + "variable_length is not exported to ONNX yet (it would map to sequence_lens)");
        }
        List<Layer> layers = new ArrayList<>();
        for (LayerSpec spec : model.layers()) {
            Direction direction = switch (spec.direction()) {
                case FORWARD -> Direction.FORWARD;
                case CONCAT -> Direction.CONCAT;
                case SUM -> Direction.SUM;
            };
            CellSpec cell = spec.cell();
            Layer layer;
            if (cell instanceof CellSpec.Rnn rnn) {
                layer = new Layer(Cell.RNN, spec.hiddenSize(), direction, rnn.activation() == RnnActivation.RELU, false, false);
            } else if (cell instanceof CellSpec.Lstm lstm) {
                if (lstm.cellClip().isPresent()) {
                    throw new OnnxException(where + "layer " + spec.index() + ": cell_clip has no ONNX equivalent (ONNX's "
                            + "LSTM 'clip' clips the gates' pre-activations, not the cell state)");
                }
                layer = new Layer(Cell.LSTM, spec.hiddenSize(), direction, false, false, lstm.peepholes());
            } else {
                CellSpec.Gru gru = (CellSpec.Gru) cell;
                layer = new Layer(Cell.GRU, spec.hiddenSize(), direction, false,
                        gru.variant() == dev.unroll.dsl.model.GruVariant.CHO, false);
            }
            layers.add(layer);
        }
        Activation activation = switch (model.output().activation()) {
            case LINEAR -> Activation.LINEAR;
            case SOFTMAX -> Activation.SOFTMAX;
            case SIGMOID -> Activation.SIGMOID;
            case TANH -> Activation.TANH;
        };
        int steps = topology == Topology.ONE_TO_ONE ? 1 : model.topology().inputSteps();
        return new ModelDescription(model.name(), model.input().size(), model.input().encoding() == InputEncoding.ONE_HOT,
                layers, model.output().size(), activation, topology, steps,
                model.precision() == dev.unroll.dsl.model.Precision.FLOAT64 ? Precision.FLOAT64 : Precision.FLOAT32);
    }
}
