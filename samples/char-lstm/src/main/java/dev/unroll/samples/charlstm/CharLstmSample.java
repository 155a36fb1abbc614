package dev.unroll.samples.charlstm;

import dev.unroll.runtime.Trainer;
import dev.unroll.runtime.checkpoint.Checkpoints;
import dev.unroll.runtime.sample.Sampling;
import dev.unroll.samples.support.Chart;
import dev.unroll.samples.support.LearningCurve;
import dev.unroll.samples.support.Options;
import dev.unroll.samples.support.Series;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Trains the character-level LSTM of {@code char-lstm.rnn} on the bundled corpus (or a text file),
 * with a progress bar, then writes text sampled at a chosen temperature, saves a checkpoint and
 * draws the learning curve. {@code --resume} loads the checkpoint first and goes on training it.
 *
 * <pre>
 * mvn -q -pl samples/char-lstm exec:java -Dexec.args="--updates 2000 --temperature 0.6"
 * </pre>
 */
public final class CharLstmSample {
    /** Sequences per update. */
    static final int BATCH = 16;
    /** Validation windows; the validation loss is measured every {@link #VALIDATE_EVERY} updates. */
    static final int VALIDATION_WINDOWS = 64;
    static final int VALIDATE_EVERY = 100;

    private CharLstmSample() {}

    public static void main(String[] args) throws IOException {
        Path dir = Options.sampleDir();
        Options options = new Options("CharLstmSample [options]")
                .option("updates", 1000, "training updates (of " + BATCH + " windows of " + CharLstm.STEPS
                        + " characters); 0 only samples from the checkpoint")
                .option("temperature", 0.7, "sampling temperature: lower is safer, higher more surprising")
                .option("length", 600, "characters to sample")
                .option("start", "The ", "text the sample starts from")
                .option("seed", 1, "seed of the training batches and of sampling")
                .option("corpus", "bundled", "a UTF-8 text file to train on instead of the bundled corpus")
                .option("checkpoint", dir.resolve("target/char-lstm.safetensors"), "checkpoint to save (and resume)")
                .option("plot", dir.resolve("target/learning-curve.png"), "learning-curve PNG to write")
                .flag("resume", "load the checkpoint before training (the optimizer state starts fresh)")
                .parse(args);
        int updates = options.integer("updates");
        Path checkpoint = Path.of(options.string("checkpoint"));
        Path curveFile = Path.of(checkpoint + ".curve.csv");
        long seed = options.integer("seed");

        Corpus corpus = options.string("corpus").equals("bundled") ? Corpus.bundled()
                : Corpus.of(Path.of(options.string("corpus")));
        System.out.printf(Locale.ROOT, "corpus: %,d characters; model: LSTM %d, %d symbols, %d steps%n",
                corpus.length(), CharLstm.HIDDEN_SIZE_L0, CharLstm.INPUT_SIZE, CharLstm.STEPS);

        CharLstm model = new CharLstm();
        Series training = new Series("training loss (smoothed)");
        Series validation = new Series("validation loss");
        long before = 0;
        if (options.isSet("resume") || updates == 0) {
            Checkpoints.Loaded loaded = model.load(checkpoint);
            loaded.warnings().forEach(w -> System.out.println("warning: " + w));
            before = readCurve(curveFile, training, validation);
            System.out.printf(Locale.ROOT, "resumed from %s after %d updates%s%n", checkpoint, before,
                    loaded.optimizerRestored() ? " (with the optimizer's state: update " + model.updates() + ")" : "");
        }
        if (updates > 0) {
            if (!options.isSet("resume")) {
                validation.add(0, validationLoss(model, corpus));
            }
            long offset = before;
            int[][][] valid = corpus.validation(VALIDATION_WINDOWS);
            CharLstm.Workspace ws = model.newWorkspace();
            LearningCurve curve = new LearningCurve("training loss (smoothed)", 10, offset);
            Trainer.Listener validate = p -> {
                if (p.update() % VALIDATE_EVERY == 0 || p.update() == p.totalUpdates()) {
                    validation.add(offset + p.update(), model.loss(ws, valid[0], valid[1]));
                }
            };
            Trainer.Progress done = Trainer.train(model, corpus.trainingBatches(BATCH, seed + before), updates,
                    LearningCurve.both(Trainer.progressBar(System.out, 200), LearningCurve.both(curve, validate)));
            double seconds = done.elapsedNanos() / 1e9;
            for (int i = 0; i < curve.series().size(); i++) {
                training.add(curve.series().xs()[i], curve.series().ys()[i]);
            }
            System.out.printf(Locale.ROOT, "trained %d updates in %.1f s (%,.0f characters/s): training loss %.3f, "
                    + "validation loss %.3f (nats per character)%n", updates, seconds,
                    (double) updates * BATCH * CharLstm.STEPS / seconds, done.smoothedLoss(), validation.lastY());
            Files.createDirectories(checkpoint.toAbsolutePath().getParent());
            model.save(checkpoint);
            writeCurve(curveFile, training, validation);
            System.out.println("saved " + checkpoint);
            Path plot = Chart.lines("char-lstm: " + CharLstm.HIDDEN_SIZE_L0 + "-unit LSTM on " + corpus.length()
                    + " characters", "update", "cross-entropy (nats per character)")
                    .add(training).add(validation).save(Path.of(options.string("plot")));
            System.out.println("learning curve: " + plot);
        }

        double temperature = options.number("temperature");
        System.out.printf(Locale.ROOT, "%nsampled at temperature %.2f:%n%n", temperature);
        System.out.println(sample(model, options.string("start"), options.integer("length"), temperature,
                new SplittableRandom(seed)));
    }

