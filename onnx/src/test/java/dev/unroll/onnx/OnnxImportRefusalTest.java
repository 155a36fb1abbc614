package dev.unroll.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.unroll.onnx.proto.Onnx.AttributeProto;
import dev.unroll.onnx.proto.Onnx.GraphProto;
import dev.unroll.onnx.proto.Onnx.ModelProto;
import dev.unroll.onnx.proto.Onnx.NodeProto;
import dev.unroll.onnx.proto.Onnx.TensorProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The corpus of bad ONNX files: each refused with a message that names the file and what is
 * wrong (the node, tensor or attribute). The files are written here from the fixtures, so each
 * differs from a good file in exactly the way its test says.
 */
class OnnxImportRefusalTest {
    @TempDir
    Path dir;

    private String refused(Path file) {
        OnnxException e = assertThrows(OnnxException.class, () -> OnnxImport.read(file));
        assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
        return e.getMessage().substring(file.toString().length() + 2);
    }

    private Path write(String name, byte[] bytes) throws Exception {
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        return file;
    }

    /** A fixture with one change made to its graph. */
    private Path mutated(String fixture, UnaryOperator<GraphProto.Builder> change) throws Exception {
        ModelProto model = ModelProto.parseFrom(Files.readAllBytes(Fixtures.onnx(fixture)));
        GraphProto.Builder g = change.apply(model.getGraph().toBuilder());
        return write(fixture + "-bad.onnx", model.toBuilder().setGraph(g).build().toByteArray());
    }

    /** Changes the first node of {@code op}. */
    private static UnaryOperator<GraphProto.Builder> node(String op, UnaryOperator<NodeProto.Builder> change) {
        return g -> {
            for (int i = 0; i < g.getNodeCount(); i++) {
                if (g.getNode(i).getOpType().equals(op)) {
                    return g.setNode(i, change.apply(g.getNode(i).toBuilder()));
                }
            }
            throw new AssertionError("no " + op);
        };
    }

    private static AttributeProto floatAttr(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    private static AttributeProto stringsAttr(String name, String... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRINGS);
        for (String s : v) {
            a.addStrings(ByteString.copyFromUtf8(s));
        }
        return a.build();
    }

    @Test
    void truncatedFile() throws Exception {
        byte[] good = Files.readAllBytes(Fixtures.onnx("lstm_l1"));
        String message = refused(write("truncated.onnx", Arrays.copyOf(good, good.length / 2)));
        assertTrue(message.startsWith("not a valid ONNX file (truncated or corrupt protobuf: "), message);
    }

    @Test
    void torchSavePickle() throws Exception {
        assertEquals("this is a zip archive, such as a torch.save() file (.pt/.pth), not an ONNX model; export the "
                + "module with torch.onnx.export(model, example_input, \"model.onnx\"), or save its state_dict as "
                + "safetensors and use importPyTorch", refused(Fixtures.DIR.resolve("bad/pickle.pt")));
    }

    /**
     * PyTorch's {@code y[:, -1]} of a bidirectional layer is not Unroll's many_to_one: its backward half has read one
     * input. The import refuses it (naming what to read instead) rather than build a model that computes otherwise.
     */
    @Test
    void lastStepOfABidirectionalLayer() throws Exception {
        String m = refused(Fixtures.DIR.resolve("bad/gru_bi_y_last.onnx"));
        assertTrue(m.contains("reads the last step of bidirectional layer 0's output") && m.contains("h_n")
                && m.contains("torch.cat([h_n[-2], h_n[-1]], 1)"), m);
    }

    @Test
    void emptyAndNonOnnxFiles() throws Exception {
        assertEquals("file is empty, not an ONNX model", refused(write("empty.onnx", new byte[0])));
        // Text happens to be a valid protobuf here (field 13, wire type 0...), just not a model.
        String text = refused(write("readme.onnx", "model Foo { input 3; }".getBytes()));
        assertTrue(text.startsWith("not a valid ONNX file") || text.startsWith("not an ONNX model: it has no graph"), text);
        assertEquals("no such file", refused(dir.resolve("missing.onnx")));
    }

    @Test
    void opOutsideTheSupportedSet() throws Exception {
        String m = refused(mutated("gru_l1_yh_tanh", node("Tanh", n -> n.setOpType("LogSoftmax"))));
        assertTrue(m.startsWith("node '/Tanh' (LogSoftmax): op LogSoftmax is not supported by Unroll's ONNX import"), m);
    }

    @Test
    void lstmClipIsRefusedByName() throws Exception {
        assertEquals("node '/rnn/LSTM' (LSTM): attribute 'clip' (3.0) clips every gate's pre-activation, which Unroll "
                + "does not do (its lstm 'cell_clip' clamps the cell state, a different function); export without clip",
                refused(mutated("lstm_l1", node("LSTM", n -> n.addAttribute(floatAttr("clip", 3f))))));
    }

    @Test
    void nonDefaultActivationsAreRefusedByName() throws Exception {
        assertEquals("node '/rnn/LSTM' (LSTM): activations [Sigmoid, Tanh, Relu] are not supported: Unroll's lstm uses "
                + "[Sigmoid, Tanh, Tanh]", refused(mutated("lstm_l1", node("LSTM",
                        n -> n.addAttribute(stringsAttr("activations", "Sigmoid", "Tanh", "Relu"))))));
        assertEquals("node '/rnn/GRU' (GRU): attribute 'activation_alpha' parameterizes non-default activations, which "
                + "Unroll does not have", refused(mutated("gru_l1_states", node("GRU", n -> n.addAttribute(
                        AttributeProto.newBuilder().setName("activation_alpha").addFloats(0.5f))))));
    }

