package dev.unroll.bench.ort;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A one-step ONNX graph with its state as inputs and outputs ({@code x, h, [c] -> y, h', [c']}), run in ONNX
 * Runtime one step at a time, the way a Java program would step a recurrent model exported to ONNX: every
 * tensor is made once, over direct buffers that ONNX Runtime reads and writes in place, and each step is one
 * {@code session.run} with <em>pinned</em> (preallocated) outputs. The state ping-pongs between two sets of
 * tensors: step {@code k} reads set {@code k % 2} and writes the next state into the other, so nothing is
 * copied or allocated for it. A step copies the input into the input tensor's buffer (64 values) and returns
 * the output tensor's buffer (not a copy).
 *
 * <p>What {@code session.run} itself allocates per call on the Java side: the arrays of names and handles it
 * passes to JNI and the {@link OrtSession.Result} that wraps the (pinned) outputs; closing the result does not
 * close pinned outputs.
 */
public final class OrtStepper implements AutoCloseable {

    /** The names of a one-step graph's tensors: the input, the states in, the output, the states out. */
    public record Names(String input, List<String> statesIn, String output, List<String> statesOut) {
        /** The graph {@code dev.unroll.onnx.OnnxExport} writes for a one-layer model. */
        public static Names unroll(boolean lstm) {
            return lstm ? new Names("input", List.of("h0_l0", "c0_l0"), "output", List.of("hn_l0", "cn_l0"))
                    : new Names("input", List.of("h0_l0"), "output", List.of("hn_l0"));
        }

        /** The graph {@code export_onnx_steps.py} writes with {@code torch.onnx.export}. */
        public static Names torch(boolean lstm) {
            return lstm ? new Names("x", List.of("h0", "c0"), "y", List.of("hn", "cn"))
                    : new Names("x", List.of("h0"), "y", List.of("hn"));
        }
    }

    private final OrtSession session;
    private final boolean float64;
    private final int inputSize;
    private final int outputSize;
    private final int stateSize;
    private final ByteBuffer xBytes;
    private final ByteBuffer yBytes;
    /** The state buffers: {@code state[set][k]} is state {@code k} (h, then c) of set 0 or 1. */
    private final ByteBuffer[][] state;
    private final List<OnnxTensor> tensors = new ArrayList<>();
    /** Per parity of the step: the inputs to feed and the pinned outputs to fill. */
    private final Map<String, OnnxTensor>[] feeds;
    private final Map<String, OnnxValue>[] pinned;
    private final FloatBuffer xFloats;
    private final DoubleBuffer xDoubles;
    private final FloatBuffer yFloats;
    private final DoubleBuffer yDoubles;
    private int parity;

    /**
     * Wraps an open session; the tensors' shapes come from the graph's inputs, with every symbolic dimension
     * (steps, batch) set to 1. The session stays owned by the caller unless {@link #closeSession} is used.
     */
    @SuppressWarnings("unchecked")
    public OrtStepper(OrtEnvironment env, OrtSession session, Names names) throws OrtException {
        this.session = session;
        Map<String, NodeInfo> inputs = session.getInputInfo();
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        TensorInfo xInfo = tensorInfo(inputs, names.input());
        this.float64 = xInfo.type == ai.onnxruntime.OnnxJavaType.DOUBLE;
        long[] xShape = oneStep(xInfo.getShape());
        long[] yShape = oneStep(tensorInfo(outputs, names.output()).getShape());
        this.inputSize = (int) xShape[xShape.length - 1];
        this.outputSize = (int) yShape[yShape.length - 1];
        long[][] stateShapes = new long[names.statesIn().size()][];
        for (int k = 0; k < stateShapes.length; k++) {
            stateShapes[k] = oneStep(tensorInfo(inputs, names.statesIn().get(k)).getShape());
            tensorInfo(outputs, names.statesOut().get(k));
        }
        this.stateSize = (int) stateShapes[0][stateShapes[0].length - 1];
        int bytes = float64 ? 8 : 4;
        xBytes = direct(inputSize * bytes);
        yBytes = direct(outputSize * bytes);
        state = new ByteBuffer[2][stateShapes.length];
        OnnxTensor x = tensor(env, xBytes, xShape);
        OnnxTensor y = tensor(env, yBytes, yShape);
        OnnxTensor[][] s = new OnnxTensor[2][stateShapes.length];
        for (int set = 0; set < 2; set++) {
            for (int k = 0; k < stateShapes.length; k++) {
                state[set][k] = direct(stateSize * bytes);
                s[set][k] = tensor(env, state[set][k], stateShapes[k]);
            }
        }
        feeds = new Map[2];
        pinned = new Map[2];
        for (int set = 0; set < 2; set++) {
            feeds[set] = new LinkedHashMap<>();
            pinned[set] = new LinkedHashMap<>();
            feeds[set].put(names.input(), x);
            pinned[set].put(names.output(), y);
            for (int k = 0; k < stateShapes.length; k++) {
                feeds[set].put(names.statesIn().get(k), s[set][k]);
                pinned[set].put(names.statesOut().get(k), s[1 - set][k]);
            }
        }
        xFloats = xBytes.asFloatBuffer();
        xDoubles = xBytes.asDoubleBuffer();
        yFloats = yBytes.asFloatBuffer();
        yDoubles = yBytes.asDoubleBuffer();
    }

