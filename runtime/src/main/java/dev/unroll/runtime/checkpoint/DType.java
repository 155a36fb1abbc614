package dev.unroll.runtime.checkpoint;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The element types of the safetensors format, by the names its header uses ({@code "F32"} ...).
 *
 * <p>{@link SafeTensors} reads every one of them (converting to double on request); it writes only
 * {@link #F64} and {@link #F32}, the two precisions Unroll models have.
 */
public enum DType {
    /** Boolean, one byte, 0 or 1. */
    BOOL(1, false),
    /** Unsigned 8-bit integer. */
    U8(1, false),
    /** Signed 8-bit integer. */
    I8(1, false),
    /** 8-bit float, 5 exponent bits, 2 mantissa bits (IEEE-like, with infinities). */
    F8_E5M2(1, true),
    /** 8-bit float, 4 exponent bits, 3 mantissa bits ("FN" variant: no infinities, NaN = S.1111.111). */
    F8_E4M3(1, true),
    /** Signed 16-bit integer. */
    I16(2, false),
    /** Unsigned 16-bit integer. */
    U16(2, false),
    /** IEEE 754 half precision. */
    F16(2, true),
    /** bfloat16: the upper half of a float32. */
    BF16(2, true),
    /** Signed 32-bit integer. */
    I32(4, false),
    /** Unsigned 32-bit integer. */
    U32(4, false),
    /** IEEE 754 single precision. */
    F32(4, true),
    /** Signed 64-bit integer. */
    I64(8, false),
    /** Unsigned 64-bit integer (values above 2^63 - 1 convert to double with rounding). */
    U64(8, false),
    /** IEEE 754 double precision. */
    F64(8, true);

    private final int byteSize;
    private final boolean floatingPoint;

    DType(int byteSize, boolean floatingPoint) {
        this.byteSize = byteSize;
        this.floatingPoint = floatingPoint;
    }

    /** Returns the number of bytes one element takes. */
    public int byteSize() {
        return byteSize;
    }

    /** Returns true for the floating-point types (F8_*, F16, BF16, F32, F64). */
    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    /** Returns the type called {@code name} in a safetensors header (exact, case-sensitive), if any. */
    public static Optional<DType> fromHeaderName(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /** Returns the header names of all types, for messages. */
    static String knownNames() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }
}
