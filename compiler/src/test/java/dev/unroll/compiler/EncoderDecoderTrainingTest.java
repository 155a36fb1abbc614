package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.runtime.sample.BeamSearch;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A generated encoder-decoder learns to reverse digit sequences: seeded training with teacher
 * forcing on random sequences of {@value #LENGTH} digits (the target is the input read backwards,
 * which the decoder must recall from the encoder's final state alone), then exact-match accuracy
 * on {@value #HELD_OUT} held-out sequences, decoded greedily ({@code forward}, the decoder reading
 * its own argmax) and by beam search of width {@value #WIDTH}. Both must reach {@value #ACCURACY}.
 *
 * <p>Then the same with {@code variable_length}: sequences of 1 to {@value #MAX_LENGTH} digits, padded with -1, whose
 * targets are the digits backwards followed by the end class {@value #END}; the loss runs over each target's own
 * length. On held-out sequences of every length, greedy decoding ({@code greedy} with the end class) and beam search
 * ({@code beamSearch} with the end class) must both give exactly the reversed digits and the end class, stopping
 * there, in at least {@value #VARIABLE_ACCURACY} of the cases.
 *
 * <p>Last, an embedding input ({@code input 24 embedding 8}): sequences of 1 to {@value #EMBEDDED_MAX_LENGTH}
 * symbols of {@value #VOCABULARY}, each looked up in a table trained with the network, reversed and ended with the
 * end class {@value #VOCABULARY} (the decoder writes the same symbols, as classes: its inputs are its own vocabulary
 * of 25, not the table's). Greedy decoding with the end class must reproduce at least {@value #EMBEDDED_ACCURACY} of
 * the held-out sequences exactly, and the table must have been trained: every row moved from its initial values.
 */
class EncoderDecoderTrainingTest {
    static final int LENGTH = 5;
    static final int UPDATES = 2000;
    static final int BATCH = 32;
    static final int HELD_OUT = 500;
    static final int WIDTH = 4;
    static final double ACCURACY = 0.97;

    static final String SPEC = """
            package training.encdec;

            /** Reverses 5 digits: the encoder reads them, the decoder writes them backwards. */
            model DigitReverser {
                input 10 one_hot;
                gru 64;
                output 10 softmax;
                many_to_many input_steps 5 output_steps 5;
                optimizer adam learning_rate 0.005;
                clip norm 5.0;
                precision float32;
                seed 3;
            }
            """;

    static final int MAX_LENGTH = 6;
    static final int END = 10;
    static final int VARIABLE_UPDATES = 3000;
    static final double VARIABLE_ACCURACY = 0.95;

    static final String VARIABLE_SPEC = """
            package training.encdec;

            /** Reverses 1 to 6 digits and ends with the end class 10. */
            model VariableDigitReverser {
                input 10 one_hot;
                gru 64;
                output 11 softmax;
                many_to_many input_steps 6 output_steps 7 variable_length;
                optimizer adam learning_rate 0.005;
                clip norm 5.0;
                precision float32;
                seed 3;
            }
            """;

    static final int VOCABULARY = 24;
    static final int EMBEDDED_MAX_LENGTH = 5;
    static final int EMBEDDED_UPDATES = 1000;
    static final double EMBEDDED_ACCURACY = 0.9;

    static final String EMBEDDED_SPEC = """
            package training.encdec;

            /** Reverses 1 to 5 symbols of 24, read through a trained table, and ends with the end class 24. */
            model EmbeddedReverser {
                input 24 embedding 8;
                gru 64;
                output 25 softmax;
                many_to_many input_steps 5 output_steps 6 variable_length;
                optimizer adam learning_rate 0.005;
                clip norm 5.0;
                precision float32;
                seed 5;
            }
            """;

    @TempDir
    Path work;

    /** Fills {@code x} with {@code length} random digits and -1 padding, {@code y} with them backwards and the end. */
    private static void draw(SplittableRandom random, int length, int[] x, int[] y) {
        Arrays.fill(x, -1);
        Arrays.fill(y, -1);
        for (int t = 0; t < length; t++) {
            x[t] = random.nextInt(10);
        }
        for (int t = 0; t < length; t++) {
            y[t] = x[length - 1 - t];
        }
        y[length] = END;
    }

    @Test
    void learnsToReverseDigitSequencesOfTheirOwnLengthsAndToEndThem() {
        Map<String, Class<?>> classes = GeneratedCode.compile(List.of(GeneratedCode.model("reverse-var.rnn",
                VARIABLE_SPEC)), work);
        ModelHandle model = new ModelHandle(classes.get("training.encdec.VariableDigitReverser"));
        SplittableRandom random = new SplittableRandom(11);
        int[][] xs = new int[BATCH][MAX_LENGTH];
        int[][] ys = new int[BATCH][MAX_LENGTH + 1];
        int[] inputLengths = new int[BATCH];
        int[] targetLengths = new int[BATCH];
        Method trainStep = model.method("trainStep", xs, ys, inputLengths, targetLengths);
        double loss = Double.NaN;
        for (int update = 0; update < VARIABLE_UPDATES; update++) {
            for (int b = 0; b < BATCH; b++) {
                inputLengths[b] = 1 + random.nextInt(MAX_LENGTH);
                targetLengths[b] = inputLengths[b] + 1;
                draw(random, inputLengths[b], xs[b], ys[b]);
            }
            loss = (double) model.call(trainStep, xs, ys, inputLengths, targetLengths);
        }
        SplittableRandom heldOut = new SplittableRandom(99);
        int greedy = 0;
        int beam = 0;
        int[] x = new int[MAX_LENGTH];
        int[] y = new int[MAX_LENGTH + 1];
        for (int i = 0; i < HELD_OUT; i++) {
            int length = 1 + i % MAX_LENGTH;
            draw(heldOut, length, x, y);
            int[] expected = Arrays.copyOf(y, length + 1);
            greedy += Arrays.equals(expected, (int[]) model.call("greedy", model.workspace, x, length, END)) ? 1 : 0;
            @SuppressWarnings("unchecked")
            List<BeamSearch.Hypothesis> best = (List<BeamSearch.Hypothesis>) model.call("beamSearch", model.workspace,
                    x, length, WIDTH, END);
            beam += Arrays.equals(expected, best.get(0).symbols()) ? 1 : 0;
        }
        double greedyAccuracy = greedy / (double) HELD_OUT;
        double beamAccuracy = beam / (double) HELD_OUT;
        System.out.printf("EncoderDecoderTrainingTest: reversing 1 to %d digits and ending with class %d after %d"
                + " updates of %d (last loss %.4f): exact match %.3f greedy, %.3f beam search of width %d, on %d"
                + " held-out sequences%n", MAX_LENGTH, END, VARIABLE_UPDATES, BATCH, loss, greedyAccuracy,
                beamAccuracy, WIDTH, HELD_OUT);
        assertTrue(greedyAccuracy >= VARIABLE_ACCURACY, "greedy exact match " + greedyAccuracy);
        assertTrue(beamAccuracy >= VARIABLE_ACCURACY, "beam search exact match " + beamAccuracy);
    }

    @Test
    void learnsToReverseSymbolsReadThroughAnEmbeddingTable() {
        Map<String, Class<?>> classes = GeneratedCode.compile(List.of(GeneratedCode.model("reverse-embedded.rnn",
                EMBEDDED_SPEC)), work);
        ModelHandle model = new ModelHandle(classes.get("training.encdec.EmbeddedReverser"));
        dev.unroll.runtime.Parameter table = model.parameters().get("embedding.weight");
        double[] initial = new double[table.size()];
        for (int i = 0; i < initial.length; i++) {
            initial[i] = table.value(i);
        }
        SplittableRandom random = new SplittableRandom(13);
        int[][] xs = new int[BATCH][EMBEDDED_MAX_LENGTH];
        int[][] ys = new int[BATCH][EMBEDDED_MAX_LENGTH + 1];
        int[] inputLengths = new int[BATCH];
        int[] targetLengths = new int[BATCH];
        Method trainStep = model.method("trainStep", xs, ys, inputLengths, targetLengths);
        double loss = Double.NaN;
        long start = System.nanoTime();
        for (int update = 0; update < EMBEDDED_UPDATES; update++) {
            for (int b = 0; b < BATCH; b++) {
                inputLengths[b] = 1 + random.nextInt(EMBEDDED_MAX_LENGTH);
                targetLengths[b] = inputLengths[b] + 1;
                reversed(random, inputLengths[b], xs[b], ys[b]);
            }
            loss = (double) model.call(trainStep, xs, ys, inputLengths, targetLengths);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        SplittableRandom heldOut = new SplittableRandom(99);
        int greedy = 0;
        int[] x = new int[EMBEDDED_MAX_LENGTH];
        int[] y = new int[EMBEDDED_MAX_LENGTH + 1];
        for (int i = 0; i < HELD_OUT; i++) {
            int length = 1 + i % EMBEDDED_MAX_LENGTH;
            reversed(heldOut, length, x, y);
            int[] expected = Arrays.copyOf(y, length + 1);
            greedy += Arrays.equals(expected, (int[]) model.call("greedy", model.workspace, x, length, VOCABULARY))
                    ? 1 : 0;
        }
        double accuracy = greedy / (double) HELD_OUT;
        int moved = 0;
        for (int v = 0; v < VOCABULARY; v++) {
            boolean changed = false;
            for (int i = 0; i < 8; i++) {
                changed |= table.value(v * 8 + i) != initial[v * 8 + i];
            }
            moved += changed ? 1 : 0;
        }
        System.out.printf("EncoderDecoderTrainingTest: reversing 1 to %d symbols of %d read through an embedding"
                + " table after %d updates of %d (%.1f s, last loss %.4f): exact match %.3f greedy on %d held-out"
                + " sequences; %d of %d table rows trained%n", EMBEDDED_MAX_LENGTH, VOCABULARY, EMBEDDED_UPDATES,
                BATCH, seconds, loss, accuracy, HELD_OUT, moved, VOCABULARY);
        assertTrue(accuracy >= EMBEDDED_ACCURACY, "greedy exact match " + accuracy);
        assertTrue(moved == VOCABULARY, moved + " of " + VOCABULARY + " table rows trained");
    }

    /** Fills {@code x} with {@code length} random symbols and -1 padding, {@code y} with them backwards and the end. */
    private static void reversed(SplittableRandom random, int length, int[] x, int[] y) {
        Arrays.fill(x, -1);
        Arrays.fill(y, -1);
        for (int t = 0; t < length; t++) {
            x[t] = random.nextInt(VOCABULARY);
        }
        for (int t = 0; t < length; t++) {
            y[t] = x[length - 1 - t];
        }
        y[length] = VOCABULARY;
    }

    @Test
    void learnsToReverseDigitSequences() {
        Map<String, Class<?>> classes = GeneratedCode.compile(List.of(GeneratedCode.model("reverse.rnn", SPEC)), work);
        ModelHandle model = new ModelHandle(classes.get("training.encdec.DigitReverser"));
        SplittableRandom random = new SplittableRandom(11);
        int[][] xs = new int[BATCH][LENGTH];
        int[][] ys = new int[BATCH][LENGTH];
        Method trainStep = model.method("trainStep", xs, ys);
        double loss = Double.NaN;
        for (int update = 0; update < UPDATES; update++) {
            for (int b = 0; b < BATCH; b++) {
                for (int t = 0; t < LENGTH; t++) {
                    xs[b][t] = random.nextInt(10);
                }
                for (int t = 0; t < LENGTH; t++) {
                    ys[b][t] = xs[b][LENGTH - 1 - t];
                }
            }
            loss = (double) model.call(trainStep, xs, ys);
        }
        SplittableRandom heldOut = new SplittableRandom(99);
        int greedy = 0;
        int beam = 0;
        for (int i = 0; i < HELD_OUT; i++) {
            int[] x = new int[LENGTH];
            int[] reversed = new int[LENGTH];
            for (int t = 0; t < LENGTH; t++) {
                x[t] = heldOut.nextInt(10);
            }
            for (int t = 0; t < LENGTH; t++) {
                reversed[t] = x[LENGTH - 1 - t];
            }
            float[][] y = (float[][]) model.call("forward", model.workspace, x);
            int[] decoded = new int[LENGTH];
            for (int s = 0; s < LENGTH; s++) {
                for (int o = 1; o < y[s].length; o++) {
                    decoded[s] = y[s][o] > y[s][decoded[s]] ? o : decoded[s];
                }
            }
            greedy += Arrays.equals(decoded, reversed) ? 1 : 0;
            @SuppressWarnings("unchecked")
            List<BeamSearch.Hypothesis> best = (List<BeamSearch.Hypothesis>) model.call("beamSearch", model.workspace,
                    x, WIDTH);
            beam += Arrays.equals(best.get(0).symbols(), reversed) ? 1 : 0;
        }
        double greedyAccuracy = greedy / (double) HELD_OUT;
        double beamAccuracy = beam / (double) HELD_OUT;
        System.out.printf("EncoderDecoderTrainingTest: reversing %d digits after %d updates of %d (last loss %.4f):"
                + " exact match %.3f greedy, %.3f beam search of width %d, on %d held-out sequences%n", LENGTH,
                UPDATES, BATCH, loss, greedyAccuracy, beamAccuracy, WIDTH, HELD_OUT);
        assertTrue(greedyAccuracy >= ACCURACY, "greedy exact match " + greedyAccuracy);
        assertTrue(beamAccuracy >= ACCURACY, "beam search exact match " + beamAccuracy);
    }
}
