package dev.unroll.onnx;

import dev.unroll.onnx.ModelDescription.Activation;
import dev.unroll.onnx.ModelDescription.Cell;
import dev.unroll.onnx.ModelDescription.Direction;
import dev.unroll.onnx.ModelDescription.Layer;
import dev.unroll.onnx.ModelDescription.Precision;
import dev.unroll.onnx.ModelDescription.Topology;
import dev.unroll.onnx.TensorValues.Value;
import dev.unroll.onnx.proto.Onnx.AttributeProto;
import dev.unroll.onnx.proto.Onnx.GraphProto;
import dev.unroll.onnx.proto.Onnx.ModelProto;
import dev.unroll.onnx.proto.Onnx.NodeProto;
import dev.unroll.onnx.proto.Onnx.StringStringEntryProto;
import dev.unroll.onnx.proto.Onnx.TensorProto;
import dev.unroll.onnx.proto.Onnx.TensorProto.DataType;
import dev.unroll.onnx.proto.Onnx.TensorShapeProto;
import dev.unroll.onnx.proto.Onnx.ValueInfoProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Reads an ONNX graph of recurrent layers and a head by abstract interpretation: every value
 * in the graph gets a meaning (a constant, the input sequence with its axes, a layer's output,
 * a final state, the head's output...) from the meanings of its node's inputs. Plumbing that
 * exporters add (transposes to and from batch-first, squeezes, the reshape that concatenates
 * the two directions, the zero initial states built from Shape and Expand) is followed; an op
 * that does not fit the recognised shapes is refused, naming the node.
 */
final class GraphReader {

    /** Axis labels: the input's own axes before any transpose, then time, batch, direction, hidden, features, outputs. */
    enum Ax { IN0, IN1, T, B, D, H, F, O }

    /** The meaning of one value of the graph. */
    sealed interface Meaning {}

    /** A constant (initializer, Constant node, or folded shape arithmetic). */
    record Const(Value value) implements Meaning {}

    /** A value computed from shapes that Unroll need not know (e.g. the batch size for a zero state). */
    record Opaque() implements Meaning {}

    /** A tensor of zeros whose shape does not matter: an exporter's default initial state. */
    record Zeros() implements Meaning {}

    /** A float graph input, possibly transposed or sliced along axis 0 (an initial state). */
    record GraphIn(String name, List<Ax> axes, long from, long to) implements Meaning {}

    /** An int64 graph input of symbol indices, before OneHot. */
    record Indices(String name, List<Ax> axes) implements Meaning {}

    /**
     * A sequence: the network input ({@code layer == -1}) or layer {@code layer}'s output.
     * {@code combine} records how a bidirectional layer's directions were merged, once they are.
     */
    record Seq(int layer, List<Ax> axes, Direction combine, boolean oneHot) implements Meaning {}

    /** A sequence at its last step (the T axis removed). */
    record Last(int layer, List<Ax> axes, Direction combine) implements Meaning {}

    /** Final states of layers ({@code c} for LSTM's Y_c), stacked along axis 0 as PyTorch's h_n. */
    record States(List<Integer> layers, boolean cell) implements Meaning {}

    /**
     * One direction's row of a bidirectional layer's final state, {@code [batch, hidden]}: the forward pass's
     * state after the last step, or ({@code reverse}) the backward pass's after step 0, as PyTorch's
     * {@code h_n[-2]} and {@code h_n[-1]}.
     */
    record FinalRow(int layer, boolean reverse) implements Meaning {}

    /** One bidirectional layer's final hidden states (its Y_h), with their axes (direction, batch, hidden) as permuted. */
    record BiStates(int layer, List<Ax> axes) implements Meaning {}

    /** The head's linear layer: {@code weight} is O x F (PyTorch's layout); {@code bias} may be null until an Add. */
    record Head(int layer, boolean perStep, List<Ax> axes, double[] weight, int out, int in, double[] bias)
            implements Meaning {}

    /** The head followed by its activation. */
    record Out(Head head, Activation activation) implements Meaning {}

    /** A recurrent node read so far. */
    record LayerNode(NodeProto node, Cell cell, int hidden, int dirs, boolean relu, boolean cho,
            Map<String, double[]> tensors, boolean peepholes, Precision precision, String initialState) {}

    private static final Set<String> RECURRENT = Set.of("RNN", "LSTM", "GRU");

    private final String source;
    private final ModelProto model;
    private final GraphProto graph;
    private final Map<String, Meaning> meanings = new HashMap<>();
    private final List<LayerNode> layers = new ArrayList<>();
    private final Map<Integer, Direction> directions = new HashMap<>();
    private final List<String> notes = new ArrayList<>();
    private final Map<String, ValueInfoProto> inputs = new LinkedHashMap<>();
    private String dataInput;
    private int timeAxisOfInput = -1;
    private Precision precision;

    private GraphReader(String source, ModelProto model) {
        this.source = source;
        this.model = model;
        this.graph = model.getGraph();
    }

    /** Reads the model; {@code name} and {@code steps} override what the file says. */
    static OnnxImport.Result read(String source, ModelProto model, Optional<String> name, OptionalInt steps)
            throws OnnxException {
        return new GraphReader(source, model).run(name, steps);
    }

    private OnnxImport.Result run(Optional<String> name, OptionalInt stepsOverride) throws OnnxException {
        for (TensorProto t : graph.getInitializerList()) {
            meanings.put(t.getName(), new Const(TensorValues.decode(t, where("initializer '" + t.getName() + "'"))));
        }
        for (ValueInfoProto in : graph.getInputList()) {
            if (meanings.containsKey(in.getName())) {
                continue; // an initializer listed as an input too (IR < 4 style): a constant
            }
            inputs.put(in.getName(), in);
            int elem = in.getType().getTensorType().getElemType();
            int rank = in.getType().getTensorType().getShape().getDimCount();
            if (elem == DataType.INT64_VALUE || elem == DataType.INT32_VALUE) {
                if (rank != 2) {
                    throw new OnnxException(where("input '" + in.getName() + "' has integer elements and rank " + rank
                            + "; an index input must be [steps, batch] or [batch, steps]"));
                }
                meanings.put(in.getName(), new Indices(in.getName(), List.of(Ax.IN0, Ax.IN1)));
            } else {
                List<Ax> axes = rank == 3 ? List.of(Ax.IN0, Ax.IN1, Ax.F) : List.of();
                meanings.put(in.getName(), new GraphIn(in.getName(), axes, 0, Long.MAX_VALUE));
            }
        }
        for (NodeProto node : graph.getNodeList()) {
            interpret(node);
        }
        if (layers.isEmpty()) {
            throw new OnnxException(where("the graph has no RNN, LSTM or GRU node"));
        }
        Out out = null;
        String outName = null;
        for (ValueInfoProto o : graph.getOutputList()) {
            Meaning m = meanings.get(o.getName());
            if (m instanceof Head h) {
                m = new Out(h, Activation.LINEAR);
            }
            if (m instanceof Out found) {
                if (out != null) {
                    throw new OnnxException(where("graph outputs '" + outName + "' and '" + o.getName()
                            + "' both come from a head; Unroll models have one"));
                }
                out = found;
                outName = o.getName();
            } else if (m instanceof States) {
                notes.add("graph output '" + o.getName() + "' (final states) is not part of the spec; the generated "
                        + "model's Stepper keeps its state itself");
            } else {
                throw new OnnxException(where("graph output '" + o.getName() + "' is " + describe(m)
                        + ", not the output of a linear head (Gemm, or MatMul and Add) on the last recurrent layer"));
            }
        }
        if (out == null) {
            throw new OnnxException(where("no graph output comes from a linear head (Gemm, or MatMul and Add) on the "
                    + "recurrent layers; Unroll models end with an output layer"));
        }
        Head head = out.head();
        int last = layers.size() - 1;
        if (head.layer() != last) {
            throw new OnnxException(where("the head reads " + (head.layer() < 0 ? "the input" : "layer " + head.layer())
                    + ", not the last recurrent layer (" + last + ")"));
        }
        if (head.bias() == null) {
            // Gemm without C, or MatMul without Add: a zero bias is the same function.
            notes.add("the head has no bias; head.bias is zeros");
        }
        List<Layer> described = new ArrayList<>();
        Map<String, double[]> tensors = new LinkedHashMap<>();
        for (int k = 0; k < layers.size(); k++) {
            LayerNode l = layers.get(k);
            Direction direction = l.dirs() == 1 ? Direction.FORWARD : directions.get(k);
            if (direction == null) {
                throw new OnnxException(where("node '" + l.node().getName() + "': its output is not read"));
            }
            described.add(new Layer(l.cell(), l.hidden(), direction, l.relu(), l.cho(), l.peepholes()));
            tensors.putAll(l.tensors());
            if (l.initialState() != null) {
                notes.add(l.initialState());
            }
        }
        tensors.put("head.weight", head.weight());
        tensors.put("head.bias", head.bias() == null ? new double[head.out()] : head.bias());

        int steps = resolveSteps(stepsOverride);
        Topology topology = head.perStep() ? Topology.MANY_TO_MANY : Topology.MANY_TO_ONE;
        if (topology == Topology.MANY_TO_ONE && steps == 1 && "one_to_one".equals(metadata("unroll.topology"))) {
            topology = Topology.ONE_TO_ONE;
        }
        boolean oneHot = meanings.get(dataInput) instanceof Indices;
        int inputSize = layers.get(0).tensors().get("rnn.weight_ih_l0").length
                / (layers.get(0).cell().gates() * layers.get(0).hidden());
        String modelName = name.orElseGet(() -> Optional.ofNullable(metadata("unroll.model")).orElse(nameFrom(source)));
        ModelDescription description = new ModelDescription(modelName, inputSize, oneHot, described, head.out(),
                out.activation(), topology, steps, precision);
        // The tensors follow the description's parameter order, the state_dict order.
        Map<String, double[]> ordered = new LinkedHashMap<>();
        for (ModelDescription.TensorSpec spec : description.parameters()) {
            double[] v = tensors.get(spec.name());
            if (v == null || v.length != spec.size()) {
                throw new OnnxException(where("tensor " + spec.name() + " should have shape " + Arrays.toString(spec.shape())
                        + " but has " + (v == null ? "no values" : v.length + " values")
                        + "; the layers' sizes do not fit together"));
            }
            ordered.put(spec.name(), v);
        }
        return new OnnxImport.Result(description, ordered, notes);
    }

    private int resolveSteps(OptionalInt override) throws OnnxException {
        if (override.isPresent()) {
            return override.getAsInt();
        }
        ValueInfoProto in = inputs.get(dataInput);
        TensorShapeProto.Dimension dim = in.getType().getTensorType().getShape().getDim(timeAxisOfInput);
        if (dim.hasDimValue() && dim.getDimValue() > 0) {
            return Math.toIntExact(dim.getDimValue());
        }
        String meta = metadata("unroll.steps");
        if (meta != null) {
            try {
                return Integer.parseInt(meta);
            } catch (NumberFormatException e) {
                throw new OnnxException(where("metadata unroll.steps is '" + meta + "', not a number"));
            }
        }
        throw new OnnxException(where("the number of steps is not fixed: axis " + timeAxisOfInput + " of input '"
                + dataInput + "' is " + (dim.hasDimParam() ? "'" + dim.getDimParam() + "'" : "unnamed")
                + "; give the steps the spec should unroll (unroll import --steps N)"));
    }

    private String metadata(String key) {
        for (StringStringEntryProto e : model.getMetadataPropsList()) {
            if (e.getKey().equals(key)) {
                return e.getValue();
            }
        }
        return null;
    }

    /** A model name from a file name: {@code my_model.onnx} becomes {@code MyModel}. */
    static String nameFrom(String path) {
        String file = path.substring(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
        int dot = file.indexOf('.');
        String base = dot > 0 ? file.substring(0, dot) : file;
        StringBuilder s = new StringBuilder();
        boolean up = true;
        for (char c : base.toCharArray()) {
            if (Character.isLetterOrDigit(c) && c < 128) {
                s.append(up ? Character.toUpperCase(c) : c);
                up = false;
            } else {
                up = true;
            }
        }
        if (s.length() == 0 || !Character.isLetter(s.charAt(0))) {
            s.insert(0, "Model");
        }
        return s.toString();
    }

    // ---------------------------------------------------------------- interpretation

    private void interpret(NodeProto node) throws OnnxException {
        String op = node.getOpType();
        if (!node.getDomain().isEmpty() && !node.getDomain().equals("ai.onnx")) {
            throw refuse(node, "ops of domain '" + node.getDomain() + "' are not supported");
        }
        if (RECURRENT.contains(op)) {
            recurrent(node);
            return;
        }
        Meaning result = switch (op) {
            case "Constant" -> constant(node);
            case "Identity", "Dropout" -> in(node, 0);
            case "Cast" -> cast(node);
            case "Shape", "Size" -> shapeOf(node);
            case "Gather" -> gather(node);
            case "Unsqueeze" -> unsqueeze(node);
            case "Squeeze" -> squeeze(node);
            case "Concat" -> concat(node);
            case "Expand" -> expand(node);
            case "ConstantOfShape" -> constantOfShape(node);
            case "Slice" -> slice(node);
            case "Transpose" -> transpose(node);
            case "Reshape" -> reshape(node);
            case "ReduceSum" -> reduceSum(node);
            case "OneHot" -> oneHot(node);
            case "MatMul" -> matMul(node);
            case "Add" -> add(node);
            case "Gemm" -> gemm(node);
            case "Sigmoid" -> activation(node, Activation.SIGMOID);
            case "Tanh" -> activation(node, Activation.TANH);
            case "Softmax" -> softmax(node);
            case "Mul", "Sub", "Div", "Equal", "Where", "Range", "Floor", "Ceil" -> arithmetic(node);
            default -> throw refuse(node, "op " + op + " is not supported by Unroll's ONNX import (it reads RNN, LSTM "
                    + "and GRU nodes, a Gemm or MatMul+Add head with Sigmoid, Tanh or Softmax, and the Transpose, "
                    + "Squeeze, Reshape, Gather, Slice, Concat, Expand and shape ops exporters put around them)");
        };
        if (node.getOutputCount() > 0) {
            meanings.put(node.getOutput(0), result);
        }
    }

    private OnnxException refuse(NodeProto node, String why) {
        return new OnnxException(where("node '" + node.getName() + "' (" + node.getOpType() + "): " + why));
    }

    private String where(String what) {
        return source + ": " + what;
    }

    private Meaning in(NodeProto node, int i) throws OnnxException {
        if (i >= node.getInputCount() || node.getInput(i).isEmpty()) {
            return null;
        }
        Meaning m = meanings.get(node.getInput(i));
        if (m == null) {
            throw refuse(node, "input '" + node.getInput(i) + "' is not produced by any earlier node, initializer or "
                    + "graph input");
        }
        return m;
    }

    private Value constIn(NodeProto node, int i, String what) throws OnnxException {
        Meaning m = in(node, i);
        if (m instanceof Const c) {
            return c.value();
        }
        throw refuse(node, what + " '" + (i < node.getInputCount() ? node.getInput(i) : "") + "' must be a constant, but is "
                + describe(m) + (m == null ? "" : "; export with constant folding (torch.onnx.export's default)"));
    }

    private static String describe(Meaning m) {
        if (m == null) {
            return "missing";
        }
        if (m instanceof Const c) {
            return "a constant of shape " + c.value().shape();
        } else if (m instanceof Opaque) {
            return "computed from shapes";
        } else if (m instanceof Zeros) {
            return "zeros";
        } else if (m instanceof GraphIn g) {
            return "graph input '" + g.name() + "'";
        } else if (m instanceof Indices i) {
            return "the index input '" + i.name() + "'";
        } else if (m instanceof Seq s) {
            return (s.layer() < 0 ? "the input sequence" : "the sequence of layer " + s.layer()) + " " + s.axes();
        } else if (m instanceof Last l) {
            return "the last step of " + (l.layer() < 0 ? "the input" : "layer " + l.layer());
        } else if (m instanceof States s) {
            return "final states of layers " + s.layers();
        } else if (m instanceof FinalRow r) {
            return "layer " + r.layer() + "'s final " + (r.reverse() ? "backward" : "forward") + " state";
        } else if (m instanceof BiStates b) {
            return "layer " + b.layer() + "'s final states " + b.axes();
        } else if (m instanceof Head) {
            return "the head's linear layer";
        }
        return "the head's output";
    }

    private static Optional<AttributeProto> attr(NodeProto node, String name) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals(name)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    private static long intAttr(NodeProto node, String name, long otherwise) {
        return attr(node, name).map(AttributeProto::getI).orElse(otherwise);
    }

    private Meaning constant(NodeProto node) throws OnnxException {
        for (AttributeProto a : node.getAttributeList()) {
            String where = where("node '" + node.getName() + "' (Constant) value");
            switch (a.getName()) {
                case "value":
                    return new Const(TensorValues.decode(a.getT(), where));
                case "value_float":
                    return new Const(new Value(DataType.FLOAT, new long[0], new double[] {a.getF()}));
                case "value_int":
                    return new Const(new Value(DataType.INT64, new long[0], new double[] {a.getI()}));
                case "value_ints":
                    return new Const(new Value(DataType.INT64, new long[] {a.getIntsCount()},
                            a.getIntsList().stream().mapToDouble(Long::doubleValue).toArray()));
                case "value_floats":
                    double[] f = new double[a.getFloatsCount()];
                    for (int i = 0; i < f.length; i++) {
                        f[i] = a.getFloats(i);
                    }
                    return new Const(new Value(DataType.FLOAT, new long[] {f.length}, f));
                default:
                    break;
            }
        }
        throw refuse(node, "no value attribute Unroll reads (value, value_float(s), value_int(s))");
    }

    private Meaning cast(NodeProto node) throws OnnxException {
        Meaning m = in(node, 0);
        if (m instanceof Const c) {
            long to = intAttr(node, "to", 0);
            DataType type = DataType.forNumber((int) to);
            return new Const(new Value(type == null ? c.value().type() : type, c.value().dims(), c.value().values()));
        }
        if (m instanceof Opaque || m instanceof Zeros) {
            return m;
        }
        throw refuse(node, "a Cast of " + describe(m) + " would change the precision mid-graph");
    }

    private Meaning shapeOf(NodeProto node) throws OnnxException {
        Meaning m = in(node, 0);
        if (m instanceof Const c) {
            double[] dims = Arrays.stream(c.value().dims()).asDoubleStream().toArray();
            return new Const(new Value(DataType.INT64, new long[] {dims.length}, dims));
        }
        return new Opaque();
    }

    private Meaning arithmetic(NodeProto node) throws OnnxException {
        // Shape arithmetic only (exporters compute reshape targets this way); on data it would
        // change what the network computes.
        for (int i = 0; i < node.getInputCount(); i++) {
            Meaning m = in(node, i);
            if (!(m == null || m instanceof Const || m instanceof Opaque)) {
                throw refuse(node, "op " + node.getOpType() + " on " + describe(m) + " is not part of a network "
                        + "Unroll can express");
            }
        }
        return new Opaque();
    }

    private Meaning gather(NodeProto node) throws OnnxException {
        Meaning data = in(node, 0);
        Meaning index = in(node, 1);
        long axis = intAttr(node, "axis", 0);
        if (data instanceof Opaque || index instanceof Opaque) {
            return new Opaque();
        }
        if (data instanceof Const c && index instanceof Const i && c.value().rank() == 1) {
            double[] src = c.value().values();
            double[] idx = i.value().values();
            double[] out = new double[idx.length];
            for (int j = 0; j < idx.length; j++) {
                int k = (int) (idx[j] < 0 ? idx[j] + src.length : idx[j]);
                if (k < 0 || k >= src.length) {
                    throw refuse(node, "index " + idx[j] + " outside a constant of " + src.length + " elements");
                }
                out[j] = src[k];
            }
            return new Const(new Value(c.value().type(), i.value().dims(), out));
        }
        if (!(index instanceof Const ic) || ic.value().rank() != 0) {
            throw refuse(node, "Unroll reads a Gather only of one step of a sequence or one layer's final state, "
                    + "with a constant scalar index; here the index is " + describe(index));
        }
        long at = (long) ic.value().values()[0];
        if (data instanceof Seq s) {
            int a = (int) (axis < 0 ? axis + s.axes().size() : axis);
            if (a < 0 || a >= s.axes().size() || s.axes().get(a) != Ax.T) {
                throw refuse(node, "it selects along axis " + axis + " " + s.axes() + ", not the time axis");
            }
            if (at != -1 && !(staticSteps().isPresent() && at == staticSteps().getAsInt() - 1)) {
                throw refuse(node, "it reads step " + at + "; Unroll's many_to_one reads the last step (index -1)");
            }
            if (s.combine() == null) {
                throw refuse(node, "it reads a step of " + describe(s) + " before its directions are merged");
            }
            if (s.layer() >= 0 && layers.get(s.layer()).dirs() == 2) {
                throw refuse(node, "it reads the last step of bidirectional layer " + s.layer() + "'s output, "
                        + "[h_fwd(T-1); h_bwd(T-1)], where the backward pass has read one input; Unroll's many_to_one "
                        + "reads PyTorch's h_n, [h_fwd(T-1); h_bwd(0)]: read the head from the layer's final states "
                        + "(Y_h, or torch.cat([h_n[-2], h_n[-1]], 1) in PyTorch)");
            }
            List<Ax> axes = new ArrayList<>(s.axes());
            axes.remove(a);
            return new Last(s.layer(), axes, s.combine());
        }
        if (data instanceof States st && !st.cell() && axis == 0) {
            return stateRow(node, st, at, true);
        }
        throw refuse(node, "Unroll reads a Gather only of a step of a sequence or of one layer's final state, not of "
                + describe(data));
    }

    /** Row {@code at} of stacked final states: the last layer's, if forward-only, is its output at the last step. */
    private Meaning stateRow(NodeProto node, States st, long at, boolean dropAxis) throws OnnxException {
        int rows = 0;
        for (int k : st.layers()) {
            rows += layers.get(k).dirs();
        }
        long row = at < 0 ? at + rows : at;
        int lastLayer = st.layers().get(st.layers().size() - 1);
        if (layers.get(lastLayer).dirs() == 2 && dropAxis && (row == rows - 2 || row == rows - 1)) {
            return new FinalRow(lastLayer, row == rows - 1);
        }
        if (row != rows - 1 || layers.get(lastLayer).dirs() != 1) {
            throw refuse(node, "it reads final state " + at + " of " + rows + "; Unroll reads only the last layer's "
                    + "final state (both rows of it, merged, for a bidirectional layer)");
        }
        if (!dropAxis) {
            return new States(List.of(lastLayer), false);
        }
        directions.merge(lastLayer, Direction.FORWARD, (a, b) -> a);
        return new Last(lastLayer, List.of(Ax.B, Ax.F), Direction.FORWARD);
    }

    private OptionalInt staticSteps() {
        if (dataInput == null || timeAxisOfInput < 0) {
            return OptionalInt.empty();
        }
        TensorShapeProto.Dimension dim = inputs.get(dataInput).getType().getTensorType().getShape()
                .getDim(timeAxisOfInput);
        return dim.hasDimValue() ? OptionalInt.of((int) dim.getDimValue()) : OptionalInt.empty();
    }

    private long[] axesOf(NodeProto node, int input) throws OnnxException {
        Optional<AttributeProto> a = attr(node, "axes");
        if (a.isPresent()) {
            return a.get().getIntsList().stream().mapToLong(Long::longValue).toArray();
        }
        if (input < node.getInputCount() && !node.getInput(input).isEmpty()) {
            return Arrays.stream(constIn(node, input, "axes").values()).mapToLong(v -> (long) v).toArray();
        }
        return null;
    }

    private Meaning unsqueeze(NodeProto node) throws OnnxException {
        Meaning m = in(node, 0);
        if (m instanceof Const c && c.value().rank() == 0) {
            return new Const(new Value(c.value().type(), new long[] {1}, c.value().values()));
        }
        if (m instanceof Const || m instanceof Opaque || m instanceof Zeros) {
            return m instanceof Const ? new Opaque() : m;
        }
        throw refuse(node, "Unsqueeze of " + describe(m) + " is not part of a network Unroll can express");
    }

    private Meaning squeeze(NodeProto node) throws OnnxException {
        Meaning m = in(node, 0);
        long[] axes = axesOf(node, 1);
        if (m instanceof Opaque || m instanceof Zeros) {
            return m;
        }
        if (axes == null || axes.length != 1) {
            throw refuse(node, "Unroll reads a Squeeze only with one explicit axis");
        }
        if (m instanceof Seq s) {
            int a = (int) (axes[0] < 0 ? axes[0] + s.axes().size() : axes[0]);
            if (a >= 0 && a < s.axes().size() && s.axes().get(a) == Ax.D && layers.get(s.layer()).dirs() == 1) {
                List<Ax> out = new ArrayList<>(s.axes());
                out.remove(a);
                out.set(out.indexOf(Ax.H), Ax.F);
                return combined(node, new Seq(s.layer(), out, Direction.FORWARD, false));
            }
            throw refuse(node, "it removes axis " + axes[0] + " of " + describe(s) + ", which is not the direction axis "
                    + "of a forward-only layer");
        }
        if (m instanceof States st && !st.cell() && axes[0] == 0) {
            return stateRow(node, st, -1, true);
        }
        throw refuse(node, "Squeeze of " + describe(m) + " is not part of a network Unroll can express");
    }

    /** Records how a layer's directions were merged; a layer read in two different ways is refused. */
    private Meaning combined(NodeProto node, Seq s) throws OnnxException {
        recordMerge(node, s.layer(), s.combine());
        return s;
    }

    /** A bidirectional layer's final states, merged: what Unroll's many_to_one head reads (PyTorch's h_n). */
    private Meaning mergedFinal(NodeProto node, int layer, Direction merge) throws OnnxException {
        recordMerge(node, layer, merge);
        return new Last(layer, List.of(Ax.B, Ax.F), merge);
    }

    private void recordMerge(NodeProto node, int layer, Direction merge) throws OnnxException {
        Direction before = directions.putIfAbsent(layer, merge);
        if (before != null && before != merge) {
            throw refuse(node, "layer " + layer + "'s directions are merged both as " + before + " and as " + merge);
        }
    }

    /** The final states of one bidirectional layer as {@code [direction, batch, hidden]}, or null. */
    private BiStates biStates(Meaning m) {
        if (m instanceof BiStates b) {
            return b;
        }
        if (m instanceof States st && !st.cell() && st.layers().size() == 1 && layers.get(st.layers().get(0)).dirs() == 2) {
            return new BiStates(st.layers().get(0), List.of(Ax.D, Ax.B, Ax.H));
        }
        return null;
    }

    private Meaning concat(NodeProto node) throws OnnxException {
        List<Meaning> parts = new ArrayList<>();
        for (int i = 0; i < node.getInputCount(); i++) {
            parts.add(in(node, i));
        }
        if (parts.stream().allMatch(p -> p instanceof Const c && c.value().rank() == 1)) {
            List<Double> all = new ArrayList<>();
            for (Meaning p : parts) {
                for (double v : ((Const) p).value().values()) {
                    all.add(v);
                }
            }
            return new Const(new Value(DataType.INT64, new long[] {all.size()},
                    all.stream().mapToDouble(Double::doubleValue).toArray()));
        }
        if (parts.stream().allMatch(p -> p instanceof Const || p instanceof Opaque)) {
            return new Opaque();
        }
        if (parts.size() == 2 && parts.get(0) instanceof FinalRow f && parts.get(1) instanceof FinalRow r
                && f.layer() == r.layer() && !f.reverse() && r.reverse()) {
            long axis = intAttr(node, "axis", 0);
            if (axis != 1 && axis != -1) {
                throw refuse(node, "it concatenates layer " + f.layer() + "'s final states along axis " + axis
                        + "; Unroll's 'bidirectional concat' joins them along the features (axis 1)");
            }
            return mergedFinal(node, f.layer(), Direction.CONCAT);
        }
        if (parts.stream().allMatch(p -> p instanceof States) && intAttr(node, "axis", 0) == 0) {
            List<Integer> stacked = new ArrayList<>();
            boolean cell = ((States) parts.get(0)).cell();
            for (Meaning p : parts) {
                stacked.addAll(((States) p).layers());
            }
            return new States(stacked, cell);
        }
        throw refuse(node, "Concat of " + parts.stream().map(GraphReader::describe).toList() + " is not part of a network "
                + "Unroll can express (a bidirectional layer's directions are merged by its Transpose and Reshape)");
    }

    private Meaning expand(NodeProto node) throws OnnxException {
        Meaning m = in(node, 0);
        if (m instanceof Zeros || m instanceof Const c && c.value().allZero()) {
            return new Zeros();
        }
        if (m instanceof Const || m instanceof Opaque) {
            return new Opaque();
        }
        throw refuse(node, "Expand of " + describe(m) + " is not part of a network Unroll can express");
    }

    private Meaning constantOfShape(NodeProto node) throws OnnxException {
        Optional<AttributeProto> value = attr(node, "value");
        if (value.isEmpty() || TensorValues.decode(value.get().getT(), where("node '" + node.getName() + "' value")).allZero()) {
            return new Zeros();
        }
        return new Opaque();
    }

    private Meaning slice(NodeProto node) throws OnnxException {
        Meaning m = in(node, 0);
        if (m instanceof Zeros) {
            return m;
        }
        if (m instanceof Const || m instanceof Opaque) {
            return new Opaque();
        }
        if (m instanceof GraphIn g) {
            long[] starts = Arrays.stream(constIn(node, 1, "starts").values()).mapToLong(v -> (long) v).toArray();
            long[] ends = Arrays.stream(constIn(node, 2, "ends").values()).mapToLong(v -> (long) v).toArray();
            long[] axes = node.getInputCount() > 3 && !node.getInput(3).isEmpty()
                    ? Arrays.stream(constIn(node, 3, "axes").values()).mapToLong(v -> (long) v).toArray() : new long[] {0};
            if (starts.length == 1 && axes.length == 1 && axes[0] == 0 && g.from() == 0 && (node.getInputCount() <= 4
                    || node.getInput(4).isEmpty() || constIn(node, 4, "steps").values()[0] == 1)) {
                return new GraphIn(g.name(), g.axes(), starts[0], ends[0]);
            }
            throw refuse(node, "Unroll reads a Slice of a graph input only along axis 0 (one layer's initial states)");
        }
        throw refuse(node, "Slice of " + describe(m) + " is not part of a network Unroll can express");
    }

    private Meaning transpose(NodeProto node) throws OnnxException {
        Meaning m = in(node, 0);
        long[] perm = attr(node, "perm").map(a -> a.getIntsList().stream().mapToLong(Long::longValue).toArray())
                .orElse(null);
        List<Ax> axes;
        if (m instanceof Seq s) {
            axes = s.axes();
        } else if (m instanceof Last l) {
            axes = l.axes();
        } else if (m instanceof GraphIn g) {
            axes = g.axes();
        } else if (m instanceof Indices i) {
            axes = i.axes();
        } else if (m instanceof Head h) {
            axes = h.axes();
        } else if (biStates(m) != null) {
            axes = biStates(m).axes();
        } else {
            throw refuse(node, "Transpose of " + describe(m) + " is not part of a network Unroll can express");
        }
        if (perm == null) {
            perm = new long[axes.size()];
            for (int i = 0; i < perm.length; i++) {
                perm[i] = perm.length - 1 - i;
            }
        }
        if (perm.length != axes.size()) {
            throw refuse(node, "perm " + Arrays.toString(perm) + " does not fit rank " + axes.size());
        }
        List<Ax> out = new ArrayList<>();
        for (long p : perm) {
            out.add(axes.get((int) p));
        }
        if (m instanceof Seq s) {
            return new Seq(s.layer(), out, s.combine(), s.oneHot());
        } else if (m instanceof Last l) {
            return new Last(l.layer(), out, l.combine());
        } else if (m instanceof GraphIn g) {
            return new GraphIn(g.name(), out, g.from(), g.to());
        } else if (m instanceof Indices i) {
            return new Indices(i.name(), out);
        } else if (biStates(m) != null) {
            return new BiStates(biStates(m).layer(), out);
        }
        Head h = (Head) m;
        return new Head(h.layer(), h.perStep(), out, h.weight(), h.out(), h.in(), h.bias());
    }

    private Meaning reshape(NodeProto node) throws OnnxException {
        Meaning m = in(node, 0);
        if (m instanceof Opaque || m instanceof Const) {
            return new Opaque();
        }
        if (m instanceof BiStates b && b.axes().equals(List.of(Ax.B, Ax.D, Ax.H)) && in(node, 1) instanceof Const c
                && c.value().values().length == 2) {
            // [batch, 2, hidden] (Y_h transposed) to [batch, 2 * hidden]: the two directions' final states side by side.
            double[] target = c.value().values();
            long features = 2L * layers.get(b.layer()).hidden();
            if ((target[0] == 0 || target[0] == -1 && target[1] == features) && (target[1] == -1 || target[1] == features)) {
                return mergedFinal(node, b.layer(), Direction.CONCAT);
            }
        }
        if (m instanceof Seq s && s.combine() == null) {
            int d = s.axes().indexOf(Ax.D);
            Meaning shapeMeaning = in(node, 1);
            if (d >= 0 && d + 1 < s.axes().size() && s.axes().get(d + 1) == Ax.H && shapeMeaning instanceof Const c
                    && c.value().values().length == s.axes().size() - 1) {
                double[] target = c.value().values();
                int hidden = layers.get(s.layer()).hidden();
                int dirs = layers.get(s.layer()).dirs();
                boolean merges = target[d] == -1 || target[d] == (long) hidden * dirs;
                for (int i = 0; i < target.length; i++) {
                    if (i == d) {
                        continue;
                    }
                    // Every other axis must keep its size: 0 copies it (only before the merged axis, where
                    // input and output axes line up), -1 infers it (when the merged size is explicit), or
                    // the literal size of the time axis.
                    Ax axis = s.axes().get(i < d ? i : i + 1);
                    boolean kept = target[i] == 0 && i < d || target[i] == -1 && target[d] != -1
                            || dimKept(axis, target[i]);
                    merges = merges && kept;
                }
                if (merges) {
                    List<Ax> out = new ArrayList<>(s.axes());
                    out.remove(d + 1);
                    out.set(d, Ax.F);
                    return combined(node, new Seq(s.layer(), out, dirs == 1 ? Direction.FORWARD : Direction.CONCAT, false));
                }
            }
        }
        throw refuse(node, "Unroll reads a Reshape only where it concatenates a bidirectional layer's two directions "
                + "(the [.., 2, .., H] output transposed so that the direction axis precedes H, reshaped to 2H); "
                + "here it reshapes " + describe(m));
    }

    /** Whether a literal dimension in a reshape target is the size that axis already has (only the time axis is known). */
    private boolean dimKept(Ax axis, double size) {
        return axis == Ax.T && staticSteps().isPresent() && staticSteps().getAsInt() == size;
    }

    private Meaning reduceSum(NodeProto node) throws OnnxException {
        Meaning m = in(node, 0);
        long[] axes = axesOf(node, 1);
        if (m instanceof Seq s && s.combine() == null && axes != null && axes.length == 1
                && intAttr(node, "keepdims", 1) == 0) {
            int a = (int) (axes[0] < 0 ? axes[0] + s.axes().size() : axes[0]);
            if (a >= 0 && a < s.axes().size() && s.axes().get(a) == Ax.D && layers.get(s.layer()).dirs() == 2) {
                List<Ax> out = new ArrayList<>(s.axes());
                out.remove(a);
                out.set(out.indexOf(Ax.H), Ax.F);
                return combined(node, new Seq(s.layer(), out, Direction.SUM, false));
            }
        }
        BiStates b = biStates(m);
        if (b != null && axes != null && axes.length == 1 && intAttr(node, "keepdims", 1) == 0) {
            int a = (int) (axes[0] < 0 ? axes[0] + b.axes().size() : axes[0]);
            if (a >= 0 && a < b.axes().size() && b.axes().get(a) == Ax.D) {
                return mergedFinal(node, b.layer(), Direction.SUM);
            }
        }
        throw refuse(node, "Unroll reads a ReduceSum only where it sums a bidirectional layer's two directions "
                + "(over the direction axis, keepdims=0), as 'bidirectional sum'");
    }

    private Meaning oneHot(NodeProto node) throws OnnxException {
        Meaning m = in(node, 0);
        Value depth = constIn(node, 1, "depth");
        Value values = constIn(node, 2, "values");
        long axis = intAttr(node, "axis", -1);
        if (!(m instanceof Indices idx) || !(axis == -1 || axis == 2) || values.values().length != 2
                || values.values()[0] != 0 || values.values()[1] != 1) {
            throw refuse(node, "Unroll reads a OneHot only of the index input, on the last axis, with values [0, 1]");
        }
        List<Ax> axes = new ArrayList<>(idx.axes());
        axes.add(Ax.F);
        notes.add("input '" + idx.name() + "' is read one-hot over " + (long) depth.values()[0] + " symbols");
        return new Seq(-1, axes, Direction.FORWARD, true);
    }

    private Meaning matMul(NodeProto node) throws OnnxException {
        Meaning a = in(node, 0);
        if (a instanceof Const || a instanceof Opaque) {
            return new Opaque();
        }
        Value w = constIn(node, 1, "weight");
        if (w.rank() != 2) {
            throw refuse(node, "the weight has shape " + w.shape() + "; a head's MatMul weight is [features, outputs]");
        }
        int f = (int) w.dims()[0];
        int o = (int) w.dims()[1];
        checkPrecision(node, "the head's weight", precisionOf(w));
        return headOn(node, a, transpose(w.values(), f, o), o, f);
    }

    /** A head {@code O x F} applied to {@code a}, which must be a merged sequence or its last step with features last. */
    private Meaning headOn(NodeProto node, Meaning a, double[] weight, int o, int f) throws OnnxException {
        List<Ax> axes;
        int layer;
        boolean perStep;
        if (a instanceof Seq s && s.combine() != null && s.layer() >= 0) {
            axes = s.axes();
            layer = s.layer();
            perStep = true;
        } else if (a instanceof Last l && l.layer() >= 0) {
            axes = l.axes();
            layer = l.layer();
            perStep = false;
        } else {
            throw refuse(node, "the head must read a recurrent layer's output (at every step or at the last one), not "
                    + describe(a));
        }
        if (axes.get(axes.size() - 1) != Ax.F) {
            throw refuse(node, "it multiplies axis " + axes.get(axes.size() - 1) + " of " + axes + ", not the features");
        }
        int features = layers.get(layer).dirs() == 2 && directions.get(layer) == Direction.CONCAT
                ? 2 * layers.get(layer).hidden() : layers.get(layer).hidden();
        if (f != features) {
            throw refuse(node, "the weight reads " + f + " features, but layer " + layer + " writes " + features);
        }
        List<Ax> out = new ArrayList<>(axes);
        out.set(out.size() - 1, Ax.O);
        return new Head(layer, perStep, out, weight, o, f, null);
    }

    private Meaning add(NodeProto node) throws OnnxException {
        Meaning a = in(node, 0);
        Meaning b = in(node, 1);
        if ((a instanceof Const || a instanceof Opaque) && (b instanceof Const || b instanceof Opaque)) {
            return new Opaque();
        }
        if (a instanceof FinalRow f && b instanceof FinalRow r && f.layer() == r.layer() && f.reverse() != r.reverse()) {
            return mergedFinal(node, f.layer(), Direction.SUM);
        }
        Head head = a instanceof Head h ? h : b instanceof Head h ? h : null;
        Meaning other = head == a ? b : a;
        if (head == null || head.bias() != null || !(other instanceof Const c)) {
            throw refuse(node, "Unroll reads an Add only as the head's bias (a constant added to a MatMul), not "
                    + describe(a) + " + " + describe(b));
        }
        if (c.value().values().length != head.out()) {
            throw refuse(node, "the bias has shape " + c.value().shape() + ", but the head has " + head.out() + " outputs");
        }
        return new Head(head.layer(), head.perStep(), head.axes(), head.weight(), head.out(), head.in(), c.value().values());
    }

    private Meaning gemm(NodeProto node) throws OnnxException {
        Meaning a = in(node, 0);
        if (a instanceof Const || a instanceof Opaque) {
            return new Opaque();
        }
        if (intAttr(node, "transA", 0) != 0) {
            throw refuse(node, "transA=1 is not supported (the head multiplies the layer's output as it is)");
        }
        float alpha = attr(node, "alpha").map(AttributeProto::getF).orElse(1f);
        float beta = attr(node, "beta").map(AttributeProto::getF).orElse(1f);
        if (alpha != 1f || beta != 1f && node.getInputCount() > 2) {
            throw refuse(node, "alpha=" + alpha + " beta=" + beta + "; Unroll's head is W x + b (alpha = beta = 1)");
        }
        Value w = constIn(node, 1, "weight");
        if (w.rank() != 2) {
            throw refuse(node, "the weight has shape " + w.shape() + ", not a matrix");
        }
        checkPrecision(node, "the head's weight", precisionOf(w));
        boolean transB = intAttr(node, "transB", 0) != 0;
        int o = (int) (transB ? w.dims()[0] : w.dims()[1]);
        int f = (int) (transB ? w.dims()[1] : w.dims()[0]);
        double[] weight = transB ? w.values() : transpose(w.values(), f, o);
        Meaning head = headOn(node, a, weight, o, f);
        Head h = (Head) head;
        if (node.getInputCount() > 2 && !node.getInput(2).isEmpty()) {
            Value c = constIn(node, 2, "bias");
            if (c.values().length != o) {
                throw refuse(node, "the bias has shape " + c.shape() + ", but the head has " + o + " outputs");
            }
            return new Head(h.layer(), h.perStep(), h.axes(), h.weight(), o, f, c.values());
        }
        return h;
    }

    private Meaning activation(NodeProto node, Activation activation) throws OnnxException {
        Meaning m = in(node, 0);
        if (m instanceof Head h) {
            return new Out(h, activation);
        }
        throw refuse(node, "Unroll applies " + node.getOpType() + " only to the head's output, not to " + describe(m));
    }

    private Meaning softmax(NodeProto node) throws OnnxException {
        Meaning m = in(node, 0);
        if (!(m instanceof Head h)) {
            return activation(node, Activation.SOFTMAX);
        }
        long axis = intAttr(node, "axis", opset() >= 13 ? -1 : 1);
        int rank = h.axes().size();
        // Before opset 13 Softmax flattens from 'axis' on; on a rank-2 head that is still the outputs.
        if (!(axis == -1 || axis == rank - 1) || opset() < 13 && rank != 2) {
            throw refuse(node, "softmax over axis " + axis + " of " + h.axes() + "; Unroll's softmax is over the outputs");
        }
        return new Out(h, Activation.SOFTMAX);
    }

    private long opset() {
        return model.getOpsetImportList().stream().filter(o -> o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx"))
                .mapToLong(o -> o.getVersion()).findFirst().orElse(1);
    }

    // ---------------------------------------------------------------- recurrent nodes

    private void recurrent(NodeProto node) throws OnnxException {
        String op = node.getOpType();
        Cell cell = switch (op) {
            case "RNN" -> Cell.RNN;
            case "LSTM" -> Cell.LSTM;
            default -> Cell.GRU;
        };
        int k = layers.size();
        for (AttributeProto a : node.getAttributeList()) {
            switch (a.getName()) {
                case "hidden_size", "direction", "activations", "linear_before_reset", "layout" -> { }
                case "clip" -> throw refuse(node, "attribute 'clip' (" + a.getF() + ") clips every gate's pre-activation, "
                        + "which Unroll does not do (its lstm 'cell_clip' clamps the cell state, a different function); "
                        + "export without clip");
                case "input_forget" -> {
                    if (a.getI() != 0) {
                        throw refuse(node, "attribute 'input_forget' = 1 (coupled input and forget gates) is not an "
                                + "Unroll cell");
                    }
                }
                case "activation_alpha", "activation_beta" -> throw refuse(node, "attribute '" + a.getName()
                        + "' parameterizes non-default activations, which Unroll does not have");
                default -> throw refuse(node, "attribute '" + a.getName() + "' is not supported");
            }
        }
        if (intAttr(node, "layout", 0) != 0) {
            throw refuse(node, "layout=1 (batch-first X and Y) is not supported; Unroll reads ONNX's default time-major "
                    + "layout, which torch.onnx.export writes");
        }
        String direction = attr(node, "direction").map(a -> a.getS().toStringUtf8()).orElse("forward");
        int dirs = switch (direction) {
            case "forward" -> 1;
            case "bidirectional" -> 2;
            case "reverse" -> throw refuse(node, "direction 'reverse' (a layer that reads only backwards) has no "
                    + "Unroll equivalent: Unroll layers read forwards, or both ways when bidirectional");
            default -> throw refuse(node, "unknown direction '" + direction + "'");
        };
        boolean relu = activations(node, cell, dirs);
        boolean cho = cell == Cell.GRU && intAttr(node, "linear_before_reset", 0) == 0;
        if (cell != Cell.GRU && attr(node, "linear_before_reset").isPresent()) {
            throw refuse(node, "attribute 'linear_before_reset' belongs to GRU");
        }

        // X: the input sequence or the previous layer's merged output, time-major.
        Meaning x = in(node, 0);
        List<Ax> xAxes;
        if (x instanceof GraphIn g && k == 0 && g.axes().size() == 3) {
            xAxes = g.axes();
            dataInput = g.name();
        } else if (x instanceof Seq s && s.layer() == -1 && k == 0) {
            xAxes = s.axes();
            dataInput = inputs.keySet().stream().filter(n -> meanings.get(n) instanceof Indices).findFirst().orElse(null);
        } else if (x instanceof Seq s && s.layer() == k - 1 && s.combine() != null) {
            xAxes = s.axes();
        } else {
            throw refuse(node, "its input X is " + describe(x) + "; layer " + k + " must read "
                    + (k == 0 ? "the graph's input sequence" : "layer " + (k - 1) + "'s output") + ", time-major");
        }
        if (k == 0) {
            if (xAxes.size() != 3 || !(xAxes.get(0) == Ax.IN0 || xAxes.get(0) == Ax.IN1) || xAxes.get(2) != Ax.F) {
                throw refuse(node, "its input X has axes " + xAxes + " of input '" + dataInput + "'; expected "
                        + "[steps, batch, features] or a transpose of [batch, steps, features]");
            }
            timeAxisOfInput = xAxes.get(0) == Ax.IN0 ? 0 : 1;
        } else if (!xAxes.equals(List.of(Ax.T, Ax.B, Ax.F))) {
            throw refuse(node, "its input X has axes " + xAxes + "; expected [T, B, F] (time-major)");
        }

        // W, R, B, P: ONNX layout, converted to PyTorch's names and gate order.
        String w = "W";
        Value wv = constIn(node, 1, w);
        Value rv = constIn(node, 2, "R");
        Value bv = node.getInputCount() > 3 && !node.getInput(3).isEmpty() ? constIn(node, 3, "B") : null;
        int hidden = (int) intAttr(node, "hidden_size", rv.rank() == 3 ? rv.dims()[2] : -1);
        int g = cell.gates();
        int gh = g * hidden;
        if (wv.rank() != 3 || wv.dims()[0] != dirs || wv.dims()[1] != gh) {
            throw refuse(node, "W has shape " + wv.shape() + ", expected [" + dirs + ", " + gh + ", input size] for "
                    + "hidden_size " + hidden);
        }
        int inSize = (int) wv.dims()[2];
        expectShape(node, "R", rv, dirs, gh, hidden);
        if (bv != null) {
            expectShape(node, "B", bv, dirs, 2L * gh);
        }
        if (k > 0) {
            LayerNode prev = layers.get(k - 1);
            int expected = directions.get(k - 1) == Direction.CONCAT ? 2 * prev.hidden() : prev.hidden();
            if (inSize != expected) {
                throw refuse(node, "W reads " + inSize + " features, but layer " + (k - 1) + " writes " + expected);
            }
        }
        Precision p = wv.type() == DataType.DOUBLE ? Precision.FLOAT64 : Precision.FLOAT32;
        checkPrecision(node, "W", p);
        String seqLens = node.getInputCount() > 4 ? node.getInput(4) : "";
        if (!seqLens.isEmpty() && fullLengths(in(node, 4))) {
            // Every sequence as long as the input: what some exporters write; it changes nothing.
            notes.add("node '" + node.getName() + "': sequence_lens are all " + staticSteps().getAsInt()
                    + ", the full length, and are ignored");
        } else if (!seqLens.isEmpty()) {
            throw refuse(node, "input sequence_lens ('" + seqLens + "') is given: padded sequences of several lengths "
                    + "map to Unroll's variable_length, which ONNX import does not produce yet; export with "
                    + "sequences of one length");
        }
        String stateNote = initialState(node, 5, k, dirs, "initial_h");
        if (cell == Cell.LSTM) {
            String c = initialState(node, 6, k, dirs, "initial_c");
            stateNote = stateNote == null ? c : c == null ? stateNote : stateNote + "; " + c;
        }
        int[] order = switch (cell) {
            case RNN -> new int[] {0};
            case LSTM -> new int[] {0, 2, 3, 1}; // PyTorch i, f, g, o from ONNX i, o, f, c
            case GRU -> new int[] {1, 0, 2};     // PyTorch r, z, n from ONNX z, r, h
        };
        Map<String, double[]> tensors = new LinkedHashMap<>();
        boolean peepholes = false;
        Value pv = cell == Cell.LSTM && node.getInputCount() > 7 && !node.getInput(7).isEmpty()
                ? constIn(node, 7, "P") : null;
        if (pv != null) {
            expectShape(node, "P", pv, dirs, 3L * hidden);
            // All-zero peepholes compute exactly what an LSTM without them does (some exporters always write P).
            peepholes = !pv.allZero();
        }
        for (int d = 0; d < dirs; d++) {
            String suffix = "_l" + k + (d == 1 ? "_reverse" : "");
            tensors.put("rnn.weight_ih" + suffix, reorder(wv.values(), d, g, hidden, inSize, 0, order));
            tensors.put("rnn.weight_hh" + suffix, reorder(rv.values(), d, g, hidden, hidden, 0, order));
            double[] b = bv == null ? new double[2 * gh * dirs] : bv.values();
            tensors.put("rnn.bias_ih" + suffix, reorder(b, d, g, hidden, 1, 0, order, 2 * gh));
            tensors.put("rnn.bias_hh" + suffix, reorder(b, d, g, hidden, 1, gh, order, 2 * gh));
            if (peepholes) {
                // ONNX P holds the input, output and forget gates' vectors, in that order.
                double[] pp = pv.values();
                int base = d * 3 * hidden;
                tensors.put("rnn.weight_ci" + suffix, Arrays.copyOfRange(pp, base, base + hidden));
                tensors.put("rnn.weight_cf" + suffix, Arrays.copyOfRange(pp, base + 2 * hidden, base + 3 * hidden));
                tensors.put("rnn.weight_co" + suffix, Arrays.copyOfRange(pp, base + hidden, base + 2 * hidden));
            }
        }
        if (k == 0 && x instanceof Seq s && s.oneHot()) {
            notes.add("layer 0 reads one-hot vectors of " + inSize + " symbols");
        }
        layers.add(new LayerNode(node, cell, hidden, dirs, relu, cho, tensors, peepholes, p, stateNote));
        if (node.getOutputCount() > 0 && !node.getOutput(0).isEmpty()) {
            meanings.put(node.getOutput(0), new Seq(k, List.of(Ax.T, Ax.D, Ax.B, Ax.H), null, false));
        }
        if (node.getOutputCount() > 1 && !node.getOutput(1).isEmpty()) {
            meanings.put(node.getOutput(1), new States(List.of(k), false));
        }
        if (node.getOutputCount() > 2 && !node.getOutput(2).isEmpty()) {
            meanings.put(node.getOutput(2), new States(List.of(k), true));
        }
    }

    /** Whether sequence_lens is a constant equal to the (static) number of steps for every sequence. */
    private boolean fullLengths(Meaning lens) {
        if (!(lens instanceof Const c) || staticSteps().isEmpty()) {
            return false;
        }
        for (double v : c.value().values()) {
            if (v != staticSteps().getAsInt()) {
                return false;
            }
        }
        return true;
    }

    /** Checks the activations attribute: only each cell's defaults, or Relu for an RNN. Returns whether it is ReLU. */
    private boolean activations(NodeProto node, Cell cell, int dirs) throws OnnxException {
        Optional<AttributeProto> a = attr(node, "activations");
        if (a.isEmpty()) {
            return false;
        }
        List<String> names = a.get().getStringsList().stream().map(s -> s.toStringUtf8()).toList();
        List<String> one = switch (cell) {
            case RNN -> List.of("Tanh");
            case LSTM -> List.of("Sigmoid", "Tanh", "Tanh");
            case GRU -> List.of("Sigmoid", "Tanh");
        };
        List<String> defaults = new ArrayList<>();
        List<String> relu = new ArrayList<>();
        for (int d = 0; d < dirs; d++) {
            defaults.addAll(one);
            relu.add("Relu");
        }
        if (names.equals(defaults)) {
            return false;
        }
        if (cell == Cell.RNN && names.equals(relu)) {
            return true;
        }
        throw refuse(node, "activations " + names + " are not supported: Unroll's " + cell.name().toLowerCase()
                + " uses " + defaults + (cell == Cell.RNN ? " (or Relu)" : ""));
    }

    private void expectShape(NodeProto node, String name, Value v, long... dims) throws OnnxException {
        if (!Arrays.equals(v.dims(), dims)) {
            throw refuse(node, name + " has shape " + v.shape() + ", expected " + Arrays.toString(dims));
        }
    }

    private static Precision precisionOf(Value v) {
        return v.type() == DataType.DOUBLE ? Precision.FLOAT64 : Precision.FLOAT32;
    }

    private void checkPrecision(NodeProto node, String what, Precision p) throws OnnxException {
        if (p == null) {
            return;
        }
        if (precision == null) {
            precision = p;
        } else if (precision != p) {
            throw refuse(node, what + " is " + p + " but earlier weights are " + precision + "; Unroll models have one precision");
        }
    }

    /** Describes an initial state input, refusing one Unroll cannot start from. */
    private String initialState(NodeProto node, int i, int k, int dirs, String what) throws OnnxException {
        Meaning m = in(node, i);
        if (m == null || m instanceof Zeros || m instanceof Const c && c.value().allZero()) {
            return null;
        }
        if (m instanceof GraphIn g && g.axes().size() == 3 && (g.to() == Long.MAX_VALUE || g.to() - g.from() == dirs)) {
            return "layer " + k + "'s " + what + " comes from graph input '" + g.name() + "'; the spec's model starts "
                    + "from zero states (its Stepper can start from any state)";
        }
        throw refuse(node, what + " is " + describe(m) + "; Unroll starts every sequence from zero states or from "
                + "a state the caller passes as a graph input");
    }

    /**
     * Direction {@code d}'s matrix of {@code g} gate blocks of {@code hidden x cols}, starting at
     * {@code offset} within the direction's slice of {@code stride} values, reordered so that
     * PyTorch block {@code j} is ONNX block {@code order[j]}.
     */
    private static double[] reorder(double[] src, int d, int g, int hidden, int cols, int offset, int[] order) {
        return reorder(src, d, g, hidden, cols, offset, order, g * hidden * cols);
    }

    private static double[] reorder(double[] src, int d, int g, int hidden, int cols, int offset, int[] order, int stride) {
        int block = hidden * cols;
        double[] out = new double[g * block];
        for (int j = 0; j < g; j++) {
            System.arraycopy(src, d * stride + offset + order[j] * block, out, j * block, block);
        }
        return out;
    }

    private static double[] transpose(double[] m, int rows, int cols) {
        double[] t = new double[m.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = m[r * cols + c];
            }
        }
        return t;
    }
}
