package dev.unroll.samples.longmemory;

import dev.unroll.runtime.NonFiniteException;
import dev.unroll.runtime.Trainer;
import dev.unroll.samples.support.Chart;
import dev.unroll.samples.support.LearningCurve;
import dev.unroll.samples.support.Options;
import dev.unroll.samples.support.Series;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The adding problem at several lengths with a vanilla RNN, an LSTM and a GRU, then a ReLU RNN
 * trained with SGD with and without gradient clipping. Prints a Markdown table of test errors and
 * draws the learning curves.
 *
 * <pre>
 * mvn -q -pl samples/long-memory exec:java -Dexec.args="--lengths 10,50 --updates 800"
 * </pre>
 */
public final class LongMemorySample {
    static final int BATCH = 32;
    static final int TEST_SEQUENCES = 1000;
    /** Test error below which a model counts as having solved the task (the baseline is 0.167). */
    public static final double SOLVED = 0.01;

    private LongMemorySample() {}

    /** What one training run ended with. */
    public record Run(Nets.Net net, double testMse, Series curve, Series losses, Series gradientNorms, long skipped,
            double maxGradientNorm, String failure) {}

    public static void main(String[] args) {
        Path dir = Options.sampleDir();
        Options options = new Options("LongMemorySample [options]")
                .option("lengths", "10,25,50,100", "sequence lengths, among " + Arrays.toString(Nets.LENGTHS))
                .option("cells", "rnn,lstm,gru", "cells to compare")
                .option("updates", 1500, "training updates per model, of " + BATCH + " sequences (0 skips the comparison)")
                .option("clip-updates", 150, "updates of each run of the clipping experiment (0 skips it)")
                .option("plot", dir.resolve("target/learning-curve.png"), "learning-curve PNG to write")
                .option("clip-plot", dir.resolve("target/clipping.png"), "clipping-experiment PNG to write")
                .parse(args);
        int[] lengths = Arrays.stream(options.string("lengths").split(",")).mapToInt(Integer::parseInt).toArray();
        String[] cells = options.string("cells").split(",");
        int updates = options.integer("updates");

        if (updates > 0) {
            compare(lengths, cells, updates, Path.of(options.string("plot")));
        }
        int clipUpdates = options.integer("clip-updates");
        if (clipUpdates > 0) {
            clipping(clipUpdates, Path.of(options.string("clip-plot")));
        }
    }

    private static void compare(int[] lengths, String[] cells, int updates, Path plot) {
        Map<String, Run> runs = new LinkedHashMap<>();
        long start = System.nanoTime();
        for (int steps : lengths) {
            for (String cell : cells) {
                System.out.printf(Locale.ROOT, "%s over %d steps%n", cell, steps);
                Run run = train(Nets.adding(cell, steps), updates, 1, Trainer.progressBar(System.out, 20),
                        Trainer.OnNonFinite.THROW);
                runs.put(cell + steps, run);
            }
        }
        System.out.printf(Locale.ROOT, "%nTest mean squared error on %d new sequences after %d updates of %d "
                + "(always answering 1 scores %.3f; solved means below %.2f); %.0f s in all:%n%n", TEST_SEQUENCES,
                updates, BATCH, AddingProblem.BASELINE_MSE, SOLVED, (System.nanoTime() - start) / 1e9);
        StringBuilder header = new StringBuilder("| steps |");
        StringBuilder rule = new StringBuilder("|---:|");
        for (String cell : cells) {
            header.append(' ').append(cell).append(" |");
            rule.append("---:|");
        }
        System.out.println(header);
        System.out.println(rule);
        for (int steps : lengths) {
            StringBuilder row = new StringBuilder("| " + steps + " |");
            for (String cell : cells) {
                double mse = runs.get(cell + steps).testMse();
                row.append(String.format(Locale.ROOT, " %.4f%s |", mse, mse < SOLVED ? " ✓" : ""));
            }
            System.out.println(row);
        }

        Chart curves = Chart.lines("adding problem: training loss (mse)", "update", "mean squared error (log scale)")
                .logY();
        int longest = Arrays.stream(lengths).max().orElseThrow();
        int shortest = Arrays.stream(lengths).min().orElseThrow();
        for (int c = 0; c < cells.length; c++) {
            String cell = cells[c];
            java.awt.Color color = Chart.PALETTE[c % Chart.PALETTE.length];
            if (shortest != longest) {
                curves.add(runs.get(cell + shortest).curve().renamed(cell + ", " + shortest + " steps").color(color)
                        .dashed());
            }
            curves.add(runs.get(cell + longest).curve().renamed(cell + ", " + longest + " steps").color(color));
        }
        curves.add(new Series("always answering 1").add(0, AddingProblem.BASELINE_MSE)
                .add(updates, AddingProblem.BASELINE_MSE).color(Chart.PALETTE[6]).dashed());
        System.out.println("\nlearning curves: " + curves.save(plot));
    }

