package dev.unroll.compiler.codegen;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import java.util.List;

/**
 * The loop shapes every emitter and writer shares, written once. Each emits straight Java with
 * constant bounds, shaped for what C2 (JDK 17 and 25) vectorizes, measured rather than assumed:
 * inner loops index arrays at offset 0 or at constant offsets, never at an offset computed from an
 * outer loop's variable ({@code W[k * cols + i]} ran 4x slower, unvectorized) nor at several
 * variable offsets in one loop.
 */
public final class Kernels {
    private Kernels() {}

    /**
     * Opens {@code for (int v = from; v < to; v++)}, or, for a range of one, a block that declares
     * {@code final int v = from}: the generated code has no loop that runs once. Close with {@link #endLoop}.
     */
    public static void beginLoop(CodeBlock.Builder b, String variable, int from, int to) {
        if (to - from == 1) {
            b.add("{\n").indent().addStatement("final int $L = $L", variable, from);
        } else {
            b.beginControlFlow("for (int $L = $L; $L < $L; $L++)", variable, from, variable, to, variable);
        }
    }

    /** Closes what {@link #beginLoop} opened. */
    public static void endLoop(CodeBlock.Builder b) {
        b.unindent().add("}\n");
    }

    /**
     * Emits {@code array[k] = Activations.function(array[k])} for {@code k} in {@code [from, to)}: one loop per
     * function, so that each vectorizes.
     */
    public static void activationLoop(CodeBlock.Builder b, String array, int from, int to, String function) {
        beginLoop(b, "k", from, to);
        b.addStatement("$L[k] = $T.$L($L[k])", array, RuntimeTypes.ACTIVATIONS, function, array);
        endLoop(b);
    }

    /**
     * Emits {@code acc[0, length) += sum_i src[srcOffset + i] * columns[i][0, length)} for {@code i < count}, four
     * columns per pass over {@code acc}: fewer loads and stores of {@code acc} per multiply, and a quarter of the
     * loops' fixed cost (C2's pre- and post-loops), which dominates at small sizes. Measured alone (medians of five
     * JVMs, JDK 17): four per pass took 0.78-0.91 of the time of two per pass for 96 or 192 columns of 32 to 512;
     * eight per pass ran out of registers above 64. The forward pass uses it over packed {@code W^T} (the columns
     * of {@code W}), the backward pass over row copies of {@code W} to form {@code W^T dz}.
     */
    public static void axpyColumns(CodeBlock.Builder b, Num num, String acc, String columns, String src,
            String srcOffset, int count, int length) {
        axpyColumns(b, num, acc, 0, columns, src, srcOffset, 0, count, 0, length, null);
    }

    /**
     * {@link #axpyColumns(CodeBlock.Builder, Num, String, String, String, String, int, int)} over a matrix stored
     * as {@code layout} says: what the Vector API kernels need (null for plain kernels).
     */
    public static void axpyColumns(CodeBlock.Builder b, Num num, String acc, String columns, String src,
            String srcOffset, int count, int length, BlockLayout layout) {
        axpyColumns(b, num, acc, 0, columns, src, srcOffset, 0, count, 0, length, layout);
    }

    /**
     * Emits {@code acc[0, length) += sum_i src[srcOffset + i] * columns[i][first, first + length)} for {@code i} in
     * {@code [firstColumn, firstColumn + count)}, the shape of {@link #axpyColumns(CodeBlock.Builder, Num, String,
     * String, String, String, int, int)} over a range of the columns and of their elements, both constant: a block
     * of gate rows of a stacked weight (the Cho GRU's {@code W_hn}, whose input is not {@code h_{t-1}}), without a
     * copy of it.
     */
    public static void axpyColumns(CodeBlock.Builder b, Num num, String acc, String columns, String src,
            String srcOffset, int firstColumn, int count, int first, int length) {
        axpyColumns(b, num, acc, 0, columns, src, srcOffset, firstColumn, count, first, length, null);
    }

    /** The form above over a matrix stored as {@code layout} says (null for plain kernels). */
    public static void axpyColumns(CodeBlock.Builder b, Num num, String acc, String columns, String src,
            String srcOffset, int firstColumn, int count, int first, int length, BlockLayout layout) {
        axpyColumns(b, num, acc, 0, columns, src, srcOffset, firstColumn, count, first, length, layout);
    }

    /**
     * Emits {@code acc[accFirst + k] += sum_i src[srcOffset + i] * columns[i][first + k]} for {@code k < length} and
     * {@code i} in {@code [firstColumn, firstColumn + count)}: the shape of {@link #axpyColumns(CodeBlock.Builder,
     * Num, String, String, String, String, int, int)} into a range of {@code acc}, both offsets constant. A step cut
     * by rows (a two-thread step) fills rows {@code [first, first + length)} of the pre-activations with it; each
     * element gets the same operations in the same order as from the whole loop, so the bits do not change.
     */
    public static void axpyColumns(CodeBlock.Builder b, Num num, String acc, int accFirst, String columns, String src,
            String srcOffset, int firstColumn, int count, int first, int length) {
        axpyColumns(b, num, acc, accFirst, columns, src, srcOffset, firstColumn, count, first, length, null);
    }

