package dev.unroll.runtime.init;

import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;

/**
 * Weight initialization, as the language reference's section 6.5 describes it.
 *
 * <p>Parameters use PyTorch's layout: a recurrent weight {@code rnn.weight_ih_l{k}} is
 * {@code [G*H, I]}, {@code rnn.weight_hh_l{k}} is {@code [G*H, H]}, with {@code G} gate blocks of
 * {@code H} rows stacked (1 for an RNN, 3 for a GRU: r, z, n; 4 for an LSTM: i, f, g, o). The
 * per-gate-block schemes (Xavier, orthogonal) treat each {@code H}-row block as its own matrix.
 *
 * <p>All randomness comes from the {@link RandomGenerator} passed in, usually
 * {@link #random(long)}: the same seed and the same parameters (in the same order) give the same
 * values, on every JDK, because only {@link RandomGenerator#nextDouble()} is used (Gaussians are
 * made from it with the Box-Muller transform rather than with the JDK's algorithm). The numbers are
 * not PyTorch's.
 *
 * <p>{@link dev.unroll.runtime.FloatParameter}s are filled in double and rounded.
 */
public final class Initializers {

    /** The initialization schemes of the {@code init} statement. */
    public enum Scheme {
        /** PyTorch's defaults: uniform in [-1/sqrt(H), 1/sqrt(H)] (recurrent), [-1/sqrt(F), 1/sqrt(F)] (head); random biases. */
        PYTORCH,
        /** Glorot uniform per gate block; zero biases. */
        XAVIER,
        /** (Semi-)orthogonal per gate block; zero biases. */
        ORTHOGONAL
    }

    private static final Pattern RECURRENT =
            Pattern.compile("^rnn\\.([a-z]+)_([a-z]+)_l(\\d+)(_reverse)?$");

    private Initializers() {
    }

    /** Returns a generator for {@code seed}: a {@link SplittableRandom}. */
    public static RandomGenerator random(long seed) {
        return new SplittableRandom(seed);
    }

    /**
     * Initializes a whole model, as the {@code init} statement says: the first scheme for every
     * {@code rnn.weight_ih_l{k}}, {@code head.weight} and every bias, the recurrent scheme for every
     * {@code rnn.weight_hh_l{k}}. Biases (and any other per-layer vector, e.g. peepholes) are drawn
     * like PyTorch's under {@link Scheme#PYTORCH} and zero otherwise. The parameters are visited in
     * order; call {@link #lstmForgetBias} afterwards for an LSTM's {@code forget_bias}.
     *
     * @param parameters the model's parameters with the canonical names ({@code rnn.*_l{k}}, {@code head.*})
     * @param scheme the scheme of the input weights, the head and the biases
     * @param recurrentScheme the scheme of the hidden-to-hidden weights
     * @param rng the random source
     * @throws IllegalArgumentException for a parameter with another name, or a layer without
     *     {@code weight_hh} (its hidden size is needed), or shapes that are not gate blocks
     */
    public static void initialize(ParameterSet parameters, Scheme scheme, Scheme recurrentScheme, RandomGenerator rng) {
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(recurrentScheme, "recurrentScheme");
        for (Parameter p : parameters) {
            String name = p.name();
            Matcher m = RECURRENT.matcher(name);
            if (m.matches()) {
                int hidden = hiddenSize(parameters, m);
                boolean isWeight = m.group(1).equals("weight") && (m.group(2).equals("ih") || m.group(2).equals("hh"))
                        && p.shape().length == 2;
                if (isWeight) {
                    Scheme s = m.group(2).equals("hh") ? recurrentScheme : scheme;
                    int gates = gates(p, hidden);
                    switch (s) {
                        case PYTORCH -> uniform(p, 1 / Math.sqrt(hidden), rng);
                        case XAVIER -> xavierUniform(p, gates, 1, rng);
                        case ORTHOGONAL -> orthogonal(p, gates, 1, rng);
                        default -> throw new AssertionError(s);
                    }
                } else if (scheme == Scheme.PYTORCH) {
                    uniform(p, 1 / Math.sqrt(hidden), rng);
                } else {
                    constant(p, 0);
                }
            } else if (name.equals("head.weight") || name.equals("head.bias")) {
                if (!parameters.contains("head.weight") || parameters.get("head.weight").shape().length != 2) {
                    throw new IllegalArgumentException("parameter '" + name + "': no matrix 'head.weight' to take the fan-in from");
                }
                int fanIn = parameters.get("head.weight").shape()[1];
                if (scheme == Scheme.PYTORCH) {
                    uniform(p, 1 / Math.sqrt(fanIn), rng);
                } else if (name.equals("head.bias")) {
                    constant(p, 0);
                } else if (scheme == Scheme.XAVIER) {
                    xavierUniform(p, 1, 1, rng);
                } else {
                    orthogonal(p, 1, 1, rng);
                }
            } else {
                throw new IllegalArgumentException("parameter '" + name + "' has no initialization rule: expected "
                        + "rnn.<weight|bias>_<ih|hh>_l<k>[_reverse] or head.<weight|bias>");
            }
        }
    }