    private static TensorInfo tensorInfo(Map<String, NodeInfo> infos, String name) {
        NodeInfo info = infos.get(name);
        if (info == null) {
            throw new IllegalArgumentException("the graph has no tensor '" + name + "' (it has " + infos.keySet() + ")");
        }
        return (TensorInfo) info.getInfo();
    }

    private static long[] oneStep(long[] shape) {
        long[] s = shape.clone();
        for (int i = 0; i < s.length; i++) {
            if (s[i] < 0) {
                s[i] = 1;
            }
        }
        return s;
    }

    private static ByteBuffer direct(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }

    private OnnxTensor tensor(OrtEnvironment env, ByteBuffer buffer, long[] shape) throws OrtException {
        OnnxTensor t = float64 ? OnnxTensor.createTensor(env, buffer.asDoubleBuffer(), shape)
                : OnnxTensor.createTensor(env, buffer.asFloatBuffer(), shape);
        tensors.add(t);
        return t;
    }

    /** Whether the graph computes in float64. */
    public boolean float64() {
        return float64;
    }

    public int inputSize() {
        return inputSize;
    }

    public int outputSize() {
        return outputSize;
    }

    public int stateSize() {
        return stateSize;
    }

    /** Sets the state to zero. */
    public void reset() {
        for (ByteBuffer[] set : state) {
            for (ByteBuffer b : set) {
                for (int i = 0; i < b.capacity(); i++) {
                    b.put(i, (byte) 0);
                }
            }
        }
        parity = 0;
    }

    /** One step of a float32 graph: returns the output tensor's buffer, valid until the next step. */
    public FloatBuffer step(float[] x) throws OrtException {
        xFloats.put(0, x, 0, inputSize);
        run();
        return yFloats;
    }

    /** One step of a float64 graph: returns the output tensor's buffer, valid until the next step. */
    public DoubleBuffer step(double[] x) throws OrtException {
        xDoubles.put(0, x, 0, inputSize);
        run();
        return yDoubles;
    }

    /** Runs the graph on the input already in place, from the current state set into the other. */
    private void run() throws OrtException {
        int p = parity;
        try (OrtSession.Result result = session.run(feeds[p], pinned[p])) {
            parity = 1 - p;
        }
    }

    /** The current state vector {@code k} (0 = h, 1 = c), as doubles. */
    public double[] state(int k) {
        ByteBuffer b = state[parity][k];
        double[] v = new double[stateSize];
        for (int i = 0; i < stateSize; i++) {
            v[i] = float64 ? b.getDouble(8 * i) : b.getFloat(4 * i);
        }
        return v;
    }

    /** The last step's output, as doubles. */
    public double[] output() {
        double[] v = new double[outputSize];
        for (int i = 0; i < outputSize; i++) {
            v[i] = float64 ? yBytes.getDouble(8 * i) : yBytes.getFloat(4 * i);
        }
        return v;
    }

    /** Closes the tensors (not the session). */
    @Override
    public void close() {
        for (OnnxTensor t : tensors) {
            t.close();
        }
        tensors.clear();
    }

    /** Closes the tensors and the session. */
    public void closeSession() throws OrtException {
        close();
        session.close();
    }
}
