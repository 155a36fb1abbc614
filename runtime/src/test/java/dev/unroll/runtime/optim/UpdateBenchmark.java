package dev.unroll.runtime.optim;

import dev.unroll.runtime.FloatParameter;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A plain-Java timing harness (not a test, not JMH) for the runtime's per-update passes over the
 * parameters, on the parameters of the char-level LSTM of docs/performance.md: 65 inputs, LSTM
 * 128, head 65, float32, 108,225 elements. Prints nanoseconds per parameter element per update,
 * the median and the minimum of a few short rounds after a warm-up.
 *
 * <pre>
 *   mvn -B -o -q test-compile dependency:build-classpath -pl runtime -Dmdep.outputFile=/tmp/cp.txt
 *   java -cp runtime/target/classes:runtime/target/test-classes:$(cat /tmp/cp.txt) \
 *       dev.unroll.runtime.optim.UpdateBenchmark [name ...]
 * </pre>
 *
 * Names: {@code step-adagrad step-adam} ({@link Optimizer#step}, with its NaN check),
 * {@code unchecked-adagrad unchecked-adam} ({@link Optimizer#stepWithoutGradientCheck}),
 * {@code find} ({@link NonFinite#findInGradients}), {@code norm} ({@link GradientClipping#globalNorm}),
 * {@code clip-value} (clip value 5),
 * {@code clip-global} (clip global norm 1, which rescales every gradient), {@code refresh} (the
 * gradient copy the clip benchmarks make before each clip, to subtract), {@code old-sequence} and
 * {@code new-sequence} (the generated trainStep's calls after the gradients, Adagrad and clip
 * value 5, before and after {@link GradientClipping#checkFiniteAndClip}). Each benchmark runs
 * about 3 seconds; they do not allocate.
 */
public final class UpdateBenchmark {
    private static final int WARMUP_MILLIS = 1500;
    private static final int ROUNDS = 6;
    private static final int ROUND_MILLIS = 250;

    private UpdateBenchmark() {
    }

    /** Runs the named benchmarks, or all. */
    public static void main(String[] args) {
        List<String> names = args.length > 0 ? List.of(args) : List.of("step-adagrad", "step-adam",
                "unchecked-adagrad", "unchecked-adam", "find", "norm", "refresh", "clip-value", "clip-global",
                "old-sequence", "new-sequence");
        System.out.println(System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        for (String name : names) {
            run(name);
        }
    }

    /** The char-LSTM's parameters with realistic gradients: mostly small, 0.1% above the clip value 5. */
    static ParameterSet charLstm() {
        int v = 65;
        int h = 128;
        List<Parameter> ps = new ArrayList<>(List.of(new FloatParameter("rnn.weight_ih_l0", 4 * h, v),
                new FloatParameter("rnn.weight_hh_l0", 4 * h, h), new FloatParameter("rnn.bias_ih_l0", 4 * h),
                new FloatParameter("rnn.bias_hh_l0", 4 * h), new FloatParameter("head.weight", v, h),
                new FloatParameter("head.bias", v)));
        SplittableRandom r = new SplittableRandom(1);
        for (Parameter p : ps) {
            FloatParameter f = (FloatParameter) p;
            for (int i = 0; i < f.size(); i++) {
                f.value[i] = (float) r.nextDouble(-0.1, 0.1);
                f.grad[i] = (float) (r.nextGaussian() * 0.05 * (r.nextInt(1000) == 0 ? 200 : 1));
            }
        }
        return new ParameterSet(ps);
    }

    private static void run(String name) {
        ParameterSet ps = charLstm();
        float[][] pristine = ps.list().stream().map(p -> ((FloatParameter) p).grad.clone()).toArray(float[][]::new);
        LearningRateSchedule schedule = LearningRateSchedule.constant(1e-4);
        Optimizer adagrad = new Optimizer(OptimizerConfig.adagrad(1e-4));
        Optimizer adam = new Optimizer(OptimizerConfig.adam(1e-4));
        GradientClipping value = GradientClipping.of(ClipConfig.value(5));
        GradientClipping global = GradientClipping.of(ClipConfig.globalNorm(1));
        double[] sink = new double[1];
        Runnable refresh = () -> {
            int k = 0;
            for (Parameter p : ps) {
                float[] src = pristine[k++];
                System.arraycopy(src, 0, ((FloatParameter) p).grad, 0, src.length);
            }
        };
        Runnable op = switch (name) {
            case "step-adagrad" -> () -> adagrad.step(ps, schedule);
            case "step-adam" -> () -> adam.step(ps, schedule);
            case "unchecked-adagrad" -> () -> adagrad.stepWithoutGradientCheck(ps, schedule);
            case "unchecked-adam" -> () -> adam.stepWithoutGradientCheck(ps, schedule);
            case "find" -> () -> sink[0] += NonFinite.findInGradients(ps).isPresent() ? 1 : 0;
            case "refresh" -> refresh;
            case "norm" -> () -> sink[0] += GradientClipping.globalNorm(ps);
            case "clip-value" -> () -> {
                refresh.run();
                sink[0] += value.clip(ps);
            };
            case "clip-global" -> () -> {
                refresh.run();
                sink[0] += global.clip(ps);
            };
            case "old-sequence" -> () -> {
                refresh.run();
                NonFinite.requireFiniteGradients(ps);
                sink[0] += value.clip(ps);
                adagrad.step(ps, schedule);
            };
            case "new-sequence" -> () -> {
                refresh.run();
                sink[0] += value.checkFiniteAndClip(ps);
                adagrad.stepWithoutGradientCheck(ps, schedule);
            };
            default -> throw new IllegalArgumentException("unknown benchmark " + name);
        };
        long elements = ps.elementCount();
        time(op, WARMUP_MILLIS);
        double[] ns = new double[ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            ns[round] = time(op, ROUND_MILLIS) / elements;
        }
        double[] sorted = ns.clone();
        Arrays.sort(sorted);
        StringBuilder all = new StringBuilder();
        for (double x : ns) {
            all.append(String.format(Locale.ROOT, " %.3f", x));
        }
        // printing the sink keeps the JIT from dropping the norms as unused
        System.out.printf(Locale.ROOT, "%-18s median %.3f  min %.3f ns/element  (rounds:%s)  [%.3g]%n", name,
                sorted[ROUNDS / 2], sorted[0], all, sink[0]);
    }

    /** Runs {@code op} for about {@code millis} and returns nanoseconds per call. */
    private static double time(Runnable op, long millis) {
        long deadline = System.nanoTime() + millis * 1_000_000;
        long calls = 0;
        long start = System.nanoTime();
        long now;
        do {
            for (int i = 0; i < 10; i++) {
                op.run();
            }
            calls += 10;
            now = System.nanoTime();
        } while (now < deadline);
        return (double) (now - start) / calls;
    }
}
