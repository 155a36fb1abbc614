package dev.unroll.runtime.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.runtime.DoubleParameter;
import dev.unroll.runtime.FloatParameter;
import dev.unroll.runtime.NonFiniteException;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import dev.unroll.runtime.testing.Models;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GradientClippingTest {

    static DoubleParameter param(String name, double... grads) {
        DoubleParameter p = new DoubleParameter(name, grads.length);
        System.arraycopy(grads, 0, p.grad, 0, grads.length);
        return p;
    }

    @Test
    void appliesValueThenPerParameterThenGlobalWhateverTheGivenOrder() {
        ParameterSet a = new ParameterSet(List.of(param("a", 3, 4, -10), param("b", 0.5, 0.5)));
        double raw = Math.sqrt(9 + 16 + 100 + 0.25 + 0.25);
        GradientClipping c = new GradientClipping(List.of(ClipConfig.globalNorm(1), ClipConfig.value(4),
                ClipConfig.perParameterNorm(5)));
        assertEquals(List.of(ClipConfig.Mode.VALUE, ClipConfig.Mode.PER_PARAMETER_NORM, ClipConfig.Mode.GLOBAL_NORM),
                c.rules().stream().map(ClipConfig::mode).toList());
        assertEquals(raw, c.clip(a), 1e-15); // the norm on entry
        // value: [3, 4, -4], norm sqrt(41) > 5 -> * 5/(sqrt(41)+1e-6); b unchanged (norm 0.707)
        double f1 = 5 / (Math.sqrt(41) + 1e-6);
        double[] ga = {3 * f1, 4 * f1, -4 * f1};
        double[] gb = {0.5, 0.5};
        double global = Math.sqrt(25 * f1 * f1 * 41 / 25 + 0.5);
        double f2 = 1 / (global + 1e-6);
        for (int i = 0; i < 3; i++) {
            ga[i] *= f2;
        }
        gb[0] *= f2;
        gb[1] *= f2;
        assertArrayEquals(ga, ((DoubleParameter) a.get("a")).grad, 1e-15);
        assertArrayEquals(gb, ((DoubleParameter) a.get("b")).grad, 1e-15);
        assertEquals(1, GradientClipping.globalNorm(a), 1e-6);
    }

    @Test
    void leavesGradientsBelowTheThresholdsExactlyAlone() {
        DoubleParameter p = param("p", 0.1, -0.2, 0.3);
        ParameterSet ps = new ParameterSet(List.of(p));
        double[] before = p.grad.clone();
        double n = GradientClipping.of(ClipConfig.value(1), ClipConfig.perParameterNorm(1), ClipConfig.globalNorm(1)).clip(ps);
        assertEquals(Math.sqrt(0.14), n, 1e-16);
        assertArrayEquals(before, p.grad);
        assertEquals(n, GradientClipping.none().clip(ps));
    }

    @Test
    void theGlobalNormFactorIncludesTorchsEpsilon() {
        DoubleParameter p = param("p", 3, 4);
        GradientClipping.of(ClipConfig.globalNorm(5)).clip(new ParameterSet(List.of(p)));
        // torch: max_norm / (total_norm + 1e-6) < 1 even when total_norm == max_norm
        assertEquals(3 * 5 / (5 + 1e-6), p.grad[0], 0);
    }

    @Test
    void clipsFloatParametersAndNormsDoNotOverflow() {
        FloatParameter f = new FloatParameter("f", 2);
        f.grad[0] = 3e38f;
        f.grad[1] = -3e38f;
        ParameterSet ps = new ParameterSet(List.of(f, param("d", 1e300, 1e300)));
        assertEquals(Math.sqrt(2) * 1e300, GradientClipping.globalNorm(ps), 1e286);
        assertEquals(Math.sqrt(2) * (double) 3e38f, GradientClipping.norm(f), 1e24);
        GradientClipping.of(ClipConfig.value(2)).clip(ps);
        assertArrayEquals(new float[] {2, -2}, f.grad);
        assertArrayEquals(new double[] {2, 2}, ((DoubleParameter) ps.get("d")).grad);
    }

    @Test
    void checkFiniteAndClipClipsAsClipAndReturnsTheSameNorm() {
        for (boolean float64 : new boolean[] {false, true}) {
            for (GradientClipping c : List.of(GradientClipping.none(), GradientClipping.of(ClipConfig.value(0.5)),
                    GradientClipping.of(ClipConfig.value(2), ClipConfig.perParameterNorm(3), ClipConfig.globalNorm(4)))) {
                ParameterSet a = Models.recurrent(4, 3, 5, 1, 2, float64);
                ParameterSet b = Models.recurrent(4, 3, 5, 1, 2, float64);
                OptimizerTest.fill(a, 1);
                OptimizerTest.fill(b, 1);
                assertEquals(c.clip(a), c.checkFiniteAndClip(b));
                for (Parameter p : a) {
                    for (int i = 0; i < p.size(); i++) {
                        assertEquals(p.grad(i), b.get(p.name()).grad(i));
                    }
                }
            }
        }
    }

    /**
     * The generated trainStep's sequence, old (check, clip, step) and new (checkFiniteAndClip,
     * stepWithoutGradientCheck): the same weights after good batches, and for a NaN or an infinity
     * the same exception message with nothing updated, gradients included.
     */
    @Test
    void checkFiniteAndClipRefusesNonFiniteGradientsWithTheMessageOfRequireFiniteGradients() {
        for (boolean float64 : new boolean[] {false, true}) {
            for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
                ParameterSet oldWay = Models.recurrent(4, 3, 5, 1, 2, float64);
                ParameterSet newWay = Models.recurrent(4, 3, 5, 1, 2, float64);
                GradientClipping clipping = GradientClipping.of(ClipConfig.value(1), ClipConfig.globalNorm(3));
                Optimizer oldOpt = new Optimizer(OptimizerConfig.adagrad(0.1));
                Optimizer newOpt = new Optimizer(OptimizerConfig.adagrad(0.1));
                LearningRateSchedule schedule = LearningRateSchedule.constant(0.1);
                for (int step = 0; step < 3; step++) {
                    OptimizerTest.fill(oldWay, step);
                    OptimizerTest.fill(newWay, step);
                    if (step == 2) {
                        // a bad element in the second parameter, row 3, column 1, and a later one
                        oldWay.get("rnn.weight_hh_l0").setGrad(16, bad);
                        newWay.get("rnn.weight_hh_l0").setGrad(16, bad);
                        newWay.get("head.bias").setGrad(1, Double.NaN);
                        oldWay.get("head.bias").setGrad(1, Double.NaN);
                    }
                    double[][] values = snapshot(newWay, false);
                    double[][] grads = snapshot(newWay, true);
                    String oldMessage = null;
                    String newMessage = null;
                    double oldNorm = 0;
                    double newNorm = 0;
                    try {
                        NonFinite.requireFiniteGradients(oldWay);
                        oldNorm = clipping.clip(oldWay);
                        oldOpt.step(oldWay, schedule);
                    } catch (NonFiniteException e) {
                        oldMessage = e.getMessage();
                    }
                    try {
                        newNorm = clipping.checkFiniteAndClip(newWay);
                        newOpt.stepWithoutGradientCheck(newWay, schedule);
                    } catch (NonFiniteException e) {
                        newMessage = e.getMessage();
                    }
                    assertEquals(oldMessage, newMessage);
                    assertEquals(oldNorm, newNorm);
                    assertEquals(oldOpt.stepCount(), newOpt.stepCount());
                    for (Parameter p : oldWay) {
                        for (int i = 0; i < p.size(); i++) {
                            assertEquals(p.value(i), newWay.get(p.name()).value(i));
                        }
                    }
                    if (step == 2) {
                        assertEquals("gradient of 'rnn.weight_hh_l0' is " + bad + " at index 16 [row 3, col 1]",
                                newMessage);
                        assertArrayEquals(values, snapshot(newWay, false), "no value changed");
                        assertArrayEquals(grads, snapshot(newWay, true), "no gradient was clipped");
                        assertEquals(2, newOpt.stepCount());
                    } else {
                        assertNull(newMessage);
                    }
                }
            }
        }
    }

    static double[][] snapshot(ParameterSet ps, boolean grads) {
        return ps.list().stream().map(p -> {
            double[] a = new double[p.size()];
            for (int i = 0; i < a.length; i++) {
                a[i] = grads ? p.grad(i) : p.value(i);
            }
            return a;
        }).toArray(double[][]::new);
    }

    @Test
    void checkFiniteAndClipAcceptsHugeFiniteGradientsWhoseSumOfSquaresOverflows() {
        ParameterSet ps = new ParameterSet(List.of(param("d", 1e300, -1e300, 3)));
        double n = GradientClipping.of(ClipConfig.globalNorm(1)).checkFiniteAndClip(ps);
        assertEquals(Math.sqrt(2) * 1e300, n, 1e286);
        double[] g = ((DoubleParameter) ps.get("d")).grad;
        assertEquals(1 / Math.sqrt(2), g[0], 1e-12);
        assertEquals(-1 / Math.sqrt(2), g[1], 1e-12);
    }

    /** The eight-accumulator sums against a plain loop, for every length of the unrolled loop's tail. */
    @Test
    void normsMatchAPlainSumForEveryTailLength() {
        SplittableRandom r = new SplittableRandom(3);
        for (int n = 1; n <= 20; n++) {
            FloatParameter f = new FloatParameter("f", n);
            DoubleParameter d = new DoubleParameter("d", n);
            double plainF = 0;
            double plainD = 0;
            for (int i = 0; i < n; i++) {
                f.grad[i] = (float) r.nextGaussian();
                d.grad[i] = r.nextGaussian();
                plainF += (double) f.grad[i] * f.grad[i];
                plainD += d.grad[i] * d.grad[i];
            }
            assertEquals(Math.sqrt(plainF), GradientClipping.norm(f), 1e-15 * Math.sqrt(plainF));
            assertEquals(Math.sqrt(plainD), GradientClipping.norm(d), 1e-15 * Math.sqrt(plainD));
            assertEquals(Math.sqrt(plainF + plainD), GradientClipping.globalNorm(new ParameterSet(List.of(f, d))),
                    1e-15 * Math.sqrt(plainF + plainD));
        }
    }

    /** Float gradients are scaled by the float factor: at most one rounding from the product in double. */
    @Test
    void floatGradientsAreScaledWithinOneRoundingOfTheDoubleProduct() {
        FloatParameter f = new FloatParameter("f", 1000);
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < f.size(); i++) {
            f.grad[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-8, 8)));
        }
        float[] before = f.grad.clone();
        ParameterSet ps = new ParameterSet(List.of(f));
        double norm = GradientClipping.globalNorm(ps);
        double factor = 0.1 / (norm + 1e-6);
        GradientClipping.of(ClipConfig.globalNorm(0.1)).clip(ps);
        for (int i = 0; i < f.size(); i++) {
            float exact = (float) (before[i] * factor);
            assertTrue(Math.abs(f.grad[i] - exact) <= Math.ulp(exact), before[i] + ": " + f.grad[i] + " vs " + exact);
        }
        assertEquals(0.1, GradientClipping.globalNorm(ps), 1e-7);
    }

    /** min/max give what the comparisons gave, for a threshold that is not a float, NaN, -0 and infinities. */
    @Test
    void valueClippingMatchesComparisonsExactly() {
        double c = 0.1;
        float[] in = {0.1f, -0.1f, Math.nextUp(0.1f), Math.nextDown(0.1f), 1e30f, -1e30f, -0.0f, 0.0f, Float.NaN,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0.05f, -Math.nextUp(0.1f)};
        FloatParameter f = new FloatParameter("f", in.length);
        DoubleParameter d = new DoubleParameter("d", in.length);
        for (int i = 0; i < in.length; i++) {
            f.grad[i] = in[i];
            d.grad[i] = i % 2 == 0 ? in[i] : (double) in[i] * (1 + 1e-12);
        }
        double[] dIn = d.grad.clone();
        GradientClipping.of(ClipConfig.value(c)).clip(new ParameterSet(List.of(f, d)));
        for (int i = 0; i < in.length; i++) {
            float g = in[i];
            float expected = g > c ? (float) c : g < -c ? (float) -c : g;
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(f.grad[i]), "float " + g);
            double x = dIn[i];
            double expectedD = x > c ? c : x < -c ? -c : x;
            assertEquals(Double.doubleToRawLongBits(expectedD), Double.doubleToRawLongBits(d.grad[i]), "double " + x);
        }
    }

    @Test
    void refusesBadRules() {
        assertThrows(IllegalArgumentException.class, () -> GradientClipping.of(ClipConfig.value(1), ClipConfig.value(2)));
        assertThrows(IllegalArgumentException.class, () -> ClipConfig.value(0));
        assertThrows(IllegalArgumentException.class, () -> ClipConfig.globalNorm(Double.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> ClipConfig.perParameterNorm(-1));
    }
}
