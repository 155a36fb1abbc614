package dev.unroll.compiler.codegen;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import java.util.List;

/**
 * The Vector API ({@code jdk.incubator.vector}) forms of {@link Kernels}' loop shapes, for models generated with
 * vector kernels ({@link dev.unroll.compiler.plan.KernelStyle}): each a private static helper of the generated class,
 * written once per shape ({@link VectorMethods}) and called where the plain form would be written. Why helpers, the
 * blocked weights and what is bit-identical to the plain code: docs/generator.md, "Vector API kernels".
 */
public final class VectorKernels {
    private VectorKernels() {}

    /** The most vectors of accumulators one block of rows holds in registers. */
    public static final int VECTORS_PER_BLOCK = 8;

    /**
     * The Vector API form of {@link #axpyColumns(CodeBlock.Builder, Num, String, int, String, String, String, int,
     * int, int, int, BlockLayout)}: one call per block of the layout's rows in {@code [first, first + length)}, of the
     * class's helper for blocks of that size and {@code count} columns ({@link #vectorBlock}), written once however
     * many blocks and call sites share it. One helper per block, not per product: a helper over all of LSTM-512's
     * 2,048 rows passed the JIT's 8,000-byte limit and ran interpreted.
     */
    static void axpyColumns(CodeBlock.Builder b, Num num, String acc, int accFirst, String columns,
            String src, String srcOffset, int firstColumn, int count, int first, int length, BlockLayout layout) {
        if (count == 0 || length == 0) {
            return;
        }
        String offset = "0".equals(srcOffset) ? String.valueOf(firstColumn)
                : firstColumn == 0 ? srcOffset : srcOffset + " + " + firstColumn;
        for (int j = layout.blockAt(first); j < layout.blockAt(first + length); j++) {
            int size = layout.size(j);
            boolean whole = size % num.lanes() == 0;
            String helper = (whole ? "mulAddVectors" + size / num.lanes() : "mulAddRows" + size) + "x" + count;
            String name = num.vectorMethods().use(helper, List.of(whole, size, count),
                    n -> vectorBlock(num, n, size, count));
            b.addStatement("$L($L, $L, $L, $L, $L, $L)", name, acc, accFirst + layout.start(j) - first, columns,
                    layout.offset(j) + firstColumn * size, src, offset);
        }
    }

