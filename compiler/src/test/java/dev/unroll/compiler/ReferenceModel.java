package dev.unroll.compiler;

import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * Test support: a plain reference implementation of what a {@link NetSpec} network computes,
 * written from the language reference (docs/language.md, sections 4 to 6, which are PyTorch's
 * equations) with EJML matrix operations and nothing from the generator. Everything is in double
 * precision, on column vectors.
 *
 * <pre>
 * rnn:   h' = act(W_ih x + b_ih + W_hh h + b_hh)
 * lstm:  [i; f; g; o] = W_ih x + b_ih + W_hh h + b_hh,  i, f, o = sigmoid, g = tanh
 *        c' = f * c + i * g,  h' = o * tanh(c')
 *        peepholes: i and f add w_ci * c and w_cf * c, o adds w_co * c' (before their sigmoids)
 *        cell_clip X: c' = clamp(f * c + i * g, -X, X)
 * gru:   a = W_ih x + b_ih,  b = W_hh h + b_hh,  each [r; z; n]
 *        r = sigmoid(a_r + b_r),  z = sigmoid(a_z + b_z),  n = tanh(a_n + r * b_n)
 *        h' = (1 - z) * n + z * h
 *        cho: n = tanh(a_n + W_hn (r * h) + b_hn)
 * head:  logits = W o + b,  y = act(logits)
 * embedding (input V embedding D): x_t = E[symbol_t], E = embedding.weight (V x D); fed back: x_t = E^T y_{t-1}
 * </pre>
 *
 * <p>In training ({@link #runTraining}), a layer with dropout {@code p} passes on {@code mask * o} instead of its
 * output {@code o}, the mask written here from its definition in the language reference (section 4.8) with the
 * JDK's {@link SplittableRandom} rather than the runtime's {@code Dropout}: {@code key = s(s(s(s(seed) + update) +
 * sequence) + layer)}, {@code s(z)} the first {@code nextLong()} of {@code new SplittableRandom(z)}, element
 * {@code e = t * size + j} dropped when the {@code (e + 1)}-th {@code nextDouble()} of
 * {@code new SplittableRandom(key)} is below {@code p}, kept ones scaled by {@code 1 / (1 - p)}.
 */
final class ReferenceModel {
    private final NetSpec spec;
    private final List<DMatrixRMaj[]> weights = new ArrayList<>(); // per layer: W_ih, W_hh, b_ih, b_hh[, w_ci, w_cf, w_co]
    private final List<DMatrixRMaj[]> reverseWeights = new ArrayList<>(); // the same, _reverse (bidirectional)
    private final List<DMatrixRMaj[]> decoderWeights = new ArrayList<>(); // an encoder-decoder's decoder, as weights
    private final DMatrixRMaj headWeight;
    private final DMatrixRMaj headBias;
    private final DMatrixRMaj embedding; // V x D, or null

    /** What the reference computes for a batch. */
    record Result(double[][][] y, double[][][] logits, double loss, double smallestReluPreactivation,
            double smallestClipMargin, int clampedElements) {
        /** The outputs in the order a generated model's batched {@code forward} returns them. */
        double[] flatY() {
            List<Double> out = new ArrayList<>();
            for (double[][] sequence : y) {
                for (double[] step : sequence) {
                    for (double v : step) {
                        out.add(v);
                    }
                }
            }
            return out.stream().mapToDouble(Double::doubleValue).toArray();
        }
    }

    /** Reads the current values of a generated model's parameters (by their PyTorch names). */
    ReferenceModel(NetSpec spec, ParameterSet parameters) {
        this.spec = spec;
        embedding = spec.embedding() > 0 ? matrix(parameters.get("embedding.weight"), spec.inputSize(), spec.embedding())
                : null;
        boolean encoderDecoder = spec.topology() == NetSpec.Topo.ENCODER_DECODER;
        for (int k = 0; k < spec.layers().size(); k++) {
            weights.add(stackLayer(parameters, encoderDecoder ? "encoder." : "rnn.", k, spec.layerInput(k)));
            if (encoderDecoder) {
                // the decoder's first layer reads the previous output: O numbers
                decoderWeights.add(stackLayer(parameters, "decoder.", k, k == 0 ? spec.outputSize()
                        : spec.layerInput(k)));
            }
            int hidden = spec.layers().get(k).hidden();
            int gh = spec.layers().get(k).cell().gates() * hidden;
            if (spec.layers().get(k).bidirectional()) {
                List<DMatrixRMaj> reverse = new ArrayList<>(List.of(
                        matrix(parameters.get("rnn.weight_ih_l" + k + "_reverse"), gh, spec.layerInput(k)),
                        matrix(parameters.get("rnn.weight_hh_l" + k + "_reverse"), gh, hidden),
                        matrix(parameters.get("rnn.bias_ih_l" + k + "_reverse"), gh, 1),
                        matrix(parameters.get("rnn.bias_hh_l" + k + "_reverse"), gh, 1)));
                if (spec.layers().get(k).cell().peepholes()) {
                    for (String gate : List.of("i", "f", "o")) {
                        reverse.add(matrix(parameters.get("rnn.weight_c" + gate + "_l" + k + "_reverse"), hidden, 1));
                    }
                }
                reverseWeights.add(reverse.toArray(new DMatrixRMaj[0]));
            } else {
                reverseWeights.add(null);
            }
        }
        int top = spec.layers().get(spec.layers().size() - 1).outputSize();
        headWeight = matrix(parameters.get("head.weight"), spec.outputSize(), top);
        headBias = matrix(parameters.get("head.bias"), spec.outputSize(), 1);
    }

    /** One layer's W_ih, W_hh, b_ih, b_hh[, w_ci, w_cf, w_co] of the stack whose tensors are {@code prefix*}. */
    private DMatrixRMaj[] stackLayer(ParameterSet parameters, String prefix, int k, int inputs) {
        int hidden = spec.layers().get(k).hidden();
        int gh = spec.layers().get(k).cell().gates() * hidden;
        List<DMatrixRMaj> layer = new ArrayList<>(List.of(
                matrix(parameters.get(prefix + "weight_ih_l" + k), gh, inputs),
                matrix(parameters.get(prefix + "weight_hh_l" + k), gh, hidden),
                matrix(parameters.get(prefix + "bias_ih_l" + k), gh, 1),
                matrix(parameters.get(prefix + "bias_hh_l" + k), gh, 1)));
        if (spec.layers().get(k).cell().peepholes()) {
            for (String gate : List.of("i", "f", "o")) {
                layer.add(matrix(parameters.get(prefix + "weight_c" + gate + "_l" + k), hidden, 1));
            }
        }
        return layer.toArray(new DMatrixRMaj[0]);
    }

    private static DMatrixRMaj matrix(Parameter p, int rows, int cols) {
        if (p == null || p.size() != rows * cols) {
            throw new AssertionError("parameter " + (p == null ? "missing" : p.name() + " has " + p.size()
                    + " values") + ", expected " + rows + " x " + cols);
        }
        DMatrixRMaj m = new DMatrixRMaj(rows, cols);
        for (int i = 0; i < rows * cols; i++) {
            m.data[i] = p.value(i); // PyTorch's layout is row-major, as DMatrixRMaj
        }
        return m;
    }

    /** Whether {@link #run} applies dropout, and with what seed and update count. */
    private boolean training;
    /** How many output elements the masks of the last training run dropped (each read counted once per read). */
    int droppedElements;
    private long seed;
    private long update;

    /** Runs the batch as in training: with the dropout masks of {@code seed} at update {@code update}. */
    Result runTraining(TestBatch batch, long seed, long update) {
        this.training = true;
        this.seed = seed;
        this.update = update;
        this.droppedElements = 0;
        try {
            return run(batch);
        } finally {
            this.training = false;
        }
    }

    /**
     * Returns what layer {@code k} passes on at time {@code t} of sequence {@code b}: its output {@code o}, or in
     * training with dropout {@code mask * o} (time 0 for a single output such as the final states).
     */
    private DMatrixRMaj drop(int k, int b, int t, DMatrixRMaj o) {
        return drop(k, k, b, t, o);
    }

    /**
     * {@link #drop(int, int, int, DMatrixRMaj)} with the mask of key {@code maskKey} for the layer part: {@code k},
     * or in an encoder-decoder's decoder the number of layers plus {@code k} (language.md 4.8).
     */
    private DMatrixRMaj drop(int k, int maskKey, int b, int t, DMatrixRMaj o) {
        double p = spec.layers().get(k).dropout();
        if (!training || p == 0) {
            return o;
        }
        long key = first(first(first(first(seed) + update) + b) + maskKey);
        SplittableRandom stream = new SplittableRandom(key);
        for (int e = 0; e < t * o.numRows; e++) {
            stream.nextDouble();
        }
        DMatrixRMaj out = new DMatrixRMaj(o.numRows, 1);
        for (int j = 0; j < o.numRows; j++) {
            boolean dropped = stream.nextDouble() < p;
            droppedElements += dropped ? 1 : 0;
            out.data[j] = dropped ? 0 : o.data[j] * (1 / (1 - p));
        }
        return out;
    }

    private static long first(long z) {
        return new SplittableRandom(z).nextLong();
    }

    /** Runs the batch: every sequence from zero states, the topology's inputs and outputs, the mean loss. */
    Result run(TestBatch batch) {
        int n = batch.size();
        double[][][] y = new double[n][][];
        double[][][] logits = new double[n][][];
        double lossSum = 0;
        double smallestRelu = Double.POSITIVE_INFINITY;
        clipMargin = Double.POSITIVE_INFINITY;
        clamped = 0;
        for (int b = 0; b < n; b++) {
            Sequence s = sequence(batch, b);
            y[b] = s.y;
            logits[b] = s.logits;
            smallestRelu = Math.min(smallestRelu, s.smallestRelu);
            for (int o = 0; o < s.y.length; o++) {
                lossSum += loss(s.logits[o], s.y[o], batch, b, o);
            }
        }
        // PyTorch's reduction='mean': over B x TY for cross-entropy, over B x TY x O otherwise
        double count = (double) n * spec.outputSteps() * (spec.head().classTargets() ? 1 : spec.outputSize());
        return new Result(y, logits, lossSum / count, smallestRelu, clipMargin, clamped);
    }

    private double clipMargin;
    private int clamped;

    private record Sequence(double[][] y, double[][] logits, double smallestRelu) {}

    private Sequence sequence(TestBatch batch, int b) {
        if (spec.bidirectional()) {
            return bidirectionalSequence(batch, b);
        }
        if (spec.topology() == NetSpec.Topo.ENCODER_DECODER) {
            return encoderDecoderSequence(batch, b);
        }
        int layers = spec.layers().size();
        DMatrixRMaj[] h = new DMatrixRMaj[layers];
        DMatrixRMaj[] c = new DMatrixRMaj[layers];
        for (int k = 0; k < layers; k++) {
            h[k] = new DMatrixRMaj(spec.layers().get(k).hidden(), 1); // h_0 = 0
            c[k] = new DMatrixRMaj(spec.layers().get(k).hidden(), 1); // c_0 = 0 (lstm)
        }
        double[][] ys = new double[spec.outputSteps()][];
        double[][] zs = new double[spec.outputSteps()][];
        double smallestRelu = Double.POSITIVE_INFINITY;
        double[] previousY = null;
        for (int t = 0; t < spec.unrolledSteps(); t++) {
            DMatrixRMaj x = new DMatrixRMaj(spec.layerInput(0), 1);
            if (spec.topology().sequenceInput() || t == 0) {
                x.data = input(batch, b, spec.topology().sequenceInput() ? t : 0);
            } else if (spec.topology().feedback()) {
                // the previous output, after the head's activation; into an embedding, the rows it weights
                x.data = embedding == null ? previousY.clone() : fedBackRow(previousY);
            } // else: one_to_many reads zeros after the first step
            for (int k = 0; k < layers; k++) {
                DMatrixRMaj[] p = weights.get(k);
                DMatrixRMaj[] state = cellStep(spec.layers().get(k), p, x, h[k], c[k]);
                h[k] = state[0];
                c[k] = state[1];
                smallestRelu = Math.min(smallestRelu, state[2].get(0));
                x = drop(k, b, t, h[k]); // what the layer above, or the head, reads
            }
            boolean writes = spec.topology().sequenceOutput() || t == spec.unrolledSteps() - 1;
            if (writes) {
                DMatrixRMaj z = affine(headWeight, x, headBias);
                double[] out = activate(z.data);
                int s = spec.topology().sequenceOutput() ? t : 0;
                zs[s] = z.data.clone();
                ys[s] = out;
                previousY = out;
            }
        }
        return new Sequence(ys, zs, smallestRelu);
    }

    /** Feedback into an embedding: {@code E^T y}, the table's rows weighted by the fed-back probabilities. */
    private double[] fedBackRow(double[] y) {
        double[] row = new double[spec.embedding()];
        for (int v = 0; v < y.length; v++) {
            for (int i = 0; i < row.length; i++) {
                row[i] += y[v] * embedding.get(v, i);
            }
        }
        return row;
    }

    /** The first layer's input at step {@code t}: the vector (a one-hot vector for symbols), or the embedding row. */
    private double[] input(TestBatch batch, int b, int t) {
        double[] v = batch.inputVector(b, t);
        if (embedding == null) {
            return v;
        }
        double[] row = new double[spec.embedding()];
        for (int s = 0; s < v.length; s++) {
            if (v[s] == 1) {
                for (int i = 0; i < row.length; i++) {
                    row[i] = embedding.get(s, i);
                }
            }
        }
        return row;
    }

    /**
     * An encoder-decoder (docs/language.md, 5.5) with teacher forcing: the encoder reads the {@code TX} inputs from
     * zero states; the decoder, with its own weights, starts from the encoder's final {@code h} (and {@code c}) of
     * every layer and reads the zero vector at its first step, then the previous step's target: one-hot for a class
     * target, the vector itself otherwise. The head reads the decoder's top layer at every step. In training, a
     * layer's dropout masks what it passes on: in the encoder below its top layer (whose final states go on
     * unmasked), in the decoder at every layer, the top one's before the head, with the decoder's masks keyed
     * {@code layers + k}.
     */
    private Sequence encoderDecoderSequence(TestBatch batch, int b) {
        int layers = spec.layers().size();
        DMatrixRMaj[] h = new DMatrixRMaj[layers];
        DMatrixRMaj[] c = new DMatrixRMaj[layers];
        for (int k = 0; k < layers; k++) {
            h[k] = new DMatrixRMaj(spec.layers().get(k).hidden(), 1);
            c[k] = new DMatrixRMaj(spec.layers().get(k).hidden(), 1);
        }
        double smallestRelu = Double.POSITIVE_INFINITY;
        for (int t = 0; t < spec.inputSteps(); t++) {
            DMatrixRMaj x = new DMatrixRMaj(spec.layerInput(0), 1);
            x.data = input(batch, b, t);
            for (int k = 0; k < layers; k++) {
                DMatrixRMaj[] state = cellStep(spec.layers().get(k), weights.get(k), x, h[k], c[k]);
                h[k] = state[0];
                c[k] = state[1];
                smallestRelu = Math.min(smallestRelu, state[2].get(0));
                x = k < layers - 1 ? drop(k, b, t, h[k]) : h[k];
            }
        }
        int steps = spec.outputSteps();
        double[][] ys = new double[steps][];
        double[][] zs = new double[steps][];
        for (int s = 0; s < steps; s++) {
            DMatrixRMaj x = new DMatrixRMaj(spec.outputSize(), 1);
            if (s > 0 && spec.head().classTargets()) {
                x.set(batch.classes()[b][s - 1], 0, 1);
            } else if (s > 0) {
                x.data = batch.targets()[b][s - 1].clone();
            }
            for (int k = 0; k < layers; k++) {
                DMatrixRMaj[] state = cellStep(spec.layers().get(k), decoderWeights.get(k), x, h[k], c[k]);
                h[k] = state[0];
                c[k] = state[1];
                smallestRelu = Math.min(smallestRelu, state[2].get(0));
                x = drop(k, layers + k, b, s, h[k]);
            }
            DMatrixRMaj z = affine(headWeight, x, headBias);
            zs[s] = z.data.clone();
            ys[s] = activate(z.data);
        }
        return new Sequence(ys, zs, smallestRelu);
    }

    /**
     * A network with a bidirectional layer (docs/language.md, section 5): layer after layer over the whole
     * sequence, a bidirectional layer as a forward and a backward recurrence with their own weights, its output
     * {@code [h_fwd_t; h_bwd_t]} or {@code h_fwd_t + h_bwd_t}; many_to_one and one_to_one read the top layer's
     * final states (the forward recurrence after the last step, the backward one after the first), as
     * PyTorch's {@code h_n}.
     */
    private Sequence bidirectionalSequence(TestBatch batch, int b) {
        int steps = spec.unrolledSteps();
        DMatrixRMaj[] xs = new DMatrixRMaj[steps];
        for (int t = 0; t < steps; t++) {
            xs[t] = new DMatrixRMaj(spec.layerInput(0), 1);
            xs[t].data = input(batch, b, spec.topology().sequenceInput() ? t : 0);
        }
        double smallestRelu = Double.POSITIVE_INFINITY;
        DMatrixRMaj last = null;
        for (int k = 0; k < spec.layers().size(); k++) {
            NetSpec.Layer layer = spec.layers().get(k);
            int hs = layer.hidden();
            DMatrixRMaj[] forwards = new DMatrixRMaj[steps];
            DMatrixRMaj[] backwards = new DMatrixRMaj[steps];
            DMatrixRMaj h = new DMatrixRMaj(hs, 1);
            DMatrixRMaj c = new DMatrixRMaj(hs, 1);
            for (int t = 0; t < steps; t++) {
                DMatrixRMaj[] state = cellStep(layer, weights.get(k), xs[t], h, c);
                h = forwards[t] = state[0];
                c = state[1];
                smallestRelu = Math.min(smallestRelu, state[2].get(0));
            }
            DMatrixRMaj[] out = forwards;
            if (layer.bidirectional()) {
                h = new DMatrixRMaj(hs, 1);
                c = new DMatrixRMaj(hs, 1);
                for (int t = steps - 1; t >= 0; t--) {
                    DMatrixRMaj[] state = cellStep(layer, reverseWeights.get(k), xs[t], h, c);
                    h = backwards[t] = state[0];
                    c = state[1];
                    smallestRelu = Math.min(smallestRelu, state[2].get(0));
                }
                out = new DMatrixRMaj[steps];
                for (int t = 0; t < steps; t++) {
                    out[t] = merge(layer, forwards[t], backwards[t]);
                }
                // the final states are one output: their mask is that of time 0
                last = drop(k, b, 0, merge(layer, forwards[steps - 1], backwards[0]));
            } else {
                last = drop(k, b, steps - 1, forwards[steps - 1]);
            }
            xs = new DMatrixRMaj[steps];
            for (int t = 0; t < steps; t++) {
                xs[t] = drop(k, b, t, out[t]);
            }
        }
        double[][] ys = new double[spec.outputSteps()][];
        double[][] zs = new double[spec.outputSteps()][];
        for (int s = 0; s < spec.outputSteps(); s++) {
            DMatrixRMaj z = affine(headWeight, spec.topology().sequenceOutput() ? xs[s] : last, headBias);
            zs[s] = z.data.clone();
            ys[s] = activate(z.data);
        }
        return new Sequence(ys, zs, smallestRelu);
    }

    private static DMatrixRMaj merge(NetSpec.Layer layer, DMatrixRMaj forwards, DMatrixRMaj backwards) {
        if (layer.direction() == NetSpec.Direction.SUM) {
            DMatrixRMaj sum = new DMatrixRMaj(forwards.numRows, 1);
            CommonOps_DDRM.add(forwards, backwards, sum);
            return sum;
        }
        DMatrixRMaj both = new DMatrixRMaj(2 * forwards.numRows, 1);
        CommonOps_DDRM.insert(forwards, both, 0, 0);
        CommonOps_DDRM.insert(backwards, both, forwards.numRows, 0);
        return both;
    }

    /** One step of a layer's cell: returns {@code h'}, {@code c'} and (as a 1x1) the smallest relu |pre-activation|. */
    private DMatrixRMaj[] cellStep(NetSpec.Layer layer, DMatrixRMaj[] p, DMatrixRMaj x, DMatrixRMaj hIn,
            DMatrixRMaj cIn) {
        DMatrixRMaj h = hIn;
        DMatrixRMaj c = cIn;
        double smallestRelu = Double.POSITIVE_INFINITY;
        switch (layer.cell()) {
            case RNN_TANH, RNN_RELU -> {
                DMatrixRMaj a = affine(p[0], x, p[2]);
                CommonOps_DDRM.addEquals(a, affine(p[1], h, p[3]));
                if (layer.cell() == NetSpec.Cell.RNN_RELU) {
                    for (double v : a.data) {
                        smallestRelu = Math.min(smallestRelu, Math.abs(v));
                    }
                    h = map(a, v -> Math.max(v, 0));
                } else {
                    h = map(a, Math::tanh);
                }
            }
            case LSTM, LSTM_PEEPHOLES, LSTM_CELL_CLIP, LSTM_PEEPHOLES_CELL_CLIP -> {
                NetSpec.Cell cell = layer.cell();
                int hs = layer.hidden();
                DMatrixRMaj gates = affine(p[0], x, p[2]);
                CommonOps_DDRM.addEquals(gates, affine(p[1], h, p[3]));
                DMatrixRMaj preI = block(gates, 0, hs);
                DMatrixRMaj preF = block(gates, 1, hs);
                DMatrixRMaj preO = block(gates, 3, hs);
                if (cell.peepholes()) {
                    CommonOps_DDRM.addEquals(preI, elementwise(p[4], c));
                    CommonOps_DDRM.addEquals(preF, elementwise(p[5], c));
                }
                DMatrixRMaj i = map(preI, ReferenceModel::sigmoid);
                DMatrixRMaj f = map(preF, ReferenceModel::sigmoid);
                DMatrixRMaj g = map(block(gates, 2, hs), Math::tanh);
                DMatrixRMaj cNext = new DMatrixRMaj(hs, 1);
                CommonOps_DDRM.elementMult(f, c, cNext);
                DMatrixRMaj ig = new DMatrixRMaj(hs, 1);
                CommonOps_DDRM.elementMult(i, g, ig);
                CommonOps_DDRM.addEquals(cNext, ig);
                if (cell.cellClip()) {
                    double clip = NetSpec.Cell.CELL_CLIP;
                    for (double v : cNext.data) {
                        clipMargin = Math.min(clipMargin, Math.abs(Math.abs(v) - clip));
                        clamped += Math.abs(v) > clip ? 1 : 0;
                    }
                    cNext = map(cNext, v -> Math.max(-clip, Math.min(clip, v)));
                }
                if (cell.peepholes()) {
                    CommonOps_DDRM.addEquals(preO, elementwise(p[6], cNext));
                }
                DMatrixRMaj o = map(preO, ReferenceModel::sigmoid);
                c = cNext;
                DMatrixRMaj hNext = new DMatrixRMaj(hs, 1);
                CommonOps_DDRM.elementMult(o, map(cNext, Math::tanh), hNext);
                h = hNext;
            }
            case GRU, GRU_CHO -> {
                int hs = layer.hidden();
                DMatrixRMaj a = affine(p[0], x, p[2]);
                DMatrixRMaj bh = affine(p[1], h, p[3]);
                DMatrixRMaj r = new DMatrixRMaj(hs, 1);
                CommonOps_DDRM.add(block(a, 0, hs), block(bh, 0, hs), r);
                r = map(r, ReferenceModel::sigmoid);
                DMatrixRMaj z = new DMatrixRMaj(hs, 1);
                CommonOps_DDRM.add(block(a, 1, hs), block(bh, 1, hs), z);
                z = map(z, ReferenceModel::sigmoid);
                DMatrixRMaj rn = new DMatrixRMaj(hs, 1);
                if (layer.cell() == NetSpec.Cell.GRU_CHO) {
                    // W_hn (r * h) + b_hn: the rows 2H..3H-1 of W_hh times the reset state
                    DMatrixRMaj whn = CommonOps_DDRM.extract(p[1], 2 * hs, 3 * hs, 0, hs);
                    CommonOps_DDRM.mult(whn, elementwise(r, h), rn);
                    CommonOps_DDRM.addEquals(rn, block(p[3], 2, hs));
                } else {
                    CommonOps_DDRM.elementMult(r, block(bh, 2, hs), rn);
                }
                DMatrixRMaj nPre = new DMatrixRMaj(hs, 1);
                CommonOps_DDRM.add(block(a, 2, hs), rn, nPre);
                DMatrixRMaj nGate = map(nPre, Math::tanh);
                DMatrixRMaj oneMinusZ = map(z, v -> 1 - v);
                DMatrixRMaj hNext = new DMatrixRMaj(hs, 1);
                CommonOps_DDRM.elementMult(oneMinusZ, nGate, hNext);
                DMatrixRMaj zh = new DMatrixRMaj(hs, 1);
                CommonOps_DDRM.elementMult(z, h, zh);
                CommonOps_DDRM.addEquals(hNext, zh);
                h = hNext;
            }
        }
        DMatrixRMaj relu = new DMatrixRMaj(1, 1);
        relu.set(0, smallestRelu);
        return new DMatrixRMaj[] {h, c, relu};
    }

    /** {@code W x + b}. */
    private static DMatrixRMaj affine(DMatrixRMaj w, DMatrixRMaj x, DMatrixRMaj bias) {
        DMatrixRMaj out = new DMatrixRMaj(w.numRows, 1);
        CommonOps_DDRM.mult(w, x, out);
        CommonOps_DDRM.addEquals(out, bias);
        return out;
    }

    /** Gate block {@code index} (rows {@code index*H .. (index+1)*H - 1}) of a stacked vector. */
    private static DMatrixRMaj block(DMatrixRMaj stacked, int index, int hidden) {
        return CommonOps_DDRM.extract(stacked, index * hidden, (index + 1) * hidden, 0, 1);
    }

    private static DMatrixRMaj elementwise(DMatrixRMaj a, DMatrixRMaj b) {
        DMatrixRMaj out = new DMatrixRMaj(a.numRows, 1);
        CommonOps_DDRM.elementMult(a, b, out);
        return out;
    }

    private static DMatrixRMaj map(DMatrixRMaj m, DoubleUnaryOperator f) {
        DMatrixRMaj out = new DMatrixRMaj(m.numRows, m.numCols);
        for (int i = 0; i < m.getNumElements(); i++) {
            out.data[i] = f.applyAsDouble(m.data[i]);
        }
        return out;
    }

    static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    private double[] activate(double[] z) {
        return switch (spec.head().activation) {
            case "linear" -> z.clone();
            case "tanh" -> map(new DMatrixRMaj(z), Math::tanh).data;
            case "sigmoid" -> map(new DMatrixRMaj(z), ReferenceModel::sigmoid).data;
            case "softmax" -> {
                double max = Double.NEGATIVE_INFINITY;
                for (double v : z) {
                    max = Math.max(max, v);
                }
                double sum = 0;
                double[] e = new double[z.length];
                for (int i = 0; i < z.length; i++) {
                    e[i] = Math.exp(z[i] - max);
                    sum += e[i];
                }
                for (int i = 0; i < z.length; i++) {
                    e[i] /= sum;
                }
                yield e;
            }
            default -> throw new AssertionError(spec.head());
        };
    }

    /** The summed loss of one output step (section 6.1 of the language reference). */
    private double loss(double[] z, double[] y, TestBatch batch, int b, int s) {
        switch (spec.head().loss) {
            case "cross_entropy" -> {
                double max = Double.NEGATIVE_INFINITY;
                for (double v : z) {
                    max = Math.max(max, v);
                }
                double sum = 0;
                for (double v : z) {
                    sum += Math.exp(v - max);
                }
                return max + Math.log(sum) - z[batch.classes()[b][s]];
            }
            case "binary_cross_entropy" -> {
                double total = 0;
                double[] t = batch.targets()[b][s];
                for (int o = 0; o < z.length; o++) {
                    // -(t log sigmoid(z) + (1 - t) log(1 - sigmoid(z))), in the stable form
                    total += Math.max(z[o], 0) - z[o] * t[o] + Math.log1p(Math.exp(-Math.abs(z[o])));
                }
                return total;
            }
            case "mse" -> {
                double total = 0;
                double[] t = batch.targets()[b][s];
                for (int o = 0; o < y.length; o++) {
                    total += (y[o] - t[o]) * (y[o] - t[o]);
                }
                return total;
            }
            default -> throw new AssertionError(spec.head());
        }
    }
}