    /** Mean cross-entropy of the model on the corpus's validation windows. */
    static double validationLoss(CharLstm model, Corpus corpus) {
        int[][][] valid = corpus.validation(VALIDATION_WINDOWS);
        return model.loss(model.newWorkspace(), valid[0], valid[1]);
    }

    /**
     * Feeds {@code start} to a fresh stepper, then draws {@code length} characters, each fed back as the
     * next input.
     */
    public static String sample(CharLstm model, String start, int length, double temperature, SplittableRandom random) {
        CharLstm.Stepper stepper = model.newStepper();
        StringBuilder text = new StringBuilder(start);
        int[] primed = Alphabet.encode(start.isEmpty() ? "\n" : start);
        float[] probabilities = null;
        for (int symbol : primed) {
            probabilities = stepper.step(symbol);
        }
        for (int i = 0; i < length; i++) {
            int next = Sampling.fromProbabilities(probabilities, temperature, random);
            text.append(Alphabet.charAt(next));
            probabilities = stepper.step(next);
        }
        return text.toString();
    }

    private static long readCurve(Path file, Series training, Series validation) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        long last = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String[] f = line.split(",");
            if (f.length != 3 || f[0].equals("series")) {
                continue;
            }
            long update = Long.parseLong(f[1]);
            (f[0].equals("training") ? training : validation).add(update, Double.parseDouble(f[2]));
            last = Math.max(last, update);
        }
        return last;
    }

    private static void writeCurve(Path file, Series training, Series validation) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("series,update,loss");
        double[] xs = training.xs();
        double[] ys = training.ys();
        for (int i = 0; i < xs.length; i++) {
            lines.add(String.format(Locale.ROOT, "training,%d,%.6f", (long) xs[i], ys[i]));
        }
        xs = validation.xs();
        ys = validation.ys();
        for (int i = 0; i < xs.length; i++) {
            lines.add(String.format(Locale.ROOT, "validation,%d,%.6f", (long) xs[i], ys[i]));
        }
        Files.write(file, lines, StandardCharsets.UTF_8);
    }
}