    /**
     * The form above over a matrix stored as {@code layout} says. With Vector API kernels {@code columns} is one
     * flat array in {@link BlockLayout blocks of rows}; with plain kernels one array per column, and {@code layout}
     * is null.
     */
    public static void axpyColumns(CodeBlock.Builder b, Num num, String acc, int accFirst, String columns, String src,
            String srcOffset, int firstColumn, int count, int first, int length, BlockLayout layout) {
        if (num.isVector()) {
            if (layout == null) {
                throw new IllegalArgumentException("the Vector API kernels need the weights' layout");
            }
            VectorKernels.axpyColumns(b, num, acc, accFirst, columns, src, srcOffset, firstColumn, count, first, length,
                    layout);
            return;
        }
        plainAxpyColumns(b, num, acc, accFirst, columns, src, srcOffset, firstColumn, count, first, length);
    }

    /**
     * Emits {@code array[k] = Activations.gate(array[k], scales[k], shifts[k])} for {@code k < length} (float), as a
     * call of the class's Vector API helper when the kernels are vectors, else as the loop the plain code has always
     * had. The helper computes {@code Activations.tanh(float)} lane by lane with the same operations in the same order
     * (multiplies, adds, one divide, the clamp as min and max; no fused multiply-add), so its results are the plain
     * loop's to the bit.
     */
    public static void gateLoop(CodeBlock.Builder b, Num num, String array, String scales, String shifts,
            int length) {
        if (!num.isFloat()) {
            throw new IllegalArgumentException("the gate loop is float's");
        }
        if (num.isVector() && length >= num.lanes()) {
            String name = num.vectorMethods().use("gates" + length, List.of(length),
                    n -> VectorKernels.gates(num, n, length));
            b.addStatement("$L($L, $L, $L)", name, array, scales, shifts);
            return;
        }
        beginLoop(b, "k", 0, length);
        b.addStatement("$L[k] = $T.gate($L[k], $L[k], $L[k])", array, RuntimeTypes.ACTIVATIONS, array, scales, shifts);
        endLoop(b);
    }

    private static void plainAxpyColumns(CodeBlock.Builder b, Num num, String acc, int accFirst, String columns,
            String src, String srcOffset, int firstColumn, int count, int first, int length) {
        String t = num.keyword();
        int quads = count - count % 4;
        String element = first == 0 ? "k" : first + " + k";
        String accElement = accFirst == 0 ? "k" : accFirst + " + k";
        if (quads > 0) {
            if (quads == 4) {
                b.add("{\n").indent().addStatement("final int i = $L", firstColumn);
            } else {
                b.beginControlFlow("for (int i = $L; i < $L; i += 4)", firstColumn, firstColumn + quads);
            }
            for (int c = 0; c < 4; c++) {
                b.addStatement("final $L s$L = $L[$L + i$L]", t, c, src, srcOffset, c == 0 ? "" : " + " + c);
            }
            for (int c = 0; c < 4; c++) {
                b.addStatement("final $L[] c$L = $L[i$L]", t, c, columns, c == 0 ? "" : " + " + c);
            }
            beginLoop(b, "k", 0, length);
            b.addStatement("$L[$L] += (s0 * c0[$L] + s1 * c1[$L]) + (s2 * c2[$L] + s3 * c3[$L])", acc, accElement,
                    element, element, element, element);
            endLoop(b);
            endLoop(b);
        }
        int rest = count % 4;
        if (rest > 0) {
            b.add("// the last $L column$L\n", rest, rest == 1 ? "" : "s").add("{\n").indent();
            for (int c = 0; c < rest; c++) {
                b.addStatement("final $L s$L = $L[$L + $L]", t, c, src, srcOffset, firstColumn + quads + c);
            }
            for (int c = 0; c < rest; c++) {
                b.addStatement("final $L[] c$L = $L[$L]", t, c, columns, firstColumn + quads + c);
            }
            String sum = switch (rest) {
                case 1 -> "s0 * c0[k]";
                case 2 -> "s0 * c0[k] + s1 * c1[k]";
                default -> "(s0 * c0[k] + s1 * c1[k]) + s2 * c2[k]";
            };
            sum = sum.replace("[k]", "[" + element + "]");
            beginLoop(b, "k", 0, length);
            b.addStatement("$L[$L] += $L", acc, accElement, sum);
            endLoop(b);
            b.unindent().add("}\n");
        }
    }