    private static void clipping(int updates, Path plot) {
        System.out.printf(Locale.ROOT, "%nExploding gradients: ReLU RNN, orthogonal recurrent matrix times %.1f, SGD learning rate "
                + "0.05, %d steps, %d updates (non-finite batches are skipped; 100 in a row end the run)%n%n",
                Nets.GAIN, ExplodingRnn.STEPS, updates);
        Chart chart = Chart.lines("exploding gradients: relu RNN, SGD, " + ExplodingRnn.STEPS + " steps (the unclipped run "
                + "stops where it diverged)", "update", "log scale").logY().legendBelow().size(800, 560);
        List<String> rows = new ArrayList<>();
        for (boolean clipped : new boolean[] {false, true}) {
            Nets.Net net = Nets.exploding(clipped);
            System.out.println(net.name());
            Run run = train(net, updates, 1, Trainer.progressBar(System.out, 20), Trainer.OnNonFinite.SKIP_BATCH);
            java.awt.Color color = Chart.PALETTE[clipped ? 0 : 3];
            String which = clipped ? "clip norm 1.0" : "no clipping";
            chart.add(run.gradientNorms().renamed("gradient norm (before clipping), " + which).color(color));
            chart.add(run.losses().renamed("training mse, " + which).color(color).dashed());
            rows.add(String.format(Locale.ROOT, "| %s | %s | %d | %.3g | %s |", net.name(),
                    run.failure() == null ? "completed" : run.failure(), run.skipped(), run.maxGradientNorm(),
                    String.format(Locale.ROOT, run.testMse() < 10 ? "%.4f" : "%.3g", run.testMse())));
        }
        System.out.println();
        System.out.println("| run | training | skipped batches | largest gradient norm | test mse |");
        System.out.println("|---|---|---:|---:|---:|");
        rows.forEach(System.out::println);
        System.out.println("\nclipping experiment: " + chart.save(plot));
    }

    /**
     * Trains {@code net} for {@code updates} updates on fresh random sequences and measures its test
     * error; a run that gives up on non-finite batches is reported, not thrown.
     */
    public static Run train(Nets.Net net, int updates, long seed, Trainer.Listener progress,
            Trainer.OnNonFinite onNonFinite) {
        LearningCurve curve = new LearningCurve("training mse", 10);
        Series losses = new Series("training mse");
        Series norms = new Series("gradient norm");
        double[] maxNorm = {0};
        long[] skipped = {0};
        Trainer.Listener listener = p -> {
            double norm = net.lastGradientNorm().getAsDouble();
            maxNorm[0] = Math.max(maxNorm[0], norm);
            skipped[0] = p.skippedBatches();
            norms.add(p.update(), norm);
            losses.add(p.update(), p.loss());
        };
        if (progress != null) {
            listener = LearningCurve.both(progress, listener);
        }
        String failure = null;
        try {
            Trainer.train(net.model(), AddingProblem.batches(BATCH, net.steps(), seed), updates,
                    LearningCurve.both(curve, listener), onNonFinite);
        } catch (NonFiniteException e) {
            failure = "diverged after " + net.model().updates() + " updates";
            skipped[0] += Trainer.OnNonFinite.MAX_CONSECUTIVE_SKIPS;
            System.out.println();
            System.out.println("  gave up: " + e.getMessage());
        }
        Trainer.Batch<float[][][], float[][]> test = AddingProblem.batch(TEST_SEQUENCES, net.steps(),
                new SplittableRandom(99));
        double mse = net.mse(test.inputs(), test.targets());
        return new Run(net, mse, curve.series(), losses, norms, skipped[0], maxNorm[0], failure);
    }
}
