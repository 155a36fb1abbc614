package dev.unroll.samples.charlstm;

import dev.unroll.runtime.Trainer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * A text as symbols, split into a training part (the first 90%) and a validation part (the rest),
 * cut into windows of {@link CharLstm#STEPS} characters whose targets are the same characters
 * shifted by one.
 */
public final class Corpus {
    private final int[] symbols;
    private final int split;

    public Corpus(String text) {
        this.symbols = Alphabet.encode(text);
        if (symbols.length < 10 * (CharLstm.STEPS + 1)) {
            throw new IllegalArgumentException("the text has " + symbols.length + " characters; it needs at least "
                    + 10 * (CharLstm.STEPS + 1));
        }
        this.split = symbols.length * 9 / 10;
    }

    /** The bundled corpus, {@code corpus.txt} (see {@link CorpusGenerator}). */
    public static String bundledText() {
        try (InputStream in = Corpus.class.getResourceAsStream("corpus.txt")) {
            if (in == null) {
                throw new IllegalStateException("corpus.txt is not on the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Corpus bundled() {
        return new Corpus(bundledText());
    }

    public static Corpus of(Path file) throws IOException {
        return new Corpus(Files.readString(file, StandardCharsets.UTF_8));
    }

    public int length() {
        return symbols.length;
    }

    /** Training batches: {@code batchSize} windows at random offsets of the training part. */
    public Trainer.Batches<int[][], int[][]> trainingBatches(int batchSize, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        return update -> {
            int[][] xs = new int[batchSize][];
            int[][] ys = new int[batchSize][];
            for (int b = 0; b < batchSize; b++) {
                int start = random.nextInt(split - CharLstm.STEPS - 1);
                xs[b] = window(start);
                ys[b] = window(start + 1);
            }
            return new Trainer.Batch<>(xs, ys);
        };
    }

    /** {@code count} validation windows, evenly spaced over the validation part, inputs and targets. */
    public int[][][] validation(int count) {
        int room = symbols.length - split - CharLstm.STEPS - 1;
        int[][] xs = new int[count][];
        int[][] ys = new int[count][];
        for (int i = 0; i < count; i++) {
            int start = split + (int) ((long) room * i / Math.max(1, count - 1));
            xs[i] = window(start);
            ys[i] = window(start + 1);
        }
        return new int[][][] {xs, ys};
    }

    private int[] window(int start) {
        int[] w = new int[CharLstm.STEPS];
        System.arraycopy(symbols, start, w, 0, w.length);
        return w;
    }
}