    /**
     * Emits the gradient of a weight as one outer-product row per pass, {@code grad[r][0, cols) += d_r * x[0, cols)}
     * with {@code d_r = dz[dzOffset + r]}, and, when {@code biasGrad} is not null, {@code biasGrad[r] += d_r} in the
     * same pass. The rows are the workspace's per-row gradient arrays, so the inner loop vectorizes.
     */
    public static void outerProductRows(CodeBlock.Builder b, Num num, String row, int rows, String dz,
            String dzOffset, String grad, String biasGrad, String column, String x, int cols) {
        outerProductRows(b, num, row, 0, rows, dz, dzOffset, grad, biasGrad, column, x, cols);
    }

    /**
     * Emits {@link #outerProductRows(CodeBlock.Builder, Num, String, int, String, String, String, String, String,
     * String, int)} over the rows {@code [from, to)} of {@code grad} (and of {@code dz}): a block of gate rows.
     */
    public static void outerProductRows(CodeBlock.Builder b, Num num, String row, int from, int to, String dz,
            String dzOffset, String grad, String biasGrad, String column, String x, int cols) {
        beginLoop(b, row, from, to);
        b.addStatement("final $L d = $L[$L$L]", num.keyword(), dz, dzOffset == null ? "" : dzOffset + " + ", row);
        b.addStatement("final $L[] gRow = $L[$L]", num.keyword(), grad, row);
        if (biasGrad != null) {
            b.addStatement("$L[$L] += d", biasGrad, row);
        }
        beginLoop(b, column, 0, cols);
        b.addStatement("gRow[$L] += d * $L[$L]", column, x, column);
        endLoop(b);
        endLoop(b);
    }

    /**
     * Emits the gradient of a weight from {@code count} (1 to 8) steps at once,
     * {@code grad[r][0, cols) += sum_s dz[s * rows + r] * x[s * cols, (s + 1) * cols)}: each gradient row read and
     * written once for the {@code count} steps, where {@link #outerProductRows} reads and writes it once per step.
     * {@code dz} and {@code x} hold the steps one after the other at offset 0, so that every index in the inner loop
     * is {@code j} plus a constant. With {@code biasGrad}, also {@code biasGrad[r] += sum_s dz[s * rows + r]}.
     */
    public static void outerProductBlock(CodeBlock.Builder b, Num num, int rows, String dz, String grad,
            String biasGrad, String x, int cols, int count) {
        if (count < 1 || count > 8) {
            throw new IllegalArgumentException("a block of " + count + " steps");
        }
        String t = num.keyword();
        if (biasGrad != null) {
            blockSum(b, rows, dz, biasGrad, count);
        }
        beginLoop(b, "k", 0, rows);
        for (int s = 0; s < count; s++) {
            b.addStatement("final $L d$L = $L[$L]", t, s, dz, plus(s * rows, "k"));
        }
        b.addStatement("final $L[] gRow = $L[k]", t, grad);
        beginLoop(b, "j", 0, cols);
        b.addStatement("gRow[j] += $L", pairwise(count, s -> "d" + s + " * " + x + "[" + plus(s * cols, "j") + "]"));
        endLoop(b);
        endLoop(b);
    }

    /**
     * Emits {@code acc[r] += sum_s dz[s * rows + r]} for {@code r < rows} over {@code count} (1 to 8) steps held one
     * after the other in {@code dz}: a bias gradient of a block of steps.
     */
    public static void blockSum(CodeBlock.Builder b, int rows, String dz, String acc, int count) {
        beginLoop(b, "k", 0, rows);
        b.addStatement("$L[k] += $L", acc, pairwise(count, s -> dz + "[" + plus(s * rows, "k") + "]"));
        endLoop(b);
    }

    /**
     * Returns {@code (t0 + t1) + (t2 + t3)} of the first {@code count} terms: two independent sums, as above; over
     * four, the first four so and the rest so, added.
     */
    private static String pairwise(int count, java.util.function.IntFunction<String> term) {
        if (count > 4) {
            return "(" + pairwise(4, term) + ") + (" + pairwise(count - 4, s -> term.apply(s + 4)) + ")";
        }
        return switch (count) {
            case 1 -> term.apply(0);
            case 2 -> term.apply(0) + " + " + term.apply(1);
            case 3 -> "(" + term.apply(0) + " + " + term.apply(1) + ") + " + term.apply(2);
            default -> "(" + term.apply(0) + " + " + term.apply(1) + ") + (" + term.apply(2) + " + " + term.apply(3)
                    + ")";
        };
    }

    /** Returns {@code offset + v}, or {@code v} for offset 0. */
    static String plus(int offset, String v) {
        return offset == 0 ? v : offset + " + " + v;
    }
}
