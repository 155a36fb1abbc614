package dev.unroll.samples.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.runtime.Trainer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GenerationSampleTest {
    @Test
    void waveformLearnsToDrawFromItsDescription() {
        Waveform model = new Waveform();
        Trainer.Batch<float[][], float[][][]> test = Waves.batch(200, new SplittableRandom(99));
        double silence = Waves.silenceMse(test.targets());
        GenerationSample.trainWaveform(model, 300, null);
        double mse = model.loss(model.newWorkspace(), test.inputs(), test.targets());
        System.out.printf("generation: Waveform test mse %.4f, flat line %.4f (must be < 30%% of it)%n", mse, silence);
        assertTrue(mse < 0.3 * silence, "test mse " + mse + ", a flat line scores " + silence);
    }

    @Test
    void arpeggioPlaysEveryPatternWithFeedback() {
        assertArrayEquals(new int[] {2, 4, 7, 1, 3, 5, 0, 2, 4, 6, 1, 3, 5, 7, 2, 4}, Arpeggios.pattern(0));
        Arpeggio model = new Arpeggio();
        GenerationSample.trainArpeggio(model, 300, null);
        assertEquals(1.0, Arpeggios.accuracy(model, false), "soft feedback");
        assertEquals(1.0, Arpeggios.accuracy(model, true), "note by note");
    }
}
