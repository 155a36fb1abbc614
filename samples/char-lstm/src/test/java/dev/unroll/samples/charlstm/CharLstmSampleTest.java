package dev.unroll.samples.charlstm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.runtime.Trainer;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CharLstmSampleTest {
    /** ln(63): the loss of a model that knows nothing. */
    static final double UNIFORM = Math.log(CharLstm.INPUT_SIZE);

    @Test
    void theBundledCorpusIsTheGeneratorsOutput() {
        String corpus = Corpus.bundledText();
        assertEquals(CorpusGenerator.generate(CorpusGenerator.SEED, CorpusGenerator.STORIES), corpus);
        assertTrue(corpus.length() >= 50_000, corpus.length() + " characters");
        for (char c : corpus.toCharArray()) {
            assertTrue(Alphabet.indexOf(c) >= 0, "'" + c + "' is not in the alphabet");
        }
    }

    @Test
    void shortTrainingLearnsTheCharacterStatisticsAndACheckpointRestoresIt(@TempDir Path dir) throws Exception {
        Corpus corpus = Corpus.bundled();
        CharLstm model = new CharLstm();
        double initial = CharLstmSample.validationLoss(model, corpus);
        Trainer.Progress done = Trainer.train(model, corpus.trainingBatches(CharLstmSample.BATCH, 1), 100, null);
        double validation = CharLstmSample.validationLoss(model, corpus);

        System.out.printf("char-lstm: validation loss %.3f -> %.3f after 100 updates (must be < 2.3)%n", initial,
                validation);
        assertTrue(Math.abs(initial - UNIFORM) < 0.1, "initial loss " + initial);
        // Character frequencies alone give about 3.0 nats; 2.3 needs some context.
        assertTrue(validation < 2.3, "validation loss after 100 updates: " + validation);
        assertTrue(done.smoothedLoss() < 2.6, "training loss " + done.smoothedLoss());

        Path checkpoint = dir.resolve("model.safetensors");
        model.save(checkpoint);
        CharLstm restored = new CharLstm(99);
        restored.load(checkpoint);
        assertEquals(validation, CharLstmSample.validationLoss(restored, corpus), 1e-9);
        String a = CharLstmSample.sample(model, "The ", 100, 0.7, new SplittableRandom(3));
        String b = CharLstmSample.sample(restored, "The ", 100, 0.7, new SplittableRandom(3));
        assertEquals(a, b);
        assertEquals(104, a.length());
    }
}
