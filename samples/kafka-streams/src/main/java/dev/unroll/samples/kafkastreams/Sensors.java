package dev.unroll.samples.kafkastreams;

import dev.unroll.runtime.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Simulated devices, each with 3 sensor channels: a level of its own (between -2 and 2), a slow
 * oscillation of amplitude 0.5 with a period of its own, a little noise and, now and then, a spike
 * of 1.5 to 2.5 up or down on one channel. Used to train the {@link SpikeDetector}, by the tests,
 * and by the sample's producer of simulated readings.
 */
public final class Sensors {
    /** Channels per reading: the detector's input size. */
    public static final int CHANNELS = SpikeDetector.INPUT_SIZE;

    private Sensors() {}

    /**
     * One reading and whether a spike was injected into it.
     *
     * @param values the channels' values
     * @param spike whether the reading is a spike, the detector's target
     */
    public record Reading(float[] values, boolean spike) {
        /** The reading as the sample's topics carry it: its values, comma-separated. */
        public String text() {
            return Sensors.text(values);
        }
    }

    /**
     * One device's stream: {@code length} readings from time {@code start}, spikes with probability
     * {@code spikeRate} each. The same {@code seed} gives the same device and the same stream.
     */
    public static List<Reading> stream(long seed, int start, int length, double spikeRate) {
        SplittableRandom random = new SplittableRandom(seed);
        double level = -2 + 4 * random.nextDouble();
        double period = 8 + 16 * random.nextDouble();
        double[] phase = {2 * Math.PI * random.nextDouble(), 2 * Math.PI * random.nextDouble(),
                2 * Math.PI * random.nextDouble()};
        SplittableRandom noise = random.split();
        List<Reading> readings = new ArrayList<>(length);
        for (int t = 0; t < start + length; t++) {
            float[] values = new float[CHANNELS];
            for (int c = 0; c < CHANNELS; c++) {
                values[c] = (float) (level + 0.5 * Math.sin(2 * Math.PI * t / period + phase[c])
                        + 0.05 * noise.nextGaussian());
            }
            boolean spike = noise.nextDouble() < spikeRate;
            if (spike) {
                double jump = 1.5 + noise.nextDouble();
                values[noise.nextInt(CHANNELS)] += (float) (noise.nextBoolean() ? jump : -jump);
            }
            if (t >= start) {
                readings.add(new Reading(values, spike));
            }
        }
        return readings;
    }

    /**
     * Training batches: each sequence is a window of a new random device's stream at a random time,
     * spikes at 8% of the readings, the targets 1 where a spike is and 0 elsewhere.
     */
    public static Trainer.Batches<float[][][], float[][][]> batches(int batchSize, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        return update -> {
            float[][][] xs = new float[batchSize][][];
            float[][][] ys = new float[batchSize][SpikeDetector.STEPS][1];
            for (int b = 0; b < batchSize; b++) {
                List<Reading> window = stream(random.nextLong(), random.nextInt(200), SpikeDetector.STEPS, 0.08);
                xs[b] = new float[SpikeDetector.STEPS][];
                for (int t = 0; t < SpikeDetector.STEPS; t++) {
                    xs[b][t] = window.get(t).values();
                    ys[b][t][0] = window.get(t).spike() ? 1f : 0f;
                }
            }
            return new Trainer.Batch<>(xs, ys);
        };
    }

    /** A reading's values, comma-separated, each as {@link Float#toString} writes it (so they read back exactly). */
    public static String text(float[] values) {
        StringBuilder text = new StringBuilder();
        for (int c = 0; c < values.length; c++) {
            text.append(c > 0 ? "," : "").append(Float.toString(values[c]));
        }
        return text.toString();
    }

    /**
     * Reads a reading from its text: numbers separated by commas. Checks the syntax only: the number
     * of values and whether they are finite are the model's to check.
     *
     * @throws IllegalArgumentException if the text is null or a value is not a number
     */
    public static float[] parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("the reading is null (a tombstone?); expected numbers separated by commas");
        }
        String[] parts = text.split(",", -1);
        float[] values = new float[parts.length];
        for (int c = 0; c < parts.length; c++) {
            try {
                values[c] = Float.parseFloat(parts[c].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "value %d of the reading, '%s', is not a number", c, parts[c]), e);
            }
        }
        return values;
    }
}
