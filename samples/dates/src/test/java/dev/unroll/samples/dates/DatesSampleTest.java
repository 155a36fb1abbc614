package dev.unroll.samples.dates;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.runtime.Trainer;
import dev.unroll.runtime.sample.BeamSearch;
import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatesSampleTest {
    /** Updates of the brief training run; the sample's main trains {@code 6000}. */
    static final int UPDATES = 1000;
    /** Exact-match accuracy the seeded run must reach on held-out dates, greedy and by beam search. */
    static final double ACCURACY = 0.6;
    static final int WIDTH = 4;

    @TempDir
    Path work;

    @Test
    void everyDateIsWrittenAsItsFormatSaysAndFitsTheModel() {
        LocalDate example = LocalDate.of(2024, 3, 3);
        for (Dates.Format format : Dates.Format.values()) {
            assertEquals(format.example(), format.write(example), format.name());
        }
        assertEquals("december 31st, 2049", Dates.Format.MONTH_ORDINAL_YEAR.write(LocalDate.of(2049, 12, 31)));
        assertEquals("april 12th, 1950", Dates.Format.MONTH_ORDINAL_YEAR.write(LocalDate.of(1950, 4, 12)));
        assertEquals("sat 1 jan 2000", Dates.Format.WEEKDAY_DAY_MON_YEAR.write(LocalDate.of(2000, 1, 1)));
        assertEquals("01/01/50", Dates.Format.DD_MM_YY.write(LocalDate.of(1950, 1, 1)));
        assertEquals("31/12/49", Dates.Format.DD_MM_YY.write(LocalDate.of(2049, 12, 31)));

        int longest = 0;
        int heldOutDays = 0;
        int days = 0;
        for (LocalDate d = LocalDate.of(Dates.FIRST_YEAR, 1, 1); d.getYear() <= Dates.LAST_YEAR; d = d.plusDays(1)) {
            for (Dates.Format format : Dates.Format.values()) {
                longest = Math.max(longest, format.write(d).length());
            }
            heldOutDays += Dates.isHeldOut(d) ? 1 : 0;
            days++;
        }
        assertEquals(Dates.INPUT_LENGTH, longest, "the longest date, september 30th, ...");
        assertEquals(0.1, (double) heldOutDays / days, 0.01, heldOutDays + " held-out days of " + days);
        List<Dates.Example> everyHeldOut = Dates.allHeldOut();
        assertEquals(heldOutDays * Dates.Format.values().length, everyHeldOut.size());
        assertTrue(everyHeldOut.stream().allMatch(e -> Dates.isHeldOut(e.date())));

        List<Dates.Example> train = Dates.generate(5000, 1, false);
        List<Dates.Example> heldOut = Dates.generate(500, 2, true);
        assertTrue(train.stream().noneMatch(e -> Dates.isHeldOut(e.date())));
        assertTrue(heldOut.stream().allMatch(e -> Dates.isHeldOut(e.date())));
        for (Dates.Format format : Dates.Format.values()) {
            assertTrue(heldOut.stream().filter(e -> e.format() == format).count() > 50, format.name());
        }

        // "03/03/24": the 8 characters, then no symbol (-1) up to 20; the target 2024-03-03.
        assertArrayEquals(new int[] {4, 7, 3, 4, 7, 3, 6, 8, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1},
                Dates.encode("03/03/24"));
        assertEquals(8, Dates.example(example, Dates.Format.DD_MM_YY).length());
        assertEquals(15, Dates.example(example, Dates.Format.MONTH_ORDINAL_YEAR).length());
        assertArrayEquals(new int[] {2, 0, 2, 4, 10, 0, 3, 10, 0, 3}, Dates.target(example));
        assertEquals("2024-03-03", Dates.decode(Dates.target(example)));
        assertArrayEquals(Dates.encode("3 march 2024"), Dates.encode("3 March 2024"));
    }

    @Test
    void badInputIsRefusedSayingWhatAndWhere() {
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                () -> Dates.encode("wednesday, 3 march 2024"));
        assertEquals("\"wednesday, 3 march 2024\" has 23 characters; the model reads at most 20", tooLong.getMessage());
        IllegalArgumentException badCharacter = assertThrows(IllegalArgumentException.class,
                () -> Dates.encode("3-3-2024"));
        assertEquals("\"3-3-2024\": character 1 '-' is not one the model reads "
                + "( ,./0123456789abcdefghijklmnopqrstuvwxyz)", badCharacter.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Dates.encode("3_3_2024"));
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> Dates.encode(""));
        assertEquals("an empty date: the model reads 1 to 20 characters", empty.getMessage());
    }

    @Test
    void theEncoderDecoderNormalizesDatesItHasNeverSeen() throws IOException {
        List<Dates.Example> train = Dates.generate(DatesSample.TRAIN, 1, false);
        List<Dates.Example> heldOut = Dates.generate(DatesSample.HELD_OUT, 2, true);
        Trainer.Batch<int[][], int[][]> held = DatesSample.asBatch(heldOut);

        DateNormalizer model = new DateNormalizer();
        DateNormalizer.Workspace ws = model.newWorkspace();
        double untrained = DatesSample.loss(model, ws, held);
        Trainer.train(model, DatesSample.batches(train, DatesSample.BATCH, 7), UPDATES, null);
        double loss = DatesSample.loss(model, ws, held);
        DatesSample.Accuracy greedy = DatesSample.accuracy(heldOut, DatesSample.greedy(model));
        DatesSample.Accuracy beam = DatesSample.accuracy(heldOut, DatesSample.beam(model, WIDTH));
        System.out.printf("dates: held-out loss %.4f -> %.4f after %d updates; exact match greedy %.3f, beam %d %.3f "
                + "(the test JVM has used %.1f s of CPU time)%n", untrained, loss, UPDATES, greedy.overall(), WIDTH,
                beam.overall(), ProcessHandle.current().info().totalCpuDuration().orElseThrow().toNanos() / 1e9);
        assertEquals(Math.log(Dates.OUTPUT_ALPHABET.length()), untrained, 0.1, "an untrained model's loss");
        assertTrue(greedy.overall() > ACCURACY, "greedy: " + greedy);
        assertTrue(beam.overall() > ACCURACY, "beam search: " + beam);

        // A checkpoint loaded into a fresh model decodes exactly as the model it was saved from.
        Path checkpoint = work.resolve("dates.safetensors");
        model.save(checkpoint);
        DateNormalizer loaded = new DateNormalizer(99);
        assertFalse(DatesSample.loss(loaded, loaded.newWorkspace(), held) == loss, "a model of another seed");
        loaded.load(checkpoint);
        DateNormalizer.Workspace loadedWs = loaded.newWorkspace();
        assertEquals(loss, DatesSample.loss(loaded, loadedWs, held), 0.0);
        for (int i = 0; i < 20; i++) {
            int[] x = heldOut.get(i).symbols();
            int length = heldOut.get(i).length();
            assertArrayEquals(model.forward(ws, x, length), loaded.forward(loadedWs, x, length));
            List<BeamSearch.Hypothesis> expected = model.beamSearch(ws, x, length, WIDTH, DatesSample.NO_END_CLASS);
            assertEquals(expected, loaded.beamSearch(loadedWs, x, length, WIDTH, DatesSample.NO_END_CLASS));
        }

        // The model reads each date's own characters: what follows them is never read, and a call
        // without the length, which would read all 20 steps, meets NO_SYMBOL and is refused.
        Dates.Example e = heldOut.get(0);
        int[] otherPadding = e.symbols().clone();
        Arrays.fill(otherPadding, e.length(), Dates.INPUT_LENGTH, 7);
        assertArrayEquals(model.forward(ws, e.symbols(), e.length()), model.forward(ws, otherPadding, e.length()));
        IllegalArgumentException noLength = assertThrows(IllegalArgumentException.class,
                () -> model.forward(ws, e.symbols()));
        assertEquals("x[" + e.length() + "] is -1, outside [0, 40)", noLength.getMessage());
    }
}
