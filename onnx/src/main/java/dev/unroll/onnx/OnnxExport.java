package dev.unroll.onnx;

import com.google.protobuf.ByteString;
import dev.unroll.onnx.ModelDescription.Cell;
import dev.unroll.onnx.ModelDescription.Direction;
import dev.unroll.onnx.ModelDescription.Layer;
import dev.unroll.onnx.ModelDescription.Precision;
import dev.unroll.onnx.ModelDescription.TensorSpec;
import dev.unroll.onnx.ModelDescription.Topology;
import dev.unroll.onnx.proto.Onnx.AttributeProto;
import dev.unroll.onnx.proto.Onnx.GraphProto;
import dev.unroll.onnx.proto.Onnx.ModelProto;
import dev.unroll.onnx.proto.Onnx.NodeProto;
import dev.unroll.onnx.proto.Onnx.OperatorSetIdProto;
import dev.unroll.onnx.proto.Onnx.StringStringEntryProto;
import dev.unroll.onnx.proto.Onnx.TensorProto;
import dev.unroll.onnx.proto.Onnx.TensorProto.DataType;
import dev.unroll.onnx.proto.Onnx.TensorShapeProto;
import dev.unroll.onnx.proto.Onnx.TypeProto;
import dev.unroll.onnx.proto.Onnx.ValueInfoProto;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Exports an Unroll model to ONNX (opset 14): each recurrent layer becomes an ONNX {@code RNN},
 * {@code LSTM} or {@code GRU} node (gate blocks reordered to ONNX's i,o,f,c and z,r,h, the two
 * biases concatenated into {@code B}, peepholes into {@code P}), the head a {@code MatMul} and
 * {@code Add} (every step) or a {@code Gemm} (last step), then its activation.
 *
 * <pre>{@code
 * OnnxExport.write(description, model.parameters(), Path.of("model.onnx"));
 * }</pre>
 *
 * <p>The graph, time-major as ONNX's recurrent ops are ({@code steps} and {@code batch} are
 * symbolic dimensions):
 * <ul>
 * <li>input {@code input}: {@code [steps, batch, input]} floats, or {@code [steps, batch]} int64
 *     symbol indices for a {@code one_hot} input;
 * <li>inputs {@code h0_l<k>} (and {@code c0_l<k>} for LSTM): layer {@code k}'s initial states,
 *     {@code [directions, batch, hidden]}; zeros start a sequence as Unroll does;
 * <li>output {@code output}: {@code [steps, batch, outputs]} (many_to_many) or {@code [batch, outputs]};
 * <li>outputs {@code hn_l<k>} (and {@code cn_l<k>}): the final states, to feed back as the next call's
 *     initial states when stepping through a longer sequence.
 * </ul>
 */
public final class OnnxExport {
    /** The opset written: the first with ReduceSum's axes as an input and Softmax over one axis, which torch 1.13 exports too. */
    public static final int OPSET = 14;
    /** The IR version written; ONNX Runtime 1.10 and later read it. */
    public static final int IR_VERSION = 8;

    private OnnxExport() {}

    /** Writes the model atomically (a temporary file beside {@code file}, then a move), reading the weights from generated code's parameters. */
    public static void write(ModelDescription model, ParameterSet parameters, Path file) throws OnnxException {
        OnnxFiles.writeAtomically(file, toModel(model, name -> {
            if (!parameters.contains(name)) {
                return null;
            }
            Parameter p = parameters.get(name);
            double[] v = new double[p.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = p.value(i);
            }
            return v;
        }).toByteArray());
    }

    /**
     * Writes the model atomically.
     *
     * @param tensorByName every parameter of {@link ModelDescription#parameters()} by name, row-major,
     *     or null when missing (an error)
     */
    public static void write(ModelDescription model, Function<String, double[]> tensorByName, Path file)
            throws OnnxException {
        OnnxFiles.writeAtomically(file, toModel(model, tensorByName).toByteArray());
    }

    /** Builds the ONNX model. */
    public static ModelProto toModel(ModelDescription model, Function<String, double[]> tensorByName)
            throws OnnxException {
        return new Builder(model, tensorByName).build();
    }

    private static final class Builder {
        private final ModelDescription m;
        private final Function<String, double[]> tensors;
        private final GraphProto.Builder g = GraphProto.newBuilder();
        private final DataType type;
        private int counter;

