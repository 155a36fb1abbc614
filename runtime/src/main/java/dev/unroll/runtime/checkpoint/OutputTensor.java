package dev.unroll.runtime.checkpoint;

import dev.unroll.runtime.DoubleParameter;
import dev.unroll.runtime.FloatParameter;
import dev.unroll.runtime.Parameter;
import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor to be written by {@link SafeTensors#write}: name, element type ({@link DType#F64} or
 * {@link DType#F32}), shape, and where its values come from.
 *
 * <p>The values are pulled from {@link #values()} while the file is written, element by element in
 * row-major order, not copied beforehand; if the source throws, the write is abandoned and the
 * previous file is left as it was.
 *
 * @param name the tensor's name; not empty, not {@code __metadata__}
 * @param dtype {@link DType#F64} or {@link DType#F32} (a double source is rounded to float for F32)
 * @param shape the shape, non-negative dimensions ({@code []} for a scalar)
 * @param values the source of the values
 */
public record OutputTensor(String name, DType dtype, int[] shape, ElementSource values) {

    /** Supplies element {@code index} (row-major) of a tensor being written. */
    @FunctionalInterface
    public interface ElementSource {
        /** Returns element {@code index}. */
        double get(int index);
    }

    /** Validates and copies the shape. */
    public OutputTensor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(values, "values");
        if (name.isEmpty() || name.equals(SafeTensors.METADATA_KEY)) {
            throw new IllegalArgumentException("invalid tensor name '" + name + "'");
        }
        if (dtype != DType.F64 && dtype != DType.F32) {
            throw new IllegalArgumentException("tensor '" + name + "': only F64 and F32 can be written, not " + dtype);
        }
        shape = shape.clone();
        elementCount(name, shape);
    }

    /** Returns a copy of the shape. */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** Returns the number of elements. */
    public int elementCount() {
        return elementCount(name, shape);
    }

    /** A float64 tensor whose values are read from {@code values} when the file is written. */
    public static OutputTensor of(String name, double[] values, int... shape) {
        checkLength(name, values.length, shape);
        return new OutputTensor(name, DType.F64, shape, i -> values[i]);
    }

    /** A float32 tensor whose values are read from {@code values} when the file is written. */
    public static OutputTensor of(String name, float[] values, int... shape) {
        checkLength(name, values.length, shape);
        return new OutputTensor(name, DType.F32, shape, i -> values[i]);
    }

    /** The values of a parameter, under its name: F64 for a {@link DoubleParameter}, F32 for a {@link FloatParameter}. */
    public static OutputTensor of(Parameter p) {
        if (p instanceof DoubleParameter d) {
            return of(d.name(), d.value, d.shape());
        }
        FloatParameter f = (FloatParameter) p;
        return of(f.name(), f.value, f.shape());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OutputTensor t && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && values.equals(t.values);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), values);
    }

    @Override
    public String toString() {
        return "'" + name + "' " + dtype + " " + Arrays.toString(shape);
    }

    private static void checkLength(String name, int length, int[] shape) {
        int n = elementCount(name, shape);
        if (n != length) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " has "
                    + n + " elements, the array " + length);
        }
    }

    private static int elementCount(String name, int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': negative dimension in " + Arrays.toString(shape));
            }
            n *= d;
            if (n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " is too large");
            }
        }
        return (int) n;
    }
}
