package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.runtime.GradientRows;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.checkpoint.SafeTensors;
import dev.unroll.runtime.checkpoint.TensorFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an embedding input ({@code input V embedding D [frozen];}) does besides computing PyTorch's numbers
 * ({@link PyTorchParityTest}, {@link FiniteDifferenceTest}): its gradient and its update touch only the rows of the
 * symbols read, a frozen table never changes and has no optimizer state, the table survives a checkpoint and
 * training resumes bit for bit, it starts N(0, 1), bad symbols are refused saying where, and a small model learns
 * a task through it; the same for an encoder-decoder's table, which its encoder reads.
 */
class EmbeddingTest {
    @TempDir
    static Path work;

    private static Map<String, Class<?>> classes;

    private static final String SENTIMENT = """
            package emb;

            /** Positive (symbols 0-4) against negative (5-9) words among neutral ones (10-19). */
            model Sentiment {
                input 20 embedding 4;
                gru 8;
                output 1 sigmoid;
                many_to_one steps 6;
                optimizer adam learning_rate 0.02;
                seed 3;
            }
            """;

    private static final String FROZEN = """
            package emb;

            model Frozen {
                input 20 embedding 4 frozen;
                lstm 6;
                output 20 softmax;
                many_to_many steps 5;
                optimizer adam learning_rate 0.01;
            }
            """;

    private static final String SPARSE = """
            package emb;

            model Sparse {
                input 50 embedding 3;
                rnn 5;
                output 2 softmax;
                many_to_one steps 4;
                optimizer sgd learning_rate 0.1;
                clip norm 1.0;
                clip value 0.5;
            }
            """;

    private static final String RESUMED = """
            package emb;

            model Resumed {
                input 30 embedding 3;
                gru 4;
                output 30 softmax;
                many_to_many steps 4;
                optimizer adam learning_rate 0.01;
                precision float64;
            }
            """;

    private static final String LARGE = """
            package emb;

            model Large {
                input 4000 embedding 8;
                rnn 2;
                output 2 softmax;
                many_to_one steps 2;
                seed 11;
            }
            """;

    private static final String ENCODER_DECODER = """
            package emb;

            /** The encoder reads a table of 3000 x 8; the decoder its own 5 classes. */
            model EncoderDecoder {
                input 3000 embedding 8;
                gru 4;
                output 5 softmax;
                many_to_many input_steps 3 output_steps 2;
                optimizer adam learning_rate 0.01;
                seed 4;
            }
            """;

    private static final String FROZEN_ENCODER_DECODER = """
            package emb;

            model FrozenEncoderDecoder {
                input 40 embedding 3 frozen;
                lstm 4;
                output 5 softmax;
                many_to_many input_steps 3 output_steps 2 variable_length;
                optimizer adam learning_rate 0.01;
            }
            """;

    @BeforeAll
    static void compile() {
        List<NetworkModel> models = new java.util.ArrayList<>(List.of(GeneratedCode.model("sentiment.rnn", SENTIMENT),
                GeneratedCode.model("frozen.rnn", FROZEN), GeneratedCode.model("sparse.rnn", SPARSE),
                GeneratedCode.model("resumed.rnn", RESUMED), GeneratedCode.model("large.rnn", LARGE)));
        models.add(GeneratedCode.model("encdec.rnn", ENCODER_DECODER));
        models.add(GeneratedCode.model("frozen-encdec.rnn", FROZEN_ENCODER_DECODER));
        classes = GeneratedCode.compile(models, work);
    }

    private static ModelHandle model(String name) {
        return new ModelHandle(classes.get("emb." + name));
    }

    private static double[] values(Parameter p) {
        double[] v = new double[p.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = p.value(i);
        }
        return v;
    }

