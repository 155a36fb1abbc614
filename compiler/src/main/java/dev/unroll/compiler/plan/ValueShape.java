package dev.unroll.compiler.plan;

/**
 * The shape of one sequence's input, target or output as the public API takes or returns it: a
 * symbol ({@code int}), a vector ({@code float[]}), or a sequence of either ({@code int[t]},
 * {@code float[t][i]}). One description drives the argument check, the copy into the workspace and
 * the Javadoc, so that they cannot disagree.
 *
 * @param symbolic whether the values are symbol indices rather than vectors
 * @param sequence whether there is one value per step
 * @param steps the number of values of a sequence (1 when not a sequence)
 * @param size the vector size, or the number of symbols
 * @param sizeName how the size is named in error messages, e.g. "the input size"
 */
public record ValueShape(boolean symbolic, boolean sequence, int steps, int size, String sizeName) {
    public ValueShape {
        if (steps <= 0 || size <= 0 || (!sequence && steps != 1)) {
            throw new IllegalArgumentException("steps " + steps + ", size " + size + ", sequence " + sequence);
        }
    }

    /** Returns the number of array dimensions of one value: 0 for a symbol, 2 for a sequence of vectors. */
    public int rank() {
        return (sequence ? 1 : 0) + (symbolic ? 0 : 1);
    }

    /** Returns how the API documentation names one value, e.g. {@code x[t][i]}. */
    public String describe(String variable) {
        if (symbolic) {
            return sequence ? "{@code " + variable + "[t]}, one symbol per step" : "one symbol {@code " + variable + "}";
        }
        return sequence ? "{@code " + variable + "[t][i]}" : "{@code " + variable + "[i]}";
    }
}
