package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.compiler.plan.KernelStyle;
import dev.unroll.compiler.plan.Planner;
import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.runtime.Activations;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Vector API element-wise helpers of float LSTMs and GRUs compute what the plain loops compute, to the bit: the
 * LSTM gate activations ({@code gates{4H}}: {@code Activations.gate(a, scale, shift)} per row), the LSTM cell update
 * ({@code lstmCell{H}}: {@code c = f c + i g}, {@code tanh(c)}, {@code h = o tanh(c)}) and the GRU cell
 * ({@code gruCell{H}}: {@code r, z = sigmoid}, {@code n = tanh(xin_n + r hid_n)}, {@code h = (1 - z) n + z h}), each
 * called by reflection on
 * random values from 1e-3 to 1e3 in magnitude, with NaN, infinities, signed zeros and subnormals among them, at
 * every vector width and at a hidden size whose rows end in a partial vector (37, so 4H = 148). Bit identity is the
 * claim these helpers make (the same operations in the same order, no fused multiply-add), which is what lets a vector
 * model's activations need no tolerance of their own.
 */
class VectorCellBitsTest {
    @TempDir
    Path work;

    @Test
    void gatesAndCellUpdateMatchTheScalarLoopsBitForBit() throws Exception {
        for (int bits : new int[] {128, 256, 512}) {
            for (int hidden : new int[] {16, 37}) {
                check(bits, hidden);
                checkGru(bits, hidden);
            }
        }
    }

    private void checkGru(int bits, int hidden) throws Exception {
        String name = "Gru" + bits + "H" + hidden;
        NetworkModel model = GeneratedCode.model(name + ".rnn", "package bits;\nmodel " + name + " {\n    input 3;\n"
                + "    gru " + hidden + ";\n    output 2;\n    many_to_many steps 2;\n    loss mse;\n"
                + "    precision float32;\n}\n");
        Class<?> type = GeneratedCode.compile(List.of(model), work.resolve(name),
                Planner.Options.DEFAULT.withKernels(KernelStyle.vector(bits))).get("bits." + name);
        Method cell = type.getDeclaredMethod("gruCell" + hidden, float[].class, float[].class, float[].class);
        cell.setAccessible(true);
        SplittableRandom random = new SplittableRandom(bits * 7000L + hidden);
        int h = hidden;
        for (int round = 0; round < 2000; round++) {
            float[] xin = values(random, 3 * h);
            float[] hid = values(random, 3 * h);
            float[] hs = values(random, h);
            float[] x = xin.clone();
            float[] hPrev = hs.clone();
            for (int k = 0; k < 2 * h; k++) {
                x[k] = Activations.sigmoid(x[k] + hid[k]);
            }
            float[] expected = new float[h];
            for (int j = 0; j < h; j++) {
                x[2 * h + j] = Activations.tanh(x[2 * h + j] + x[j] * hid[2 * h + j]);
                expected[j] = (1 - x[h + j]) * x[2 * h + j] + x[h + j] * hPrev[j];
            }
            cell.invoke(null, xin, hid, hs);
            assertSameBits(x, xin, "GRU gates, " + bits + " bits, H " + hidden);
            assertSameBits(expected, hs, "GRU h, " + bits + " bits, H " + hidden);
        }
    }

    private void check(int bits, int hidden) throws Exception {
        String name = "Cell" + bits + "H" + hidden;
        NetworkModel model = GeneratedCode.model(name + ".rnn", "package bits;\nmodel " + name + " {\n    input 3;\n"
                + "    lstm " + hidden + ";\n    output 2;\n    many_to_many steps 2;\n    loss mse;\n"
                + "    precision float32;\n}\n");
        Map<String, Class<?>> classes = GeneratedCode.compile(List.of(model), work.resolve(name),
                Planner.Options.DEFAULT.withKernels(KernelStyle.vector(bits)));
        Class<?> type = classes.get("bits." + name);
        Method gates = type.getDeclaredMethod("gates" + 4 * hidden, float[].class, float[].class, float[].class);
        Method cell = type.getDeclaredMethod("lstmCell" + hidden, float[].class, float[].class, float[].class,
                float[].class);
        gates.setAccessible(true);
        cell.setAccessible(true);
        float[] scales = Activations.lstmGateScales(hidden);
        float[] shifts = Activations.lstmGateShifts(hidden);
        SplittableRandom random = new SplittableRandom(bits * 1000L + hidden);
        int g = 4 * hidden;
        for (int round = 0; round < 2000; round++) {
            float[] a = values(random, g);
            float[] expected = a.clone();
            for (int k = 0; k < g; k++) {
                expected[k] = Activations.gate(expected[k], scales[k], shifts[k]);
            }
            gates.invoke(null, a, scales, shifts);
            assertSameBits(expected, a, "gates, " + bits + " bits, H " + hidden);

            float[] cs = values(random, hidden);
            float[] c = cs.clone();
            float[] ts = new float[hidden];
            float[] hs = new float[hidden];
            cell.invoke(null, a, cs, ts, hs);
            for (int j = 0; j < hidden; j++) {
                float next = a[hidden + j] * c[j] + a[j] * a[2 * hidden + j];
                float tc = Activations.tanh(next);
                assertEquals(Float.floatToIntBits(next), Float.floatToIntBits(cs[j]), "c[" + j + "]");
                assertEquals(Float.floatToIntBits(tc), Float.floatToIntBits(ts[j]), "tanh(c)[" + j + "]");
                assertEquals(Float.floatToIntBits(a[3 * hidden + j] * tc), Float.floatToIntBits(hs[j]),
                        "h[" + j + "]");
            }
        }
    }

    private static float[] values(SplittableRandom random, int n) {
        float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0.0f, 0.0f,
            Float.MIN_VALUE, -Float.MIN_NORMAL / 3, 7.90531110763549805f, -8f, 1e30f};
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = random.nextInt(50) == 0 ? specials[random.nextInt(specials.length)]
                    : (float) ((random.nextBoolean() ? 1 : -1) * Math.pow(10, random.nextDouble(-3, 3)));
        }
        return x;
    }

    /** Same bits, every NaN counted as the same NaN ({@code floatToIntBits}). */
    private static void assertSameBits(float[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            int e = Float.floatToIntBits(expected[i]);
            int got = Float.floatToIntBits(actual[i]);
            final int at = i;
            assertTrue(e == got, () -> what + ": [" + at + "] " + expected[at] + " expected, got " + actual[at]);
        }
    }
}
