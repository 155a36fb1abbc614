package dev.unroll.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.unroll.onnx.proto.Onnx.AttributeProto;
import dev.unroll.onnx.proto.Onnx.GraphProto;
import dev.unroll.onnx.proto.Onnx.ModelProto;
import dev.unroll.onnx.proto.Onnx.NodeProto;
import dev.unroll.onnx.proto.Onnx.OperatorSetIdProto;
import dev.unroll.onnx.proto.Onnx.TensorProto;
import dev.unroll.onnx.proto.Onnx.TensorShapeProto;
import dev.unroll.onnx.proto.Onnx.TypeProto;
import dev.unroll.onnx.proto.Onnx.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Graphs written the way other exporters (tf2onnx, hand-built ONNX) write them, not through
 * Unroll's export: ONNX's own gate orders (i,o,f,c and z,r,h), peepholes P in i,o,f order, no B,
 * GRU's default linear_before_reset = 0 (Cho), a head on Y_h, Gemm with transB = 0 and no bias.
 * ONNX Runtime runs each graph; the import's spec and weights, run by the reference forward, must
 * agree with it. A wrong gate or peephole mapping fails here.
 */
class OnnxForeignGraphTest {
    static final int T = 4;
    static final int B = 2;
    static final int I = 3;

    private final SplittableRandom random = new SplittableRandom(11);
    private final GraphProto.Builder g = GraphProto.newBuilder().setName("foreign");

