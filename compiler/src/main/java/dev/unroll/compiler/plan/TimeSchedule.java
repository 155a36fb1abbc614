package dev.unroll.compiler.plan;

import java.util.OptionalInt;

/**
 * When things happen over the unrolled steps: how many steps run, at which the head writes an
 * output that is scored, and whether outputs are fed back as the next step's input.
 *
 * @param steps the number of steps the network is unrolled over
 * @param outputSteps the number of outputs per sequence
 * @param scoring at which steps the head runs
 * @param feedback whether the output of step {@code t} is the input of step {@code t + 1}
 * @param variableLength whether each sequence has its own length, at most {@code steps} ({@code variable_length}):
 *     the loops over time then run to the workspace's {@link #LENGTH} instead of a constant, so that padded steps
 *     cost nothing
 * @param bpttWindow truncated BPTT's window: gradients stop at every multiple of it, and training makes one update
 *     per window; empty for full BPTT
 */
public record TimeSchedule(int steps, int outputSteps, Scoring scoring, boolean feedback, boolean variableLength,
        OptionalInt bpttWindow) {
    /** The workspace field that holds the loaded sequence's length when {@link #variableLength()}. */
    public static final String LENGTH = "length";
    /**
     * The workspace field that holds the loaded sequence's number of output steps in a {@link #variableLength()}
     * encoder-decoder: the decoder's loops run to it.
     */
    public static final String OUTPUT_LENGTH = "outputLength";

    /** Where the head runs. */
    public enum Scoring {
        /** At every step: output {@code s} is that of step {@code t = s}. */
        EVERY_STEP,
        /** At the last step only: one output. */
        LAST_STEP
    }

    public TimeSchedule {
        if (steps <= 0 || outputSteps <= 0) {
            throw new IllegalArgumentException("steps " + steps + ", outputSteps " + outputSteps);
        }
        if (scoring == Scoring.LAST_STEP && outputSteps != 1) {
            throw new IllegalArgumentException("scored at the last step with " + outputSteps + " outputs");
        }
        if (bpttWindow.isPresent() && (bpttWindow.getAsInt() <= 0 || bpttWindow.getAsInt() > steps)) {
            throw new IllegalArgumentException("truncated_bptt window " + bpttWindow.getAsInt() + " over " + steps
                    + " steps");
        }
    }

    /** Returns true when gradients are truncated every {@link #bpttWindow} steps. */
    public boolean truncated() {
        return bpttWindow.isPresent();
    }

    /**
     * Returns the expression of the loaded sequence's number of steps: {@code ws.length} with variable lengths,
     * else the constant {@code steps}.
     */
    public String length() {
        return variableLength ? "ws." + LENGTH : String.valueOf(steps);
    }

    /** Returns the expression of the loaded sequence's last step: {@code ws.length - 1}, or the constant. */
    public String lastStep() {
        return variableLength ? "ws." + LENGTH + " - 1" : String.valueOf(steps - 1);
    }

    /**
     * Returns the expression of the loaded sequence's number of output steps of an encoder-decoder:
     * {@code ws.outputLength} with variable lengths, else the constant {@code outputSteps}.
     */
    public String outputLength() {
        return variableLength ? "ws." + OUTPUT_LENGTH : String.valueOf(outputSteps);
    }

    /** Returns true when the head runs at every step. */
    public boolean everyStep() {
        return scoring == Scoring.EVERY_STEP;
    }
}
