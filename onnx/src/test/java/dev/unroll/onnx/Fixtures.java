package dev.unroll.onnx;

import dev.unroll.runtime.checkpoint.SafeTensors;
import dev.unroll.runtime.checkpoint.Tensor;
import dev.unroll.runtime.checkpoint.TensorFile;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** The committed fixtures of onnx/src/test/python/make_fixtures.py: ONNX files and PyTorch's inputs and outputs. */
final class Fixtures {
    static final Path DIR = Path.of("src/test/resources/fixtures");
    /** The script's sequence length and batch size (different, so the layout of x tells time-major from batch-first). */
    static final int STEPS = 7;
    static final int BATCH = 3;

    private Fixtures() {}

    static Path onnx(String name) {
        return DIR.resolve(name + ".onnx");
    }

    /**
     * One case's tensors.
     *
     * @param x inputs as {@code [batch][step][feature]}
     * @param h0 initial states as PyTorch's {@code [layers * dirs][batch][hidden]}, or null
     * @param c0 LSTM initial cell states, or null
     * @param y PyTorch's outputs as {@code [batch][step][output]} (one step for many_to_one)
     * @param stateDict the module's state_dict, renamed to Unroll's prefixes ({@code fc.} to {@code head.})
     * @param float64 whether the case was exported in double precision
     */
    record Io(double[][][] x, double[][][] h0, double[][][] c0, double[][][] y, Map<String, double[]> stateDict,
            boolean float64) {}

    static Io io(String name) throws Exception {
        TensorFile f = SafeTensors.read(DIR.resolve(name + ".io.safetensors"));
        Tensor x = f.tensor("x");
        boolean timeMajor = x.shape()[0] == STEPS;
        Map<String, double[]> state = new LinkedHashMap<>();
        for (String n : f.names()) {
            if (n.startsWith("torch.")) {
                String k = n.substring("torch.".length());
                state.put(k.startsWith("fc.") ? "head." + k.substring(3) : k, f.tensor(n).toDoubleArray());
            }
        }
        Tensor y = f.tensor("y");
        double[][][] ys;
        if (y.shape().length == 2) {
            ys = new double[BATCH][1][];
            double[] v = y.toDoubleArray();
            int o = y.shape()[1];
            for (int b = 0; b < BATCH; b++) {
                ys[b][0] = java.util.Arrays.copyOfRange(v, b * o, (b + 1) * o);
            }
        } else {
            ys = batchMajor(y, timeMajor);
        }
        return new Io(batchMajor(x, timeMajor), states(f.find("h0")), states(f.find("c0")), ys, state,
                x.dtype() == dev.unroll.runtime.checkpoint.DType.F64);
    }

    /** A rank-3 tensor as {@code [batch][step][feature]}. */
    static double[][][] batchMajor(Tensor t, boolean timeMajor) {
        int[] s = t.shape();
        double[] v = t.toDoubleArray();
        int steps = timeMajor ? s[0] : s[1];
        int batch = timeMajor ? s[1] : s[0];
        double[][][] out = new double[batch][steps][s[2]];
        for (int a = 0; a < s[0]; a++) {
            for (int b = 0; b < s[1]; b++) {
                for (int c = 0; c < s[2]; c++) {
                    double e = v[(a * s[1] + b) * s[2] + c];
                    if (timeMajor) {
                        out[b][a][c] = e;
                    } else {
                        out[a][b][c] = e;
                    }
                }
            }
        }
        return out;
    }

    private static double[][][] states(Optional<Tensor> t) {
        if (t.isEmpty()) {
            return null;
        }
        int[] s = t.get().shape();
        double[] v = t.get().toDoubleArray();
        double[][][] out = new double[s[0]][s[1]][s[2]];
        for (int a = 0; a < s[0]; a++) {
            for (int b = 0; b < s[1]; b++) {
                System.arraycopy(v, (a * s[1] + b) * s[2], out[a][b], 0, s[2]);
            }
        }
        return out;
    }

    static double maxDiff(double[][][] a, double[][][] b) {
        if (a.length != b.length) {
            throw new AssertionError("batch " + a.length + " vs " + b.length);
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i].length != b[i].length) {
                throw new AssertionError("steps " + a[i].length + " vs " + b[i].length);
            }
            for (int j = 0; j < a[i].length; j++) {
                if (a[i][j].length != b[i][j].length) {
                    throw new AssertionError("outputs " + a[i][j].length + " vs " + b[i][j].length);
                }
                for (int k = 0; k < a[i][j].length; k++) {
                    m = Math.max(m, Math.abs(a[i][j][k] - b[i][j][k]));
                }
            }
        }
        return m;
    }
}
