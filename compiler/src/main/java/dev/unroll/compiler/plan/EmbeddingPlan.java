package dev.unroll.compiler.plan;

/**
 * The embedding of an {@code input V embedding D;} model: a {@code V x D} table, PyTorch's
 * {@code nn.Embedding(V, D)} under the name {@code embedding.weight}, whose row of each step's
 * symbol the network copies into the dense input {@code x} before the layers run. BPTT forms the
 * first layer's {@code dL/dx_t} in {@code dx}, and the network adds it to the table's gradient, in
 * the rows of the symbols read only; a frozen table has neither.
 *
 * @param table the table, first in {@code state_dict} order
 * @param frozen whether the table is fixed (no gradient, no update)
 * @param steps how many steps read a symbol: every step, or 1 when only the first does
 */
public record EmbeddingPlan(TensorSpec table, boolean frozen, int steps) {
    /** Returns the vocabulary {@code V}. */
    public int vocabulary() {
        return table.rows();
    }

    /** Returns the dimension {@code D}. */
    public int width() {
        return table.cols();
    }
}
