package dev.unroll.compiler.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.palantir.javapoet.CodeBlock;
import dev.unroll.dsl.model.Precision;
import org.junit.jupiter.api.Test;

/** The shared loop shapes, written out in full. */
class KernelsTest {
    private static final Num FLOAT = new Num(Precision.FLOAT32);

    @Test
    void aRangeOfOneIsABlockNotALoop() {
        CodeBlock.Builder b = CodeBlock.builder();
        Kernels.beginLoop(b, "k", 3, 4);
        b.addStatement("z[k] = 0");
        Kernels.endLoop(b);
        assertEquals("{\n  final int k = 3;\n  z[k] = 0;\n}\n", b.build().toString());
    }

    @Test
    void aLongerRangeIsALoop() {
        CodeBlock.Builder b = CodeBlock.builder();
        Kernels.beginLoop(b, "k", 0, 5);
        b.addStatement("z[k] = 0");
        Kernels.endLoop(b);
        assertEquals("for (int k = 0; k < 5; k++) {\n  z[k] = 0;\n}\n", b.build().toString());
    }

    @Test
    void axpyTakesFourColumnsPerPassThenTheRest() {
        CodeBlock.Builder b = CodeBlock.builder();
        Kernels.axpyColumns(b, FLOAT, "acc", "wT", "x", "xo", 10, 6);
        assertEquals("""
                for (int i = 0; i < 8; i += 4) {
                  final float s0 = x[xo + i];
                  final float s1 = x[xo + i + 1];
                  final float s2 = x[xo + i + 2];
                  final float s3 = x[xo + i + 3];
                  final float[] c0 = wT[i];
                  final float[] c1 = wT[i + 1];
                  final float[] c2 = wT[i + 2];
                  final float[] c3 = wT[i + 3];
                  for (int k = 0; k < 6; k++) {
                    acc[k] += (s0 * c0[k] + s1 * c1[k]) + (s2 * c2[k] + s3 * c3[k]);
                  }
                }
                // the last 2 columns
                {
                  final float s0 = x[xo + 8];
                  final float s1 = x[xo + 9];
                  final float[] c0 = wT[8];
                  final float[] c1 = wT[9];
                  for (int k = 0; k < 6; k++) {
                    acc[k] += s0 * c0[k] + s1 * c1[k];
                  }
                }
                """, b.build().toString());
    }

    @Test
    void axpyOfExactlyFourColumnsIsOnePassWithoutALoop() {
        CodeBlock.Builder b = CodeBlock.builder();
        Kernels.axpyColumns(b, FLOAT, "acc", "wT", "x", "0", 4, 3);
        String code = b.build().toString();
        assertEquals(0, code.indexOf("{\n  final int i = 0;\n"), code);
    }

    @Test
    void axpyOverABlockOfColumnsAndOfTheirElements() {
        CodeBlock.Builder b = CodeBlock.builder();
        Kernels.axpyColumns(b, FLOAT, "acc", "w", "dz", "0", 12, 5, 8, 3);
        assertEquals("""
                {
                  final int i = 12;
                  final float s0 = dz[0 + i];
                  final float s1 = dz[0 + i + 1];
                  final float s2 = dz[0 + i + 2];
                  final float s3 = dz[0 + i + 3];
                  final float[] c0 = w[i];
                  final float[] c1 = w[i + 1];
                  final float[] c2 = w[i + 2];
                  final float[] c3 = w[i + 3];
                  for (int k = 0; k < 3; k++) {
                    acc[k] += (s0 * c0[8 + k] + s1 * c1[8 + k]) + (s2 * c2[8 + k] + s3 * c3[8 + k]);
                  }
                }
                // the last 1 column
                {
                  final float s0 = dz[0 + 16];
                  final float[] c0 = w[16];
                  for (int k = 0; k < 3; k++) {
                    acc[k] += s0 * c0[8 + k];
                  }
                }
                """, b.build().toString());
    }

    @Test
    void outerProductOverABlockOfRows() {
        CodeBlock.Builder b = CodeBlock.builder();
        Kernels.outerProductRows(b, FLOAT, "k", 8, 12, "dz", null, "gw", null, "j", "rh", 4);
        assertEquals("""
                for (int k = 8; k < 12; k++) {
                  final float d = dz[k];
                  final float[] gRow = gw[k];
                  for (int j = 0; j < 4; j++) {
                    gRow[j] += d * rh[j];
                  }
                }
                """, b.build().toString());
    }

    @Test
    void outerProductRowsAddsTheBiasInTheSamePass() {
        CodeBlock.Builder b = CodeBlock.builder();
        Kernels.outerProductRows(b, FLOAT, "o", 3, "dz", "zo", "gw", "gb", "j", "hs", 5);
        assertEquals("""
                for (int o = 0; o < 3; o++) {
                  final float d = dz[zo + o];
                  final float[] gRow = gw[o];
                  gb[o] += d;
                  for (int j = 0; j < 5; j++) {
                    gRow[j] += d * hs[j];
                  }
                }
                """, b.build().toString());
    }
}
