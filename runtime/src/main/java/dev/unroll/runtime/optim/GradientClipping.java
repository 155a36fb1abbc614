package dev.unroll.runtime.optim;

import dev.unroll.runtime.DoubleParameter;
import dev.unroll.runtime.FloatParameter;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;

/**
 * Clips gradients in place, as {@code torch.nn.utils} does.
 *
 * <p>The rules are applied in the fixed order {@link ClipConfig.Mode#VALUE},
 * {@link ClipConfig.Mode#PER_PARAMETER_NORM}, {@link ClipConfig.Mode#GLOBAL_NORM}, whatever order
 * they are given in; at most one rule per mode.
 * <ul>
 *   <li>value: {@code g = clamp(g, -c, c)}, like {@code clip_grad_value_};</li>
 *   <li>norm rules, like {@code clip_grad_norm_} (with its {@code 1e-6}): with {@code n} the L2 norm
 *       (of one parameter's gradient, or of all gradients together),
 *       {@code g *= c / (n + 1e-6)} when that factor is below 1, else nothing changes.</li>
 * </ul>
 * Norms are computed in double for both precisions (and without overflow for huge finite
 * gradients). NaN stays NaN: check with {@link NonFinite} first if that matters (the
 * {@link Optimizer} does).
 */
public final class GradientClipping {
    private static final double NORM_EPS = 1e-6;
    private final List<ClipConfig> rules;

    /**
     * Creates clipping with the given rules.
     *
     * @throws IllegalArgumentException when two rules have the same mode
     */
    public GradientClipping(List<ClipConfig> rules) {
        EnumSet<ClipConfig.Mode> seen = EnumSet.noneOf(ClipConfig.Mode.class);
        List<ClipConfig> sorted = new ArrayList<>(rules);
        for (ClipConfig r : sorted) {
            if (!seen.add(r.mode())) {
                throw new IllegalArgumentException("two clipping rules of mode " + r.mode() + ": " + rules);
            }
        }
        sorted.sort(Comparator.comparing(ClipConfig::mode));
        this.rules = List.copyOf(sorted);
    }

    /** Creates clipping with the given rules. */
    public static GradientClipping of(ClipConfig... rules) {
        return new GradientClipping(List.of(rules));
    }

    /** Returns clipping that changes nothing (it still computes the norm). */
    public static GradientClipping none() {
        return new GradientClipping(List.of());
    }

    /** Returns the rules in the order they are applied. */
    public List<ClipConfig> rules() {
        return rules;
    }

    /**
     * Clips the gradients in place.
     *
     * @return the global L2 norm of the gradients as they were on entry, before any clipping
     *     (what to log to watch for exploding gradients)
     */
    public double clip(ParameterSet parameters) {
        double rawNorm = globalNorm(parameters);
        double globalNow = rawNorm;
        for (ClipConfig r : rules) {
            double c = r.threshold();
            switch (r.mode()) {
                case VALUE -> {
                    for (Parameter p : parameters) {
                        clampGradient(p, c);
                    }
                    globalNow = Double.NaN; // changed: recompute if needed
                }
                case PER_PARAMETER_NORM -> {
                    for (Parameter p : parameters) {
                        double factor = c / (norm(p) + NORM_EPS);
                        if (factor < 1) {
                            scaleGradient(p, factor);
                        }
                    }
                    globalNow = Double.NaN;
                }
                case GLOBAL_NORM -> {
                    double n = Double.isNaN(globalNow) ? globalNorm(parameters) : globalNow;
                    double factor = c / (n + NORM_EPS);
                    if (factor < 1) {
                        for (Parameter p : parameters) {
                            scaleGradient(p, factor);
                        }
                    }
                }
                default -> throw new AssertionError(r.mode());
            }
        }
        return rawNorm;
    }

    /** Returns the L2 norm of all gradients together: {@code sqrt(sum of norm(p)^2)}. */
    public static double globalNorm(ParameterSet parameters) {
        double sum = 0;
        for (Parameter p : parameters) {
            double n = norm(p);
            sum += n * n;
        }
        if (Double.isInfinite(sum)) {
            double max = 0;
            for (Parameter p : parameters) {
                max = Math.max(max, norm(p));
            }
            if (Double.isInfinite(max)) {
                return max;
            }
            double scaled = 0;
            for (Parameter p : parameters) {
                double n = norm(p) / max;
                scaled += n * n;
            }
            return max * Math.sqrt(scaled);
        }
        return Math.sqrt(sum);
    }

    /** Returns the L2 norm of one parameter's gradient, in double. */
    public static double norm(Parameter p) {
        int n = p.size();
        double sum = 0;
        if (p instanceof DoubleParameter d) {
            for (double g : d.grad) {
                sum += g * g;
            }
        } else {
            for (float g : ((FloatParameter) p).grad) {
                sum += (double) g * g;
            }
        }
        if (Double.isInfinite(sum)) {
            // huge but maybe finite gradients: rescale by the largest magnitude to avoid overflow
            double max = 0;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, Math.abs(p.grad(i)));
            }
            if (Double.isInfinite(max)) {
                return max;
            }
            double scaled = 0;
            for (int i = 0; i < n; i++) {
                double x = p.grad(i) / max;
                scaled += x * x;
            }
            return max * Math.sqrt(scaled);
        }
        return Math.sqrt(sum);
    }

    private static void clampGradient(Parameter p, double c) {
        if (p instanceof DoubleParameter d) {
            double[] g = d.grad;
            for (int i = 0; i < g.length; i++) {
                if (g[i] > c) {
                    g[i] = c;
                } else if (g[i] < -c) {
                    g[i] = -c;
                }
            }
        } else {
            float[] g = ((FloatParameter) p).grad;
            for (int i = 0; i < g.length; i++) {
                if (g[i] > c) {
                    g[i] = (float) c;
                } else if (g[i] < -c) {
                    g[i] = (float) -c;
                }
            }
        }
    }

    private static void scaleGradient(Parameter p, double factor) {
        if (p instanceof DoubleParameter d) {
            double[] g = d.grad;
            for (int i = 0; i < g.length; i++) {
                g[i] *= factor;
            }
        } else {
            float[] g = ((FloatParameter) p).grad;
            for (int i = 0; i < g.length; i++) {
                g[i] = (float) (g[i] * factor);
            }
        }
    }
}