        Builder(ModelDescription m, Function<String, double[]> tensors) {
            this.m = m;
            this.tensors = tensors;
            this.type = m.precision() == Precision.FLOAT64 ? DataType.DOUBLE : DataType.FLOAT;
        }

        ModelProto build() throws OnnxException {
            g.setName(m.name());
            g.setDocString("Unroll model " + m.name() + ", exported from this spec:\n" + m.toSpec()
                    + "Time-major: input [steps, batch, features]; h0_l<k>/c0_l<k> are layer k's initial states "
                    + "[directions, batch, hidden] (zeros to start a sequence); hn_l<k>/cn_l<k> the final ones.");
            for (TensorSpec spec : m.parameters()) {
                double[] v = tensors.apply(spec.name());
                if (v == null) {
                    throw new OnnxException("model " + m.name() + ": no tensor '" + spec.name() + "' to export");
                }
                if (v.length != spec.size()) {
                    throw new OnnxException("model " + m.name() + ": tensor '" + spec.name() + "' has " + v.length
                            + " values, expected " + spec.size() + " for shape " + Arrays.toString(spec.shape()));
                }
                for (int i = 0; i < v.length; i++) {
                    if (!Double.isFinite(v[i])) {
                        throw new OnnxException("model " + m.name() + ": tensor '" + spec.name() + "' holds " + v[i]
                                + " at index " + i + "; not exported");
                    }
                }
            }
            String x;
            if (m.oneHot()) {
                g.addInput(valueInfo("input", DataType.INT64, "symbol indices in [0, " + m.inputSize() + ")",
                        "steps", "batch"));
                x = node("OneHot", List.of("input", constInts("depth", m.inputSize()),
                        constant("one_hot_values", new double[] {0, 1}, 2)), attrInt("axis", -1));
            } else {
                g.addInput(valueInfo("input", type, "the input sequence", "steps", "batch", m.inputSize()));
                x = "input";
            }
            int top = m.layers().size() - 1;
            // A bidirectional top layer under a head that reads once: the head reads its final states (PyTorch's
            // h_n, [h_fwd(T-1); h_bwd(0)]), not its output at the last step, where the backward pass has read one input.
            boolean headReadsFinalStates = m.topology() != Topology.MANY_TO_MANY && m.layers().get(top).directions() == 2;
            for (int k = 0; k < m.layers().size(); k++) {
                x = layer(k, x, !(k == top && headReadsFinalStates));
            }
            String out;
            int features = m.layers().get(top).outputSize();
            if (m.topology() == Topology.MANY_TO_MANY) {
                String w = constant("head.weight_t", transpose(tensors.apply("head.weight"), m.outputSize(), features),
                        features, m.outputSize());
                String z = node("MatMul", List.of(x, w));
                out = node("Add", List.of(z, constant("head.bias", tensors.apply("head.bias"), m.outputSize())));
            } else {
                String lastStep = headReadsFinalStates ? mergedFinalStates(top)
                        : node("Gather", List.of(x, constInts("last_step", -1L)), attrInt("axis", 0));
                out = node("Gemm", List.of(lastStep, constant("head.weight", tensors.apply("head.weight"),
                        m.outputSize(), features), constant("head.bias", tensors.apply("head.bias"), m.outputSize())),
                        attrInt("transB", 1));
            }
            switch (m.activation()) {
                case SIGMOID -> out = node("Sigmoid", List.of(out));
                case TANH -> out = node("Tanh", List.of(out));
                case SOFTMAX -> out = node("Softmax", List.of(out), attrInt("axis", -1));
                case LINEAR -> { }
            }
            rename(out, "output");
            if (m.topology() == Topology.MANY_TO_MANY) {
                g.addOutput(valueInfo("output", type, "the head's output at every step", "steps", "batch", m.outputSize()));
            } else {
                g.addOutput(valueInfo("output", type, "the head's output after the last step", "batch", m.outputSize()));
            }
            ModelProto.Builder model = ModelProto.newBuilder()
                    .setIrVersion(IR_VERSION)
                    .setProducerName("unroll")
                    .setDocString(g.getDocString())
                    .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                    .setGraph(g);
            meta(model, "unroll.model", m.name());
            meta(model, "unroll.steps", Integer.toString(m.steps()));
            meta(model, "unroll.topology", m.topology().name().toLowerCase(Locale.ROOT));
            meta(model, "unroll.spec", m.toSpec());
            return model.build();
        }

        private static void meta(ModelProto.Builder model, String key, String value) {
            model.addMetadataProps(StringStringEntryProto.newBuilder().setKey(key).setValue(value));
        }