    /**
     * Initializes one weight matrix of {@code gateBlocks} stacked gate blocks: under {@link Scheme#PYTORCH}
     * uniformly in {@code [-1/sqrt(fan), 1/sqrt(fan))}, under the others per gate block. Generated models call
     * this (and {@link #bias}) once per tensor, in {@code state_dict} order, with the structure their plan knows,
     * so that nothing is parsed from parameter names.
     *
     * @param fan the hidden size for a recurrent weight, the fan-in for the head
     * @throws IllegalArgumentException when the weight is not a matrix of {@code gateBlocks} equal row blocks
     */
    public static void weight(Parameter p, Scheme scheme, int gateBlocks, int fan, RandomGenerator rng) {
        Objects.requireNonNull(scheme, "scheme");
        switch (scheme) {
            case PYTORCH -> uniform(p, 1 / Math.sqrt(fan), rng);
            case XAVIER -> xavierUniform(p, gateBlocks, 1, rng);
            case ORTHOGONAL -> orthogonal(p, gateBlocks, 1, rng);
            default -> throw new AssertionError(scheme);
        }
    }

    /**
     * Initializes a bias (or any per-layer vector): uniformly in {@code [-1/sqrt(fan), 1/sqrt(fan))} under
     * {@link Scheme#PYTORCH}, as PyTorch does, and zero under the other schemes.
     */
    public static void bias(Parameter p, Scheme scheme, int fan, RandomGenerator rng) {
        Objects.requireNonNull(scheme, "scheme");
        if (scheme == Scheme.PYTORCH) {
            uniform(p, 1 / Math.sqrt(fan), rng);
        } else {
            constant(p, 0);
        }
    }

    /** Initializes everything as PyTorch does by default: {@code initialize(p, PYTORCH, PYTORCH, rng)}. */
    public static void pytorchDefault(ParameterSet parameters, RandomGenerator rng) {
        initialize(parameters, Scheme.PYTORCH, Scheme.PYTORCH, rng);
    }

    /**
     * Sets the forget-gate block (elements {@code H..2H-1}) of every LSTM {@code rnn.bias_ih_l{k}}
     * (and {@code _reverse}) to {@code value}, leaving {@code bias_hh} as it is, as the
     * {@code forget_bias} option specifies.
     *
     * @throws IllegalArgumentException when there is no {@code rnn.bias_ih_l*}, or one is not 4 gate blocks
     */
    public static void lstmForgetBias(ParameterSet parameters, double value) {
        int found = 0;
        for (Parameter p : parameters) {
            Matcher m = RECURRENT.matcher(p.name());
            if (m.matches() && m.group(1).equals("bias") && m.group(2).equals("ih")) {
                int hidden = hiddenSize(parameters, m);
                if (gates(p, hidden) != 4) {
                    throw new IllegalArgumentException("parameter '" + p.name() + "' has " + p.size() + " elements for "
                            + "hidden size " + hidden + ": not an LSTM's 4 gate blocks");
                }
                setGateBlock(p, 4, 1, value);
                found++;
            }
        }
        if (found == 0) {
            throw new IllegalArgumentException("no LSTM input bias rnn.bias_ih_l<k> among " + parameters.names());
        }
    }

    /**
     * Fills a parameter with uniform numbers in [-bound, bound).
     *
     * @throws IllegalArgumentException for a negative or non-finite bound
     */
    public static void uniform(Parameter p, double bound, RandomGenerator rng) {
        if (!(bound >= 0 && Double.isFinite(bound))) {
            throw new IllegalArgumentException("uniform bound for '" + p.name() + "' must be finite and >= 0, got " + bound);
        }
        for (int i = 0; i < p.size(); i++) {
            p.setValue(i, bound * (2 * rng.nextDouble() - 1));
        }
    }

    /**
     * Fills a parameter with standard normal numbers, N(0, 1), as PyTorch initializes an
     * {@code nn.Embedding}'s {@code weight} (the distribution, not PyTorch's random stream).
     */
    public static void normal(Parameter p, RandomGenerator rng) {
        for (int i = 0; i < p.size(); i++) {
            p.setValue(i, gaussian(rng));
        }
    }

    /** Sets every element to {@code value}. */
    public static void constant(Parameter p, double value) {
        for (int i = 0; i < p.size(); i++) {
            p.setValue(i, value);
        }
    }

    /**
     * Sets elements {@code from} (inclusive) to {@code to} (exclusive), flat row-major, to {@code value}.
     *
     * @throws IndexOutOfBoundsException naming the parameter when the range is not inside it
     */
    public static void setSlice(Parameter p, int from, int to, double value) {
        if (from < 0 || to > p.size() || from > to) {
            throw new IndexOutOfBoundsException("slice [" + from + ", " + to + ") is not inside parameter '" + p.name()
                    + "' of " + p.size() + " elements");
        }
        for (int i = from; i < to; i++) {
            p.setValue(i, value);
        }
    }

