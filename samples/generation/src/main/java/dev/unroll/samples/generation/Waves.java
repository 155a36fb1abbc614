package dev.unroll.samples.generation;

import dev.unroll.runtime.Trainer;
import java.util.SplittableRandom;

/** Waveforms for {@link Waveform}: a shape, a number of periods and an amplitude in, 48 samples out. */
public final class Waves {
    public static final String[] SHAPES = {"sine", "square", "triangle", "sawtooth"};

    private Waves() {}

    /** One waveform's description. */
    public record Spec(int shape, double periods, double amplitude) {
        /** The model's input: the shape one-hot, then the periods and the amplitude, scaled to about [-1, 1]. */
        public float[] input() {
            float[] x = new float[Waveform.INPUT_SIZE];
            x[shape] = 1;
            x[4] = (float) ((periods - 2.5) / 1.5);
            x[5] = (float) amplitude;
            return x;
        }

        /** The samples to draw: {@code [step][0]}. */
        public float[][] target() {
            float[][] y = new float[Waveform.STEPS][1];
            for (int t = 0; t < y.length; t++) {
                double u = periods * t / Waveform.STEPS;
                u -= Math.floor(u);
                y[t][0] = (float) (amplitude * Waves.value(shape, u));
            }
            return y;
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "%s, %.1f periods, amplitude %.2f", SHAPES[shape], periods,
                    amplitude);
        }
    }

    /** The value of a shape at phase {@code u} in [0, 1); every shape starts at 0 or +1 and has period 1. */
    static double value(int shape, double u) {
        return switch (shape) {
            case 0 -> Math.sin(2 * Math.PI * u);
            case 1 -> u < 0.5 ? 1 : -1;
            case 2 -> u < 0.25 ? 4 * u : u < 0.75 ? 2 - 4 * u : 4 * u - 4;
            default -> u < 0.5 ? 2 * u : 2 * u - 2;
        };
    }

    /** A random description: any shape, 1 to 4 periods, amplitude 0.3 to 0.9. */
    public static Spec random(SplittableRandom random) {
        return new Spec(random.nextInt(SHAPES.length), 1 + 3 * random.nextDouble(), 0.3 + 0.6 * random.nextDouble());
    }

    public static Trainer.Batch<float[][], float[][][]> batch(int size, SplittableRandom random) {
        float[][] xs = new float[size][];
        float[][][] ys = new float[size][][];
        for (int b = 0; b < size; b++) {
            Spec spec = random(random);
            xs[b] = spec.input();
            ys[b] = spec.target();
        }
        return new Trainer.Batch<>(xs, ys);
    }

    /** The mean squared error of drawing a flat line at 0: the mean of the squared targets. */
    public static double silenceMse(float[][][] ys) {
        double sum = 0;
        long n = 0;
        for (float[][] y : ys) {
            for (float[] v : y) {
                sum += v[0] * v[0];
                n++;
            }
        }
        return sum / n;
    }
}
