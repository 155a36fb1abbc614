package dev.unroll.samples.dates;

import dev.unroll.runtime.Trainer;
import dev.unroll.runtime.sample.BeamSearch;
import dev.unroll.samples.support.Chart;
import dev.unroll.samples.support.LearningCurve;
import dev.unroll.samples.support.Options;
import dev.unroll.samples.support.Series;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains the encoder-decoder of {@code dates.rnn} to rewrite dates as {@code yyyy-mm-dd}, with
 * teacher forcing, each input at its own length (the spec is {@code variable_length}; every target
 * has its 10 characters), then measures exact-match accuracy on held-out dates, decoded greedily and by beam
 * search, prints a few translations, saves a checkpoint and loads it into a fresh model, and draws
 * the learning curve (training and held-out loss).
 *
 * <pre>
 * mvn -q -pl samples/dates exec:java -Dexec.args="--updates 3000 --width 4"
 * </pre>
 */
public final class DatesSample {
    static final int TRAIN = 20_000;
    static final int HELD_OUT = 1_000;
    static final int BATCH = 16;
    static final int EVALUATE_EVERY = 200;
    /** Exact match, greedy and by beam search, is measured every this many updates. */
    static final int ACCURACY_EVERY = 500;
    /** The decoding calls' end class: none, every date has {@value Dates#OUTPUT_LENGTH} characters. */
    static final int NO_END_CLASS = -1;

    private DatesSample() {}

    /**
     * Exact-match accuracy: the share of examples whose 10 decoded characters are all right.
     *
     * @param byFormat the accuracy of each format's examples
     * @param overall the accuracy over all examples
     */
    public record Accuracy(Map<Dates.Format, Double> byFormat, double overall) {}

    /** A way to decode one input into output classes. */
    @FunctionalInterface
    public interface Decoder {
        /** The decoded classes of the first {@code length} of {@code symbols}. */
        int[] decode(int[] symbols, int length);
    }

    public static void main(String[] args) throws IOException {
        Path dir = Options.sampleDir();
        Options options = new Options("DatesSample [options]")
                .option("updates", 6000, "training updates, of " + BATCH + " dates each")
                .option("width", 4, "beam width")
                .option("seed", 7, "seed of the training batches")
                .option("checkpoint", dir.resolve("target/dates.safetensors"), "checkpoint to save and load")
                .option("plot", dir.resolve("target/learning-curve.png"), "learning-curve PNG to write")
                .option("accuracy-plot", dir.resolve("target/accuracy.png"), "exact-match-curve PNG to write")
                .parse(args);
        int updates = options.integer("updates");
        int width = options.integer("width");
        List<Dates.Example> train = Dates.generate(TRAIN, 1, false);
        List<Dates.Example> heldOut = Dates.generate(HELD_OUT, 2, true);
        System.out.printf(Locale.ROOT, "%,d training and %,d held-out examples (dates never trained on), "
                + "for example:%n", train.size(), heldOut.size());
        for (Dates.Format format : Dates.Format.values()) {
            Dates.Example e = Dates.example(LocalDate.of(2024, 3, 3), format);
            System.out.printf("  %-22s -> %s%n", e.text(), Dates.decode(e.target()));
        }

        DateNormalizer model = new DateNormalizer();
        Trainer.Batch<int[][], int[][]> held = asBatch(heldOut);
        DateNormalizer.Workspace ws = model.newWorkspace();
        Series heldOutLoss = new Series("held-out loss");
        heldOutLoss.add(0, loss(model, ws, held));
        LearningCurve curve = new LearningCurve("training loss (smoothed)", 10);
        Series greedyCurve = new Series("greedy");
        Series beamCurve = new Series("beam search, width " + width);
        greedyCurve.add(0, 100 * accuracy(heldOut, greedy(model)).overall());
        beamCurve.add(0, 100 * accuracy(heldOut, beam(model, width)).overall());
        Trainer.Listener evaluate = p -> {
            if (p.update() % EVALUATE_EVERY == 0 || p.update() == p.totalUpdates()) {
                heldOutLoss.add(p.update(), loss(model, ws, held));
            }
            if (p.update() % ACCURACY_EVERY == 0 || p.update() == p.totalUpdates()) {
                greedyCurve.add(p.update(), 100 * accuracy(heldOut, greedy(model)).overall());
                beamCurve.add(p.update(), 100 * accuracy(heldOut, beam(model, width)).overall());
            }
        };
        Trainer.Progress done = Trainer.train(model, batches(train, BATCH, options.integer("seed")), updates,
                LearningCurve.both(Trainer.progressBar(System.out, 30), LearningCurve.both(curve, evaluate)));
        System.out.printf(Locale.ROOT, "trained %d updates in %.1f s (wall clock; the process has used %.1f s of "
                + "CPU time): training loss %.4f (smoothed), held-out loss %.4f (nats per character)%n%n", updates,
                done.elapsedNanos() / 1e9, cpuSeconds(), done.smoothedLoss(), heldOutLoss.lastY());

        System.out.print("held-out exact match during training, greedy / beam:");
        for (int i = 0; i < greedyCurve.size(); i++) {
            System.out.printf(Locale.ROOT, "%s %d: %.1f%% / %.1f%%", i % 4 == 0 ? "\n " : ",",
                    (long) greedyCurve.xs()[i], greedyCurve.ys()[i], beamCurve.ys()[i]);
        }
        System.out.printf("%n%n");
        printExactMatch(heldOut, model, width);
        printTranslations(heldOut, model, width);
        printEveryHeldOutDate(model, width);
        saveAndLoad(model, Path.of(options.string("checkpoint")), heldOut);

        Path plot = Chart.lines("dates: LSTM " + DateNormalizer.HIDDEN_SIZE_L0 + " encoder-decoder", "update",
                "cross-entropy (nats per output character)").logY().add(curve.series()).add(heldOutLoss)
                .save(Path.of(options.string("plot")));
        System.out.println("learning curve: " + plot);
        Path accuracyPlot = Chart.lines("dates: exact match on " + heldOut.size() + " held-out dates", "update",
                "exact match (%)").legendBelow().add(greedyCurve).add(beamCurve.dashed())
                .save(Path.of(options.string("accuracy-plot")));
        System.out.println("exact-match curve: " + accuracyPlot);
    }

