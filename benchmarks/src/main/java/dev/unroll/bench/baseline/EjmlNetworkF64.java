package dev.unroll.bench.baseline;

import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * The baseline: a recurrent network written the way a Java developer would write it with EJML
 * and without Unroll. Matrix products are EJML calls ({@code CommonOps_DDRM.mult}, {@code multAdd},
 * {@code multAddTransB}, {@code multTransA}); activations, bias additions, the loss, clipping and
 * Adagrad are plain loops over the matrices' arrays. Nothing is specialized to a size.
 *
 * <p>It computes exactly what the generated models compute (PyTorch's equations, gate order,
 * parameter layout and 'mean' loss reduction), which {@code EjmlBaselineTest} checks against
 * generated code; the weights are copied from a generated model with {@link #copyFrom}.
 *
 * <p>A batch is held column-wise: each activation is a {@code features x batch} matrix, so one
 * {@code mult} serves the whole batch and gate blocks are contiguous row ranges. A one-hot input
 * adds the symbol's column of {@code W_ih} instead of multiplying by a one-hot vector.
 *
 * <p>{@link EjmlNetworkF32} is the same code for {@code float}, line by line.
 */
public final class EjmlNetworkF64 {
    private final NetworkShape shape;
    private final NetworkShape.Cell cell;
    private final int in;
    private final int hid;
    private final int out;
    private final int steps;
    private final int gh;

    // parameters, in PyTorch's layout
    final DMatrixRMaj wIh;
    final DMatrixRMaj wHh;
    final DMatrixRMaj bIh;
    final DMatrixRMaj bHh;
    final DMatrixRMaj wHead;
    final DMatrixRMaj bHead;
    private final DMatrixRMaj[] params;
    private final DMatrixRMaj[] grads;
    private final DMatrixRMaj[] adagradSums;

    private Tape tape;
    private final Tape stepperTape;

    /** Creates a network with zero weights; see {@link #copyFrom}. */
    public EjmlNetworkF64(NetworkShape shape) {
        this.shape = shape;
        this.cell = shape.cell();
        this.in = shape.inputSize();
        this.hid = shape.hidden();
        this.out = shape.outputSize();
        this.steps = shape.steps();
        this.gh = cell.gates * hid;
        wIh = new DMatrixRMaj(gh, in);
        wHh = new DMatrixRMaj(gh, hid);
        bIh = new DMatrixRMaj(gh, 1);
        bHh = new DMatrixRMaj(gh, 1);
        wHead = new DMatrixRMaj(out, hid);
        bHead = new DMatrixRMaj(out, 1);
        params = new DMatrixRMaj[] {wIh, wHh, bIh, bHh, wHead, bHead};
        grads = new DMatrixRMaj[params.length];
        adagradSums = new DMatrixRMaj[params.length];
        for (int p = 0; p < params.length; p++) {
            grads[p] = new DMatrixRMaj(params[p].numRows, params[p].numCols);
            adagradSums[p] = new DMatrixRMaj(params[p].numRows, params[p].numCols);
        }
        tape = new Tape(steps, 1);
        stepperTape = new Tape(1, 1);
    }

    /** The parameter names, PyTorch's, in the order of {@link #value} and {@link #gradient}. */
    public static final String[] NAMES = {
        "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "head.weight", "head.bias"
    };

    /** Copies the weights of a generated model (of either precision) by their PyTorch names. */
    public void copyFrom(ParameterSet parameters) {
        for (int p = 0; p < params.length; p++) {
            Parameter source = parameters.get(NAMES[p]);
            double[] data = params[p].data;
            if (source.size() != params[p].getNumElements()) {
                throw new IllegalArgumentException(NAMES[p] + ": " + source.size() + " elements, expected "
                        + params[p].getNumElements());
            }
            for (int i = 0; i < data.length; i++) {
                data[i] = source.value(i);
            }
        }
    }

    /** Returns the value of the parameter called {@code name}. */
    public DMatrixRMaj value(String name) {
        return params[indexOf(name)];
    }

    /** Returns the gradient of the parameter called {@code name}, as the last backward pass left it. */
    public DMatrixRMaj gradient(String name) {
        return grads[indexOf(name)];
    }

    private static int indexOf(String name) {
        for (int p = 0; p < NAMES.length; p++) {
            if (NAMES[p].equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("no parameter " + name);
    }

    // ---------------------------------------------------------------------------------------------
    // public entry points

    /** Runs one dense sequence {@code x[t][i]} and returns its outputs {@code y[t][o]}. */
    public double[][] forward(double[][] x) {
        Tape tp = tapeFor(1);
        for (int t = 0; t < steps; t++) {
            System.arraycopy(x[t], 0, tp.x[t].data, 0, in);
        }
        forwardSequence(tp);
        return outputs(tp);
    }

    /** Runs one sequence of symbols and returns its outputs {@code y[t][o]}. */
    public double[][] forward(int[] symbols) {
        Tape tp = tapeFor(1);
        for (int t = 0; t < steps; t++) {
            tp.symbols[t][0] = symbols[t];
        }
        forwardSequence(tp);
        return outputs(tp);
    }

    /** Streaming inference: feeds one dense input, advances the state, returns the output. */
    public double[] step(double[] x) {
        System.arraycopy(x, 0, stepperTape.x[0].data, 0, in);
        return advance();
    }

    /** Streaming inference: feeds one symbol, advances the state, returns the output. */
    public double[] step(int symbol) {
        stepperTape.symbols[0][0] = symbol;
        return advance();
    }

    /** Sets the streaming state back to zero. */
    public void resetState() {
        stepperTape.h[0].zero();
        if (stepperTape.c != null) {
            stepperTape.c[0].zero();
        }
    }

    private double[] advance() {
        Tape tp = stepperTape;
        cellForward(tp, 0);
        headForward(tp, 0);
        tp.h[0].setTo(tp.h[1]);
        if (tp.c != null) {
            tp.c[0].setTo(tp.c[1]);
        }
        return tp.y[0].data.clone();
    }

    /** Sets every gradient to that of the batch's mean mse loss and returns the loss. */
    public double computeGradients(double[][][] xs, double[][][] targets) {
        Tape tp = tapeFor(xs.length);
        int batch = xs.length;
        for (int t = 0; t < steps; t++) {
            double[] x = tp.x[t].data;
            double[] target = tp.target[t].data;
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < in; i++) {
                    x[i * batch + b] = xs[b][t][i];
                }
                for (int o = 0; o < out; o++) {
                    target[o * batch + b] = targets[b][t][o];
                }
            }
        }
        return gradients(tp);
    }

    /** Sets every gradient to that of the batch's mean cross-entropy loss and returns the loss. */
    public double computeGradients(int[][] xs, int[][] targets) {
        Tape tp = tapeFor(xs.length);
        for (int t = 0; t < steps; t++) {
            for (int b = 0; b < xs.length; b++) {
                tp.symbols[t][b] = xs[b][t];
                tp.classes[t][b] = targets[b][t];
            }
        }
        return gradients(tp);
    }

    /** One update: gradients, clipping by value, Adagrad. Returns the loss before the update. */
    public double trainStep(double[][][] xs, double[][][] targets) {
        double loss = computeGradients(xs, targets);
        clipAndUpdate();
        return loss;
    }

    /** One update on a batch of symbol sequences. Returns the loss before the update. */
    public double trainStep(int[][] xs, int[][] targets) {
        double loss = computeGradients(xs, targets);
        clipAndUpdate();
        return loss;
    }

    // ---------------------------------------------------------------------------------------------
    // forward

    private Tape tapeFor(int batch) {
        if (tape.batch != batch) {
            tape = new Tape(steps, batch);
        }
        return tape;
    }

    private double[][] outputs(Tape tp) {
        double[][] y = new double[steps][];
        for (int t = 0; t < steps; t++) {
            y[t] = tp.y[t].data.clone();
        }
        return y;
    }

    private void forwardSequence(Tape tp) {
        tp.h[0].zero();
        if (tp.c != null) {
            tp.c[0].zero();
        }
        for (int t = 0; t < steps; t++) {
            cellForward(tp, t);
            headForward(tp, t);
        }
    }

    /** One step of the cell: reads h[t] (and c[t]), writes h[t + 1] (and c[t + 1]). */
    private void cellForward(Tape tp, int t) {
        int batch = tp.batch;
        DMatrixRMaj a = tp.gates[t];
        // a = W_ih x_t + b_ih
        if (shape.oneHot()) {
            double[] ad = a.data;
            for (int b = 0; b < batch; b++) {
                int symbol = tp.symbols[t][b];
                for (int k = 0; k < gh; k++) {
                    ad[k * batch + b] = wIh.data[k * in + symbol];
                }
            }
        } else {
            CommonOps_DDRM.mult(wIh, tp.x[t], a);
        }
        addBias(a, bIh);
        if (cell == NetworkShape.Cell.GRU) {
            // the n gate needs W_hn h + b_hn on its own
            CommonOps_DDRM.mult(wHh, tp.h[t], tp.hh[t]);
            addBias(tp.hh[t], bHh);
        } else {
            CommonOps_DDRM.multAdd(wHh, tp.h[t], a);
            addBias(a, bHh);
        }
        double[] z = a.data;
        double[] hPrev = tp.h[t].data;
        double[] h = tp.h[t + 1].data;
        int n = hid * batch;
        switch (cell) {
            case RNN -> {
                for (int i = 0; i < n; i++) {
                    h[i] = Math.tanh(z[i]);
                }
            }
            case LSTM -> {
                double[] cPrev = tp.c[t].data;
                double[] c = tp.c[t + 1].data;
                double[] tanhC = tp.tanhC[t].data;
                for (int i = 0; i < n; i++) {
                    double ig = sigmoid(z[i]);
                    double fg = sigmoid(z[n + i]);
                    double gg = Math.tanh(z[2 * n + i]);
                    double og = sigmoid(z[3 * n + i]);
                    z[i] = ig;
                    z[n + i] = fg;
                    z[2 * n + i] = gg;
                    z[3 * n + i] = og;
                    c[i] = fg * cPrev[i] + ig * gg;
                    tanhC[i] = Math.tanh(c[i]);
                    h[i] = og * tanhC[i];
                }
            }
            case GRU -> {
                double[] r = tp.hh[t].data;
                for (int i = 0; i < n; i++) {
                    double rg = sigmoid(z[i] + r[i]);
                    double zg = sigmoid(z[n + i] + r[n + i]);
                    double ng = Math.tanh(z[2 * n + i] + rg * r[2 * n + i]);
                    z[i] = rg;
                    z[n + i] = zg;
                    z[2 * n + i] = ng;
                    h[i] = (1 - zg) * ng + zg * hPrev[i];
                }
            }
        }
    }

    /** The head at step t: y = W h_{t+1} + b, then softmax over each column when the head has one. */
    private void headForward(Tape tp, int t) {
        DMatrixRMaj y = tp.y[t];
        CommonOps_DDRM.mult(wHead, tp.h[t + 1], y);
        addBias(y, bHead);
        if (shape.softmax()) {
            int batch = tp.batch;
            double[] d = y.data;
            for (int b = 0; b < batch; b++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int o = 0; o < out; o++) {
                    max = Math.max(max, d[o * batch + b]);
                }
                double sum = 0;
                for (int o = 0; o < out; o++) {
                    double e = Math.exp(d[o * batch + b] - max);
                    d[o * batch + b] = e;
                    sum += e;
                }
                for (int o = 0; o < out; o++) {
                    d[o * batch + b] /= sum;
                }
            }
        }
    }

    private static void addBias(DMatrixRMaj m, DMatrixRMaj bias) {
        int cols = m.numCols;
        double[] d = m.data;
        for (int r = 0; r < m.numRows; r++) {
            double v = bias.data[r];
            for (int col = 0; col < cols; col++) {
                d[r * cols + col] += v;
            }
        }
    }

    private static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }

    // ---------------------------------------------------------------------------------------------
    // loss and backward

    private double gradients(Tape tp) {
        for (DMatrixRMaj g : grads) {
            g.zero();
        }
        forwardSequence(tp);
        double loss = loss(tp);
        backwardSequence(tp);
        return loss;
    }

    /** PyTorch's 'mean' loss; leaves dL/d(head pre-activation) in dy. */
    private double loss(Tape tp) {
        int batch = tp.batch;
        double loss = 0;
        if (shape.softmax()) {
            double scale = 1.0 / ((double) batch * steps);
            for (int t = 0; t < steps; t++) {
                double[] p = tp.y[t].data;
                double[] dy = tp.dy[t].data;
                for (int i = 0; i < p.length; i++) {
                    dy[i] = scale * p[i];
                }
                for (int b = 0; b < batch; b++) {
                    int target = tp.classes[t][b];
                    loss -= Math.log(p[target * batch + b]);
                    dy[target * batch + b] -= scale;
                }
            }
            return loss * scale;
        }
        double scale = 1.0 / ((double) batch * steps * out);
        for (int t = 0; t < steps; t++) {
            double[] y = tp.y[t].data;
            double[] target = tp.target[t].data;
            double[] dy = tp.dy[t].data;
            for (int i = 0; i < y.length; i++) {
                double d = y[i] - target[i];
                loss += d * d;
                dy[i] = scale * 2 * d;
            }
        }
        return loss * scale;
    }

    private void backwardSequence(Tape tp) {
        tp.dh.zero();
        if (tp.dc != null) {
            tp.dc.zero();
        }
        DMatrixRMaj gWHead = grads[4];
        DMatrixRMaj gbHead = grads[5];
        for (int t = steps - 1; t >= 0; t--) {
            // head: dW += dy h^T, db += dy, dh += W^T dy
            CommonOps_DDRM.multAddTransB(tp.dy[t], tp.h[t + 1], gWHead);
            addRowSums(tp.dy[t], gbHead);
            CommonOps_DDRM.multAddTransA(wHead, tp.dy[t], tp.dh);
            cellBackward(tp, t);
        }
    }

    /** Reads dL/dh_{t+1} from dh (and dL/dc from dc); leaves dL/dh_t there and adds the parameter gradients. */
    private void cellBackward(Tape tp, int t) {
        int batch = tp.batch;
        int n = hid * batch;
        double[] dh = tp.dh.data;
        double[] da = tp.da.data;
        DMatrixRMaj daHh = tp.da; // what W_hh and b_hh see (differs from da for GRU only)
        switch (cell) {
            case RNN -> {
                double[] h = tp.h[t + 1].data;
                for (int i = 0; i < n; i++) {
                    da[i] = dh[i] * (1 - h[i] * h[i]);
                }
            }
            case LSTM -> {
                double[] z = tp.gates[t].data;
                double[] cPrev = tp.c[t].data;
                double[] tanhC = tp.tanhC[t].data;
                double[] dc = tp.dc.data;
                for (int i = 0; i < n; i++) {
                    double ig = z[i];
                    double fg = z[n + i];
                    double gg = z[2 * n + i];
                    double og = z[3 * n + i];
                    double tc = tanhC[i];
                    double dcj = dc[i] + dh[i] * og * (1 - tc * tc);
                    da[i] = dcj * gg * ig * (1 - ig);
                    da[n + i] = dcj * cPrev[i] * fg * (1 - fg);
                    da[2 * n + i] = dcj * ig * (1 - gg * gg);
                    da[3 * n + i] = dh[i] * tc * og * (1 - og);
                    dc[i] = dcj * fg;
                }
            }
            case GRU -> {
                double[] z = tp.gates[t].data;
                double[] hn = tp.hh[t].data;
                double[] hPrev = tp.h[t].data;
                double[] dah = tp.daHh.data;
                double[] direct = tp.dhDirect.data;
                for (int i = 0; i < n; i++) {
                    double rg = z[i];
                    double zg = z[n + i];
                    double ng = z[2 * n + i];
                    double dn = dh[i] * (1 - zg) * (1 - ng * ng);
                    double dr = dn * hn[2 * n + i] * rg * (1 - rg);
                    double dz = dh[i] * (hPrev[i] - ng) * zg * (1 - zg);
                    da[i] = dr;
                    da[n + i] = dz;
                    da[2 * n + i] = dn;
                    dah[i] = dr;
                    dah[n + i] = dz;
                    dah[2 * n + i] = dn * rg;
                    direct[i] = dh[i] * zg;
                }
                daHh = tp.daHh;
            }
        }
        DMatrixRMaj gWIh = grads[0];
        DMatrixRMaj gWHh = grads[1];
        addRowSums(tp.da, grads[2]);
        addRowSums(daHh, grads[3]);
        if (shape.oneHot()) {
            double[] g = gWIh.data;
            for (int b = 0; b < batch; b++) {
                int symbol = tp.symbols[t][b];
                for (int k = 0; k < gh; k++) {
                    g[k * in + symbol] += da[k * batch + b];
                }
            }
        } else {
            CommonOps_DDRM.multAddTransB(tp.da, tp.x[t], gWIh);
        }
        CommonOps_DDRM.multAddTransB(daHh, tp.h[t], gWHh);
        // dh_t = W_hh^T da (+ z dh_{t+1} for GRU)
        CommonOps_DDRM.multTransA(wHh, daHh, tp.dh);
        if (cell == NetworkShape.Cell.GRU) {
            CommonOps_DDRM.addEquals(tp.dh, tp.dhDirect);
        }
    }

    private static void addRowSums(DMatrixRMaj m, DMatrixRMaj sums) {
        int cols = m.numCols;
        double[] d = m.data;
        for (int r = 0; r < m.numRows; r++) {
            double s = 0;
            for (int col = 0; col < cols; col++) {
                s += d[r * cols + col];
            }
            sums.data[r] += s;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // clipping and Adagrad

    private void clipAndUpdate() {
        double clip = shape.clipValue();
        double lr = shape.learningRate();
        for (int p = 0; p < params.length; p++) {
            double[] w = params[p].data;
            double[] g = grads[p].data;
            double[] sum = adagradSums[p].data;
            for (int i = 0; i < w.length; i++) {
                double gi = Math.max(-clip, Math.min(clip, g[i]));
                g[i] = gi;
                sum[i] += gi * gi;
                w[i] -= lr * gi / (Math.sqrt(sum[i]) + NetworkShape.ADAGRAD_EPSILON);
            }
        }
    }

    /** The activations of a batch of sequences, kept for BPTT, and the backward pass's scratch. */
    private final class Tape {
        final int batch;
        final DMatrixRMaj[] x; // dense inputs per step, I x B
        final int[][] symbols; // one-hot inputs per step, [B]
        final DMatrixRMaj[] h; // h_t at t + 1, H x B; h[0] is the initial state
        final DMatrixRMaj[] c; // LSTM cell state, like h
        final DMatrixRMaj[] tanhC; // LSTM tanh(c_t) per step
        final DMatrixRMaj[] gates; // activated gates per step, G*H x B
        final DMatrixRMaj[] hh; // GRU: W_hh h_{t-1} + b_hh per step
        final DMatrixRMaj[] y; // outputs per step, O x B
        final DMatrixRMaj[] target; // mse targets per step, O x B
        final int[][] classes; // cross-entropy targets per step, [B]
        final DMatrixRMaj[] dy; // dL/d(head pre-activation) per step
        final DMatrixRMaj dh;
        final DMatrixRMaj dc;
        final DMatrixRMaj da;
        final DMatrixRMaj daHh;
        final DMatrixRMaj dhDirect;

        Tape(int steps, int batch) {
            this.batch = batch;
            boolean lstm = cell == NetworkShape.Cell.LSTM;
            boolean gru = cell == NetworkShape.Cell.GRU;
            x = shape.oneHot() ? null : matrices(steps, in, batch);
            symbols = shape.oneHot() ? new int[steps][batch] : null;
            h = matrices(steps + 1, hid, batch);
            c = lstm ? matrices(steps + 1, hid, batch) : null;
            tanhC = lstm ? matrices(steps, hid, batch) : null;
            gates = matrices(steps, gh, batch);
            hh = gru ? matrices(steps, gh, batch) : null;
            y = matrices(steps, out, batch);
            target = shape.softmax() ? null : matrices(steps, out, batch);
            classes = shape.softmax() ? new int[steps][batch] : null;
            dy = matrices(steps, out, batch);
            dh = new DMatrixRMaj(hid, batch);
            dc = lstm ? new DMatrixRMaj(hid, batch) : null;
            da = new DMatrixRMaj(gh, batch);
            daHh = gru ? new DMatrixRMaj(gh, batch) : null;
            dhDirect = gru ? new DMatrixRMaj(hid, batch) : null;
        }

        private static DMatrixRMaj[] matrices(int count, int rows, int cols) {
            DMatrixRMaj[] m = new DMatrixRMaj[count];
            for (int i = 0; i < count; i++) {
                m[i] = new DMatrixRMaj(rows, cols);
            }
            return m;
        }
    }
}
