// The input projection of a 25-step sequence (64 inputs, 512 gate rows, float) four ways, in one JVM, by the CPU
// time of the measuring thread: per step with four columns per pass (what the generator emits), and with two or
// four steps sharing each column load (two or four accumulator arrays, or one array at constant offsets).
// Run: javac -d /tmp/k benchmarks/kernels/BlockedProjection.java && java -cp /tmp/k BlockedProjection
// (and with a JDK 25 java). Results in docs/performance.md, "What the session measured that did not become code".
import java.lang.management.*;
public class BlockedProjection {
    static final int I = 64, G = 512, T = 25;
    static float[][] w = new float[I][G];
    static float[] x = new float[T * I];
    static float[][] p = new float[T][G];
    static float[] bias = new float[G];
    static float[] a = new float[G];
    // current: per step, 4 columns per pass
    static void perStep() {
        for (int t = 0; t < T; t++) {
            final float[] acc = p[t];
            System.arraycopy(bias, 0, acc, 0, G);
            final int xo = t * I;
            for (int i = 0; i < I; i += 4) {
                final float s0 = x[xo + i], s1 = x[xo + i + 1], s2 = x[xo + i + 2], s3 = x[xo + i + 3];
                final float[] c0 = w[i], c1 = w[i + 1], c2 = w[i + 2], c3 = w[i + 3];
                for (int k = 0; k < G; k++) {
                    acc[k] += (s0 * c0[k] + s1 * c1[k]) + (s2 * c2[k] + s3 * c3[k]);
                }
            }
        }
    }
    // two steps share each column load
    static void twoSteps() {
        for (int t = 0; t < T - 1; t += 2) {
            final float[] p0 = p[t], p1 = p[t + 1];
            System.arraycopy(bias, 0, p0, 0, G);
            System.arraycopy(bias, 0, p1, 0, G);
            final int xa = t * I, xb = xa + I;
            for (int i = 0; i < I; i += 4) {
                final float a0 = x[xa + i], a1 = x[xa + i + 1], a2 = x[xa + i + 2], a3 = x[xa + i + 3];
                final float b0 = x[xb + i], b1 = x[xb + i + 1], b2 = x[xb + i + 2], b3 = x[xb + i + 3];
                final float[] c0 = w[i], c1 = w[i + 1], c2 = w[i + 2], c3 = w[i + 3];
                for (int k = 0; k < G; k++) {
                    final float w0 = c0[k], w1 = c1[k], w2 = c2[k], w3 = c3[k];
                    p0[k] += (a0 * w0 + a1 * w1) + (a2 * w2 + a3 * w3);
                    p1[k] += (b0 * w0 + b1 * w1) + (b2 * w2 + b3 * w3);
                }
            }
        }
        if (T % 2 == 1) {
            int t = T - 1;
            final float[] acc = p[t];
            System.arraycopy(bias, 0, acc, 0, G);
            final int xo = t * I;
            for (int i = 0; i < I; i += 4) {
                final float s0 = x[xo + i], s1 = x[xo + i + 1], s2 = x[xo + i + 2], s3 = x[xo + i + 3];
                final float[] c0 = w[i], c1 = w[i + 1], c2 = w[i + 2], c3 = w[i + 3];
                for (int k = 0; k < G; k++) {
                    acc[k] += (s0 * c0[k] + s1 * c1[k]) + (s2 * c2[k] + s3 * c3[k]);
                }
            }
        }
    }
    static void fourSteps() {
        int t = 0;
        for (; t + 4 <= T; t += 4) {
            final float[] p0 = p[t], p1 = p[t + 1], p2 = p[t + 2], p3 = p[t + 3];
            System.arraycopy(bias, 0, p0, 0, G);
            System.arraycopy(bias, 0, p1, 0, G);
            System.arraycopy(bias, 0, p2, 0, G);
            System.arraycopy(bias, 0, p3, 0, G);
            final int xa = t * I, xb = xa + I, xc = xb + I, xd = xc + I;
            for (int i = 0; i < I; i += 2) {
                final float a0 = x[xa + i], a1 = x[xa + i + 1];
                final float b0 = x[xb + i], b1 = x[xb + i + 1];
                final float e0 = x[xc + i], e1 = x[xc + i + 1];
                final float d0 = x[xd + i], d1 = x[xd + i + 1];
                final float[] c0 = w[i], c1 = w[i + 1];
                for (int k = 0; k < G; k++) {
                    final float w0 = c0[k], w1 = c1[k];
                    p0[k] += a0 * w0 + a1 * w1;
                    p1[k] += b0 * w0 + b1 * w1;
                    p2[k] += e0 * w0 + e1 * w1;
                    p3[k] += d0 * w0 + d1 * w1;
                }
            }
        }
        for (; t < T; t++) {
            final float[] acc = p[t];
            System.arraycopy(bias, 0, acc, 0, G);
            final int xo = t * I;
            for (int i = 0; i < I; i += 4) {
                final float s0 = x[xo + i], s1 = x[xo + i + 1], s2 = x[xo + i + 2], s3 = x[xo + i + 3];
                final float[] c0 = w[i], c1 = w[i + 1], c2 = w[i + 2], c3 = w[i + 3];
                for (int k = 0; k < G; k++) {
                    acc[k] += (s0 * c0[k] + s1 * c1[k]) + (s2 * c2[k] + s3 * c3[k]);
                }
            }
        }
    }

