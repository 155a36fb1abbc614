package dev.unroll.samples.generation;

import dev.unroll.runtime.sample.Sampling;

/**
 * Patterns for {@link Arpeggio}: from a first note {@code s} of 8, the notes
 * {@code s, s+2, s+4, s+7} (mod 8), then the same one note higher, and so on: 16 notes after the first.
 */
public final class Arpeggios {
    public static final String[] NOTES = {"C", "D", "E", "F", "G", "A", "B", "c"};
    private static final int[] CHORD = {0, 2, 4, 7};

    private Arpeggios() {}

    /** Note {@code k} of the pattern that starts at {@code first} (note 0 is {@code first} itself). */
    public static int note(int first, int k) {
        return (first + CHORD[k % 4] + k / 4) % Arpeggio.INPUT_SIZE;
    }

    /** The 16 notes the model must write after {@code first}. */
    public static int[] pattern(int first) {
        int[] notes = new int[Arpeggio.STEPS];
        for (int t = 0; t < notes.length; t++) {
            notes[t] = note(first, t + 1);
        }
        return notes;
    }

    /** Every first note, and its pattern: the whole training set. */
    public static int[] firsts() {
        int[] firsts = new int[Arpeggio.INPUT_SIZE];
        for (int i = 0; i < firsts.length; i++) {
            firsts[i] = i;
        }
        return firsts;
    }

    public static int[][] patterns() {
        int[][] ys = new int[Arpeggio.INPUT_SIZE][];
        for (int i = 0; i < ys.length; i++) {
            ys[i] = pattern(i);
        }
        return ys;
    }

    /** The model's pattern as trained: each step reads the distribution written at the step before. */
    public static int[] generateSoft(Arpeggio model, int first) {
        float[][] ys = model.forward(model.newWorkspace(), first);
        int[] notes = new int[ys.length];
        for (int t = 0; t < ys.length; t++) {
            notes[t] = Sampling.argmax(ys[t]);
        }
        return notes;
    }

    /** The pattern played note by note: each step reads the single most probable note of the step before. */
    public static int[] generateHard(Arpeggio model, int first) {
        Arpeggio.Stepper stepper = model.newStepper();
        int[] notes = new int[Arpeggio.STEPS];
        int note = first;
        for (int t = 0; t < notes.length; t++) {
            note = Sampling.argmax(stepper.step(note));
            notes[t] = note;
        }
        return notes;
    }

    /** The fraction of notes right, over every first note. */
    public static double accuracy(Arpeggio model, boolean hard) {
        int right = 0;
        int total = 0;
        for (int first : firsts()) {
            int[] expected = pattern(first);
            int[] got = hard ? generateHard(model, first) : generateSoft(model, first);
            for (int t = 0; t < expected.length; t++) {
                right += got[t] == expected[t] ? 1 : 0;
                total++;
            }
        }
        return (double) right / total;
    }

    public static String names(int first, int[] notes) {
        StringBuilder s = new StringBuilder(NOTES[first]);
        for (int n : notes) {
            s.append(' ').append(NOTES[n]);
        }
        return s.toString();
    }
}
