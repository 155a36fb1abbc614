package dev.unroll.onnx;

import dev.unroll.onnx.ModelDescription.Cell;
import dev.unroll.onnx.ModelDescription.Direction;
import dev.unroll.onnx.ModelDescription.Layer;
import dev.unroll.onnx.ModelDescription.Topology;
import java.util.Map;

/**
 * The network of docs/language.md section 4, in plain float64 loops straight from the equations,
 * on tensors in PyTorch's names and layout. It shares no code with import or export, so tests can
 * hold both against it (and it against PyTorch and ONNX Runtime).
 */
final class Reference {
    private Reference() {}

    /**
     * Runs a batch.
     *
     * @param x inputs {@code [batch][step][feature]}
     * @param h0 initial hidden states {@code [layer * directions][batch][hidden]} as PyTorch's h_0, or null for zeros
     * @param c0 LSTM initial cell states, same layout, or null
     * @return outputs {@code [batch][step][output]} (one step for many_to_one: the head on the top layer's final states, PyTorch's h_n)
     */
    static double[][][] forward(ModelDescription m, Map<String, double[]> w, double[][][] x, double[][][] h0, double[][][] c0) {
        int batch = x.length;
        int steps = x[0].length;
        double[][][] seq = x;
        double[][] finalStates = null; // the top layer's final states, merged: PyTorch's h_n, what many_to_one reads
        int row = 0;
        for (int k = 0; k < m.layers().size(); k++) {
            Layer layer = m.layers().get(k);
            int hidden = layer.hiddenSize();
            double[][][][] dirOut = new double[layer.directions()][][][];
            for (int d = 0; d < layer.directions(); d++) {
                String sfx = "_l" + k + (d == 1 ? "_reverse" : "");
                dirOut[d] = new double[batch][steps][];
                for (int b = 0; b < batch; b++) {
                    double[] h = h0 == null ? new double[hidden] : h0[row + d][b].clone();
                    double[] c = c0 == null ? new double[hidden] : c0[row + d][b].clone();
                    for (int s = 0; s < steps; s++) {
                        int t = d == 0 ? s : steps - 1 - s;
                        double[][] hc = step(layer, w, sfx, seq[b][t], h, c);
                        h = hc[0];
                        c = hc[1];
                        dirOut[d][b][t] = h;
                    }
                }
            }
            row += layer.directions();
            double[][][] next = new double[batch][steps][];
            finalStates = new double[batch][];
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < steps; t++) {
                    next[b][t] = merge(layer, dirOut[0][b][t], layer.directions() == 2 ? dirOut[1][b][t] : null);
                }
                // the forward pass ends at the last step, the backward pass at the first
                finalStates[b] = merge(layer, dirOut[0][b][steps - 1], layer.directions() == 2 ? dirOut[1][b][0] : null);
            }
            seq = next;
        }
        boolean all = m.topology() == Topology.MANY_TO_MANY;
        double[][][] y = new double[batch][all ? steps : 1][];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < y[b].length; t++) {
                y[b][t] = head(m, w, all ? seq[b][t] : finalStates[b]);
            }
        }
        return y;
    }

    /** A layer's output at one step from its directions' states ({@code backward} null for a forward layer). */
    private static double[] merge(Layer layer, double[] forward, double[] backward) {
        int hidden = layer.hiddenSize();
        double[] out = new double[layer.outputSize()];
        for (int j = 0; j < hidden; j++) {
            if (layer.direction() == Direction.FORWARD) {
                out[j] = forward[j];
            } else if (layer.direction() == Direction.SUM) {
                out[j] = forward[j] + backward[j];
            } else {
                out[j] = forward[j];
                out[hidden + j] = backward[j];
            }
        }
        return out;
    }

    private static double[] head(ModelDescription m, Map<String, double[]> w, double[] o) {
        double[] z = affine(w.get("head.weight"), w.get("head.bias"), 0, m.outputSize(), o);
        switch (m.activation()) {
            case SIGMOID -> {
                for (int i = 0; i < z.length; i++) {
                    z[i] = sigmoid(z[i]);
                }
            }
            case TANH -> {
                for (int i = 0; i < z.length; i++) {
                    z[i] = Math.tanh(z[i]);
                }
            }
            case SOFTMAX -> {
                double max = Double.NEGATIVE_INFINITY;
                for (double v : z) {
                    max = Math.max(max, v);
                }
                double sum = 0;
                for (int i = 0; i < z.length; i++) {
                    z[i] = Math.exp(z[i] - max);
                    sum += z[i];
                }
                for (int i = 0; i < z.length; i++) {
                    z[i] /= sum;
                }
            }
            case LINEAR -> { }
        }
        return z;
    }

    /** Rows {@code [from, from + rows)} of {@code W v + b}. */
    private static double[] affine(double[] weight, double[] bias, int from, int rows, double[] v) {
        double[] out = new double[rows];
        int cols = v.length;
        for (int r = 0; r < rows; r++) {
            double s = bias == null ? 0 : bias[from + r];
            for (int c = 0; c < cols; c++) {
                s += weight[(from + r) * cols + c] * v[c];
            }
            out[r] = s;
        }
        return out;
    }

    private static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    private static double[][] step(Layer layer, Map<String, double[]> w, String sfx, double[] x, double[] h, double[] c) {
        int n = layer.hiddenSize();
        double[] wih = w.get("rnn.weight_ih" + sfx);
        double[] whh = w.get("rnn.weight_hh" + sfx);
        double[] bih = w.get("rnn.bias_ih" + sfx);
        double[] bhh = w.get("rnn.bias_hh" + sfx);
        double[] out = new double[n];
        if (layer.cell() == Cell.RNN) {
            double[] a = affine(wih, bih, 0, n, x);
            double[] r = affine(whh, bhh, 0, n, h);
            for (int j = 0; j < n; j++) {
                double v = a[j] + r[j];
                out[j] = layer.relu() ? Math.max(0, v) : Math.tanh(v);
            }
            return new double[][] {out, c};
        }
        if (layer.cell() == Cell.LSTM) {
            double[] cNew = new double[n];
            double[][] gate = new double[4][];
            for (int g = 0; g < 4; g++) {
                double[] a = affine(wih, bih, g * n, n, x);
                double[] r = affine(whh, bhh, g * n, n, h);
                gate[g] = new double[n];
                for (int j = 0; j < n; j++) {
                    gate[g][j] = a[j] + r[j];
                }
            }
            for (int j = 0; j < n; j++) {
                double pi = layer.peepholes() ? w.get("rnn.weight_ci" + sfx)[j] * c[j] : 0;
                double pf = layer.peepholes() ? w.get("rnn.weight_cf" + sfx)[j] * c[j] : 0;
                double i = sigmoid(gate[0][j] + pi);
                double f = sigmoid(gate[1][j] + pf);
                double g = Math.tanh(gate[2][j]);
                cNew[j] = f * c[j] + i * g;
                double po = layer.peepholes() ? w.get("rnn.weight_co" + sfx)[j] * cNew[j] : 0;
                double o = sigmoid(gate[3][j] + po);
                out[j] = o * Math.tanh(cNew[j]);
            }
            return new double[][] {out, cNew};
        }
        double[] ar = affine(wih, bih, 0, n, x);
        double[] az = affine(wih, bih, n, n, x);
        double[] an = affine(wih, bih, 2 * n, n, x);
        double[] rr = affine(whh, bhh, 0, n, h);
        double[] rz = affine(whh, bhh, n, n, h);
        double[] r = new double[n];
        for (int j = 0; j < n; j++) {
            r[j] = sigmoid(ar[j] + rr[j]);
        }
        double[] rn;
        if (layer.cho()) {
            double[] rh = new double[n];
            for (int j = 0; j < n; j++) {
                rh[j] = r[j] * h[j];
            }
            rn = affine(whh, bhh, 2 * n, n, rh);
        } else {
            rn = affine(whh, bhh, 2 * n, n, h);
            for (int j = 0; j < n; j++) {
                rn[j] *= r[j];
            }
        }
        for (int j = 0; j < n; j++) {
            double z = sigmoid(az[j] + rz[j]);
            double cand = Math.tanh(an[j] + rn[j]);
            out[j] = (1 - z) * cand + z * h[j];
        }
        return new double[][] {out, c};
    }
}
