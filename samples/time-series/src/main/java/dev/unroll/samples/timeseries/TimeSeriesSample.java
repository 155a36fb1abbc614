package dev.unroll.samples.timeseries;

import dev.unroll.runtime.Trainer;
import dev.unroll.samples.support.Chart;
import dev.unroll.samples.support.LearningCurve;
import dev.unroll.samples.support.Options;
import dev.unroll.samples.support.Series;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Trains {@link NextValue} to predict the next value of a noisy sum of sines and compares it with
 * the naive forecast that repeats the last value.
 *
 * <pre>
 * mvn -q -pl samples/time-series exec:java
 * </pre>
 */
public final class TimeSeriesSample {
    static final int BATCH = 32;

    private TimeSeriesSample() {}

    public static void main(String[] args) {
        Path dir = Options.sampleDir();
        Options options = new Options("TimeSeriesSample [options]")
                .option("updates", 1000, "training updates, of " + BATCH + " windows of " + NextValue.STEPS + " steps")
                .option("plot", dir.resolve("target/learning-curve.png"), "learning-curve PNG to write")
                .option("forecast-plot", dir.resolve("target/forecast.png"), "PNG of one window's forecasts to write")
                .parse(args);
        int updates = options.integer("updates");
        Trainer.Batch<float[][][], float[][][]> test = Signal.batch(500, new SplittableRandom(99));
        double naive = Signal.repeatLastMse(test);
        double floor = Signal.NOISE * Signal.NOISE;

        NextValue model = new NextValue();
        LearningCurve curve = new LearningCurve("GRU, training mse (smoothed)", 10);
        Trainer.Progress done = train(model, updates, LearningCurve.both(Trainer.progressBar(System.out, 30), curve));
        double mse = model.loss(model.newWorkspace(), test.inputs(), test.targets());
        double late = lateMse(model, test, 10);
        System.out.printf(Locale.ROOT, "trained in %.1f s%n%n", done.elapsedNanos() / 1e9);
        System.out.printf(Locale.ROOT, "test mse over 500 windows of %d steps:%n", NextValue.STEPS);
        System.out.printf(Locale.ROOT, "  repeat the last value   %.5f%n", naive);
        System.out.printf(Locale.ROOT, "  GRU, every step         %.5f  (%.0f%% of the naive error)%n", mse, 100 * mse / naive);
        System.out.printf(Locale.ROOT, "  GRU, steps 10 to %d     %.5f  (once it has seen a few values)%n", NextValue.STEPS, late);
        System.out.printf(Locale.ROOT, "  noise floor             %.5f  (the noise's variance: nothing can do better)%n", floor);

        Chart.lines("time-series: next-value prediction", "update", "mean squared error (log scale)").logY()
                .add(curve.series().color(Chart.PALETTE[0]))
                .add(new Series("repeat the last value").add(0, naive).add(updates, naive).color(Chart.PALETTE[3]).dashed())
                .add(new Series("noise floor").add(0, floor).add(updates, floor).color(Chart.PALETTE[6]).dashed())
                .save(Path.of(options.string("plot")));
        System.out.println("learning curve: " + options.string("plot"));

        float[][] x = test.inputs()[0];
        float[][] y = model.forward(model.newWorkspace(), x);
        Series actual = new Series("next value (observed)").color(Chart.PALETTE[6]);
        Series predicted = new Series("GRU forecast").color(Chart.PALETTE[0]);
        Series repeated = new Series("repeat the last value").color(Chart.PALETTE[3]).dashed();
        for (int t = 0; t < x.length; t++) {
            actual.add(t + 1, test.targets()[0][t][0]);
            predicted.add(t + 1, y[t][0]);
            repeated.add(t + 1, x[t][0]);
        }
        Chart.lines("one test window: forecasts of the next value", "step", "value").add(actual).add(repeated)
                .add(predicted).save(Path.of(options.string("forecast-plot")));
        System.out.println("forecasts: " + options.string("forecast-plot"));
    }

    public static Trainer.Progress train(NextValue model, int updates, Trainer.Listener listener) {
        SplittableRandom random = new SplittableRandom(1);
        return Trainer.train(model, update -> Signal.batch(BATCH, random), updates, listener);
    }

    /** Mean squared error over steps {@code from} to the end only. */
    public static double lateMse(NextValue model, Trainer.Batch<float[][][], float[][][]> batch, int from) {
        NextValue.Workspace ws = model.newWorkspace();
        double sum = 0;
        long n = 0;
        for (int b = 0; b < batch.inputs().length; b++) {
            float[][] y = model.forward(ws, batch.inputs()[b]);
            for (int t = from; t < y.length; t++) {
                double e = y[t][0] - batch.targets()[b][t][0];
                sum += e * e;
                n++;
            }
        }
        return sum / n;
    }
}
