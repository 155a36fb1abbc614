package dev.unroll.samples.sentiment;

import dev.unroll.runtime.Trainer;
import dev.unroll.runtime.sample.Sampling;
import dev.unroll.samples.support.Chart;
import dev.unroll.samples.support.LearningCurve;
import dev.unroll.samples.support.Options;
import dev.unroll.samples.support.Series;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.ToIntFunction;

/**
 * Trains the GRU of {@code sentiment.rnn} and a bag-of-words logistic regression on the same
 * reviews, and compares their accuracy on held-out reviews, kind by kind.
 *
 * <pre>
 * mvn -q -pl samples/sentiment exec:java
 * </pre>
 */
public final class SentimentSample {
    static final int TRAIN = 3000;
    static final int TEST = 1500;
    static final int BATCH = 32;

    private SentimentSample() {}

    /** Accuracy per kind of review, and over all of them. */
    public record Accuracy(Map<Reviews.Kind, Double> byKind, double overall) {
        public double orderDecided() {
            return (byKind.get(Reviews.Kind.A_NOT_B) + byKind.get(Reviews.Kind.NOT_A_BUT_B)) / 2;
        }
    }

    public static void main(String[] args) {
        Path dir = Options.sampleDir();
        Options options = new Options("SentimentSample [options]")
                .option("updates", 600, "GRU training updates, of " + BATCH + " reviews each")
                .option("plot", dir.resolve("target/learning-curve.png"), "learning-curve PNG to write")
                .parse(args);
        List<Reviews.Review> train = Reviews.generate(TRAIN, 1);
        List<Reviews.Review> test = Reviews.generate(TEST, 2);
        System.out.printf("%d training and %d test reviews, for example:%n", train.size(), test.size());
        for (int i = 0; i < 6; i++) {
            Reviews.Review r = test.get(i);
            System.out.printf("  %-8s %s%n", r.label() == 1 ? "positive" : "negative", r.text());
        }

        Series bowCurve = new Series("bag of words (logistic regression)");
        BagOfWords bow = BagOfWords.train(train, 600, 0.5, bowCurve);

        Sentiment gru = new Sentiment();
        LearningCurve curve = new LearningCurve("GRU (smoothed)", 5);
        Trainer.Progress done = Trainer.train(gru, batches(train, BATCH, 7), options.integer("updates"),
                LearningCurve.both(Trainer.progressBar(System.out, 30), curve));
        System.out.printf(Locale.ROOT, "GRU trained in %.1f s%n%n", done.elapsedNanos() / 1e9);

        Accuracy bowAccuracy = accuracy(test, bow::predict);
        Accuracy gruAccuracy = accuracy(test, classifier(gru));
        System.out.printf("%-36s %14s %8s%n", "test accuracy", "bag of words", "GRU");
        for (Reviews.Kind kind : Reviews.Kind.values()) {
            System.out.printf(Locale.ROOT, "%-36s %13.1f%% %7.1f%%%n", kind.description(),
                    100 * bowAccuracy.byKind().get(kind), 100 * gruAccuracy.byKind().get(kind));
        }
        System.out.printf(Locale.ROOT, "%-36s %13.1f%% %7.1f%%%n%n", "all", 100 * bowAccuracy.overall(),
                100 * gruAccuracy.overall());

        Sentiment.Workspace ws = gru.newWorkspace();
        for (String text : new String[] {"the movie was good , not bad", "the movie was bad , not good",
                "the acting was not great but boring", "honestly , the plot is not awful but very fine"}) {
            float[] p = gru.forward(ws, Reviews.encode(text));
            System.out.printf(Locale.ROOT, "  P(positive) = %.3f  %s%n", p[1], text);
        }

        Path plot = Chart.lines("sentiment: GRU vs bag of words", "update (GRU) / iteration (bag of words)",
                "training cross-entropy").add(curve.series()).add(bowCurve).save(Path.of(options.string("plot")));
        System.out.println("learning curve: " + plot);
    }

    /** Batches of {@code batch} reviews drawn at random from {@code reviews}. */
    public static Trainer.Batches<int[][], int[]> batches(List<Reviews.Review> reviews, int batch, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        return update -> {
            int[][] xs = new int[batch][];
            int[] ys = new int[batch];
            for (int b = 0; b < batch; b++) {
                Reviews.Review r = reviews.get(random.nextInt(reviews.size()));
                xs[b] = r.symbols();
                ys[b] = r.label();
            }
            return new Trainer.Batch<>(xs, ys);
        };
    }

    /** The GRU's prediction: its more probable class. */
    public static ToIntFunction<Reviews.Review> classifier(Sentiment model) {
        Sentiment.Workspace ws = model.newWorkspace();
        return r -> Sampling.argmax(model.forward(ws, r.symbols()));
    }

    public static Accuracy accuracy(List<Reviews.Review> reviews, ToIntFunction<Reviews.Review> classifier) {
        Map<Reviews.Kind, int[]> counts = new EnumMap<>(Reviews.Kind.class);
        int right = 0;
        for (Reviews.Review r : reviews) {
            int[] c = counts.computeIfAbsent(r.kind(), k -> new int[2]);
            boolean ok = classifier.applyAsInt(r) == r.label();
            c[0] += ok ? 1 : 0;
            c[1]++;
            right += ok ? 1 : 0;
        }
        Map<Reviews.Kind, Double> byKind = new EnumMap<>(Reviews.Kind.class);
        for (Reviews.Kind kind : Reviews.Kind.values()) {
            int[] c = counts.getOrDefault(kind, new int[] {0, 0});
            byKind.put(kind, c[1] == 0 ? Double.NaN : (double) c[0] / c[1]);
        }
        return new Accuracy(byKind, (double) right / reviews.size());
    }
}