    /**
     * The helper {@code name(acc, accFirst, w, o, src, srcOffset)} of one block of {@code size} rows and
     * {@code count} columns: {@code acc[accFirst + k] += sum_i src[srcOffset + i] * w[o + i * size + k]} for
     * {@code k < size}, {@code i < count}. A block of whole vectors is loaded into registers once, updated by one
     * fused multiply-add per vector and column, and stored once; a block of fewer rows than a vector by scalar fused
     * multiply-adds. Every element is so {@code a = fma(m_i, s_i, a)} over the columns in order, whichever block
     * holds it: a step cut into row ranges for two threads gives the bits of the whole. C2 keeps a vector in a
     * register only when the number of them is a constant, which is why the width is fixed when the code is
     * generated. Measured alone (JDK 17, AVX-512): 29-35 multiply-adds per ns at LSTM-32's shapes against the plain
     * loop's 15-20; at LSTM-512's, 19 against 14.
     */
    private static MethodSpec vectorBlock(Num num, String name, int size, int count) {
        CodeBlock.Builder b = CodeBlock.builder();
        int lanes = num.lanes();
        if (size % lanes != 0) {
            b.beginControlFlow("for (int i = 0; i < $L; i++)", count);
            b.addStatement("final $L vs = src[srcOffset + i]", num.keyword());
            b.addStatement("final int column = o + i * $L", size);
            Kernels.beginLoop(b, "k", 0, size);
            b.addStatement("acc[accFirst + k] = Math.fma(w[column + k], vs, acc[accFirst + k])");
            Kernels.endLoop(b);
            b.endControlFlow();
        } else {
            int vectors = size / lanes;
            for (int v = 0; v < vectors; v++) {
                b.addStatement("$T va$L = $T.fromArray($L, acc, $L)", num.vectorType(), v, num.vectorType(),
                        Num.SPECIES, Kernels.plus(v * lanes, "accFirst"));
            }
            b.beginControlFlow("for (int i = 0; i < $L; i++)", count);
            b.addStatement("final $T vs = $T.broadcast($L, src[srcOffset + i])", num.vectorType(), num.vectorType(),
                    Num.SPECIES);
            b.addStatement("final int column = o + i * $L", size);
            for (int v = 0; v < vectors; v++) {
                b.addStatement("va$L = $T.fromArray($L, w, $L).fma(vs, va$L)", v, num.vectorType(), Num.SPECIES,
                        Kernels.plus(v * lanes, "column"), v);
            }
            b.endControlFlow();
            for (int v = 0; v < vectors; v++) {
                b.addStatement("va$L.intoArray(acc, $L)", v, Kernels.plus(v * lanes, "accFirst"));
            }
        }
        return MethodSpec.methodBuilder(name)
                .addModifiers(javax.lang.model.element.Modifier.PRIVATE, javax.lang.model.element.Modifier.STATIC)
                .addJavadoc("Adds {@code sum_i src[srcOffset + i] * w[o + i * $L + k]} to {@code acc[accFirst + k]}"
                        + " for {@code k < $L} and\n{@code i < $L}: one block of a weight stored in blocks of rows,"
                        + " $L, fused multiply-adds in column order.\n", size, size, count,
                        size % lanes == 0 ? "in registers" : "fewer rows than a vector")
                .addParameter(num.array(1), "acc")
                .addParameter(int.class, "accFirst")
                .addParameter(num.array(1), "w")
                .addParameter(int.class, "o")
                .addParameter(num.array(1), "src")
                .addParameter(int.class, "srcOffset")
                .addCode(b.build())
                .build();
    }

    /** The most vectors of rows one lockstep block holds per sequence: four, times four sequences, in registers. */
    static final int VECTORS_PER_LOCKSTEP_BLOCK = 4;

    /**
     * {@link #axpyColumns} for several sequences at once ({@code accs[s] += M src[s]}, the arrays of sequence
     * {@code s}, their offsets shared): each block of the layout's rows is cut into pieces of at most
     * {@link #VECTORS_PER_LOCKSTEP_BLOCK} vectors, and one helper call per piece loads each weight vector once for
     * every sequence. Every element is still {@code a = fma(m_i, s_i, a)} over the columns in order, so each
     * sequence's result has the bits {@link #axpyColumns} gives it alone. The rows past a block's last whole vector
     * are multiplied sequence by sequence, by the scalar helper.
     */
    static void axpyColumnsLockstep(CodeBlock.Builder b, Num num, List<String> accs, int accFirst, String columns,
            List<String> srcs, String srcOffset, int firstColumn, int count, int first, int length,
            BlockLayout layout) {
        if (count == 0 || length == 0) {
            return;
        }
        String offset = "0".equals(srcOffset) ? String.valueOf(firstColumn)
                : firstColumn == 0 ? srcOffset : srcOffset + " + " + firstColumn;
        int lanes = num.lanes();
        int end = layout.blockAt(first + length);
        for (int j = layout.blockAt(first); j < end; ) {
            int size = layout.size(j);
            int o = layout.offset(j) + firstColumn * size;
            int at = accFirst + layout.start(j) - first;
            if (size % lanes != 0) {
                String name = num.vectorMethods().use("mulAddRows" + size + "x" + count, List.of(false, size, count),
                        n -> vectorBlock(num, n, size, count));
                for (int s = 0; s < accs.size(); s++) {
                    b.addStatement("$L($L, $L, $L, $L, $L, $L)", name, accs.get(s), at, columns, o, srcs.get(s),
                            offset);
                }
                j++;
                continue;
            }
            // a run of blocks of this size, whose starts are then size rows apart: one loop over them, so that a
            // large layer's lockstep step stays far below the JIT's 8,000-byte limit
            int run = 1;
            while (j + run < end && layout.size(j + run) == size) {
                run++;
            }
            if (run > 1) {
                b.beginControlFlow("for (int block = 0; block < $L; block++)", run);
            }
            int vectors = size / lanes;
            int pieces = (vectors + VECTORS_PER_LOCKSTEP_BLOCK - 1) / VECTORS_PER_LOCKSTEP_BLOCK;
            int done = 0;
            for (int piece = 0; piece < pieces; piece++) {
                int v = (vectors - done) / (pieces - piece);
                int sequences = accs.size();
                String name = num.vectorMethods().use("mulAddVectors" + v + "of" + size + "x" + count + "by"
                        + sequences, List.of("lockstep", v, size, count, sequences),
                        n -> lockstepBlock(num, n, v, size, count, sequences));
                CodeBlock.Builder call = CodeBlock.builder().add("$L(", name);
                for (String acc : accs) {
                    call.add("$L, ", acc);
                }
                int pieceAt = at + done * lanes;
                int pieceO = o + done * lanes;
                call.add("$L, $L, $L", run > 1 ? Kernels.plus(pieceAt, "block * " + size) : pieceAt, columns,
                        run > 1 ? Kernels.plus(pieceO, "block * " + size * layout.cols()) : pieceO);
                for (String src : srcs) {
                    call.add(", $L", src);
                }
                b.addStatement("$L, $L)", call.build(), offset);
                done += v;
            }
            if (run > 1) {
                b.endControlFlow();
            }
            j += run;
        }
    }