    /** Prints the held-out exact match of each format and overall, greedy and by beam search. */
    private static void printExactMatch(List<Dates.Example> heldOut, DateNormalizer model, int width) {
        Accuracy greedy = accuracy(heldOut, greedy(model));
        Accuracy beam = accuracy(heldOut, beam(model, width));
        System.out.printf("%-40s %8s %10s%n", "held-out exact match", "greedy", "beam " + width);
        for (Dates.Format format : Dates.Format.values()) {
            System.out.printf(Locale.ROOT, "%-40s %7.1f%% %9.1f%%%n", format + " (" + format.example() + ")",
                    100 * greedy.byFormat().get(format), 100 * beam.byFormat().get(format));
        }
        System.out.printf(Locale.ROOT, "%-40s %7.1f%% %9.1f%%%n%n", "all", 100 * greedy.overall(),
                100 * beam.overall());
    }

    /** Prints the first held-out examples decoded both ways, and a few dates of one's own. */
    private static void printTranslations(List<Dates.Example> heldOut, DateNormalizer model, int width) {
        System.out.println("held-out dates, greedy and beam search (log-probability of the best beam):");
        DateNormalizer.Workspace ws = model.newWorkspace();
        Decoder greedy = greedy(model);
        for (int i = 0; i < 8; i++) {
            Dates.Example e = heldOut.get(i);
            BeamSearch.Hypothesis best = model.beamSearch(ws, e.symbols(), e.length(), width, NO_END_CLASS).get(0);
            System.out.printf(Locale.ROOT, "  %-22s -> %s  beam %s (%.3f)  expected %s%n", e.text(),
                    Dates.decode(greedy.decode(e.symbols(), e.length())), Dates.decode(best.symbols()),
                    best.logProbability(), e.date());
        }
        for (String text : new String[] {"1 january 2000", "dec 31, 1999", "29/02/48", "july 4th, 1976"}) {
            System.out.printf("  %-22s -> %s%n", text, Dates.decode(greedy.decode(Dates.encode(text), text.length())));
        }
    }

    /** Decodes every held-out date in every format; prints the exact match and what greedy gets wrong. */
    private static void printEveryHeldOutDate(DateNormalizer model, int width) {
        List<Dates.Example> every = Dates.allHeldOut();
        Decoder greedy = greedy(model);
        System.out.printf(Locale.ROOT, "%nevery held-out date in every format, %,d examples: exact match greedy "
                + "%.2f%%, beam %d %.2f%%; greedy gets wrong:%n", every.size(), 100 * accuracy(every, greedy).overall(),
                width, 100 * accuracy(every, beam(model, width)).overall());
        int wrong = 0;
        for (Dates.Example e : every) {
            int[] decoded = greedy.decode(e.symbols(), e.length());
            if (!Arrays.equals(decoded, e.target()) && wrong++ < 12) {
                System.out.printf("  %-22s -> %s  expected %s%n", e.text(), Dates.decode(decoded), e.date());
            }
        }
        System.out.printf(Locale.ROOT, "  (%d of %,d)%n", wrong, every.size());
    }