    private double[] randomFloats(int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextDouble(-0.7, 0.7);
        }
        return v;
    }

    private String init(String name, double[] v, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (double x : v) {
            b.putFloat((float) x);
        }
        b.flip();
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
                .setRawData(ByteString.copyFrom(b));
        for (long d : dims) {
            t.addDims(d);
        }
        g.addInitializer(t);
        return name;
    }

    private String ints(String name, long... v) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE)
                .addDims(v.length);
        for (long x : v) {
            t.addInt64Data(x);
        }
        g.addInitializer(t);
        return name;
    }

    private static AttributeProto attr(String name, long i) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(i).build();
    }

    private static AttributeProto attr(String name, String s) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(s)).build();
    }

    private static AttributeProto perm(long... p) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName("perm").setType(AttributeProto.AttributeType.INTS);
        for (long x : p) {
            a.addInts(x);
        }
        return a.build();
    }

    private void node(String op, List<String> in, List<String> out, AttributeProto... attrs) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(op + g.getNodeCount()).addAllInput(in)
                .addAllOutput(out);
        for (AttributeProto a : attrs) {
            n.addAttribute(a);
        }
        g.addNode(n);
    }

    private static ValueInfoProto info(String name, long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : dims) {
            s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(s))).build();
    }

    private ModelProto model() {
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("hand")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(14)).setGraph(g).build();
    }

    /** Runs the graph in ONNX Runtime and the import in the reference on the same input; returns the max difference. */
    private double compare(ModelProto model, boolean batchFirst, boolean perStep, int outputs) throws Exception {
        double[] flat = randomFloats(T * B * I);
        double[][][] x = new double[B][T][I];
        for (int t = 0; t < T; t++) {
            for (int b = 0; b < B; b++) {
                for (int i = 0; i < I; i++) {
                    x[b][t][i] = flat[batchFirst ? (b * T + t) * I + i : (t * B + b) * I + i];
                }
            }
        }
        double[] y = Ort.run(model.toByteArray(), Map.of("x", Ort.In.of(flat, false,
                batchFirst ? new long[] {B, T, I} : new long[] {T, B, I}))).get("y");
        OnnxImport.Result r = OnnxImport.read(model, "foreign.onnx", OnnxImport.Options.defaults());
        double[][][] expected = Reference.forward(r.model(), r.tensors(), x, null, null);
        double diff = 0;
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < (perStep ? T : 1); t++) {
                for (int j = 0; j < outputs; j++) {
                    double got = perStep ? y[(t * B + b) * outputs + j] : y[b * outputs + j];
                    diff = Math.max(diff, Math.abs(got - expected[b][t][j]));
                }
            }
        }
        return diff;
    }

    @Test
    void lstmWithPeepholesNoBiasHeadOnYh() throws Exception {
        int h = 4;
        int o = 3;
        g.addInput(info("x", B, T, I));
        node("Transpose", List.of("x"), List.of("xt"), perm(1, 0, 2));
        node("LSTM", List.of("xt", init("W", randomFloats(4 * h * I), 1, 4 * h, I),
                init("R", randomFloats(4 * h * h), 1, 4 * h, h), "", "", "", "",
                init("P", randomFloats(3 * h), 1, 3 * h)), List.of("", "yh"), attr("hidden_size", h));
        node("Squeeze", List.of("yh", ints("axis0", 0)), List.of("last"));
        node("Gemm", List.of("last", init("Wt", randomFloats(h * o), h, o)), List.of("z"));
        node("Softmax", List.of("z"), List.of("y"), attr("axis", 1));
        g.addOutput(info("y", B, o));
        ModelProto model = model();
        assertEquals("model Foreign {\n    input 3;\n    lstm 4 peepholes;\n    output 3 softmax;\n"
                + "    many_to_one steps 4;\n    precision float32;\n}\n",
                OnnxImport.read(model, "foreign.onnx", OnnxImport.Options.defaults()).spec());
        double diff = compare(model, true, false, o);
        assertTrue(diff <= 1e-5, "max |ONNX Runtime - reference| = " + diff);
    }

    @Test
    void bidirectionalGruWithOnnxDefaultLinearBeforeResetIsCho() throws Exception {
        int h = 3;
        int o = 2;
        g.addInput(info("x", T, B, I));
        node("GRU", List.of("x", init("W", randomFloats(2 * 3 * h * I), 2, 3 * h, I),
                init("R", randomFloats(2 * 3 * h * h), 2, 3 * h, h), init("B", randomFloats(2 * 6 * h), 2, 6 * h)),
                List.of("y4"), attr("hidden_size", h), attr("direction", "bidirectional"));
        node("Transpose", List.of("y4"), List.of("yt"), perm(0, 2, 1, 3));
        node("Reshape", List.of("yt", ints("shape", 0, 0, -1)), List.of("seq"));
        node("MatMul", List.of("seq", init("Wh", randomFloats(2 * h * o), 2 * h, o)), List.of("z"));
        node("Add", List.of(init("bh", randomFloats(o), o), "z"), List.of("y"));
        g.addOutput(info("y", T, B, o));
        ModelProto model = model();
        assertEquals("model Foreign {\n    input 3;\n    gru 3 cho bidirectional concat;\n    output 2 linear;\n"
                + "    many_to_many steps 4;\n    precision float32;\n}\n",
                OnnxImport.read(model, "foreign.onnx", OnnxImport.Options.defaults()).spec());
        double diff = compare(model, false, true, o);
        assertTrue(diff <= 1e-5, "max |ONNX Runtime - reference| = " + diff);
    }

    /** Another exporter's form of a bidirectional many_to_one: the sum of Y_h's two rows (no Y at all). */
    @Test
    void reluRnnWithSummedFinalStates() throws Exception {
        int h = 5;
        int o = 2;
        g.addInput(info("x", T, B, I));
        AttributeProto relu = AttributeProto.newBuilder().setName("activations")
                .setType(AttributeProto.AttributeType.STRINGS).addStrings(ByteString.copyFromUtf8("Relu"))
                .addStrings(ByteString.copyFromUtf8("Relu")).build();
        node("RNN", List.of("x", init("W", randomFloats(2 * h * I), 2, h, I), init("R", randomFloats(2 * h * h), 2, h, h),
                init("B", randomFloats(4 * h), 2, 2 * h)), List.of("", "yh"), attr("hidden_size", h),
                attr("direction", "bidirectional"), relu);
        node("ReduceSum", List.of("yh", ints("dirs", 0)), List.of("last"), attr("keepdims", 0));
        node("Gemm", List.of("last", init("Wh", randomFloats(o * h), o, h), init("bh", randomFloats(o), o)), List.of("y"),
                attr("transB", 1));
        g.addOutput(info("y", B, o));
        ModelProto model = model();
        OnnxImport.Result r = OnnxImport.read(model, "foreign.onnx", new OnnxImport.Options(
                java.util.Optional.of("Summed"), OptionalInt.empty()));
        assertEquals("model Summed {\n    input 3;\n    rnn 5 relu bidirectional sum;\n    output 2 linear;\n"
                + "    many_to_one steps 4;\n    precision float32;\n}\n", r.spec());
        double diff = compare(model, false, false, o);
        assertTrue(diff <= 1e-5, "max |ONNX Runtime - reference| = " + diff);
    }

    /** The last step of a summed bidirectional sequence is not what Unroll's many_to_one reads: refused. */
    @Test
    void lastStepGatherOfABidirectionalSequenceIsRefused() throws Exception {
        int h = 5;
        g.addInput(info("x", T, B, I));
        node("RNN", List.of("x", init("W", randomFloats(2 * h * I), 2, h, I), init("R", randomFloats(2 * h * h), 2, h, h)),
                List.of("y4"), attr("hidden_size", h), attr("direction", "bidirectional"));
        node("ReduceSum", List.of("y4", ints("dirs", 1)), List.of("seq"), attr("keepdims", 0));
        node("Gather", List.of("seq", g.addInitializer(TensorProto.newBuilder().setName("minus1")
                .setDataType(TensorProto.DataType.INT64_VALUE).addInt64Data(-1)).getInitializer(
                        g.getInitializerCount() - 1).getName()), List.of("last"), attr("axis", 0));
        node("Gemm", List.of("last", init("Wh", randomFloats(2 * h), 2, h)), List.of("y"), attr("transB", 1));
        g.addOutput(info("y", B, 2));
        OnnxException e = org.junit.jupiter.api.Assertions.assertThrows(OnnxException.class,
                () -> OnnxImport.read(model(), "foreign.onnx", OnnxImport.Options.defaults()));
        assertTrue(e.getMessage().contains("node 'Gather") && e.getMessage().contains("h_n"), e.getMessage());
    }
}