    /**
     * The helper {@code name(acc0, ..., accFirst, w, o, src0, ..., srcOffset)} of {@code vectors} vectors of rows of
     * a block of {@code size} rows and {@code count} columns, for {@code sequences} sequences:
     * {@code accS[accFirst + k] += sum_i srcS[srcOffset + i] * w[o + i * size + k]}. Each column's weight vectors are
     * loaded once and multiplied into every sequence's accumulators.
     */
    private static MethodSpec lockstepBlock(Num num, String name, int vectors, int size, int count, int sequences) {
        CodeBlock.Builder b = CodeBlock.builder();
        int lanes = num.lanes();
        ClassName type = num.vectorType();
        for (int s = 0; s < sequences; s++) {
            for (int v = 0; v < vectors; v++) {
                b.addStatement("$T va$L$L = $T.fromArray($L, acc$L, $L)", type, s, v, type, Num.SPECIES, s,
                        Kernels.plus(v * lanes, "accFirst"));
            }
        }
        b.beginControlFlow("for (int i = 0; i < $L; i++)", count);
        b.addStatement("final int column = o + i * $L", size);
        for (int v = 0; v < vectors; v++) {
            b.addStatement("final $T w$L = $T.fromArray($L, w, $L)", type, v, type, Num.SPECIES,
                    Kernels.plus(v * lanes, "column"));
        }
        for (int s = 0; s < sequences; s++) {
            b.addStatement("final $T vs$L = $T.broadcast($L, src$L[srcOffset + i])", type, s, type, Num.SPECIES, s);
            for (int v = 0; v < vectors; v++) {
                b.addStatement("va$L$L = w$L.fma(vs$L, va$L$L)", s, v, v, s, s, v);
            }
        }
        b.endControlFlow();
        for (int s = 0; s < sequences; s++) {
            for (int v = 0; v < vectors; v++) {
                b.addStatement("va$L$L.intoArray(acc$L, $L)", s, v, s, Kernels.plus(v * lanes, "accFirst"));
            }
        }
        MethodSpec.Builder m = MethodSpec.methodBuilder(name)
                .addModifiers(javax.lang.model.element.Modifier.PRIVATE, javax.lang.model.element.Modifier.STATIC)
                .addJavadoc("Adds {@code sum_i srcS[srcOffset + i] * w[o + i * $L + k]} to {@code accS[accFirst + k]}"
                        + " for {@code k < $L},\n{@code i < $L} and each of $L sequences {@code S}: $L vectors of a"
                        + " block of $L rows, each weight vector loaded\nonce for all of them, fused multiply-adds in"
                        + " column order (each sequence's bits as alone).\n", size, vectors * lanes, count,
                        sequences, vectors, size);
        for (int s = 0; s < sequences; s++) {
            m.addParameter(num.array(1), "acc" + s);
        }
        m.addParameter(int.class, "accFirst").addParameter(num.array(1), "w").addParameter(int.class, "o");
        for (int s = 0; s < sequences; s++) {
            m.addParameter(num.array(1), "src" + s);
        }
        return m.addParameter(int.class, "srcOffset").addCode(b.build()).build();
    }

