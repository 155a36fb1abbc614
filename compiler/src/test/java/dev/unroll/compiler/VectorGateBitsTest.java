package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.unroll.compiler.codegen.ModelWriter;
import dev.unroll.compiler.plan.KernelStyle;
import dev.unroll.compiler.plan.Planner;
import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.runtime.Activations;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Vector API gate helper {@code gates{n}} that float LSTMs with vector kernels generate equals
 * {@link Activations#gate(float, float, float)} (what the plain kernels call) to the bit, as its Javadoc and
 * {@code Kernels.gateLoop} claim. The helper is the real generated one: float LSTM models of hidden sizes 5, 13 and
 * 32 (4H = 20, 52, 128 gate rows) are generated and compiled with 128-, 256- and 512-bit kernels, and their private
 * static {@code gates{4H}} is called through a method handle. Every one of 4H = 20 and 52 at 256 and 512 bits has
 * rows past the last whole vector (the helper's scalar tail), 128 at every width has none, and 4H is always a
 * multiple of the 4 lanes of 128 bits.
 *
 * <p>Each helper gets over a million floats: random bit patterns (NaNs with payloads, infinities, subnormals, huge
 * values), random magnitudes from 2^-30 to 2^12 of both signs (the polynomial's range, the clamp at +-7.905 and past
 * it), uniform values in [-10, 10], values within a few ulps of the clamp for both scales, and a list of specials
 * (+-0, +-Inf, NaNs, +-MIN_VALUE, +-MIN_NORMAL, +-MAX_VALUE), each special at every index of the array (every lane
 * of every vector and of the tail). Every array is run with the LSTM's own per-row constants
 * ({@link Activations#lstmGateScales}, {@link Activations#lstmGateShifts}) and again with all rows 0.5 / 0.5
 * (sigmoid) and all rows 1 / 0 (tanh), so every value meets both. Equal means equal raw bits, except that a NaN
 * only has to meet a NaN. The specials run first (the helper interpreted, the Vector API's Java fallback) and again
 * after the million values (by then compiled by C2, the intrinsics).
 *
 * <p>Below the lanes of one vector there is no helper: an LSTM of 4H = 12 rows at 512 bits (16 lanes) keeps the
 * plain loop.
 */
class VectorGateBitsTest {
    @TempDir
    static Path work;

    private static final int[] HIDDEN = {5, 13, 32};
    private static final int[] WIDTHS = {128, 256, 512};
    /** Random values per helper, before the specials (which are added at every index, twice). */
    private static final int RANDOM_VALUES = 1 << 20;

    private static final Map<String, Class<?>> classes = new LinkedHashMap<>();

    private static String spec(String pkg, String name, int hidden) {
        return "package " + pkg + ";\n"
                + "model " + name + " {\n"
                + "    input 3;\n"
                + "    lstm " + hidden + ";\n"
                + "    output 2 softmax;\n"
                + "    many_to_many steps 2;\n"
                + "    precision float32;\n"
                + "}\n";
    }

    @BeforeAll
    static void compile() {
        for (int bits : WIDTHS) {
            List<NetworkModel> models = new ArrayList<>();
            for (int h : HIDDEN) {
                models.add(GeneratedCode.model("g" + h + ".rnn", spec("gates.v" + bits, "Lstm" + h, h)));
            }
            classes.putAll(GeneratedCode.compile(models, work.resolve("v" + bits),
                    Planner.Options.DEFAULT.withKernels(KernelStyle.vector(bits))));
        }
    }

    @TestFactory
    Stream<DynamicTest> generatedGateHelperHasTheScalarBits() {
        List<DynamicTest> tests = new ArrayList<>();
        for (int bits : WIDTHS) {
            for (int h : HIDDEN) {
                int n = 4 * h;
                int lanes = bits / 32;
                String name = "gates" + n + " at " + bits + " bits (" + n / lanes + " vectors of " + lanes
                        + ", tail " + n % lanes + ")";
                tests.add(DynamicTest.dynamicTest(name, () -> check(classes.get("gates.v" + bits + ".Lstm" + h), h)));
            }
        }
        return tests.stream();
    }

    /** Some helpers have a tail: the test covers both kinds. */
    @Test
    void theWidthsAndSizesIncludeTails() {
        int tails = 0;
        int whole = 0;
        for (int bits : WIDTHS) {
            for (int h : HIDDEN) {
                if (4 * h % (bits / 32) == 0) {
                    whole++;
                } else {
                    tails++;
                }
            }
        }
        assertTrue(tails >= 4 && whole >= 4, tails + " helpers with a tail, " + whole + " without");
    }

    @Test
    void belowOneVectorTheGatesStayPlainAndAboveItTheCellCallsTheHelper() {
        NetworkModel small = GeneratedCode.model("g3.rnn", spec("gates.small", "Lstm3", 3));
        String at512 = source(small, 512);
        assertFalse(at512.contains("gates12("), "12 rows are fewer than the 16 lanes of 512 bits: no helper");
        assertTrue(at512.contains("Activations.gate(a[k], gateScales[k], gateShifts[k])"), "the plain gate loop");
        String at256 = source(small, 256);
        assertTrue(at256.contains("gates12(a, gateScales, gateShifts);"), "12 rows at 8 lanes: the helper");
        String plain = ModelWriter.write(Planner.planOrThrow(small, Planner.Options.DEFAULT)).toString();
        assertFalse(plain.contains("gates12") || plain.contains("jdk.incubator.vector"), "plain kernels: no vectors");
    }

    private static String source(NetworkModel model, int bits) {
        return ModelWriter.write(Planner.planOrThrow(model,
                Planner.Options.DEFAULT.withKernels(KernelStyle.vector(bits)))).toString();
    }

    private static void check(Class<?> type, int h) throws Throwable {
        int n = 4 * h;
        Method m = type.getDeclaredMethod("gates" + n, float[].class, float[].class, float[].class);
        m.setAccessible(true);
        MethodHandle gates = MethodHandles.lookup().unreflect(m);
        float[][] scales = {Activations.lstmGateScales(h), filled(n, 0.5f), filled(n, 1f)};
        float[][] shifts = {Activations.lstmGateShifts(h), filled(n, 0.5f), filled(n, 0f)};
        // the LSTM's own constants are 0.5 / 0.5 and 1 / 0, as the test means them
        assertEquals(0.5f, scales[0][0]);
        assertEquals(1f, scales[0][2 * h]);
        assertEquals(0f, shifts[0][2 * h]);

        Checker checker = new Checker(gates, n, scales, shifts);
        float[] specials = specials();
        // the specials at every index: the helper not yet compiled
        checker.everyIndex(specials);
        SplittableRandom random = new SplittableRandom(0x6a7e5L + n);
        float[] chunk = new float[n];
        for (int done = 0; done < RANDOM_VALUES; done += n) {
            for (int k = 0; k < n; k++) {
                chunk[k] = randomFloat(random);
            }
            checker.run(chunk);
        }
        // again, the helper long since compiled by C2
        checker.everyIndex(specials);
        assertTrue(checker.values >= 1_000_000, checker.values + " values");
        assertTrue(checker.nans > 0 && checker.finiteNonZero > 900_000,
                checker.nans + " NaN results, " + checker.finiteNonZero + " finite non-zero ones");
        if (!checker.failures.isEmpty()) {
            fail(checker.failureCount + " of " + checker.values * 3 + " gates differ from Activations.gate, e.g.\n"
                    + String.join("\n", checker.failures));
        }
    }

    /** Runs arrays through the helper and compares each element with the scalar gate. */
    private static final class Checker {
        final MethodHandle gates;
        final int n;
        final float[][] scales;
        final float[][] shifts;
        final float[] a;
        final float[] expected;
        long values;
        long nans;
        long finiteNonZero;
        long failureCount;
        final List<String> failures = new ArrayList<>();

        Checker(MethodHandle gates, int n, float[][] scales, float[][] shifts) {
            this.gates = gates;
            this.n = n;
            this.scales = scales;
            this.shifts = shifts;
            this.a = new float[n];
            this.expected = new float[n];
        }

        /** Each value at each index in turn, the other indices filled with the values after it. */
        void everyIndex(float[] specials) throws Throwable {
            float[] chunk = new float[n];
            for (int s = 0; s < specials.length; s++) {
                for (int at = 0; at < n; at++) {
                    for (int k = 0; k < n; k++) {
                        chunk[k] = specials[(s + k - at + specials.length * n) % specials.length];
                    }
                    run(chunk);
                }
            }
        }

        void run(float[] chunk) throws Throwable {
            values += n;
            for (int set = 0; set < scales.length; set++) {
                float[] sc = scales[set];
                float[] sh = shifts[set];
                for (int k = 0; k < n; k++) {
                    expected[k] = Activations.gate(chunk[k], sc[k], sh[k]);
                }
                System.arraycopy(chunk, 0, a, 0, n);
                gates.invokeExact(a, sc, sh);
                for (int k = 0; k < n; k++) {
                    float e = expected[k];
                    float v = a[k];
                    if (set == 0) {
                        if (Float.isNaN(e)) {
                            nans++;
                        } else if (Float.isFinite(e) && e != 0) {
                            finiteNonZero++;
                        }
                    }
                    boolean same = Float.isNaN(e) ? Float.isNaN(v)
                            : Float.floatToRawIntBits(e) == Float.floatToRawIntBits(v);
                    if (!same) {
                        failureCount++;
                        if (failures.size() < 20) {
                            failures.add(String.format("x = %s (0x%08x), scale %s, shift %s, row %d of %d:"
                                    + " Activations.gate %s (0x%08x), helper %s (0x%08x)", chunk[k],
                                    Float.floatToRawIntBits(chunk[k]), sc[k], sh[k], k, n, e,
                                    Float.floatToRawIntBits(e), v, Float.floatToRawIntBits(v)));
                        }
                    }
                }
            }
        }
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    /** One of five kinds of random float, in turn at random. */
    private static float randomFloat(SplittableRandom random) {
        switch (random.nextInt(5)) {
            case 0:
                // any bit pattern: NaNs with payloads, infinities, subnormals, huge values
                return Float.intBitsToFloat(random.nextInt());
            case 1: {
                // magnitudes 2^-30 to 2^12, both signs
                float v = (float) Math.scalb(1 + random.nextDouble(), random.nextInt(-30, 12));
                return random.nextBoolean() ? v : -v;
            }
            case 2:
                return (float) random.nextDouble(-10, 10);
            case 3: {
                // within 8 ulps of the clamp, as x (scale 1) or as 2x (scale 0.5)
                float clamp = 7.90531110763549805f * (random.nextBoolean() ? 1 : 2);
                float v = Float.intBitsToFloat(Float.floatToRawIntBits(clamp) + random.nextInt(-8, 9));
                return random.nextBoolean() ? v : -v;
            }
            default:
                // subnormals and the smallest normals
                return Float.intBitsToFloat((random.nextBoolean() ? 0x80000000 : 0) | random.nextInt(0x01000000));
        }
    }

    private static float[] specials() {
        float clamp = 7.90531110763549805f;
        return new float[] {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
            Float.intBitsToFloat(0x7fc00001), Float.intBitsToFloat(0xffc00000), Float.intBitsToFloat(0x7f800001),
            Float.intBitsToFloat(0xff800001), Float.intBitsToFloat(0x7fffffff), Float.MIN_VALUE, -Float.MIN_VALUE,
            Float.MIN_NORMAL, -Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 1f, -1f, 0.5f, -0.5f, clamp,
            -clamp, Math.nextUp(clamp), Math.nextDown(clamp), 2 * clamp, -2 * clamp, Math.nextUp(2 * clamp),
            Math.nextDown(-2 * clamp), 1e-20f, -1e-20f, 1e20f, -1e20f, 3.4e38f, Float.intBitsToFloat(0x00000002)};
    }
}
