package dev.unroll.runtime;

/**
 * Argument checks for the public entry points of generated models. Each failure is an
 * {@link IllegalArgumentException} naming the argument, the index and the expected size, so that
 * a wrong-sized array never reaches generated loops as an {@code ArrayIndexOutOfBoundsException}.
 */
public final class Checks {
    private Checks() {}

    /**
     * Returns {@code name[index]}, the name of one element of a batch argument, as the checks' messages print it.
     * Built with {@code String.concat}, not {@code +}: javac compiles {@code "xs[" + b + "]"} to an
     * {@code invokedynamic} whose first use in a JVM bootstraps the string-concatenation machinery (about 20 ms on
     * the 2-core machine), which the generated models' first {@code forward} or {@code trainStep} paid.
     */
    public static String element(String name, int index) {
        return name.concat("[").concat(Integer.toString(index)).concat("]");
    }

    /** Returns {@code name[index][step]}, the name of one step of one sequence of a batch argument. */
    public static String element(String name, int index, int step) {
        return element(name, index).concat("[").concat(Integer.toString(step)).concat("]");
    }

    /** Checks the number of sequences in a batch (and, when {@code fixedBatch > 0}, that it is exactly that). */
    public static void batch(int length, int fixedBatch, String name) {
        if (length == 0) {
            throw new IllegalArgumentException(name + ": the batch is empty");
        }
        if (fixedBatch > 0 && length != fixedBatch) {
            throw new IllegalArgumentException(name + ": expected a batch of " + fixedBatch
                    + " sequences (the spec's fixed batch size), got " + length);
        }
    }

    /** Checks that two batch arguments hold the same number of sequences. */
    public static void sameBatch(int inputs, int targets) {
        if (inputs != targets) {
            throw new IllegalArgumentException("inputs and targets differ in batch size: " + inputs + " inputs, "
                    + targets + " targets");
        }
    }