    @Test
    void sequenceLensAreRefused() throws Exception {
        String m = refused(mutated("gru_l1_states", node("GRU", n -> n.setInput(4, "x"))));
        assertTrue(m.startsWith("node '/rnn/GRU' (GRU): input sequence_lens ('x') is given: padded sequences"), m);
    }

    @Test
    void sequenceLensOfTheFullLengthAreAcceptedOthersRefused() throws Exception {
        UnaryOperator<GraphProto.Builder> full = lens(7, 7, 7);
        OnnxImport.Result r = OnnxImport.read(mutated("gru_l1_states", full));
        assertTrue(r.notes().contains("node '/rnn/GRU': sequence_lens are all 7, the full length, and are ignored"),
                r.notes().toString());
        String m = refused(mutated("gru_l1_states", lens(7, 5, 7)));
        assertTrue(m.startsWith("node '/rnn/GRU' (GRU): input sequence_lens ('lens') is given: padded sequences"), m);
    }

    private static UnaryOperator<GraphProto.Builder> lens(int... lengths) {
        return g -> {
            TensorProto.Builder t = TensorProto.newBuilder().setName("lens")
                    .setDataType(TensorProto.DataType.INT32_VALUE).addDims(lengths.length);
            for (int l : lengths) {
                t.addInt32Data(l);
            }
            g.addInitializer(t);
            return node("GRU", n -> n.setInput(4, "lens")).apply(g);
        };
    }

    @Test
    void reverseOnlyLayersAreRefused() throws Exception {
        String m = refused(mutated("rnn_l1_tanh", node("RNN", n -> n.addAttribute(AttributeProto.newBuilder()
                .setName("direction").setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8("reverse"))))));
        assertTrue(m.startsWith("node '/rnn/RNN' (RNN): direction 'reverse' (a layer that reads only backwards) has no "
                + "Unroll equivalent"), m);
    }

    @Test
    void mismatchedShapes() throws Exception {
        // The head's weight reads 6 features, the LSTM writes 5.
        String m = refused(mutated("lstm_l1_states_last_sigmoid", g -> {
            for (int i = 0; i < g.getInitializerCount(); i++) {
                if (g.getInitializer(i).getName().equals("fc.weight")) {
                    TensorProto t = g.getInitializer(i);
                    g.setInitializer(i, t.toBuilder().clearDims().addDims(2).addDims(6)
                            .setRawData(ByteString.copyFrom(new byte[2 * 6 * 4])));
                }
            }
            return g;
        }));
        assertEquals("node '/fc/Gemm' (Gemm): the weight reads 6 features, but layer 0 writes 5", m);
        // An initializer whose data does not fill its dimensions.
        String raw = refused(mutated("lstm_l1_states_last_sigmoid", g -> {
            for (int i = 0; i < g.getInitializerCount(); i++) {
                if (g.getInitializer(i).getName().equals("fc.bias")) {
                    g.setInitializer(i, g.getInitializer(i).toBuilder().setRawData(ByteString.copyFrom(new byte[4])));
                }
            }
            return g;
        }));
        assertEquals("initializer 'fc.bias': raw data holds 4 bytes, but its dimensions [2] of FLOAT need 8", raw);
    }

    @Test
    void symbolicStepsNeedAnOverride() throws Exception {
        Path file = mutated("lstm_l1", g -> {
            var in = g.getInput(0).toBuilder();
            in.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder().getDimBuilder(0).clearDimValue()
                    .setDimParam("seq");
            return g.setInput(0, in);
        });
        assertEquals("the number of steps is not fixed: axis 0 of input 'x' is 'seq'; give the steps the spec should "
                + "unroll (unroll import --steps N)", refused(file));
        OnnxImport.Result r = OnnxImport.read(file, new OnnxImport.Options(java.util.Optional.empty(),
                java.util.OptionalInt.of(12)));
        assertTrue(r.spec().contains("many_to_many steps 12;"), r.spec());
    }

    @Test
    void aGraphWithoutAHeadIsRefused() throws Exception {
        String m = refused(mutated("gru_l1_states", g -> {
            // Drop everything after the GRU's Squeeze: the graph output is the layer's own sequence.
            GraphProto.Builder b = g.clone().clearNode();
            for (NodeProto n : g.getNodeList()) {
                b.addNode(n);
                if (n.getOpType().equals("Squeeze")) {
                    b.setOutput(0, b.getOutput(0).toBuilder().setName(n.getOutput(0)));
                    break;
                }
            }
            return b;
        }));
        assertTrue(m.startsWith("graph output '/rnn/Squeeze_output_0' is the sequence of layer 0 [T, B, F], not the "
                + "output of a linear head"), m);
    }

    @Test
    void inputForgetIsRefused() throws Exception {
        String m = refused(mutated("lstm_l1", node("LSTM", n -> n.addAttribute(AttributeProto.newBuilder()
                .setName("input_forget").setType(AttributeProto.AttributeType.INT).setI(1)))));
        assertEquals("node '/rnn/LSTM' (LSTM): attribute 'input_forget' = 1 (coupled input and forget gates) is not an "
                + "Unroll cell", m);
    }
}
