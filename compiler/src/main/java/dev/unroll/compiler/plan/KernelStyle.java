package dev.unroll.compiler.plan;

/**
 * How the generated code writes its matrix products: as plain Java loops that C2 vectorizes on its own (the
 * default, runs on any JVM 17 or later), or with {@code jdk.incubator.vector} at a fixed vector width, an opt-in
 * that needs {@code --add-modules jdk.incubator.vector} to compile and to run the generated classes.
 *
 * <p>Both compute the same function; they round differently (the vector code accumulates a block of rows in
 * registers with fused multiply-adds, the plain code four columns at a time with separate multiplies and adds),
 * so their results agree to rounding, not to the bit. The width is fixed when the code is generated because the
 * vector code keeps whole blocks of rows in registers: the number of registers a block takes is the number of its
 * rows over the lanes of one vector, and that must be a constant for the JIT to keep them there. On a JVM whose
 * processor has narrower vectors the code still computes the same results, much more slowly (the API falls back
 * to Java loops): choose the width of the machines the model runs on (256 for AVX2, 512 for AVX-512, 128 for
 * NEON).
 *
 * @param vectorBits 0 for plain Java, else the width of the vectors: 128, 256 or 512
 */
public record KernelStyle(int vectorBits) {
    /** Plain Java loops: the default. */
    public static final KernelStyle PLAIN = new KernelStyle(0);

    public KernelStyle {
        if (vectorBits != 0 && vectorBits != 128 && vectorBits != 256 && vectorBits != 512) {
            throw new IllegalArgumentException("vector width " + vectorBits
                    + " bits: the Vector API's are 128, 256 and 512 (or 0 for plain Java loops)");
        }
    }

    /** Returns the style of vectors of {@code bits} bits: 128, 256 or 512. */
    public static KernelStyle vector(int bits) {
        if (bits == 0) {
            throw new IllegalArgumentException("vector width 0 bits: the Vector API's are 128, 256 and 512");
        }
        return new KernelStyle(bits);
    }

    /** Returns true for the Vector API. */
    public boolean isVector() {
        return vectorBits != 0;
    }

    /** Returns the lanes of one vector of elements of {@code elementBits} bits (32 or 64). */
    public int lanes(int elementBits) {
        if (!isVector()) {
            throw new IllegalStateException("plain Java kernels have no vectors");
        }
        return vectorBits / elementBits;
    }

    /** Returns {@code plain} or {@code vector N}, as messages and the generated Javadoc say it. */
    public String description() {
        return isVector() ? "jdk.incubator.vector, " + vectorBits + "-bit vectors" : "plain Java loops";
    }
}
