package dev.unroll.runtime;

import java.util.List;

/**
 * The size-independent work of a stepper's state export and restore: checking a state given from
 * outside, and copying between the stepper's own {@code float} or {@code double} arrays and the
 * {@code double[]} vectors the state travels in. A {@code float} state widens to {@code double}
 * exactly, so a state exported and imported again continues bit for bit.
 */
public final class StepperStates {
    private StepperStates() {}

    /**
     * Checks a state given to {@code importState}: one finite vector per name, of the size given.
     *
     * @param float32 whether the stepper computes in float: then every value must also be finite as a float
     * @throws IllegalArgumentException naming the vector and element that is wrong
     */
    public static void check(double[][] state, List<String> names, int[] sizes, boolean float32) {
        Checks.notNull(state, "state");
        if (state.length != names.size()) {
            throw new IllegalArgumentException("state: expected " + names.size() + " vectors " + names + ", got "
                    + state.length);
        }
        for (int v = 0; v < state.length; v++) {
            String name = "state[" + v + "] (" + names.get(v) + ")";
            Checks.notNull(state[v], name);
            if (state[v].length != sizes[v]) {
                throw new IllegalArgumentException(name + ": expected " + sizes[v] + " values, got "
                        + state[v].length);
            }
            for (int i = 0; i < sizes[v]; i++) {
                double x = state[v][i];
                if (!Double.isFinite(x) || (float32 && !Float.isFinite((float) x))) {
                    throw new IllegalArgumentException(name + "[" + i + "] is " + x + "; a state must be finite"
                            + (float32 ? " in float" : ""));
                }
            }
        }
    }

    /** Returns the first {@code size} values of {@code from}, widened to double. */
    public static double[] export(float[] from, int size) {
        double[] out = new double[size];
        for (int i = 0; i < size; i++) {
            out[i] = from[i];
        }
        return out;
    }

    /** Returns a copy of the first {@code size} values of {@code from}. */
    public static double[] export(double[] from, int size) {
        return java.util.Arrays.copyOf(from, size);
    }

    /** Copies a checked vector into the first {@code from.length} values of {@code to}, rounded to float. */
    public static void restore(double[] from, float[] to) {
        for (int i = 0; i < from.length; i++) {
            to[i] = (float) from[i];
        }
    }

    /** Copies a checked vector into the first {@code from.length} values of {@code to}. */
    public static void restore(double[] from, double[] to) {
        System.arraycopy(from, 0, to, 0, from.length);
    }
}