        /** Layer {@code k}'s final hidden states [2, batch, hidden], merged as its directions are: [batch, F]. */
        private String mergedFinalStates(int k) {
            String hn = "hn_l" + k;
            if (m.layers().get(k).direction() == Direction.SUM) {
                return node("ReduceSum", List.of(hn, constInts("hn_l" + k + ".direction_axis", 0L)), attrInt("keepdims", 0));
            }
            String t = node("Transpose", List.of(hn), attrInts("perm", 1, 0, 2));
            return node("Reshape", List.of(t, constInts("hn_l" + k + ".concat_shape", 0L, -1L)));
        }

        /**
         * Adds layer {@code k}'s node and, if {@code merged}, the merge of its directions; returns its
         * [steps, batch, F] output (null when not merged: its Y is then not written).
         */
        private String layer(int k, String x, boolean merged) {
            Layer layer = m.layers().get(k);
            int h = layer.hiddenSize();
            int dirs = layer.directions();
            int gates = layer.cell().gates();
            int in = m.layerInputSize(k);
            int[] order = switch (layer.cell()) {
                case RNN -> new int[] {0};
                case LSTM -> new int[] {0, 2, 3, 1}; // PyTorch block j is ONNX block order[j] (i,f,g,o vs i,o,f,c)
                case GRU -> new int[] {1, 0, 2};     // r,z,n vs z,r,h
            };
            double[] w = new double[dirs * gates * h * in];
            double[] r = new double[dirs * gates * h * h];
            double[] b = new double[dirs * 2 * gates * h];
            double[] p = new double[dirs * 3 * h];
            for (int d = 0; d < dirs; d++) {
                String sfx = "_l" + k + (d == 1 ? "_reverse" : "");
                place(tensors.apply("rnn.weight_ih" + sfx), w, d * gates * h * in, h * in, order);
                place(tensors.apply("rnn.weight_hh" + sfx), r, d * gates * h * h, h * h, order);
                place(tensors.apply("rnn.bias_ih" + sfx), b, d * 2 * gates * h, h, order);
                place(tensors.apply("rnn.bias_hh" + sfx), b, d * 2 * gates * h + gates * h, h, order);
                if (layer.peepholes()) {
                    // ONNX P is [input, output, forget] per direction.
                    System.arraycopy(tensors.apply("rnn.weight_ci" + sfx), 0, p, d * 3 * h, h);
                    System.arraycopy(tensors.apply("rnn.weight_co" + sfx), 0, p, d * 3 * h + h, h);
                    System.arraycopy(tensors.apply("rnn.weight_cf" + sfx), 0, p, d * 3 * h + 2 * h, h);
                }
            }
            String op = switch (layer.cell()) {
                case RNN -> "RNN";
                case LSTM -> "LSTM";
                case GRU -> "GRU";
            };
            String prefix = op + "_l" + k;
            String h0 = "h0_l" + k;
            g.addInput(valueInfo(h0, type, "layer " + k + "'s initial hidden state", dirs, "batch", h));
            List<String> inputs = new java.util.ArrayList<>(List.of(x,
                    constant(prefix + ".W", w, dirs, gates * h, in),
                    constant(prefix + ".R", r, dirs, gates * h, h),
                    constant(prefix + ".B", b, dirs, 2 * gates * h), "", h0));
            if (layer.cell() == Cell.LSTM) {
                String c0 = "c0_l" + k;
                g.addInput(valueInfo(c0, type, "layer " + k + "'s initial cell state", dirs, "batch", h));
                inputs.add(c0);
                if (layer.peepholes()) {
                    inputs.add(constant(prefix + ".P", p, dirs, 3 * h));
                }
            }
            NodeProto.Builder node = NodeProto.newBuilder().setOpType(op).setName(prefix).addAllInput(inputs);
            String y = merged ? prefix + ".Y" : "";
            node.addOutput(y).addOutput("hn_l" + k);
            g.addOutput(valueInfo("hn_l" + k, type, "layer " + k + "'s final hidden state", dirs, "batch", h));
            if (layer.cell() == Cell.LSTM) {
                node.addOutput("cn_l" + k);
                g.addOutput(valueInfo("cn_l" + k, type, "layer " + k + "'s final cell state", dirs, "batch", h));
            }
            node.addAttribute(attrInt("hidden_size", h));
            node.addAttribute(AttributeProto.newBuilder().setName("direction").setType(AttributeProto.AttributeType.STRING)
                    .setS(ByteString.copyFromUtf8(dirs == 2 ? "bidirectional" : "forward")));
            if (layer.cell() == Cell.GRU) {
                // 1 is PyTorch's (and Unroll's default) reset-after form; 0, ONNX's default, is Cho's.
                node.addAttribute(attrInt("linear_before_reset", layer.cho() ? 0 : 1));
            }
            if (layer.relu()) {
                AttributeProto.Builder a = AttributeProto.newBuilder().setName("activations")
                        .setType(AttributeProto.AttributeType.STRINGS);
                for (int d = 0; d < dirs; d++) {
                    a.addStrings(ByteString.copyFromUtf8("Relu"));
                }
                node.addAttribute(a);
            }
            g.addNode(node);
            if (!merged) {
                return null;
            }
            // Y is [steps, directions, batch, hidden].
            if (layer.direction() == Direction.FORWARD) {
                return node("Squeeze", List.of(y, constInts(prefix + ".direction_axis", 1L)));
            }
            if (layer.direction() == Direction.SUM) {
                return node("ReduceSum", List.of(y, constInts(prefix + ".direction_axis", 1L)), attrInt("keepdims", 0));
            }
            String t = node("Transpose", List.of(y), attrInts("perm", 0, 2, 1, 3));
            return node("Reshape", List.of(t, constInts(prefix + ".concat_shape", 0L, 0L, -1L)));
        }

