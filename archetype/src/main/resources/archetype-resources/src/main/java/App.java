package ${package};

import dev.unroll.runtime.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Trains the model that the Unroll plugin generated from {@code src/main/rnn/sequence-classifier.rnn},
 * evaluates it on held-out sequences, saves a checkpoint, reloads it, and draws the learning curve.
 *
 * <pre>{@code
 * mvn -q compile exec:java                              # 400 updates, outputs in target/
 * mvn -q compile exec:java -Dexec.args="1000 out"       # 1000 updates, outputs in out/
 * }</pre>
 */
public final class App {
    /** Sequences to train on, and held out to evaluate on (from other seeds). */
    static final int TRAIN = 2000;
    static final int TEST = 1000;
    static final int BATCH = 32;

    private App() {}

    public static void main(String[] args) throws Exception {
        int updates = args.length > 0 ? Integer.parseInt(args[0]) : 400;
        Path out = Path.of(args.length > 1 ? args[1] : "target");

        SumData.Examples train = SumData.generate(TRAIN, 1);
        SumData.Examples test = SumData.generate(TEST, 2);
        SequenceClassifier model = new SequenceClassifier();
        System.out.printf("held-out accuracy before training: %.1f%%%n", 100 * SumData.accuracy(model, test));

        LearningCurve curve = new LearningCurve(10);
        Trainer.Listener bar = Trainer.progressBar(System.out, 10);
        Trainer.Progress done = Trainer.train(model, SumData.batches(train, BATCH, 3), updates, progress -> {
            bar.onUpdate(progress);
            curve.onUpdate(progress);
        });
        double accuracy = SumData.accuracy(model, test);
        System.out.printf("trained %d updates in %.1f s, loss %.4f; held-out accuracy %.1f%% (%d sequences)%n",
                done.update(), done.elapsedNanos() / 1e9, done.smoothedLoss(), 100 * accuracy, TEST);

        Path checkpoint = out.resolve("sequence-classifier.safetensors");
        Files.createDirectories(out);
        model.save(checkpoint);
        SequenceClassifier restored = new SequenceClassifier(99);
        restored.load(checkpoint);
        System.out.printf("saved %s; reloaded, held-out accuracy %.1f%%%n", checkpoint,
                100 * SumData.accuracy(restored, test));

        curve.writeCsv(out.resolve("learning-curve.csv"));
        curve.writeSvg(out.resolve("learning-curve.svg"), "SequenceClassifier: " + done.update() + " updates");
        System.out.println("learning curve: " + out.resolve("learning-curve.svg") + " (and .csv)");
    }
}
