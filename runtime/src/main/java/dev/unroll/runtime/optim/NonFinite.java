package dev.unroll.runtime.optim;

import dev.unroll.runtime.DoubleParameter;
import dev.unroll.runtime.FloatParameter;
import dev.unroll.runtime.GradientRows;
import dev.unroll.runtime.NonFiniteException;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import java.util.Optional;

/**
 * Finds NaN and infinities in gradients or values, naming the parameter and the index.
 *
 * <p>{@link Optimizer#step} calls {@link #requireFiniteGradients} before it changes anything, so a
 * diverged gradient can never corrupt the weights: the step throws a {@link NonFiniteException} and
 * the parameters and the optimizer state stay as they were (the caller may skip the batch, lower
 * the learning rate, or stop). {@link #findInGradients} returns the same information as a
 * {@link Location} for callers that want to handle it without an exception.
 * {@link GradientClipping#checkFiniteAndClip} gives the same exception as
 * {@link #requireFiniteGradients} without a separate pass: the sum of squares its norm needs is
 * finite only when every gradient is, and only when it is not does it search with this class.
 */
public final class NonFinite {
    private NonFinite() {
    }

    /**
     * Where a non-finite number is.
     *
     * @param parameter the parameter's name
     * @param gradient true for its gradient, false for its value
     * @param index the flat row-major index
     * @param shape the parameter's shape, for row and column
     * @param value the number: NaN, +Infinity or -Infinity
     */
    public record Location(String parameter, boolean gradient, int index, int[] shape, double value) {
        /** Copies the shape. */
        public Location {
            shape = shape.clone();
        }

        /** Returns the row for a matrix, the index for a vector. */
        public int row() {
            return shape.length == 2 ? index / shape[1] : index;
        }

        /** Returns the column for a matrix, 0 for a vector. */
        public int column() {
            return shape.length == 2 ? index % shape[1] : 0;
        }

        /** Returns e.g. {@code gradient of 'rnn.weight_hh_l0' is NaN at index 17 [row 0, col 17]}. */
        public String message() {
            return (gradient ? "gradient" : "value") + " of '" + parameter + "' is " + value + " at index " + index
                    + (shape.length == 2 ? " [row " + row() + ", col " + column() + "]" : "");
        }

        @Override
        public String toString() {
            return message();
        }
    }

    /** Returns the first NaN or infinity in the gradients, in parameter order, if any. */
    public static Optional<Location> findInGradients(ParameterSet parameters) {
        return find(parameters, true);
    }

    /** Returns the first NaN or infinity in the values, in parameter order, if any. */
    public static Optional<Location> findInValues(ParameterSet parameters) {
        return find(parameters, false);
    }

    /**
     * Throws when a gradient holds NaN or an infinity.
     *
     * @throws NonFiniteException naming the first offending parameter and index
     */
    public static void requireFiniteGradients(ParameterSet parameters) {
        Optional<Location> at = findInGradients(parameters);
        if (at.isPresent()) {
            throw new NonFiniteException(at.get().message());
        }
    }

    private static Optional<Location> find(ParameterSet parameters, boolean gradient) {
        for (Parameter p : parameters) {
            int i = firstNonFinite(p, gradient);
            if (i >= 0) {
                double v = gradient ? p.grad(i) : p.value(i);
                return Optional.of(new Location(p.name(), gradient, i, p.shape(), v));
            }
        }
        return Optional.empty();
    }

    /** Returns the index of the first non-finite element, or -1. */
    static int firstNonFinite(Parameter p, boolean gradient) {
        if (gradient && !p.requiresGrad()) {
            return -1; // frozen: the gradient is always zero
        }
        GradientRows rows = gradient ? p.gradientRows() : null;
        if (rows != null) {
            // row-sparse: only the listed rows can be non-zero; the first bad one in index order
            int first = -1;
            int width = rows.width();
            for (int r = 0; r < rows.count(); r++) {
                int from = rows.row(r) * width;
                for (int i = from; i < from + width; i++) {
                    if (!Double.isFinite(p.grad(i))) {
                        first = first < 0 ? i : Math.min(first, i);
                        break;
                    }
                }
            }
            return first;
        }
        if (p instanceof DoubleParameter d) {
            double[] a = gradient ? d.grad : d.value;
            for (int i = 0; i < a.length; i++) {
                if (!Double.isFinite(a[i])) {
                    return i;
                }
            }
        } else {
            FloatParameter f = (FloatParameter) p;
            float[] a = gradient ? f.grad : f.value;
            for (int i = 0; i < a.length; i++) {
                if (!Float.isFinite(a[i])) {
                    return i;
                }
            }
        }
        return -1;
    }
}
