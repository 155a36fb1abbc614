package dev.unroll.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

class TrainerTest {

    /** A model whose loss is the batch number's reciprocal, and whose chosen batches are non-finite. */
    private static final class FakeModel implements Trainable<Integer, Integer> {
        private final IntPredicate bad;
        private long updates;

        FakeModel(IntPredicate bad) {
            this.bad = bad;
        }

        @Override
        public double trainStep(Integer inputs, Integer targets) {
            if (bad.test(inputs)) {
                throw new NonFiniteException("loss is NaN at update " + updates + "; nothing was updated");
            }
            updates++;
            return 1.0 / (inputs + 1);
        }

        @Override
        public long updates() {
            return updates;
        }

        @Override
        public double learningRate() {
            return 0.1;
        }

        @Override
        public ParameterSet parameters() {
            return new ParameterSet(List.of());
        }
    }

    private static Trainer.Batch<Integer, Integer> batch(long n) {
        return new Trainer.Batch<>((int) n, (int) n);
    }

    /**
     * The default length overloads of a model without lengths: null lengths are a plain update, real ones are
     * refused by name, and Trainer routes a batch with target lengths to the four-argument overload.
     */
    @Test
    void modelsWithoutLengthsRefuseLengthsAndAcceptNone() {
        FakeModel model = new FakeModel(i -> false);
        assertEquals(0.5, model.trainStep(1, 1, null));
        assertEquals(0.5, model.trainStep(1, 1, null, null));
        assertEquals(1.0, model.trainStep(0, 0, null, null));
        assertEquals(3, model.updates());
        UnsupportedOperationException sequences = assertThrows(UnsupportedOperationException.class,
                () -> model.trainStep(1, 1, new int[] {1}));
        assertTrue(sequences.getMessage().endsWith("FakeModel takes no sequence lengths"), sequences.getMessage());
        UnsupportedOperationException targets = assertThrows(UnsupportedOperationException.class,
                () -> model.trainStep(1, 1, new int[] {1}, new int[] {1}));
        assertTrue(targets.getMessage().endsWith("FakeModel takes no target lengths"), targets.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> Trainer.train(model,
                n -> new Trainer.Batch<>(1, 1, null, new int[] {1}), 1, p -> { }));
        assertEquals(3, model.updates(), "a refused update updates nothing");
    }

    @Test
    void reportsEveryUpdateWithLossAndSmoothedLoss() {
        List<Trainer.Progress> seen = new ArrayList<>();
        Trainer.Progress last = Trainer.train(new FakeModel(Set.of()::contains), TrainerTest::batch, 5, seen::add);
        assertEquals(5, seen.size());
        assertEquals(5, last.update());
        assertEquals(1.0 / 5, last.loss(), 0);
        assertEquals((1.0 + 1.0 / 2 + 1.0 / 3 + 1.0 / 4 + 1.0 / 5) / 5, last.smoothedLoss(), 1e-15);
        assertEquals(0, last.skippedBatches());
    }

    @Test
    void nonFiniteBatchStopsTrainingByDefault() {
        FakeModel model = new FakeModel(Set.of(2)::contains);
        assertThrows(NonFiniteException.class, () -> Trainer.train(model, TrainerTest::batch, 5, null));
        assertEquals(2, model.updates());
    }

    @Test
    void nonFiniteBatchesCanBeSkipped() {
        FakeModel model = new FakeModel(Set.of(2, 3)::contains);
        Trainer.Progress last = Trainer.train(model, TrainerTest::batch, 5, null, Trainer.OnNonFinite.SKIP_BATCH);
        assertEquals(5, model.updates());
        assertEquals(5, last.update());
        assertEquals(2, last.skippedBatches());
        assertEquals(1.0 / 7, last.loss(), 0, "batches 0, 1, 4, 5, 6 were used");
    }

    @Test
    void skippingGivesUpWhenTrainingHasDiverged() {
        FakeModel model = new FakeModel(n -> n >= 1);
        assertThrows(NonFiniteException.class,
                () -> Trainer.train(model, TrainerTest::batch, 5, null, Trainer.OnNonFinite.SKIP_BATCH));
        assertEquals(1, model.updates());
    }

    @Test
    void progressBarDrawsInPlaceAndEndsTheLine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Trainer.train(new FakeModel(Set.of()::contains), TrainerTest::batch, 10, Trainer.progressBar(out, 5));
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(5, text.chars().filter(c -> c == '\r').count(), text);
        assertTrue(text.endsWith("\n"), text);
        assertTrue(text.contains("10/10"), text);
        assertTrue(text.contains("[==============================]"), text);
    }

    @Test
    void rejectsNonsense() {
        assertThrows(IllegalArgumentException.class,
                () -> Trainer.train(new FakeModel(Set.of()::contains), TrainerTest::batch, 0, null));
        assertThrows(IllegalStateException.class,
                () -> Trainer.train(new FakeModel(Set.of()::contains), n -> null, 1, null));
    }
}
