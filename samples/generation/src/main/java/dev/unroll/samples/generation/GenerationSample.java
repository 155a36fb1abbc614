package dev.unroll.samples.generation;

import dev.unroll.runtime.Trainer;
import dev.unroll.samples.support.Chart;
import dev.unroll.samples.support.LearningCurve;
import dev.unroll.samples.support.Options;
import dev.unroll.samples.support.Series;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Two one-to-many models of {@code generation.rnn}: {@link Waveform} draws a waveform from one
 * description vector, {@link Arpeggio} plays a pattern of notes from its first note, feeding each
 * step's output back in.
 *
 * <pre>
 * mvn -q -pl samples/generation exec:java
 * </pre>
 */
public final class GenerationSample {
    static final int BATCH = 32;

    private GenerationSample() {}

    public static void main(String[] args) {
        Path dir = Options.sampleDir();
        Options options = new Options("GenerationSample [options]")
                .option("updates", 1200, "Waveform training updates, of " + BATCH + " waveforms")
                .option("arpeggio-updates", 300, "Arpeggio training updates (each sees all 8 patterns)")
                .option("plot", dir.resolve("target/learning-curve.png"), "learning-curve PNG to write")
                .option("waves-plot", dir.resolve("target/waveforms.png"), "PNG of generated waveforms to write")
                .parse(args);

        System.out.println("Waveform: LSTM " + Waveform.HIDDEN_SIZE_L0 + ", one input, " + Waveform.STEPS + " outputs");
        Waveform waveform = new Waveform();
        LearningCurve curve = new LearningCurve("Waveform training mse (smoothed)", 10);
        int updates = options.integer("updates");
        Trainer.Progress done = trainWaveform(waveform, updates, LearningCurve.both(Trainer.progressBar(System.out, 30), curve));
        Trainer.Batch<float[][], float[][][]> test = Waves.batch(500, new SplittableRandom(99));
        double mse = waveform.loss(waveform.newWorkspace(), test.inputs(), test.targets());
        double silence = Waves.silenceMse(test.targets());
        System.out.printf(Locale.ROOT, "trained in %.1f s; test mse %.4f (a flat line at 0 scores %.4f: %.1f%% of it)%n%n",
                done.elapsedNanos() / 1e9, mse, silence, 100 * mse / silence);

        Chart.lines("generation: Waveform training loss", "update", "mean squared error (log scale)").logY()
                .add(curve.series())
                .add(new Series("flat line at 0").add(0, silence).add(updates, silence))
                .save(Path.of(options.string("plot")));

        Chart waves = Chart.lines("generated waveforms (solid) and their targets (dashed), offset for clarity",
                "step", "value").size(900, 640).legendBelow();
        Waveform.Workspace ws = waveform.newWorkspace();
        Waves.Spec[] shown = {new Waves.Spec(0, 2, 0.8), new Waves.Spec(1, 1.5, 0.6), new Waves.Spec(2, 3, 0.7),
            new Waves.Spec(3, 2.5, 0.5)};
        for (int i = 0; i < shown.length; i++) {
            Waves.Spec spec = shown[i];
            float[][] y = waveform.forward(ws, spec.input());
            float[][] target = spec.target();
            double offset = 2.0 * (shown.length - 1 - i);
            java.awt.Color color = Chart.PALETTE[i];
            Series generated = new Series(spec + ", generated").color(color);
            Series wanted = new Series(Waves.SHAPES[spec.shape()] + ", target").color(color).dashed();
            for (int t = 0; t < y.length; t++) {
                generated.add(t, y[t][0] + offset);
                wanted.add(t, target[t][0] + offset);
            }
            waves.add(wanted).add(generated);
        }
        System.out.println("waveforms: " + waves.save(Path.of(options.string("waves-plot"))));
        System.out.println("learning curve: " + options.string("plot"));

        System.out.println();
        System.out.println("Arpeggio: LSTM " + Arpeggio.HIDDEN_SIZE_L0 + ", one note in, " + Arpeggio.STEPS
                + " notes out, each step reading the one before");
        Arpeggio arpeggio = new Arpeggio();
        trainArpeggio(arpeggio, options.integer("arpeggio-updates"), Trainer.progressBar(System.out, 30));
        System.out.printf(Locale.ROOT, "notes right: %.1f%% (as trained: soft feedback), %.1f%% (played note by note)%n",
                100 * Arpeggios.accuracy(arpeggio, false), 100 * Arpeggios.accuracy(arpeggio, true));
        for (int first : new int[] {0, 3, 5}) {
            System.out.println("  expected  " + Arpeggios.names(first, Arpeggios.pattern(first)));
            System.out.println("  generated " + Arpeggios.names(first, Arpeggios.generateHard(arpeggio, first)));
        }
    }

    public static Trainer.Progress trainWaveform(Waveform model, int updates, Trainer.Listener listener) {
        SplittableRandom random = new SplittableRandom(1);
        return Trainer.train(model, update -> Waves.batch(BATCH, random), updates, listener);
    }

    public static Trainer.Progress trainArpeggio(Arpeggio model, int updates, Trainer.Listener listener) {
        Trainer.Batch<int[], int[][]> all = new Trainer.Batch<>(Arpeggios.firsts(), Arpeggios.patterns());
        return Trainer.train(model, update -> all, updates, listener);
    }
}