        /** Copies gate blocks of {@code block} values from PyTorch order into ONNX order at {@code offset}. */
        private static void place(double[] src, double[] dst, int offset, int block, int[] order) {
            for (int j = 0; j < order.length; j++) {
                System.arraycopy(src, j * block, dst, offset + order[j] * block, block);
            }
        }

        private String node(String op, List<String> inputs, AttributeProto... attributes) {
            String name = op + "_" + counter++;
            NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs)
                    .addOutput(name + ".out");
            for (AttributeProto a : attributes) {
                n.addAttribute(a);
            }
            g.addNode(n);
            return name + ".out";
        }

        /** Renames the last node's output, so the graph output has its documented name. */
        private void rename(String from, String to) {
            int last = g.getNodeCount() - 1;
            NodeProto n = g.getNode(last);
            if (!n.getOutput(0).equals(from)) {
                throw new AssertionError(from);
            }
            g.setNode(last, n.toBuilder().setOutput(0, to));
        }

        private String constant(String name, double[] values, long... dims) {
            ByteBuffer buf = ByteBuffer.allocate(values.length * (type == DataType.DOUBLE ? 8 : 4))
                    .order(ByteOrder.LITTLE_ENDIAN);
            for (double v : values) {
                if (type == DataType.DOUBLE) {
                    buf.putDouble(v);
                } else {
                    buf.putFloat((float) v);
                }
            }
            buf.flip();
            TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type.getNumber())
                    .setRawData(ByteString.copyFrom(buf));
            for (long d : dims) {
                t.addDims(d);
            }
            g.addInitializer(t);
            return name;
        }

        private String constInts(String name, long... values) {
            TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(DataType.INT64.getNumber());
            for (long v : values) {
                t.addInt64Data(v);
            }
            if (!name.equals("last_step")) {
                t.addDims(values.length); // a 1-D list; last_step is a scalar, so that Gather drops the time axis
            }
            g.addInitializer(t);
            return name;
        }

        private static AttributeProto attrInt(String name, long v) {
            return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
        }

        private static AttributeProto attrInts(String name, long... v) {
            AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
            for (long x : v) {
                a.addInts(x);
            }
            return a.build();
        }

        /** A graph input or output; each dim is an Integer (fixed) or a String (symbolic). */
        private static ValueInfoProto valueInfo(String name, DataType elem, String doc, Object... dims) {
            TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
            for (Object d : dims) {
                TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
                if (d instanceof Integer i) {
                    dim.setDimValue(i);
                } else {
                    dim.setDimParam((String) d);
                }
                shape.addDim(dim);
            }
            return ValueInfoProto.newBuilder().setName(name).setDocString(doc)
                    .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
                            .setElemType(elem.getNumber()).setShape(shape)))
                    .build();
        }

        private static double[] transpose(double[] a, int rows, int cols) {
            double[] t = new double[a.length];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    t[c * rows + r] = a[r * cols + c];
                }
            }
            return t;
        }
    }
}
