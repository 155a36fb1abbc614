package dev.unroll.runtime;

import java.util.Arrays;

/**
 * One trainable tensor of a model: its name (PyTorch's, e.g. {@code rnn.weight_ih_l0}), its shape,
 * its values and its gradient, both flat and row-major, exactly as PyTorch lays them out.
 *
 * <p>A generated model of precision float64 holds {@link DoubleParameter}s, of float32
 * {@link FloatParameter}s. The arrays are shared, not copied: the EJML matrices a parameter hands
 * out ({@code valueMatrix()}, {@code gradMatrix()}) wrap the same storage the generated code
 * reads. Writes through {@link #setValue} are seen by the model at once; after writing the arrays
 * or the EJML views directly, call {@link #markChanged()} (see {@link #version()}).
 */
public sealed interface Parameter permits DoubleParameter, FloatParameter {

    /** Returns the parameter's name, e.g. {@code rnn.weight_hh_l1} or {@code head.bias}. */
    String name();

    /** Returns a copy of the shape: {@code [rows, cols]} for matrices, {@code [n]} for vectors. */
    int[] shape();

    /** Returns the number of elements. */
    int size();

    /** Returns element {@code i} (row-major) of the value, widened to double. */
    double value(int i);

    /** Sets element {@code i} of the value (rounded to float for float parameters). */
    void setValue(int i, double v);

    /** Returns element {@code i} of the gradient, widened to double. */
    double grad(int i);

    /** Sets element {@code i} of the gradient. */
    void setGrad(int i, double v);

    /** Sets every gradient element to zero. */
    void zeroGrad();

    /**
     * Returns the rows of a row-sparse gradient (an embedding table's, see {@link GradientRows}):
     * every element outside them is zero, and clipping, the NaN check and the optimizer visit only
     * them. Null for a dense gradient, and for a frozen parameter.
     */
    default GradientRows gradientRows() {
        return null;
    }

    /**
     * Returns false for a frozen parameter (a {@code frozen} embedding table), as PyTorch's
     * {@code requires_grad=False}: its gradient stays zero, clipping, the NaN check and the optimizer
     * leave it alone and the optimizer keeps no state for it; it is still saved, loaded and imported.
     */
    default boolean requiresGrad() {
        return true;
    }

    /**
     * Returns a counter that grows whenever the values change through {@link #setValue} or
     * {@link #markChanged}. Generated models compare it with what they last saw to refresh the
     * faster weight layout their forward pass reads.
     */
    long version();

    /**
     * Records that the values changed by other means than {@link #setValue}: after writing the
     * {@code value} array or an EJML view of it directly, call this (or the model's
     * {@code parametersChanged()}) so that the model's forward pass sees the new weights.
     */
    void markChanged();

    /** Returns "name [r, c]" for messages. */
    static String describe(String name, int[] shape) {
        return "'" + name + "' " + Arrays.toString(shape);
    }

    /** Checks a shape and returns its element count. */
    static int checkedSize(String name, int[] shape) {
        if (shape.length < 1 || shape.length > 2) {
            throw new IllegalArgumentException("parameter '" + name + "' must be a vector or a matrix, got shape "
                    + Arrays.toString(shape));
        }
        long size = 1;
        for (int d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException("parameter '" + name + "' has a non-positive dimension: "
                        + Arrays.toString(shape));
            }
            size *= d;
        }
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("parameter '" + name + "' is too large: " + Arrays.toString(shape));
        }
        return (int) size;
    }
}
