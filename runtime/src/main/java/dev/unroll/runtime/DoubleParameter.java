package dev.unroll.runtime;

import java.util.Arrays;
import java.util.Objects;
import org.ejml.data.DMatrixRMaj;

/** A float64 {@link Parameter}. The arrays are public for the generated code's inner loops. */
public final class DoubleParameter implements Parameter {
    private final String name;
    private final int[] shape;
    private long version;
    /** The values, row-major. */
    public final double[] value;
    /** The gradient of the loss with respect to {@link #value}, row-major. */
    public final double[] grad;

    /** The rows of a row-sparse gradient, or null. */
    private final GradientRows gradientRows;
    private final boolean requiresGrad;

    /** Creates a zero-filled parameter. */
    public DoubleParameter(String name, int... shape) {
        this(name, shape, false, false);
    }

    private DoubleParameter(String name, int[] shape, boolean rowSparse, boolean frozen) {
        this.name = Objects.requireNonNull(name, "name");
        this.shape = shape.clone();
        int size = Parameter.checkedSize(name, shape);
        this.value = new double[size];
        this.grad = new double[size];
        this.gradientRows = rowSparse && !frozen ? new GradientRows(shape[0], shape[1]) : null;
        this.requiresGrad = !frozen;
    }

    /**
     * Creates a zero-filled {@code rows x cols} lookup table (an embedding): its gradient is
     * row-sparse ({@link #gradientRows()}), or, when {@code frozen}, always zero
     * ({@link #requiresGrad()} false).
     */
    public static DoubleParameter table(String name, int rows, int cols, boolean frozen) {
        return new DoubleParameter(name, new int[] {rows, cols}, true, frozen);
    }

    @Override
    public GradientRows gradientRows() {
        return gradientRows;
    }

    @Override
    public boolean requiresGrad() {
        return requiresGrad;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public int size() {
        return value.length;
    }

    @Override
    public double value(int i) {
        return value[i];
    }

    @Override
    public long version() {
        return version;
    }

    @Override
    public void markChanged() {
        version++;
    }

    @Override
    public void setValue(int i, double v) {
        version++;
        value[i] = v;
    }

    @Override
    public double grad(int i) {
        return grad[i];
    }

    @Override
    public void setGrad(int i, double v) {
        if (!requiresGrad) {
            throw new IllegalStateException("parameter '" + name + "' is frozen: its gradient is always zero");
        }
        if (gradientRows != null) {
            gradientRows.add(i / shape[1]);
        }
        grad[i] = v;
    }

    @Override
    public void zeroGrad() {
        if (gradientRows != null) {
            gradientRows.zero(grad);
        } else if (requiresGrad) {
            Arrays.fill(grad, 0);
        }
    }

    /** Returns an EJML view of the values sharing this parameter's storage (vectors are n x 1). */
    public DMatrixRMaj valueMatrix() {
        return DMatrixRMaj.wrap(shape[0], shape.length == 2 ? shape[1] : 1, value);
    }

    /** Returns an EJML view of the gradient sharing this parameter's storage. */
    public DMatrixRMaj gradMatrix() {
        return DMatrixRMaj.wrap(shape[0], shape.length == 2 ? shape[1] : 1, grad);
    }

    @Override
    public String toString() {
        return Parameter.describe(name, shape);
    }
}
