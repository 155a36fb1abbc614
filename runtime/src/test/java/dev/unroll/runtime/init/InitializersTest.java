package dev.unroll.runtime.init;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.runtime.DoubleParameter;
import dev.unroll.runtime.FloatParameter;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import dev.unroll.runtime.init.Initializers.Scheme;
import dev.unroll.runtime.testing.Models;
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class InitializersTest {

    /** Returns block {@code g} of a [gates*rows, cols] weight as a rows x cols array. */
    static double[][] block(Parameter w, int gates, int g) {
        int rows = w.shape()[0] / gates;
        int cols = w.shape()[1];
        double[][] b = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                b[i][j] = w.value((g * rows + i) * cols + j);
            }
        }
        return b;
    }

    /** Max |A A^T - c I| (rows) or |A^T A - c I| (columns). */
    static double orthogonalityError(double[][] a, boolean columns, double c) {
        int rows = a.length;
        int cols = a[0].length;
        int n = columns ? cols : rows;
        double worst = 0;
        for (int x = 0; x < n; x++) {
            for (int y = 0; y < n; y++) {
                double dot = 0;
                for (int k = 0; k < (columns ? rows : cols); k++) {
                    dot += columns ? a[k][x] * a[k][y] : a[x][k] * a[y][k];
                }
                worst = Math.max(worst, Math.abs(dot - (x == y ? c : 0)));
            }
        }
        return worst;
    }

    static double maxAbs(Parameter p) {
        double m = 0;
        for (int i = 0; i < p.size(); i++) {
            m = Math.max(m, Math.abs(p.value(i)));
        }
        return m;
    }

    static double[] meanAndVariance(Parameter p) {
        double sum = 0;
        double sq = 0;
        for (int i = 0; i < p.size(); i++) {
            sum += p.value(i);
            sq += p.value(i) * p.value(i);
        }
        double mean = sum / p.size();
        return new double[] {mean, sq / p.size() - mean * mean};
    }

    @Test
    void orthogonalBlocksAreOrthogonalWhetherSquareTallOrWide() {
        RandomGenerator rng = Initializers.random(1);
        DoubleParameter square = new DoubleParameter("sq", 4 * 16, 16);
        Initializers.orthogonal(square, 4, 1, rng);
        for (int g = 0; g < 4; g++) {
            double[][] b = block(square, 4, g);
            assertTrue(orthogonalityError(b, true, 1) < 1e-12, "square block " + g);
            assertTrue(orthogonalityError(b, false, 1) < 1e-12, "square block " + g + " rows");
        }
        assertFalse(block(square, 4, 0)[0][0] == block(square, 4, 1)[0][0], "blocks must differ");
        DoubleParameter tall = new DoubleParameter("tall", 3 * 20, 7);
        Initializers.orthogonal(tall, 3, 1, rng);
        for (int g = 0; g < 3; g++) {
            assertTrue(orthogonalityError(block(tall, 3, g), true, 1) < 1e-12, "tall block " + g);
        }
        DoubleParameter wide = new DoubleParameter("wide", 4 * 5, 30);
        Initializers.orthogonal(wide, 4, 2.0, rng);
        for (int g = 0; g < 4; g++) {
            assertTrue(orthogonalityError(block(wide, 4, g), false, 4) < 1e-12, "wide block " + g + " with gain 2");
        }
    }

    @Test
    void orthogonalIsUniformlyDistributedNotBiasedBySigns() {
        // with the sign correction, Q's diagonal is as often negative as positive and elements have variance 1/n
        int n = 20;
        int negative = 0;
        double sq = 0;
        RandomGenerator rng = Initializers.random(5);
        int trials = 50;
        for (int t = 0; t < trials; t++) {
            DoubleParameter w = new DoubleParameter("w", n, n);
            Initializers.orthogonal(w, 1, 1, rng);
            for (int i = 0; i < n; i++) {
                negative += w.value[i * n + i] < 0 ? 1 : 0;
            }
            for (double v : w.value) {
                sq += v * v;
            }
        }
        assertEquals(1.0 / n, sq / (trials * n * n), 1e-12); // exact: every row has norm 1
        double fraction = negative / (double) (trials * n);
        assertTrue(Math.abs(fraction - 0.5) < 0.06, "fraction of negative diagonal elements " + fraction);
    }

    @Test
    void xavierUsesTheFanOutOfOneGateBlock() {
        DoubleParameter w = new DoubleParameter("w", 4 * 100, 50);
        Initializers.xavierUniform(w, 4, 1, Initializers.random(2));
        double a = Math.sqrt(6.0 / (50 + 100)); // 0.2; with fan_out = 400 it would be 0.115
        assertTrue(maxAbs(w) <= a && maxAbs(w) > 0.999 * a, "max " + maxAbs(w));
        double[] mv = meanAndVariance(w);
        assertEquals(0, mv[0], 4 * a / Math.sqrt(3 * w.size()));
        assertEquals(a * a / 3, mv[1], 0.02 * a * a / 3);
    }

    @Test
    void pytorchDefaultBoundsAreOneOverSqrtHiddenAndHeadFanIn() {
        // bidirectional: the head's fan-in is 2H = 128, so its bound differs from the layers' 1/sqrt(64)
        ParameterSet ps = Models.recurrent(4, 30, 64, 2, 10, true, true);
        Initializers.pytorchDefault(ps, Initializers.random(3));
        for (Parameter p : ps) {
            double bound = p.name().startsWith("head.") ? 1 / Math.sqrt(128) : 1 / Math.sqrt(64);
            assertTrue(maxAbs(p) <= bound, p.name());
            if (p.size() >= 200) {
                assertTrue(maxAbs(p) > 0.95 * bound, p.name());
            }
        }
        ParameterSet narrowHead = Models.recurrent(3, 5, 16, 1, 4, true);
        Initializers.pytorchDefault(narrowHead, Initializers.random(3));
        assertTrue(maxAbs(narrowHead.get("rnn.weight_ih_l0")) <= 0.25); // 1/sqrt(16)
        double[] mv = meanAndVariance(ps.get("rnn.weight_hh_l1"));
        double b = 1 / Math.sqrt(64);
        assertEquals(0, mv[0], 4 * b / Math.sqrt(3 * 256 * 64));
        assertEquals(b * b / 3, mv[1], 0.02 * b * b / 3);
    }

    @Test
    void theSameSeedGivesTheSameWeights() {
        ParameterSet a = Models.recurrent(4, 3, 8, 2, 2, true);
        ParameterSet b = Models.recurrent(4, 3, 8, 2, 2, true);
        ParameterSet c = Models.recurrent(4, 3, 8, 2, 2, true);
        Initializers.initialize(a, Scheme.XAVIER, Scheme.ORTHOGONAL, Initializers.random(42));
        Initializers.initialize(b, Scheme.XAVIER, Scheme.ORTHOGONAL, Initializers.random(42));
        Initializers.initialize(c, Scheme.XAVIER, Scheme.ORTHOGONAL, Initializers.random(43));
        assertArrayEquals(Models.snapshot(a), Models.snapshot(b));
        assertFalse(java.util.Arrays.equals(Models.snapshot(a), Models.snapshot(c)));
        // pinned values: the generator is SplittableRandom and only nextDouble() is used, so these hold on any JDK
        RandomGenerator r = Initializers.random(7);
        DoubleParameter p = new DoubleParameter("p", 2);
        Initializers.uniform(p, 1, r);
        RandomGenerator again = new java.util.SplittableRandom(7);
        assertEquals(2 * again.nextDouble() - 1, p.value[0]);
        assertEquals(2 * again.nextDouble() - 1, p.value[1]);
    }

    @Test
    void initializeAppliesTheSchemesOfTheSpec() {
        ParameterSet ps = Models.recurrent(4, 3, 6, 2, 2, true);
        Models.randomize(ps, 1); // make sure zeros are written, not left over
        Initializers.initialize(ps, Scheme.XAVIER, Scheme.ORTHOGONAL, Initializers.random(9));
        for (int k = 0; k < 2; k++) {
            Parameter hh = ps.get("rnn.weight_hh_l" + k);
            for (int g = 0; g < 4; g++) {
                assertTrue(orthogonalityError(block(hh, 4, g), true, 1) < 1e-12);
            }
            Parameter ih = ps.get("rnn.weight_ih_l" + k);
            double a = Math.sqrt(6.0 / (ih.shape()[1] + 6));
            assertTrue(maxAbs(ih) <= a);
            assertTrue(orthogonalityError(block(ih, 4, 0), true, 1) > 1e-3, "input weights are Xavier, not orthogonal");
            assertEquals(0, maxAbs(ps.get("rnn.bias_ih_l" + k)));
            assertEquals(0, maxAbs(ps.get("rnn.bias_hh_l" + k)));
        }
        assertEquals(0, maxAbs(ps.get("head.bias")));
        assertTrue(maxAbs(ps.get("head.weight")) <= Math.sqrt(6.0 / (6 + 2)));
        Initializers.initialize(ps, Scheme.ORTHOGONAL, Scheme.PYTORCH, Initializers.random(9));
        assertTrue(orthogonalityError(block(ps.get("head.weight"), 1, 0), false, 1) < 1e-12); // 2 x 6: wide
        assertTrue(maxAbs(ps.get("rnn.weight_hh_l0")) <= 1 / Math.sqrt(6));
        assertThrows(IllegalArgumentException.class, () -> Initializers.initialize(
                new ParameterSet(List.of(new DoubleParameter("embedding.weight", 3, 3))), Scheme.PYTORCH, Scheme.PYTORCH,
                Initializers.random(0)));
    }

    @Test
    void forgetBiasSetsOnlyTheForgetBlockOfBiasIh() {
        ParameterSet ps = Models.recurrent(4, 3, 5, 2, 2, true);
        Initializers.pytorchDefault(ps, Initializers.random(4));
        double[] hhBefore = ((DoubleParameter) ps.get("rnn.bias_hh_l1")).value.clone();
        double[] ihBefore = ((DoubleParameter) ps.get("rnn.bias_ih_l1")).value.clone();
        Initializers.lstmForgetBias(ps, 1.0);
        double[] ih = ((DoubleParameter) ps.get("rnn.bias_ih_l1")).value;
        for (int i = 0; i < 20; i++) {
            assertEquals(i >= 5 && i < 10 ? 1.0 : ihBefore[i], ih[i], "element " + i);
        }
        assertEquals(1.0, ps.get("rnn.bias_ih_l0").value(7));
        assertArrayEquals(hhBefore, ((DoubleParameter) ps.get("rnn.bias_hh_l1")).value);
        ParameterSet gru = Models.recurrent(3, 3, 5, 1, 2, true);
        assertThrows(IllegalArgumentException.class, () -> Initializers.lstmForgetBias(gru, 1.0));
    }

    @Test
    void slicesAndGateBlocksAreChecked() {
        DoubleParameter b = new DoubleParameter("b", 12);
        Initializers.setGateBlock(b, 3, 2, 5);
        assertArrayEquals(new double[] {0, 0, 0, 0, 0, 0, 0, 0, 5, 5, 5, 5}, b.value);
        Initializers.setSlice(b, 0, 2, -1);
        assertEquals(-1, b.value[1]);
        assertEquals(0, b.value[2]);
        assertThrows(IndexOutOfBoundsException.class, () -> Initializers.setSlice(b, 10, 13, 0));
        assertThrows(IllegalArgumentException.class, () -> Initializers.setGateBlock(b, 5, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> Initializers.setGateBlock(b, 3, 3, 0));
        assertThrows(IllegalArgumentException.class, () -> Initializers.orthogonal(new DoubleParameter("v", 4), 1, 1,
                Initializers.random(0)));
        assertThrows(IllegalArgumentException.class, () -> Initializers.xavierUniform(new DoubleParameter("w", 7, 2), 2, 1,
                Initializers.random(0)));
        assertThrows(IllegalArgumentException.class, () -> Initializers.uniform(b, Double.NaN, Initializers.random(0)));
    }

    @Test
    void gaussianHasUnitVarianceAndFloatParametersAreRounded() {
        RandomGenerator rng = Initializers.random(11);
        int n = 200_000;
        double sum = 0;
        double sq = 0;
        int within = 0;
        for (int i = 0; i < n; i++) {
            double z = Initializers.gaussian(rng);
            sum += z;
            sq += z * z;
            within += Math.abs(z) < 1 ? 1 : 0;
        }
        assertEquals(0, sum / n, 4 / Math.sqrt(n));
        assertEquals(1, sq / n, 0.01);
        assertEquals(0.682689, within / (double) n, 0.005);
        FloatParameter f = new FloatParameter("f", 8, 8);
        Initializers.orthogonal(f, 1, 1, Initializers.random(1));
        DoubleParameter d = new DoubleParameter("d", 8, 8);
        Initializers.orthogonal(d, 1, 1, Initializers.random(1));
        for (int i = 0; i < 64; i++) {
            assertEquals((float) d.value[i], f.value[i]);
        }
        assertTrue(orthogonalityError(block(f, 1, 0), true, 1) < 1e-6);
    }
}