    /** The float constants of {@code Activations.tanh(float)}, as its source spells them: the same floats. */
    static final String TANH_CLAMP = "7.90531110763549805f";
    static final String[] TANH_P = {"-2.76076847742355e-16f", "2.00018790482477e-13f", "-8.60467152213735e-11f",
        "5.12229709037114e-08f", "1.48572235717979e-05f", "6.37261928875436e-04f", "4.89352455891786e-03f"};
    static final String[] TANH_Q = {"1.19825839466702e-06f", "1.18534705686654e-04f", "2.26843463243900e-03f",
        "4.89352518554385e-03f"};

    static MethodSpec gates(Num num, String name, int length) {
        int lanes = num.lanes();
        int full = length - length % lanes;
        CodeBlock.Builder b = CodeBlock.builder();
        ClassName v = num.vectorType();
        b.beginControlFlow("for (int k = 0; k < $L; k += $L)", full, lanes);
        b.addStatement("final $T scale = $T.fromArray($L, scales, k)", v, v, Num.SPECIES);
        b.add("// Activations.tanh(scale * x), lane by lane\n");
        tanhLanes(b, v, "x", CodeBlock.of("$T.fromArray($L, a, k).mul(scale)", v, Num.SPECIES));
        b.addStatement("scale.mul(x).add($T.fromArray($L, shifts, k)).intoArray(a, k)", v, Num.SPECIES);
        b.endControlFlow();
        if (full < length) {
            Kernels.beginLoop(b, "k", full, length);
            b.addStatement("a[k] = $T.gate(a[k], scales[k], shifts[k])", RuntimeTypes.ACTIVATIONS);
            Kernels.endLoop(b);
        }
        return MethodSpec.methodBuilder(name)
                .addModifiers(javax.lang.model.element.Modifier.PRIVATE, javax.lang.model.element.Modifier.STATIC)
                .addJavadoc("Sets {@code a[k] = Activations.gate(a[k], scales[k], shifts[k])} for {@code k < $L},"
                        + " $L lanes at a time:\nthe same operations as {@code Activations.tanh(float)}, so the same"
                        + " bits.\n", length, lanes)
                .addParameter(num.array(1), "a")
                .addParameter(num.array(1), "scales")
                .addParameter(num.array(1), "shifts")
                .addCode(b.build())
                .build();
    }

    /**
     * Emits {@code Activations.tanh} of a vector expression into the vector {@code result}, lane by lane with the
     * operations of the scalar function in its order (the clamp as min and max, the two polynomials by multiplies and
     * adds, one divide; no fused multiply-add), so that every lane has the scalar function's bits.
     */
    private static void tanhLanes(CodeBlock.Builder b, ClassName v, String result, CodeBlock argument) {
        b.addStatement("final $T $LIn = $L", v, result, argument);
        b.addStatement("final $T $LClamped = $LIn.min($L).max(-$L)", v, result, result, TANH_CLAMP, TANH_CLAMP);
        b.addStatement("final $T $LSquared = $LClamped.mul($LClamped)", v, result, result, result);
        b.addStatement("$T $LP = $LSquared.mul($L).add($L)", v, result, result, TANH_P[0], TANH_P[1]);
        for (int i = 2; i < TANH_P.length; i++) {
            b.addStatement("$LP = $LSquared.mul($LP).add($L)", result, result, result, TANH_P[i]);
        }
        b.addStatement("$T $LQ = $LSquared.mul($L).add($L)", v, result, result, TANH_Q[0], TANH_Q[1]);
        for (int i = 2; i < TANH_Q.length; i++) {
            b.addStatement("$LQ = $LSquared.mul($LQ).add($L)", result, result, result, TANH_Q[i]);
        }
        b.addStatement("final $T $L = $LClamped.mul($LP.div($LQ))", v, result, result, result, result);
    }