    @Test
    void gradientAndUpdateTouchOnlyTheRowsRead() {
        ModelHandle m = model("Sparse");
        Parameter table = m.parameters().get("embedding.weight");
        double[] before = values(table);
        int[][] xs = {{3, 7, 3, 41}, {7, 7, 12, 3}};
        int[] targets = {0, 1};
        m.call("trainStep", xs, targets);
        GradientRows rows = table.gradientRows();
        TreeSet<Integer> listed = new TreeSet<>();
        for (int i = 0; i < rows.count(); i++) {
            listed.add(rows.row(i));
        }
        assertEquals(new TreeSet<>(List.of(3, 7, 12, 41)), listed, "the gradient lists the rows of the symbols read");
        double[] after = values(table);
        for (int r = 0; r < 50; r++) {
            boolean read = listed.contains(r);
            boolean changed = false;
            for (int i = 0; i < 3; i++) {
                double g = table.grad(r * 3 + i);
                assertTrue(read || g == 0, "row " + r + " has a gradient but was not read");
                changed |= after[r * 3 + i] != before[r * 3 + i];
            }
            assertEquals(read, changed, "row " + r + (read ? " was read but not updated" : " was updated but not read"));
        }
        // a second batch replaces the listed rows: those of the first are zero again
        m.call("computeGradients", m.workspace, new int[][] {{0, 0, 1, 1}, {1, 0, 0, 1}}, targets);
        assertEquals(2, rows.count(), "rows of the second batch only");
        for (int i = 0; i < table.size(); i++) {
            assertTrue(i / 3 <= 1 || table.grad(i) == 0, "stale gradient at " + i);
        }
    }

    @Test
    void aFrozenTableNeverChangesAndHasNoOptimizerState() throws Exception {
        ModelHandle m = model("Frozen");
        Parameter table = m.parameters().get("embedding.weight");
        assertFalse(table.requiresGrad());
        assertNull(table.gradientRows());
        double[] initial = values(table);
        SplittableRandom random = new SplittableRandom(5);
        double first = Double.NaN;
        double last = Double.NaN;
        double[] weightBefore = values(m.parameters().get("rnn.weight_ih_l0"));
        for (int step = 0; step < 40; step++) {
            int[][] xs = new int[4][5];
            int[][] ys = new int[4][5];
            for (int b = 0; b < 4; b++) {
                for (int t = 0; t < 5; t++) {
                    xs[b][t] = random.nextInt(20);
                    ys[b][t] = (xs[b][t] + 1) % 20;
                }
            }
            last = (double) m.call("trainStep", xs, ys);
            first = step == 0 ? last : first;
        }
        assertArrayEquals(initial, values(table), 0.0, "the frozen table is bit-identical after training");
        for (int i = 0; i < table.size(); i++) {
            assertEquals(0.0, table.grad(i), 0.0, "a frozen table has no gradient");
        }
        assertFalse(java.util.Arrays.equals(weightBefore, values(m.parameters().get("rnn.weight_ih_l0"))),
                "the layers did train");
        assertTrue(last < first, "the loss fell: " + first + " -> " + last);
        Path file = work.resolve("frozen.safetensors");
        m.call("save", file);
        TensorFile saved = SafeTensors.read(file);
        assertTrue(saved.contains("embedding.weight"), "the table is saved");
        assertTrue(saved.names().stream().noneMatch(n -> n.startsWith("optimizer.embedding")),
                "no optimizer state for a frozen table: " + saved.names());
        assertTrue(saved.contains("optimizer.rnn.weight_ih_l0.exp_avg"), "the others' state is there");
        ModelHandle loaded = model("Frozen");
        loaded.call("load", file);
        assertArrayEquals(initial, values(loaded.parameters().get("embedding.weight")), 0.0);
        assertThrows(IllegalStateException.class, () -> table.setGrad(0, 1.0));
    }