    /** Saves a checkpoint, loads it into a model of another seed and measures that model again. */
    private static void saveAndLoad(DateNormalizer model, Path checkpoint, List<Dates.Example> heldOut)
            throws IOException {
        Files.createDirectories(checkpoint.toAbsolutePath().getParent());
        model.save(checkpoint);
        DateNormalizer loaded = new DateNormalizer(99);
        loaded.load(checkpoint);
        double loss = loss(loaded, loaded.newWorkspace(), asBatch(heldOut));
        System.out.printf(Locale.ROOT, "%nsaved %s (%,d bytes) and loaded it into a new model (seed 99): held-out "
                + "loss %.4f, greedy exact match %.1f%%%n", checkpoint, Files.size(checkpoint), loss,
                100 * accuracy(heldOut, greedy(loaded)).overall());
    }

    private static double cpuSeconds() {
        return ProcessHandle.current().info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
    }

    /** Batches of {@code batch} examples drawn at random from {@code examples}. */
    public static Trainer.Batches<int[][], int[][]> batches(List<Dates.Example> examples, int batch, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        return update -> {
            List<Dates.Example> drawn = new ArrayList<>(batch);
            for (int b = 0; b < batch; b++) {
                drawn.add(examples.get(random.nextInt(examples.size())));
            }
            return asBatch(drawn);
        };
    }

    /**
     * {@code examples} as one batch: the inputs with their own lengths, and the targets with theirs,
     * all {@value Dates#OUTPUT_LENGTH} (a date always has 10 characters, so there is no end class).
     */
    public static Trainer.Batch<int[][], int[][]> asBatch(List<Dates.Example> examples) {
        int n = examples.size();
        int[][] xs = new int[n][];
        int[][] targets = new int[n][];
        int[] lengths = new int[n];
        int[] targetLengths = new int[n];
        for (int i = 0; i < n; i++) {
            Dates.Example e = examples.get(i);
            xs[i] = e.symbols();
            targets[i] = e.target();
            lengths[i] = e.length();
            targetLengths[i] = Dates.OUTPUT_LENGTH;
        }
        return new Trainer.Batch<>(xs, targets, lengths, targetLengths);
    }

    /** The mean loss of {@code model} over {@code batch}, in nats per output character. */
    public static double loss(DateNormalizer model, DateNormalizer.Workspace ws,
            Trainer.Batch<int[][], int[][]> batch) {
        return model.loss(ws, batch.inputs(), batch.targets(), batch.lengths(), batch.targetLengths());
    }

    /** Greedy decoding ({@code greedy}): the most probable class of each of the 10 steps, fed back. */
    public static Decoder greedy(DateNormalizer model) {
        DateNormalizer.Workspace ws = model.newWorkspace();
        return (symbols, length) -> model.greedy(ws, symbols, length, NO_END_CLASS);
    }

    /** Beam search of {@code width}: the most probable sequence found. */
    public static Decoder beam(DateNormalizer model, int width) {
        DateNormalizer.Workspace ws = model.newWorkspace();
        return (symbols, length) -> model.beamSearch(ws, symbols, length, width, NO_END_CLASS).get(0).symbols();
    }

    /** Exact-match accuracy of {@code decoder} on {@code examples}, by format and overall. */
    public static Accuracy accuracy(List<Dates.Example> examples, Decoder decoder) {
        Map<Dates.Format, int[]> counts = new EnumMap<>(Dates.Format.class);
        int right = 0;
        for (Dates.Example e : examples) {
            int[] c = counts.computeIfAbsent(e.format(), f -> new int[2]);
            boolean ok = Arrays.equals(decoder.decode(e.symbols(), e.length()), e.target());
            c[0] += ok ? 1 : 0;
            c[1]++;
            right += ok ? 1 : 0;
        }
        Map<Dates.Format, Double> byFormat = new EnumMap<>(Dates.Format.class);
        for (Dates.Format format : Dates.Format.values()) {
            int[] c = counts.getOrDefault(format, new int[] {0, 0});
            byFormat.put(format, c[1] == 0 ? Double.NaN : (double) c[0] / c[1]);
        }
        return new Accuracy(byFormat, (double) right / examples.size());
    }
}