    /**
     * Emits a float LSTM's cell update over {@code cs} (which holds {@code c_{t-1}}) and the activated gates {@code a}:
     * {@code cs = f * cs + i * g}, {@code ts = tanh(cs)}, {@code hs = o * ts}, with the operations of the plain loops
     * (two products and a sum; {@code Activations.tanh}), so the same bits: a call of the class's Vector API helper
     * when the kernels are vectors and returns true, else writes nothing and returns false.
     */
    public static boolean lstmCellLoop(CodeBlock.Builder b, Num num, int h) {
        if (!num.isVector() || !num.isFloat() || h < num.lanes()) {
            return false;
        }
        String name = num.vectorMethods().use("lstmCell" + h, List.of("lstmCell", h), n -> vectorLstmCell(num, n, h));
        b.addStatement("$L(a, cs, ts, hs)", name);
        return true;
    }

    private static MethodSpec vectorLstmCell(Num num, String name, int h) {
        int lanes = num.lanes();
        int full = h - h % lanes;
        ClassName v = num.vectorType();
        CodeBlock.Builder b = CodeBlock.builder();
        b.beginControlFlow("for (int j = 0; j < $L; j += $L)", full, lanes);
        b.addStatement("final $T c = $T.fromArray($L, a, $L + j).mul($T.fromArray($L, cs, j))"
                + ".add($T.fromArray($L, a, j).mul($T.fromArray($L, a, $L + j)))", v, v, Num.SPECIES, h, v,
                Num.SPECIES, v, Num.SPECIES, v, Num.SPECIES, 2 * h);
        b.addStatement("c.intoArray(cs, j)");
        tanhLanes(b, v, "tc", CodeBlock.of("c"));
        b.addStatement("tc.intoArray(ts, j)");
        b.addStatement("$T.fromArray($L, a, $L + j).mul(tc).intoArray(hs, j)", v, Num.SPECIES, 3 * h);
        b.endControlFlow();
        if (full < h) {
            Kernels.beginLoop(b, "j", full, h);
            b.addStatement("cs[j] = a[$L + j] * cs[j] + a[j] * a[$L + j]", h, 2 * h);
            b.addStatement("final float tc = $T.tanh(cs[j])", RuntimeTypes.ACTIVATIONS);
            b.addStatement("ts[j] = tc");
            b.addStatement("hs[j] = a[$L + j] * tc", 3 * h);
            Kernels.endLoop(b);
        }
        return MethodSpec.methodBuilder(name)
                .addModifiers(javax.lang.model.element.Modifier.PRIVATE, javax.lang.model.element.Modifier.STATIC)
                .addJavadoc("An LSTM cell of $L units from its activated gates {@code a = [i; f; g; o]} and"
                        + " {@code cs = c_{t-1}}:\n{@code cs = f * cs + i * g}, {@code ts = tanh(cs)}, {@code hs = o"
                        + " * ts}, $L lanes at a time with the plain loops' operations (the same bits).\n", h, lanes)
                .addParameter(num.array(1), "a")
                .addParameter(num.array(1), "cs")
                .addParameter(num.array(1), "ts")
                .addParameter(num.array(1), "hs")
                .addCode(b.build())
                .build();
    }

