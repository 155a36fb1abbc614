package dev.unroll.runtime.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.unroll.runtime.DoubleParameter;
import dev.unroll.runtime.FloatParameter;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import dev.unroll.runtime.checkpoint.SafeTensors;
import dev.unroll.runtime.checkpoint.Tensor;
import dev.unroll.runtime.checkpoint.TensorFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Replays the torch.optim runs of src/test/python/make_optimizer_fixtures.py: same initial values,
 * same gradients, same clipping, same schedule; every clipped gradient, norm, learning rate and
 * parameter value after every step must match PyTorch to 1e-12 relative (float64) or 1e-6
 * (float32).
 */
class TorchFixtureTest {
    static final Path FIXTURES = fixturesDirectory();

    /** The fixtures, from the test classpath (target/test-classes/fixtures). */
    static Path fixturesDirectory() {
        try {
            return Path.of(TorchFixtureTest.class.getResource("/fixtures").toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Stream<String> fixtures() throws IOException {
        try (Stream<Path> s = Files.list(FIXTURES)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("optim_")).sorted().toList().stream();
        }
    }

    @Test
    void everyKindScheduleAndClippingModeHasAFixture() throws Exception {
        List<String> kinds = new ArrayList<>();
        List<String> schedules = new ArrayList<>();
        List<String> clips = new ArrayList<>();
        boolean nesterov = false;
        boolean weightDecay = false;
        for (String name : fixtures().toList()) {
            Map<String, String> m = SafeTensors.read(FIXTURES.resolve(name)).metadata();
            kinds.add(m.get("kind"));
            schedules.add(m.get("schedule"));
            clips.add(m.get("clip"));
            nesterov |= m.get("nesterov").equals("true");
            weightDecay |= Double.parseDouble(m.get("weight_decay")) > 0 && m.get("kind").equals("ADAMW");
        }
        for (OptimizerConfig.Kind k : OptimizerConfig.Kind.values()) {
            assertTrue(kinds.contains(k.name()), k.name());
        }
        assertTrue(schedules.containsAll(List.of("constant", "step", "cosine")));
        assertTrue(clips.stream().anyMatch(c -> c.equals("value=0.5")));
        assertTrue(clips.stream().anyMatch(c -> c.startsWith("per_parameter=")));
        assertTrue(clips.stream().anyMatch(c -> c.startsWith("global=")));
        assertTrue(nesterov && weightDecay);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void matchesPyTorch(String fixture) throws Exception {
        TensorFile tf = SafeTensors.read(FIXTURES.resolve(fixture));
        Map<String, String> m = tf.metadata();
        boolean f64 = m.get("dtype").equals("float64");
        double tol = f64 ? 1e-12 : 1e-6;
        OptimizerConfig config = new OptimizerConfig(OptimizerConfig.Kind.valueOf(m.get("kind")), d(m, "lr"),
                d(m, "momentum"), Boolean.parseBoolean(m.get("nesterov")), d(m, "beta1"), d(m, "beta2"), d(m, "epsilon"),
                d(m, "alpha"), d(m, "weight_decay"));
        LearningRateSchedule schedule = switch (m.get("schedule")) {
            case "constant" -> LearningRateSchedule.constant(config.learningRate());
            case "step" -> LearningRateSchedule.step(config.learningRate(), d(m, "schedule.gamma"),
                    Long.parseLong(m.get("schedule.every")));
            case "cosine" -> LearningRateSchedule.cosine(config.learningRate(), d(m, "schedule.min_lr"),
                    Long.parseLong(m.get("schedule.period")));
            default -> throw new AssertionError(m.get("schedule"));
        };
        List<ClipConfig> rules = new ArrayList<>();
        for (String rule : m.get("clip").isEmpty() ? new String[0] : m.get("clip").split(",")) {
            String[] kv = rule.split("=");
            double c = Double.parseDouble(kv[1]);
            rules.add(switch (kv[0]) {
                case "value" -> ClipConfig.value(c);
                case "per_parameter" -> ClipConfig.perParameterNorm(c);
                case "global" -> ClipConfig.globalNorm(c);
                default -> throw new AssertionError(kv[0]);
            });
        }
        java.util.Collections.reverse(rules); // the given order must not matter
        GradientClipping clipping = new GradientClipping(rules);

        List<Parameter> ps = new ArrayList<>();
        for (String name : m.get("params").split(",")) {
            Tensor init = tf.tensor("init." + name);
            Parameter p = f64 ? new DoubleParameter(name, init.shape()) : new FloatParameter(name, init.shape());
            set(p, init, false);
            ps.add(p);
        }
        ParameterSet params = new ParameterSet(ps);
        Optimizer opt = new Optimizer(config);
        int steps = Integer.parseInt(m.get("steps"));
        int clippedSomething = 0;
        for (int t = 0; t < steps; t++) {
            for (Parameter p : params) {
                set(p, tf.tensor("grad." + t + "." + p.name()), true);
            }
            if (!rules.isEmpty()) {
                double norm = clipping.clip(params);
                close(tf.tensor("norm").getDouble(t), norm, 1e-12, fixture + " norm at step " + t);
                for (Parameter p : params) {
                    Tensor expected = tf.tensor("clipped." + t + "." + p.name());
                    Tensor raw = tf.tensor("grad." + t + "." + p.name());
                    for (int i = 0; i < p.size(); i++) {
                        close(expected.getDouble(i), p.grad(i), tol, fixture + " clipped grad of " + p.name() + "[" + i + "] at step " + t);
                        clippedSomething += expected.getDouble(i) != raw.getDouble(i) ? 1 : 0;
                    }
                }
            }
            double lr = schedule.learningRate(opt.stepCount());
            close(tf.tensor("lr").getDouble(t), lr, 1e-12, fixture + " lr at step " + t);
            opt.step(params, schedule);
            for (Parameter p : params) {
                Tensor expected = tf.tensor("value." + t + "." + p.name());
                for (int i = 0; i < p.size(); i++) {
                    close(expected.getDouble(i), p.value(i), tol, fixture + " " + p.name() + "[" + i + "] after step " + t);
                }
            }
        }
        assertEquals(steps, opt.stepCount());
        if (!rules.isEmpty()) {
            assertTrue(clippedSomething > 0, fixture + ": the fixture never clips, so it proves nothing");
        }
    }

    private static double d(Map<String, String> m, String key) {
        return Double.parseDouble(m.get(key));
    }

    private static void set(Parameter p, Tensor t, boolean grad) {
        assertEquals(p.size(), t.elementCount());
        for (int i = 0; i < p.size(); i++) {
            if (grad) {
                p.setGrad(i, t.getDouble(i));
            } else {
                p.setValue(i, t.getDouble(i));
            }
        }
    }

    static void close(double expected, double actual, double rel, String what) {
        double err = Math.abs(expected - actual);
        if (!(err <= rel * Math.max(Math.abs(expected), 1e-3))) {
            fail(what + ": expected " + expected + ", got " + actual + " (relative error " + err / Math.abs(expected) + ")");
        }
    }
}