    /** Checks a non-null array reference. */
    public static void notNull(Object value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " is null");
        }
    }

    /**
     * Whether {@code x} is a vector of {@code size} finite values: the sequence checks' fast path, which builds a
     * step's name ({@code xs[3][7]}) only for the message of a step that fails, instead of one string per step.
     */
    private static boolean valid(double[] x, int size) {
        if (x == null || x.length != size) {
            return false;
        }
        for (int i = 0; i < size; i++) {
            if (!Double.isFinite(x[i])) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code x} is a vector of {@code size} finite values (see the double twin). */
    private static boolean valid(float[] x, int size) {
        if (x == null || x.length != size) {
            return false;
        }
        for (int i = 0; i < size; i++) {
            if (!Float.isFinite(x[i])) {
                return false;
            }
        }
        return true;
    }

    /** Checks a vector of {@code size} finite values. */
    public static void vector(double[] x, int size, String name, String what) {
        notNull(x, name);
        if (x.length != size) {
            throw new IllegalArgumentException(name + ": expected " + size + " values (" + what + "), got " + x.length);
        }
        for (int i = 0; i < size; i++) {
            if (!Double.isFinite(x[i])) {
                throw new IllegalArgumentException(name + "[" + i + "] is " + x[i] + "; inputs must be finite");
            }
        }
    }

    /** Checks a vector of {@code size} finite values. */
    public static void vector(float[] x, int size, String name, String what) {
        notNull(x, name);
        if (x.length != size) {
            throw new IllegalArgumentException(name + ": expected " + size + " values (" + what + "), got " + x.length);
        }
        // A value is NaN or infinite exactly when its exponent bits are all ones, the largest they can be: the
        // largest exponent field over x is a max reduction C2 vectorizes, where a loop of isFinite tests with an
        // exit each stays scalar (64 inputs: 2 % of a small model's step). Only a bad input pays for finding which.
        int exponents = 0;
        for (int i = 0; i < size; i++) {
            exponents = Math.max(exponents, Float.floatToRawIntBits(x[i]) & 0x7f800000);
        }
        if (exponents == 0x7f800000) {
            for (int i = 0; i < size; i++) {
                if (!Float.isFinite(x[i])) {
                    throw new IllegalArgumentException(name + "[" + i + "] is " + x[i] + "; inputs must be finite");
                }
            }
        }
    }

    /** Checks a sequence of {@code steps} vectors of {@code size} finite values. */
    public static void sequence(double[][] x, int steps, int size, String name, String what) {
        notNull(x, name);
        if (x.length != steps) {
            throw new IllegalArgumentException(name + ": expected " + steps + " steps, got " + x.length);
        }
        for (int t = 0; t < steps; t++) {
            if (!valid(x[t], size)) {
                vector(x[t], size, element(name, t), what);   // throws, with the step's name
            }
        }
    }

    /** Checks a sequence of {@code steps} vectors of {@code size} finite values. */
    public static void sequence(float[][] x, int steps, int size, String name, String what) {
        notNull(x, name);
        if (x.length != steps) {
            throw new IllegalArgumentException(name + ": expected " + steps + " steps, got " + x.length);
        }
        for (int t = 0; t < steps; t++) {
            if (!valid(x[t], size)) {
                vector(x[t], size, element(name, t), what);   // throws, with the step's name
            }
        }
    }

    /** Checks a symbol index in {@code [0, vocabulary)}. */
    public static void symbol(int symbol, int vocabulary, String name) {
        if (symbol < 0 || symbol >= vocabulary) {
            throw new IllegalArgumentException(name + " is " + symbol + ", outside [0, " + vocabulary + ")");
        }
    }

    /** Checks a sequence of {@code steps} symbol indices in {@code [0, vocabulary)}. */
    public static void symbols(int[] x, int steps, int vocabulary, String name) {
        notNull(x, name);
        if (x.length != steps) {
            throw new IllegalArgumentException(name + ": expected " + steps + " steps, got " + x.length);
        }
        for (int t = 0; t < steps; t++) {
            if (x[t] < 0 || x[t] >= vocabulary) {
                symbol(x[t], vocabulary, element(name, t));   // throws, with the step's name
            }
        }
    }

    /** Checks a buffer the caller provides to be filled with {@code size} values. */
    public static void buffer(double[] out, int size, String name) {
        notNull(out, name);
        if (out.length != size) {
            throw new IllegalArgumentException(name + ": expected room for " + size + " values, got " + out.length);
        }
    }

    /** Checks a buffer the caller provides to be filled with {@code size} values. */
    public static void buffer(float[] out, int size, String name) {
        notNull(out, name);
        if (out.length != size) {
            throw new IllegalArgumentException(name + ": expected room for " + size + " values, got " + out.length);
        }
    }

    /** Checks an output array the caller provides to be filled. */
    public static void outputSequence(Object[] out, int steps, String name) {
        notNull(out, name);
        if (out.length != steps) {
            throw new IllegalArgumentException(name + ": expected " + steps + " rows, got " + out.length);
        }
    }

    /**
     * Checks the lengths of a batch of {@code batch} padded sequences: one per sequence, each from 1 to {@code steps}.
     */
    public static void lengths(int[] lengths, int batch, int steps, String name) {
        notNull(lengths, name);
        if (lengths.length != batch) {
            throw new IllegalArgumentException(name + ": expected " + batch + " lengths, one per sequence of the batch,"
                    + " got " + lengths.length);
        }
        for (int b = 0; b < batch; b++) {
            if (lengths[b] < 1 || lengths[b] > steps) {
                length(lengths[b], steps, element(name, b));   // throws, with the sequence's name
            }
        }
    }

    /** Checks one sequence's length: from 1 to {@code steps}, the steps the model is unrolled over. */
    public static void length(int length, int steps, String name) {
        if (length < 1 || length > steps) {
            throw new IllegalArgumentException(name + " is " + length + ", outside [1, " + steps + "]"
                    + (length < 1 ? ": a sequence has at least one step" : ": the model is unrolled over " + steps
                            + " steps"));
        }
    }

    /**
     * Checks a padded sequence of {@code steps} rows whose first {@code length} are vectors of {@code size} finite
     * values; the padding rows are neither read nor checked.
     */
    public static void sequence(double[][] x, int steps, int length, int size, String name, String what) {
        notNull(x, name);
        if (x.length != steps) {
            throw new IllegalArgumentException(name + ": expected " + steps + " steps (padded), got " + x.length);
        }
        for (int t = 0; t < length; t++) {
            if (!valid(x[t], size)) {
                vector(x[t], size, element(name, t), what);   // throws, with the step's name
            }
        }
    }

    /**
     * Checks a padded sequence of {@code steps} rows whose first {@code length} are vectors of {@code size} finite
     * values; the padding rows are neither read nor checked.
     */
    public static void sequence(float[][] x, int steps, int length, int size, String name, String what) {
        notNull(x, name);
        if (x.length != steps) {
            throw new IllegalArgumentException(name + ": expected " + steps + " steps (padded), got " + x.length);
        }
        for (int t = 0; t < length; t++) {
            if (!valid(x[t], size)) {
                vector(x[t], size, element(name, t), what);   // throws, with the step's name
            }
        }
    }

    /**
     * Checks a padded sequence of {@code steps} symbols whose first {@code length} are in {@code [0, vocabulary)};
     * the padding is neither read nor checked (it may hold a padding index such as -1).
     */
    public static void symbols(int[] x, int steps, int length, int vocabulary, String name) {
        notNull(x, name);
        if (x.length != steps) {
            throw new IllegalArgumentException(name + ": expected " + steps + " steps (padded), got " + x.length);
        }
        for (int t = 0; t < length; t++) {
            if (x[t] < 0 || x[t] >= vocabulary) {
                symbol(x[t], vocabulary, element(name, t));   // throws, with the step's name
            }
        }
    }
}