    /**
     * Emits a float GRU's activations and state update (PyTorch's form) over {@code xin = b_ih + W_ih x},
     * {@code hid = b_hh + W_hh h} and {@code hs = h_{t-1}}: {@code r, z = sigmoid(xin + hid)} into {@code xin},
     * {@code n = tanh(xin_n + r * hid_n)} into {@code xin}, {@code hs = (1 - z) n + z hs}, with the plain loops'
     * operations ({@code Activations.sigmoid(x) = 0.5 + 0.5 tanh(0.5 x)} in float), so the same bits: a call of the
     * class's Vector API helper when the kernels are vectors and returns true, else writes nothing and returns false.
     */
    public static boolean gruCellLoop(CodeBlock.Builder b, Num num, int h) {
        if (!num.isVector() || !num.isFloat() || h < num.lanes()) {
            return false;
        }
        String name = num.vectorMethods().use("gruCell" + h, List.of("gruCell", h), n -> vectorGruCell(num, n, h));
        b.addStatement("$L(xin, hid, hs)", name);
        return true;
    }

    private static MethodSpec vectorGruCell(Num num, String name, int h) {
        int lanes = num.lanes();
        ClassName v = num.vectorType();
        CodeBlock.Builder b = CodeBlock.builder();
        int rz = 2 * h - 2 * h % lanes;
        b.add("// r and z: sigmoid(x) = 0.5 + 0.5 tanh(0.5 x)\n");
        b.beginControlFlow("for (int k = 0; k < $L; k += $L)", rz, lanes);
        tanhLanes(b, v, "t", CodeBlock.of("$T.fromArray($L, xin, k).add($T.fromArray($L, hid, k)).mul(0.5f)", v,
                Num.SPECIES, v, Num.SPECIES));
        b.addStatement("t.mul(0.5f).add(0.5f).intoArray(xin, k)");
        b.endControlFlow();
        if (rz < 2 * h) {
            Kernels.beginLoop(b, "k", rz, 2 * h);
            b.addStatement("xin[k] = $T.sigmoid(xin[k] + hid[k])", RuntimeTypes.ACTIVATIONS);
            Kernels.endLoop(b);
        }
        int full = h - h % lanes;
        b.add("// n = tanh(xin_n + r * hid_n), h_t = (1 - z) n + z h_{t-1}\n");
        b.beginControlFlow("for (int j = 0; j < $L; j += $L)", full, lanes);
        tanhLanes(b, v, "n", CodeBlock.of("$T.fromArray($L, xin, $L + j).add($T.fromArray($L, xin, j)"
                + ".mul($T.fromArray($L, hid, $L + j)))", v, Num.SPECIES, 2 * h, v, Num.SPECIES, v, Num.SPECIES,
                2 * h));
        b.addStatement("n.intoArray(xin, $L + j)", 2 * h);
        b.addStatement("final $T z = $T.fromArray($L, xin, $L + j)", v, v, Num.SPECIES, h);
        b.addStatement("$T.broadcast($L, 1f).sub(z).mul(n).add(z.mul($T.fromArray($L, hs, j))).intoArray(hs, j)", v,
                Num.SPECIES, v, Num.SPECIES);
        b.endControlFlow();
        if (full < h) {
            Kernels.beginLoop(b, "j", full, h);
            b.addStatement("xin[$L + j] = $T.tanh(xin[$L + j] + xin[j] * hid[$L + j])", 2 * h,
                    RuntimeTypes.ACTIVATIONS, 2 * h, 2 * h);
            b.addStatement("hs[j] = (1 - xin[$L + j]) * xin[$L + j] + xin[$L + j] * hs[j]", h, 2 * h, h);
            Kernels.endLoop(b);
        }
        return MethodSpec.methodBuilder(name)
                .addModifiers(javax.lang.model.element.Modifier.PRIVATE, javax.lang.model.element.Modifier.STATIC)
                .addJavadoc("A GRU cell of $L units from {@code xin = b_ih + W_ih x} and {@code hid = b_hh + W_hh h}"
                        + " ([r; z; n] each)\nand {@code hs = h_{t-1}}: the activated gates into {@code xin},"
                        + " {@code h_t} into {@code hs}, $L lanes at a time with the plain\nloops' operations (the"
                        + " same bits).\n", h, lanes)
                .addParameter(num.array(1), "xin")
                .addParameter(num.array(1), "hid")
                .addParameter(num.array(1), "hs")
                .addCode(b.build())
                .build();
    }
}
