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

    @TempDir
    Path work;

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