    @Test
    void trainingResumesBitForBitFromACheckpoint() throws Exception {
        ModelHandle straight = model("Resumed");
        ModelHandle interrupted = model("Resumed");
        SplittableRandom random = new SplittableRandom(9);
        int[][][] xs = new int[12][3][4];
        int[][][] ys = new int[12][3][4];
        for (int k = 0; k < 12; k++) {
            for (int b = 0; b < 3; b++) {
                for (int t = 0; t < 4; t++) {
                    // windows of the vocabulary that move: rows read early keep moving under Adam after they are gone
                    xs[k][b][t] = (2 * k + random.nextInt(6)) % 30;
                    ys[k][b][t] = random.nextInt(30);
                }
            }
        }
        for (int k = 0; k < 6; k++) {
            straight.call("trainStep", xs[k], ys[k]);
            interrupted.call("trainStep", xs[k], ys[k]);
        }
        Path file = work.resolve("resumed.safetensors");
        interrupted.call("save", file);
        ModelHandle resumed = model("Resumed");
        resumed.call("load", file);
        for (int k = 6; k < 12; k++) {
            double a = (double) straight.call("trainStep", xs[k], ys[k]);
            double b = (double) resumed.call("trainStep", xs[k], ys[k]);
            assertEquals(a, b, 0.0, "loss of update " + k);
        }
        for (Parameter p : straight.parameters()) {
            assertArrayEquals(values(p), values(resumed.parameters().get(p.name())), 0.0, p.name());
        }
    }

    @Test
    void theTableStartsStandardNormalFromTheSeed() {
        ModelHandle a = model("Large");
        ModelHandle b = model("Large");
        double[] table = values(a.parameters().get("embedding.weight"));
        assertArrayEquals(table, values(b.parameters().get("embedding.weight")), 0.0, "the seed fixes the table");
        double sum = 0;
        double squares = 0;
        for (double v : table) {
            sum += v;
            squares += v * v;
        }
        double mean = sum / table.length;
        double sd = Math.sqrt(squares / table.length - mean * mean);
        System.out.printf("EmbeddingTest: 4000 x 8 table: mean %.4f, standard deviation %.4f%n", mean, sd);
        assertEquals(0, mean, 0.04, "N(0, 1) mean, 32000 draws");
        assertEquals(1, sd, 0.03, "N(0, 1) standard deviation");
    }