    /**
     * Sets gate block {@code gate} (0-based) of a bias vector of {@code gates} blocks to
     * {@code value}; e.g. {@code setGateBlock(bias_ih, 4, 1, 1.0)} for an LSTM's forget gate.
     *
     * @throws IllegalArgumentException when the bias is not a vector of {@code gates} equal blocks
     */
    public static void setGateBlock(Parameter bias, int gates, int gate, double value) {
        if (bias.shape().length != 1 || gates <= 0 || bias.size() % gates != 0 || gate < 0 || gate >= gates) {
            throw new IllegalArgumentException("cannot set gate block " + gate + " of " + gates + " in parameter '"
                    + bias.name() + "' of shape " + Arrays.toString(bias.shape()));
        }
        int h = bias.size() / gates;
        setSlice(bias, gate * h, (gate + 1) * h, value);
    }

    /**
     * Glorot/Xavier uniform per gate block: each block of {@code rows/gates} rows is filled uniformly
     * in [-a, a), {@code a = gain * sqrt(6 / (fan_in + fan_out))}, {@code fan_in} = columns,
     * {@code fan_out} = rows of one block.
     *
     * @throws IllegalArgumentException when the weight is not a matrix of {@code gates} equal row blocks
     */
    public static void xavierUniform(Parameter weight, int gates, double gain, RandomGenerator rng) {
        int[] s = blockShape(weight, gates);
        double a = gain * Math.sqrt(6.0 / (s[1] + s[0]));
        uniform(weight, a, rng);
    }

    /**
     * Orthogonal per gate block, like {@code torch.nn.init.orthogonal_} applied to each block: a
     * Gaussian block (transposed when it is wide) is QR-decomposed, Q's columns are multiplied by
     * the signs of R's diagonal so that the result is uniformly distributed, and the block becomes
     * {@code gain * Q} (or its transpose). A tall or square block has orthonormal columns
     * ({@code Q^T Q = I}), a wide one orthonormal rows ({@code Q Q^T = I}).
     *
     * @throws IllegalArgumentException when the weight is not a matrix of {@code gates} equal row blocks
     */
    public static void orthogonal(Parameter weight, int gates, double gain, RandomGenerator rng) {
        int[] s = blockShape(weight, gates);
        int rows = s[0];
        int cols = s[1];
        boolean wide = rows < cols;
        int m = wide ? cols : rows;
        int n = wide ? rows : cols;
        for (int g = 0; g < gates; g++) {
            DMatrixRMaj a = new DMatrixRMaj(m, n);
            for (int i = 0; i < a.data.length; i++) {
                a.data[i] = gaussian(rng);
            }
            QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(m, n);
            if (!qr.decompose(a)) {
                throw new IllegalStateException("QR decomposition failed for a block of '" + weight.name() + "'");
            }
            DMatrixRMaj q = qr.getQ(null, true); // m x n
            DMatrixRMaj r = qr.getR(null, true); // n x n
            for (int j = 0; j < n; j++) {
                double sign = r.get(j, j) < 0 ? -1 : 1;
                for (int i = 0; i < m; i++) {
                    q.set(i, j, q.get(i, j) * sign * gain);
                }
            }
            DMatrixRMaj block = wide ? CommonOps_DDRM.transpose(q, null) : q; // rows x cols
            int offset = g * rows * cols;
            for (int i = 0; i < rows * cols; i++) {
                weight.setValue(offset + i, block.data[i]);
            }
        }
    }

    /** Returns a standard normal number from two {@link RandomGenerator#nextDouble()} draws (Box-Muller). */
    public static double gaussian(RandomGenerator rng) {
        double u1 = 1 - rng.nextDouble(); // (0, 1]
        double u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** Returns {rows of one block, cols}. */
    private static int[] blockShape(Parameter weight, int gates) {
        int[] shape = weight.shape();
        if (shape.length != 2 || gates <= 0 || shape[0] % gates != 0) {
            throw new IllegalArgumentException("parameter '" + weight.name() + "' of shape "
                    + Arrays.toString(shape) + " is not a matrix of " + gates + " gate blocks");
        }
        return new int[] {shape[0] / gates, shape[1]};
    }

    /** The hidden size of a recurrent parameter's layer: the columns of its weight_hh. */
    private static int hiddenSize(ParameterSet parameters, Matcher m) {
        String hh = "rnn.weight_hh_l" + m.group(3) + (m.group(4) == null ? "" : m.group(4));
        if (!parameters.contains(hh) || parameters.get(hh).shape().length != 2) {
            throw new IllegalArgumentException("parameter '" + m.group(0) + "': its layer has no matrix '" + hh
                    + "' to take the hidden size from");
        }
        return parameters.get(hh).shape()[1];
    }

    /** The number of gate blocks of a recurrent parameter, from its rows and the hidden size. */
    private static int gates(Parameter p, int hidden) {
        int rows = p.shape()[0];
        if (rows % hidden != 0) {
            throw new IllegalArgumentException("parameter '" + p.name() + "' has " + rows + " rows, not a multiple of "
                    + "the hidden size " + hidden);
        }
        return rows / hidden;
    }
}
