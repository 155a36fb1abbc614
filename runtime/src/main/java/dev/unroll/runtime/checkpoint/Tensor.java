package dev.unroll.runtime.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One tensor read from a safetensors file: its name, element type, shape and little-endian bytes.
 *
 * <p>Instances come from {@link SafeTensors#read}, which has already checked that the byte count
 * matches the shape and the type, so the accessors cannot run past the data. The values can be
 * read in any of the {@link DType}s, converted to double (exact for every type but U64 and I64
 * beyond 2^53).
 */
public final class Tensor {
    private final String name;
    private final DType dtype;
    private final int[] shape;
    private final int elementCount;
    private final ByteBuffer data;

    Tensor(String name, DType dtype, int[] shape, ByteBuffer data) {
        this.name = name;
        this.dtype = dtype;
        this.shape = shape.clone();
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        if (n * dtype.byteSize() != data.remaining()) {
            throw new IllegalArgumentException("tensor '" + name + "': " + data.remaining()
                    + " bytes for shape " + Arrays.toString(shape) + " of " + dtype);
        }
        this.elementCount = (int) n;
        this.data = data.slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Returns the tensor's name as written in the file, e.g. {@code lstm.weight_ih_l0}. */
    public String name() {
        return name;
    }

    /** Returns the element type. */
    public DType dtype() {
        return dtype;
    }

    /** Returns a copy of the shape ({@code []} for a scalar). */
    public int[] shape() {
        return shape.clone();
    }

    /** Returns the number of elements (1 for a scalar, 0 when a dimension is 0). */
    public int elementCount() {
        return elementCount;
    }

    /** Returns a read-only little-endian view of the raw bytes. */
    public ByteBuffer data() {
        return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Returns element {@code i} (row-major) converted to double. */
    public double getDouble(int i) {
        if (i < 0 || i >= elementCount) {
            throw new IndexOutOfBoundsException("tensor '" + name + "' has " + elementCount
                    + " elements, no index " + i);
        }
        int at = i * dtype.byteSize();
        switch (dtype) {
            case F64:
                return data.getDouble(at);
            case F32:
                return data.getFloat(at);
            case F16:
                return halfToFloat(data.getShort(at));
            case BF16:
                return Float.intBitsToFloat((data.getShort(at) & 0xffff) << 16);
            case F8_E5M2:
                return halfToFloat((short) ((data.get(at) & 0xff) << 8));
            case F8_E4M3:
                return e4m3ToFloat(data.get(at));
            case I64:
                return data.getLong(at);
            case U64: {
                long v = data.getLong(at);
                return v >= 0 ? v : ((double) ((v >>> 1) | (v & 1))) * 2.0;
            }
            case I32:
                return data.getInt(at);
            case U32:
                return data.getInt(at) & 0xffffffffL;
            case I16:
                return data.getShort(at);
            case U16:
                return data.getShort(at) & 0xffff;
            case I8:
                return data.get(at);
            case U8:
            case BOOL:
                return data.get(at) & 0xff;
            default:
                throw new AssertionError(dtype);
        }
    }

    /** Returns all elements converted to double, row-major. */
    public double[] toDoubleArray() {
        double[] out = new double[elementCount];
        if (dtype == DType.F64) {
            data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(out);
            return out;
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = getDouble(i);
        }
        return out;
    }

    /** Returns all elements converted to float (rounded to nearest for F64 and wide integers). */
    public float[] toFloatArray() {
        float[] out = new float[elementCount];
        if (dtype == DType.F32) {
            data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) getDouble(i);
        }
        return out;
    }

    /**
     * Returns all elements as longs; only for the integer and boolean types. U64 values above
     * 2^63 - 1 come out as their two's-complement bits (negative), as {@code Long.toUnsignedString} reads them.
     *
     * @throws IllegalStateException for a floating-point tensor
     */
    public long[] toLongArray() {
        if (dtype.isFloatingPoint()) {
            throw new IllegalStateException("tensor '" + name + "' is " + dtype + ", not an integer type");
        }
        long[] out = new long[elementCount];
        for (int i = 0; i < out.length; i++) {
            out[i] = dtype == DType.I64 || dtype == DType.U64
                    ? data.getLong(i * 8) : (long) getDouble(i);
        }
        return out;
    }

    /** Returns {@code 'name' F32 [3, 4]} for messages. */
    @Override
    public String toString() {
        return "'" + name + "' " + dtype + " " + Arrays.toString(shape);
    }

    /** Converts IEEE 754 half-precision bits to float (exact). */
    static float halfToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h >>> 15) << 31;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    /** Converts float8 E4M3FN bits to float (exact). */
    static float e4m3ToFloat(byte bits) {
        int b = bits & 0xff;
        boolean negative = (b & 0x80) != 0;
        int exp = (b >>> 3) & 0xf;
        int mant = b & 0x7;
        float v;
        if (exp == 0xf && mant == 0x7) {
            v = Float.NaN;
        } else if (exp == 0) {
            v = mant * 0x1p-9f;
        } else {
            v = (1 + mant / 8f) * Math.scalb(1f, exp - 7);
        }
        return negative ? -v : v;
    }
}
