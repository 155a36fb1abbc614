package dev.unroll.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/** Runs ONNX bytes in ONNX Runtime (test scope: the independent reference). */
final class Ort {
    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    private Ort() {}

    /** A tensor to feed: flat row-major values and shape; {@code float64} picks the element type. */
    record In(double[] values, long[] shape, boolean float64, boolean int64) {
        static In of(double[] values, boolean float64, long... shape) {
            return new In(values, shape, float64, false);
        }

        static In indices(double[] values, long... shape) {
            return new In(values, shape, false, true);
        }
    }

    /** Runs the model on the inputs and returns every output, flat, as doubles. */
    static Map<String, double[]> run(byte[] model, Map<String, In> inputs) throws Exception {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            try (OrtSession session = ENV.createSession(model, options)) {
                Map<String, OnnxTensor> feed = new LinkedHashMap<>();
                try {
                    for (Map.Entry<String, In> e : inputs.entrySet()) {
                        In in = e.getValue();
                        OnnxTensor t;
                        if (in.int64()) {
                            long[] v = new long[in.values().length];
                            for (int i = 0; i < v.length; i++) {
                                v[i] = (long) in.values()[i];
                            }
                            t = OnnxTensor.createTensor(ENV, LongBuffer.wrap(v), in.shape());
                        } else if (in.float64()) {
                            t = OnnxTensor.createTensor(ENV, DoubleBuffer.wrap(in.values()), in.shape());
                        } else {
                            float[] f = new float[in.values().length];
                            for (int i = 0; i < f.length; i++) {
                                f[i] = (float) in.values()[i];
                            }
                            t = OnnxTensor.createTensor(ENV, FloatBuffer.wrap(f), in.shape());
                        }
                        feed.put(e.getKey(), t);
                    }
                    Map<String, double[]> out = new LinkedHashMap<>();
                    try (OrtSession.Result result = session.run(feed)) {
                        for (Map.Entry<String, ai.onnxruntime.OnnxValue> e : result) {
                            OnnxTensor t = (OnnxTensor) e.getValue();
                            double[] v;
                            if (t.getInfo().type == ai.onnxruntime.OnnxJavaType.DOUBLE) {
                                DoubleBuffer b = t.getDoubleBuffer();
                                v = new double[b.remaining()];
                                b.get(v);
                            } else {
                                FloatBuffer b = t.getFloatBuffer();
                                v = new double[b.remaining()];
                                for (int i = 0; i < v.length; i++) {
                                    v[i] = b.get(i);
                                }
                            }
                            out.put(e.getKey(), v);
                        }
                    }
                    return out;
                } finally {
                    for (OnnxTensor t : feed.values()) {
                        t.close();
                    }
                }
            }
        }
    }
}
