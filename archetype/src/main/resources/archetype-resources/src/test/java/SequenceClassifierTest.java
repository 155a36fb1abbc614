package ${package};

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.runtime.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trains the generated model briefly, from fixed seeds, and checks that it learned. */
class SequenceClassifierTest {
    @TempDir
    Path dir;

    @Test
    void learnsTheSignOfTheSumOnHeldOutSequences() {
        SumData.Examples train = SumData.generate(App.TRAIN, 1);
        SumData.Examples test = SumData.generate(App.TEST, 2);
        SequenceClassifier model = new SequenceClassifier();
        double before = SumData.accuracy(model, test);

        Trainer.train(model, SumData.batches(train, App.BATCH, 3), 300, null);

        double after = SumData.accuracy(model, test);
        assertTrue(after > 0.9, "held-out accuracy " + after + " (before training: " + before + ")");
    }

    @Test
    void aCheckpointRestoresTheSameOutputs() throws Exception {
        SequenceClassifier model = new SequenceClassifier();
        Trainer.train(model, SumData.batches(SumData.generate(200, 1), App.BATCH, 3), 20, null);
        Path checkpoint = dir.resolve("model.safetensors");
        model.save(checkpoint);

        SequenceClassifier restored = new SequenceClassifier(99);
        restored.load(checkpoint);

        float[][][] xs = SumData.generate(5, 4).inputs();
        assertArrayEquals(model.forward(model.newWorkspace(), xs), restored.forward(restored.newWorkspace(), xs));
    }

    @Test
    void theLearningCurveIsWrittenAsCsvAndSvg() throws Exception {
        LearningCurve curve = new LearningCurve(5);
        Trainer.train(new SequenceClassifier(), SumData.batches(SumData.generate(200, 1), App.BATCH, 3), 20, curve);
        curve.writeCsv(dir.resolve("curve.csv"));
        curve.writeSvg(dir.resolve("curve.svg"), "test");

        assertEquals(5, Files.readAllLines(dir.resolve("curve.csv")).size(), "a header and updates 5, 10, 15, 20");
        String svg = Files.readString(dir.resolve("curve.svg"));
        assertTrue(svg.startsWith("<svg ") && svg.contains("<polyline") && svg.trim().endsWith("</svg>"), svg);
    }
}