    /**
     * An encoder-decoder's table: N(0, 1) from the seed, first in the checkpoint, trained with Adam state that a
     * checkpoint resumes bit for bit (rows read early keep moving after their symbols are gone); frozen, it never
     * changes and has no optimizer state, while the rest trains.
     */
    @Test
    void anEncoderDecoderTableStartsNormalResumesFromACheckpointAndStaysFrozen() throws Exception {
        ModelHandle straight = model("EncoderDecoder");
        double[] table = values(straight.parameters().get("embedding.weight"));
        assertArrayEquals(table, values(model("EncoderDecoder").parameters().get("embedding.weight")), 0.0,
                "the seed fixes the table");
        double sum = 0;
        double squares = 0;
        for (double v : table) {
            sum += v;
            squares += v * v;
        }
        double mean = sum / table.length;
        double sd = Math.sqrt(squares / table.length - mean * mean);
        assertEquals(0, mean, 0.04, "N(0, 1) mean, 24000 draws");
        assertEquals(1, sd, 0.03, "N(0, 1) standard deviation");

        ModelHandle interrupted = model("EncoderDecoder");
        SplittableRandom random = new SplittableRandom(21);
        int[][][] xs = new int[10][2][3];
        int[][][] ys = new int[10][2][2];
        for (int k = 0; k < 10; k++) {
            for (int b = 0; b < 2; b++) {
                for (int t = 0; t < 3; t++) {
                    xs[k][b][t] = 10 * k + random.nextInt(10); // a new window of rows at each update
                }
                for (int s = 0; s < 2; s++) {
                    ys[k][b][s] = random.nextInt(5);
                }
            }
        }
        for (int k = 0; k < 5; k++) {
            straight.call("trainStep", xs[k], ys[k]);
            interrupted.call("trainStep", xs[k], ys[k]);
        }
        Path file = work.resolve("encdec.safetensors");
        interrupted.call("save", file);
        TensorFile saved = SafeTensors.read(file);
        assertEquals("embedding.weight", saved.names().get(0), "the table first: " + saved.names());
        assertTrue(saved.contains("optimizer.embedding.weight.exp_avg"), "the table's Adam state is saved");
        ModelHandle resumed = model("EncoderDecoder");
        resumed.call("load", file);
        for (int k = 5; k < 10; k++) {
            assertEquals((double) straight.call("trainStep", xs[k], ys[k]),
                    (double) resumed.call("trainStep", xs[k], ys[k]), 0.0, "loss of update " + k);
        }
        for (Parameter p : straight.parameters()) {
            assertArrayEquals(values(p), values(resumed.parameters().get(p.name())), 0.0, p.name());
        }
        // a row the first update read trained; a row no update read did not
        int read = xs[0][0][0];
        double[] trained = values(straight.parameters().get("embedding.weight"));
        assertFalse(java.util.Arrays.equals(java.util.Arrays.copyOfRange(table, read * 8, read * 8 + 8),
                java.util.Arrays.copyOfRange(trained, read * 8, read * 8 + 8)), "row " + read + " trained");
        assertArrayEquals(java.util.Arrays.copyOfRange(table, 2000 * 8, 3000 * 8),
                java.util.Arrays.copyOfRange(trained, 2000 * 8, 3000 * 8), 0.0, "rows 2000 to 2999, never read");

        ModelHandle frozen = model("FrozenEncoderDecoder");
        Parameter frozenTable = frozen.parameters().get("embedding.weight");
        assertFalse(frozenTable.requiresGrad());
        double[] initial = values(frozenTable);
        double[] encoder = values(frozen.parameters().get("encoder.weight_ih_l0"));
        int[][] x = {{1, 2, 3}, {39, -1, -1}};
        int[][] y = {{0, 4}, {2, -1}};
        for (int k = 0; k < 5; k++) {
            frozen.call("trainStep", x, y, new int[] {3, 1}, new int[] {2, 1});
        }
        assertArrayEquals(initial, values(frozenTable), 0.0, "the frozen table is bit-identical after training");
        assertFalse(java.util.Arrays.equals(encoder, values(frozen.parameters().get("encoder.weight_ih_l0"))),
                "the encoder did train");
        Path frozenFile = work.resolve("frozen-encdec.safetensors");
        frozen.call("save", frozenFile);
        TensorFile frozenSaved = SafeTensors.read(frozenFile);
        assertTrue(frozenSaved.contains("embedding.weight"), "the frozen table is saved");
        assertTrue(frozenSaved.names().stream().noneMatch(n -> n.startsWith("optimizer.embedding")),
                "no optimizer state for a frozen table: " + frozenSaved.names());
    }

    @Test
    void badSymbolsAreRefusedSayingWhere() {
        ModelHandle m = model("Sparse");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> m.call("forward", m.workspace, new int[][] {{0, 1, 2, 3}, {4, 5, 50, 6}}));
        assertEquals("xs[1][2] is 50, outside [0, 50)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> m.call("trainStep", new int[][] {{0, -1, 2, 3}}, new int[] {1}));
        assertEquals("xs[0][1] is -1, outside [0, 50)", e.getMessage());
        Object stepper = model("Frozen").call("newStepper");
        e = assertThrows(IllegalArgumentException.class, () -> ModelHandle.invoke(stepper, "step", 20));
        assertEquals("symbol is 20, outside [0, 20)", e.getMessage());
    }

    @Test
    void theStepperLooksUpEachSymbolAsForwardDoes() {
        ModelHandle m = model("Frozen");
        int[] x = {4, 19, 0, 4, 7};
        float[][] whole = (float[][]) m.call("forward", m.workspace, x);
        Object stepper = m.call("newStepper");
        for (int t = 0; t < x.length; t++) {
            assertArrayEquals(whole[t], (float[]) ModelHandle.invoke(stepper, "step", x[t]), "step " + t);
        }
    }

