package dev.unroll.samples.sentiment;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A synthetic data set of one-sentence reviews in which word order decides the label.
 *
 * <p>Three kinds of sentences, each with optional openers and intensifiers:
 * <ul>
 *   <li>{@link Kind#PLAIN}: {@code the movie was really good} &mdash; the adjective decides;</li>
 *   <li>{@link Kind#A_NOT_B}: {@code the plot was good , not bad} &mdash; the first adjective decides;</li>
 *   <li>{@link Kind#NOT_A_BUT_B}: {@code the acting was not bad but great} &mdash; the second decides.</li>
 * </ul>
 * The two contrast kinds always pair a positive adjective with a negative one, in either order, so
 * a sentence and its <em>twin</em> (the same sentence with the two adjectives swapped) have the
 * same words, the same word counts, and opposite labels. Only word order tells them apart.
 */
public final class Reviews {
    /** How a sentence is built. */
    public enum Kind {
        PLAIN("plain (the movie was good)"),
        A_NOT_B("order decides (good , not bad)"),
        NOT_A_BUT_B("order decides (not bad but good)");

        final String description;

        Kind(String description) {
            this.description = description;
        }

        public boolean orderDecides() {
            return this != PLAIN;
        }

        public String description() {
            return description;
        }
    }

    /** A sentence, its words as symbols (left-padded to the model's steps), and its label. */
    public record Review(String text, int[] symbols, int label, Kind kind) {}

    /** The words, in symbol order; symbol 0 pads sentences shorter than the model's steps. */
    public static final List<String> WORDS = List.of("PAD", "the", "movie", "film", "plot", "acting", "was", "is",
            "really", "very", "good", "great", "fine", "bad", "awful", "boring", "not", "but", ",", "honestly",
            "overall");

    static {
        if (WORDS.size() != Sentiment.INPUT_SIZE) {
            throw new AssertionError(WORDS.size() + " words, the model reads " + Sentiment.INPUT_SIZE);
        }
    }

    private static final String[] SUBJECTS = {"the movie", "the film", "the plot", "the acting"};
    private static final String[] VERBS = {"was", "is"};
    private static final String[] OPENERS = {"", "", "honestly ,", "overall ,"};
    private static final String[] INTENSIFIERS = {"", "", "really", "very"};
    private static final String[] POSITIVE = {"good", "great", "fine"};
    private static final String[] NEGATIVE = {"bad", "awful", "boring"};

    private Reviews() {}

    /**
     * {@code count} reviews: a third plain, two thirds order-decided, in twin pairs (a contrast
     * sentence is always followed by its twin), from a seed.
     */
    public static List<Review> generate(int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Review> reviews = new ArrayList<>(count);
        while (reviews.size() < count) {
            String start = join(pick(OPENERS, random), pick(SUBJECTS, random), pick(VERBS, random));
            String pos = join(pick(INTENSIFIERS, random), pick(POSITIVE, random));
            String neg = join(pick(INTENSIFIERS, random), pick(NEGATIVE, random));
            int kind = random.nextInt(3);
            if (kind == 0) {
                boolean positive = random.nextBoolean();
                reviews.add(review(join(start, positive ? pos : neg), positive ? 1 : 0, Kind.PLAIN));
            } else if (kind == 1) {
                reviews.add(review(join(start, pos, ",", "not", neg), 1, Kind.A_NOT_B));
                reviews.add(review(join(start, neg, ",", "not", pos), 0, Kind.A_NOT_B));
            } else {
                reviews.add(review(join(start, "not", pos, "but", neg), 0, Kind.NOT_A_BUT_B));
                reviews.add(review(join(start, "not", neg, "but", pos), 1, Kind.NOT_A_BUT_B));
            }
        }
        return reviews.subList(0, count);
    }

    static Review review(String text, int label, Kind kind) {
        String[] words = text.split(" ");
        if (words.length > Sentiment.STEPS) {
            throw new IllegalArgumentException("'" + text + "' has more than " + Sentiment.STEPS + " words");
        }
        int[] symbols = new int[Sentiment.STEPS];
        int pad = Sentiment.STEPS - words.length;
        for (int i = 0; i < words.length; i++) {
            int symbol = WORDS.indexOf(words[i]);
            if (symbol <= 0) {
                throw new IllegalArgumentException("unknown word '" + words[i] + "'");
            }
            symbols[pad + i] = symbol;
        }
        return new Review(text, symbols, label, kind);
    }

    /** Encodes a sentence of known words, e.g. {@code "the film was great , not boring"}. */
    public static int[] encode(String text) {
        return review(text, 0, Kind.PLAIN).symbols();
    }

    /** How often each word occurs in a review (PAD not counted): the bag-of-words features. */
    public static double[] wordCounts(Review review) {
        double[] counts = new double[WORDS.size()];
        for (int symbol : review.symbols()) {
            if (symbol != 0) {
                counts[symbol]++;
            }
        }
        return counts;
    }

    private static String pick(String[] options, SplittableRandom random) {
        return options[random.nextInt(options.length)];
    }

    private static String join(String... parts) {
        return String.join(" ", Arrays.stream(parts).filter(p -> !p.isEmpty()).toList());
    }
}
