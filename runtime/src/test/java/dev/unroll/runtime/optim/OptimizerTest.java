package dev.unroll.runtime.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.runtime.DoubleParameter;
import dev.unroll.runtime.FloatParameter;
import dev.unroll.runtime.NonFiniteException;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import dev.unroll.runtime.testing.Models;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class OptimizerTest {

    static ParameterSet pair(double... grads) {
        DoubleParameter w = new DoubleParameter("w", 2, 2);
        DoubleParameter b = new DoubleParameter("b", 2);
        for (int i = 0; i < 4; i++) {
            w.value[i] = 0.1 * (i + 1);
            w.grad[i] = grads[i];
        }
        b.value[0] = -1;
        b.value[1] = 1;
        b.grad[0] = grads[4];
        b.grad[1] = grads[5];
        return new ParameterSet(List.of(w, b));
    }

    @Test
    void defaultsAreTorchDefaults() {
        OptimizerConfig adam = OptimizerConfig.adam(1e-3);
        assertEquals(0.9, adam.beta1());
        assertEquals(0.999, adam.beta2());
        assertEquals(1e-8, adam.epsilon());
        assertEquals(0, adam.weightDecay());
        assertEquals(0.01, OptimizerConfig.adamW(1e-3).weightDecay());
        assertEquals(1e-10, OptimizerConfig.adagrad(0.01).epsilon());
        assertEquals(0.99, OptimizerConfig.rmsprop(0.01).alpha());
        assertEquals(1e-8, OptimizerConfig.rmsprop(0.01).epsilon());
        OptimizerConfig m = OptimizerConfig.momentum(0.1, 0.5, true);
        assertEquals(0.5, m.momentum());
        assertTrue(m.nesterov());
        assertEquals(0.2, m.withLearningRate(0.2).learningRate());
    }

    @Test
    void refusesInconsistentConfigurations() {
        assertEquals("optimizer learningRate must be in [0.0, infinity), got -0.1",
                assertThrows(IllegalArgumentException.class, () -> OptimizerConfig.sgd(-0.1)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> OptimizerConfig.sgd(Double.NaN));
        assertEquals("optimizer SGD has no momentum, but momentum is 0.9 (use MOMENTUM)",
                assertThrows(IllegalArgumentException.class, () -> OptimizerConfig.sgd(0.1).withMomentum(0.9)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> OptimizerConfig.adam(0.1).withMomentum(0.9));
        assertThrows(IllegalArgumentException.class, () -> OptimizerConfig.momentum(0.1, 0, false));
        assertThrows(IllegalArgumentException.class, () -> OptimizerConfig.momentum(0.1, 1.0, false));
        assertEquals("nesterov applies to MOMENTUM only, not ADAM",
                assertThrows(IllegalArgumentException.class, () -> OptimizerConfig.adam(0.1).withNesterov(true)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> OptimizerConfig.adam(0.1).withBetas(0.9, 1.0));
        assertThrows(IllegalArgumentException.class, () -> OptimizerConfig.adam(0.1).withEpsilon(-1e-8));
        assertThrows(IllegalArgumentException.class, () -> OptimizerConfig.rmsprop(0.1).withAlpha(1.5));
        assertThrows(IllegalArgumentException.class, () -> OptimizerConfig.adam(0.1).withWeightDecay(-1));
        assertEquals(0.5, OptimizerConfig.rmsprop(0.1).withMomentum(0.5).momentum());
    }

    @Test
    void aNonFiniteGradientIsRefusedBeforeAnythingChanges() {
        ParameterSet ps = pair(0.1, 0.2, 0.3, 0.4, 0.5, 0.6);
        ParameterSet twin = pair(0.1, 0.2, 0.3, 0.4, 0.5, 0.6);
        Optimizer opt = new Optimizer(OptimizerConfig.adam(0.01));
        Optimizer ref = new Optimizer(OptimizerConfig.adam(0.01));
        opt.step(ps);
        ref.step(twin);
        double[] w = ((DoubleParameter) ps.get("w")).value.clone();
        ((DoubleParameter) ps.get("b")).grad[1] = Double.NaN;
        ((DoubleParameter) ps.get("w")).grad[3] = Double.POSITIVE_INFINITY;
        NonFiniteException e = assertThrows(NonFiniteException.class, () -> opt.step(ps));
        assertEquals("gradient of 'w' is Infinity at index 3 [row 1, col 1]; the optimizer step was refused, "
                + "nothing was updated", e.getMessage());
        assertArrayEquals(w, ((DoubleParameter) ps.get("w")).value);
        assertEquals(1, opt.stepCount());
        // the state was not touched either: the next good step matches an optimizer that never saw the NaN
        ((DoubleParameter) ps.get("b")).grad[1] = 0.6;
        ((DoubleParameter) ps.get("w")).grad[3] = 0.4;
        opt.step(ps);
        ref.step(twin);
        assertArrayEquals(((DoubleParameter) twin.get("w")).value, ((DoubleParameter) ps.get("w")).value);
        assertArrayEquals(((DoubleParameter) twin.get("b")).value, ((DoubleParameter) ps.get("b")).value);
    }

    @Test
    void findsNonFiniteValuesAndGradientsByName() {
        FloatParameter f = new FloatParameter("rnn.weight_hh_l0", 3, 4);
        f.grad[6] = Float.NaN;
        f.value[11] = Float.NEGATIVE_INFINITY;
        ParameterSet ps = new ParameterSet(List.of(new DoubleParameter("a", 2), f));
        Optional<NonFinite.Location> g = NonFinite.findInGradients(ps);
        assertEquals("gradient of 'rnn.weight_hh_l0' is NaN at index 6 [row 1, col 2]", g.orElseThrow().message());
        assertEquals(1, g.get().row());
        assertEquals(2, g.get().column());
        assertEquals("value of 'rnn.weight_hh_l0' is -Infinity at index 11 [row 2, col 3]",
                NonFinite.findInValues(ps).orElseThrow().message());
        assertThrows(NonFiniteException.class, () -> NonFinite.requireFiniteGradients(ps));
        f.grad[6] = 0;
        assertTrue(NonFinite.findInGradients(ps).isEmpty());
        NonFinite.requireFiniteGradients(ps);
    }

    @Test
    void refusesABadLearningRateOrAParameterThatChangedSize() {
        Optimizer opt = new Optimizer(OptimizerConfig.momentum(0.1, 0.9, false));
        ParameterSet ps = pair(1, 1, 1, 1, 1, 1);
        assertThrows(IllegalArgumentException.class, () -> opt.step(ps, Double.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> opt.step(ps, -1));
        opt.step(ps);
        ParameterSet other = new ParameterSet(List.of(new DoubleParameter("w", 3, 2)));
        String msg = assertThrows(IllegalStateException.class, () -> opt.step(other)).getMessage();
        assertEquals("parameter 'w' has 6 elements, but the optimizer's state for it has 4", msg);
        opt.reset();
        opt.step(other);
        assertEquals(1, opt.stepCount());
    }

    /** The state is kept in the parameter's precision, so a parameter may not change precision. */
    @Test
    void refusesAParameterWhosePrecisionChanged() {
        Optimizer opt = new Optimizer(OptimizerConfig.adam(0.1));
        ParameterSet ps = pair(1, 1, 1, 1, 1, 1);
        opt.step(ps);
        ParameterSet float32 = new ParameterSet(List.of(new FloatParameter("w", 2, 2), new FloatParameter("b", 2)));
        assertEquals("parameter 'w' is float32, but the optimizer's state for it is float64",
                assertThrows(IllegalStateException.class, () -> opt.step(float32, 0.1)).getMessage());
        assertEquals(1, opt.stepCount());
        opt.reset();
        opt.step(float32);
        assertEquals(1, opt.stepCount());
    }

    /** Every kind, with and without weight decay (AdamW: its default 0.01, and 0). */
    static List<OptimizerConfig> everyKind() {
        List<OptimizerConfig> configs = new ArrayList<>();
        for (double wd : new double[] {0, 0.05}) {
            configs.add(OptimizerConfig.sgd(0.1).withWeightDecay(wd));
            configs.add(OptimizerConfig.momentum(0.1, 0.9, false).withWeightDecay(wd));
            configs.add(OptimizerConfig.momentum(0.05, 0.8, true).withWeightDecay(wd));
            configs.add(OptimizerConfig.adagrad(0.1).withWeightDecay(wd));
            configs.add(OptimizerConfig.rmsprop(0.01).withWeightDecay(wd));
            configs.add(OptimizerConfig.rmsprop(0.01).withMomentum(0.5).withAlpha(0.9).withWeightDecay(wd));
            configs.add(OptimizerConfig.adam(0.01).withWeightDecay(wd));
            configs.add(OptimizerConfig.adamW(0.01).withWeightDecay(wd == 0 ? 0 : 0.01));
        }
        return configs;
    }

    /**
     * The float path (float32 arithmetic and state on the parameter's arrays) against what the
     * previous implementation computed: the float values widened, updated in double with double
     * state, rounded back to float after every step. Both see the same float gradients, of very
     * different magnitudes (up to 10), for sizes that exercise the vector loops' tails. The error is
     * measured relative to the value, or to 1 below it: the values are of order 1, and a float
     * rounding at that size is 6e-8 absolute whatever the result (cancellation). 4e-6 is about 32
     * such roundings over 20 steps; the worst measured is 2.3e-6, for MOMENTUM, whose float buffer
     * holds about ten gradients' worth, the others stay below 5e-7.
     */
    @Test
    void theFloatPathMatchesTheDoublePathRoundedToFloatForEveryKind() {
        for (OptimizerConfig c : everyKind()) {
            int[][] shapes = {{1}, {7}, {37, 5}};
            List<FloatParameter> fs = new ArrayList<>();
            List<DoubleParameter> ds = new ArrayList<>();
            SplittableRandom random = new SplittableRandom(42);
            for (int k = 0; k < shapes.length; k++) {
                FloatParameter f = new FloatParameter("p" + k, shapes[k]);
                for (int i = 0; i < f.size(); i++) {
                    f.value[i] = (float) random.nextDouble(-1, 1);
                }
                fs.add(f);
                ds.add(new DoubleParameter("p" + k, shapes[k]));
            }
            ParameterSet floats = new ParameterSet(fs);
            ParameterSet doubles = new ParameterSet(ds);
            Optimizer of = new Optimizer(c);
            Optimizer od = new Optimizer(c);
            double worst = 0;
            for (int step = 0; step < 20; step++) {
                for (int k = 0; k < shapes.length; k++) {
                    FloatParameter f = fs.get(k);
                    DoubleParameter d = ds.get(k);
                    for (int i = 0; i < f.size(); i++) {
                        double scale = Math.pow(10, random.nextInt(-4, 2));
                        f.grad[i] = (float) (random.nextGaussian() * scale);
                        d.grad[i] = f.grad[i];
                        d.value[i] = (float) (step == 0 ? f.value[i] : d.value[i]); // the old path's rounding
                    }
                }
                of.step(floats);
                od.step(doubles);
                for (int k = 0; k < shapes.length; k++) {
                    for (int i = 0; i < fs.get(k).size(); i++) {
                        double expected = (float) ds.get(k).value[i];
                        double err = Math.abs(fs.get(k).value[i] - expected) / Math.max(Math.abs(expected), 1);
                        worst = Math.max(worst, err);
                        assertTrue(err <= 4e-6, c + " step " + step + " p" + k + "[" + i + "]: expected " + expected
                                + ", got " + fs.get(k).value[i]);
                    }
                }
            }
            assertTrue(worst > 0, c + ": bit-identical, so this test did not compare two paths");
        }
    }

    @Test
    void stepWithoutGradientCheckUpdatesExactlyAsStep() {
        for (OptimizerConfig c : everyKind()) {
            for (boolean float64 : new boolean[] {false, true}) {
                ParameterSet a = Models.recurrent(4, 3, 5, 1, 2, float64);
                ParameterSet b = Models.recurrent(4, 3, 5, 1, 2, float64);
                Optimizer checked = new Optimizer(c);
                Optimizer unchecked = new Optimizer(c);
                LearningRateSchedule schedule = LearningRateSchedule.step(c.learningRate(), 0.5, 2);
                for (int step = 0; step < 4; step++) {
                    fill(a, step);
                    fill(b, step);
                    checked.step(a, schedule);
                    unchecked.stepWithoutGradientCheck(b, schedule);
                    for (Parameter p : a) {
                        for (int i = 0; i < p.size(); i++) {
                            assertEquals(p.value(i), b.get(p.name()).value(i), c + " " + p.name() + "[" + i + "]");
                        }
                    }
                }
                assertEquals(4, unchecked.stepCount());
            }
        }
    }

    /** Deterministic values and gradients, the same for the same names and step. */
    static void fill(ParameterSet ps, int step) {
        for (Parameter p : ps) {
            SplittableRandom r = new SplittableRandom(p.name().hashCode() * 31L + step);
            for (int i = 0; i < p.size(); i++) {
                if (step == 0) {
                    p.setValue(i, r.nextDouble(-0.5, 0.5));
                }
                p.setGrad(i, r.nextGaussian());
            }
        }
    }

    @Test
    void stepWithoutGradientCheckStillRefusesABadLearningRateOrAResizedParameter() {
        Optimizer opt = new Optimizer(OptimizerConfig.adam(0.1));
        ParameterSet ps = pair(1, 1, 1, 1, 1, 1);
        assertThrows(IllegalArgumentException.class, () -> opt.stepWithoutGradientCheck(ps, Double.NaN));
        opt.stepWithoutGradientCheck(ps, LearningRateSchedule.constant(0.1));
        ParameterSet resized = new ParameterSet(List.of(new DoubleParameter("w", 3, 2)));
        assertEquals("parameter 'w' has 6 elements, but the optimizer's state for it has 4",
                assertThrows(IllegalStateException.class, () -> opt.stepWithoutGradientCheck(resized, 0.1)).getMessage());
        assertEquals(1, opt.stepCount());
    }

    @Test
    void stepWithAScheduleUsesTheUpdateCount() {
        DoubleParameter p = new DoubleParameter("p", 1);
        ParameterSet ps = new ParameterSet(List.of(p));
        Optimizer opt = new Optimizer(OptimizerConfig.sgd(1));
        LearningRateSchedule s = LearningRateSchedule.step(1, 0.5, 1);
        double[] expected = {-1, -1.5, -1.75, -1.875};
        for (double e : expected) {
            p.grad[0] = 1;
            opt.step(ps, s);
            assertEquals(e, p.value[0]);
        }
    }

    @Test
    void schedulesFollowTheirFormulas() {
        LearningRateSchedule c = LearningRateSchedule.constant(0.3);
        assertEquals(0.3, c.learningRate(0));
        assertEquals(0.3, c.learningRate(1_000_000));
        LearningRateSchedule s = LearningRateSchedule.step(0.1, 0.5, 3);
        assertEquals(0.1, s.learningRate(2));
        assertEquals(0.05, s.learningRate(3));
        assertEquals(0.1 * Math.pow(0.5, 3), s.learningRate(11));
        LearningRateSchedule cos = LearningRateSchedule.cosine(1.0, 0.1, 10);
        assertEquals(1.0, cos.learningRate(0));
        assertEquals(0.55, cos.learningRate(5), 1e-15);
        assertEquals(0.1, cos.learningRate(10), 1e-15);
        assertEquals(cos.learningRate(10), cos.learningRate(25)); // stays at the minimum
        assertTrue(cos.learningRate(3) > cos.learningRate(4));
        assertThrows(IllegalArgumentException.class, () -> c.learningRate(-1));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.step(0.1, 0, 3));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.step(0.1, 0.5, 0));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.cosine(0.1, 0.2, 10));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.cosine(0.1, 0.0, 0));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.constant(Double.NaN));
    }
}