    /**
     * Sentiment from word polarity: each sequence mixes positive (0-4), negative (5-9) and neutral (10-19) symbols,
     * labelled 1 when it has more positive than negative ones (never a tie). From the seed's weights, 300 Adam
     * updates on batches of 16; the held-out accuracy goes from chance to nearly all, and the table has learnt the
     * words' polarity: along the direction between the mean positive and the mean negative row, every positive word
     * lies on one side of every negative word, which the random N(0, 1) table did not do.
     */
    @Test
    void theEmbeddingLearnsTheWordsPolarity() {
        ModelHandle m = model("Sentiment");
        SplittableRandom random = new SplittableRandom(17);
        int[][] testX = new int[400][];
        float[][] testY = new float[400][];
        for (int i = 0; i < testX.length; i++) {
            testX[i] = sentence(random);
            testY[i] = new float[] {label(testX[i])};
        }
        Parameter table = m.parameters().get("embedding.weight");
        double separationBefore = separation(table);
        double accuracyBefore = accuracy(m, testX, testY);
        double firstLoss = Double.NaN;
        double lastLoss = 0;
        int updates = 300;
        for (int step = 0; step < updates; step++) {
            int[][] xs = new int[16][];
            float[][] ys = new float[16][];
            for (int b = 0; b < 16; b++) {
                xs[b] = sentence(random);
                ys[b] = new float[] {label(xs[b])};
            }
            double loss = (double) m.call("trainStep", xs, ys);
            firstLoss = step == 0 ? loss : firstLoss;
            lastLoss = step >= updates - 20 ? lastLoss + loss / 20 : lastLoss;
        }
        double accuracyAfter = accuracy(m, testX, testY);
        double separationAfter = separation(table);
        System.out.printf("EmbeddingTest: sentiment, %d updates of 16: loss %.4f -> %.4f (mean of the last 20),"
                + " held-out accuracy %.3f -> %.3f, polarity margin of the table %.3f -> %.3f%n", updates, firstLoss,
                lastLoss, accuracyBefore, accuracyAfter, separationBefore, separationAfter);
        assertTrue(accuracyAfter >= 0.95, "held-out accuracy " + accuracyAfter);
        assertTrue(lastLoss < firstLoss / 3, "loss " + firstLoss + " -> " + lastLoss);
        assertTrue(separationAfter > 0, "every positive row beyond every negative one: margin " + separationAfter);
        assertTrue(separationBefore < 0, "the random table did not separate them: margin " + separationBefore);
    }

    private static int[] sentence(SplittableRandom random) {
        while (true) {
            int[] x = new int[6];
            for (int t = 0; t < 6; t++) {
                x[t] = random.nextInt(20);
            }
            int score = score(x);
            if (score != 0) {
                return x;
            }
        }
    }

    private static int score(int[] x) {
        int score = 0;
        for (int s : x) {
            score += s < 5 ? 1 : s < 10 ? -1 : 0;
        }
        return score;
    }

    private static float label(int[] x) {
        return score(x) > 0 ? 1 : 0;
    }

    private static double accuracy(ModelHandle m, int[][] xs, float[][] ys) {
        float[][] out = (float[][]) m.call("forward", m.workspace, xs);
        int right = 0;
        for (int i = 0; i < xs.length; i++) {
            right += (out[i][0] > 0.5) == (ys[i][0] > 0.5) ? 1 : 0;
        }
        return (double) right / xs.length;
    }

    /**
     * Projects every row on the direction from the mean negative row to the mean positive one, and returns the
     * smallest positive projection minus the largest negative one: above 0 when the table separates the polarities.
     */
    private static double separation(Parameter table) {
        int d = table.shape()[1];
        double[] direction = new double[d];
        for (int s = 0; s < 10; s++) {
            for (int i = 0; i < d; i++) {
                direction[i] += (s < 5 ? 1 : -1) * table.value(s * d + i);
            }
        }
        double smallestPositive = Double.POSITIVE_INFINITY;
        double largestNegative = Double.NEGATIVE_INFINITY;
        double norm = 0;
        for (double v : direction) {
            norm += v * v;
        }
        norm = Math.sqrt(norm);
        for (int s = 0; s < 10; s++) {
            double p = 0;
            for (int i = 0; i < d; i++) {
                p += direction[i] * table.value(s * d + i) / norm;
            }
            if (s < 5) {
                smallestPositive = Math.min(smallestPositive, p);
            } else {
                largestNegative = Math.max(largestNegative, p);
            }
        }
        return smallestPositive - largestNegative;
    }
}