    static float[] blk = new float[4 * G];
    static void fourScratch() {
        int t = 0;
        final float[] q = blk;
        for (; t + 4 <= T; t += 4) {
            System.arraycopy(bias, 0, q, 0, G);
            System.arraycopy(bias, 0, q, G, G);
            System.arraycopy(bias, 0, q, 2 * G, G);
            System.arraycopy(bias, 0, q, 3 * G, G);
            final int xa = t * I, xb = xa + I, xc = xb + I, xd = xc + I;
            for (int i = 0; i < I; i += 2) {
                final float a0 = x[xa + i], a1 = x[xa + i + 1];
                final float b0 = x[xb + i], b1 = x[xb + i + 1];
                final float e0 = x[xc + i], e1 = x[xc + i + 1];
                final float d0 = x[xd + i], d1 = x[xd + i + 1];
                final float[] c0 = w[i], c1 = w[i + 1];
                for (int k = 0; k < G; k++) {
                    final float w0 = c0[k], w1 = c1[k];
                    q[k] += a0 * w0 + a1 * w1;
                    q[G + k] += b0 * w0 + b1 * w1;
                    q[2 * G + k] += e0 * w0 + e1 * w1;
                    q[3 * G + k] += d0 * w0 + d1 * w1;
                }
            }
            System.arraycopy(q, 0, p[t], 0, G);
            System.arraycopy(q, G, p[t + 1], 0, G);
            System.arraycopy(q, 2 * G, p[t + 2], 0, G);
            System.arraycopy(q, 3 * G, p[t + 3], 0, G);
        }
        for (; t < T; t++) {
            final float[] acc = p[t];
            System.arraycopy(bias, 0, acc, 0, G);
            final int xo = t * I;
            for (int i = 0; i < I; i += 4) {
                final float s0 = x[xo + i], s1 = x[xo + i + 1], s2 = x[xo + i + 2], s3 = x[xo + i + 3];
                final float[] c0 = w[i], c1 = w[i + 1], c2 = w[i + 2], c3 = w[i + 3];
                for (int k = 0; k < G; k++) {
                    acc[k] += (s0 * c0[k] + s1 * c1[k]) + (s2 * c2[k] + s3 * c3[k]);
                }
            }
        }
    }
    static void twoScratch4() {
        int t = 0;
        final float[] q = blk;
        for (; t + 2 <= T; t += 2) {
            System.arraycopy(bias, 0, q, 0, G);
            System.arraycopy(bias, 0, q, G, G);
            final int xa = t * I, xb = xa + I;
            for (int i = 0; i < I; i += 4) {
                final float a0 = x[xa + i], a1 = x[xa + i + 1], a2 = x[xa + i + 2], a3 = x[xa + i + 3];
                final float b0 = x[xb + i], b1 = x[xb + i + 1], b2 = x[xb + i + 2], b3 = x[xb + i + 3];
                final float[] c0 = w[i], c1 = w[i + 1], c2 = w[i + 2], c3 = w[i + 3];
                for (int k = 0; k < G; k++) {
                    final float w0 = c0[k], w1 = c1[k], w2 = c2[k], w3 = c3[k];
                    q[k] += (a0 * w0 + a1 * w1) + (a2 * w2 + a3 * w3);
                    q[G + k] += (b0 * w0 + b1 * w1) + (b2 * w2 + b3 * w3);
                }
            }
            System.arraycopy(q, 0, p[t], 0, G);
            System.arraycopy(q, G, p[t + 1], 0, G);
        }
        for (; t < T; t++) {
            final float[] acc = p[t];
            System.arraycopy(bias, 0, acc, 0, G);
            final int xo = t * I;
            for (int i = 0; i < I; i += 4) {
                final float s0 = x[xo + i], s1 = x[xo + i + 1], s2 = x[xo + i + 2], s3 = x[xo + i + 3];
                final float[] c0 = w[i], c1 = w[i + 1], c2 = w[i + 2], c3 = w[i + 3];
                for (int k = 0; k < G; k++) {
                    acc[k] += (s0 * c0[k] + s1 * c1[k]) + (s2 * c2[k] + s3 * c3[k]);
                }
            }
        }
    }
    public static void main(String[] args) {
        java.util.Random r = new java.util.Random(1);
        for (float[] c : w) for (int k = 0; k < G; k++) c[k] = r.nextFloat() - 0.5f;
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() - 0.5f;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Runnable[] v = {BlockedProjection::perStep, BlockedProjection::twoSteps, BlockedProjection::fourSteps, BlockedProjection::fourScratch, BlockedProjection::twoScratch4};
        String[] names = {"perStep", "twoSteps", "fourSteps", "fourScratch", "twoScratch4"};
        long[][] times = new long[5][15];
        for (int round = 0; round < 15 + 5; round++) {
            for (int j = 0; j < 5; j++) {
                long c0 = mx.getCurrentThreadCpuTime();
                for (int n = 0; n < 2000; n++) v[j].run();
                long c1 = mx.getCurrentThreadCpuTime();
                if (round >= 5) times[j][round - 5] = (c1 - c0) / 2000;
            }
        }
        for (int j = 0; j < 5; j++) {
            java.util.Arrays.sort(times[j]);
            System.out.printf("%-10s %8d ns/sequence  (%.2f of perStep)%n", names[j], times[j][7], times[j][7] / (double) times[0][7]);
        }
    }
}
