package dev.unroll.compiler.plan;

import java.util.Objects;

/**
 * One trainable tensor of the model: the single source of truth for its Java field, its PyTorch
 * name and shape, its gate blocks and initialization, the copies of it the kernels read, and its
 * gradient buffer. Parameters, packing, initialization, checkpoints, import and gradients are all
 * written from the plan's list of these.
 *
 * @param field the Java field of the parameter, e.g. {@code weightIhL0}
 * @param name the PyTorch {@code state_dict} name, e.g. {@code rnn.weight_ih_l0}
 * @param rows the first dimension (the only one for a vector)
 * @param cols the second dimension of a matrix, or 0 for a vector
 * @param gateBlocks how many gate blocks of {@code rows / gateBlocks} rows it stacks (1 for the head)
 * @param init how it is initialized
 * @param packed whether the forward pass reads a transposed copy, {@code W^T} as one array per input element
 * @param rowCopy whether the backward pass reads a copy of it as one array per row
 */
public record TensorSpec(String field, String name, int rows, int cols, int gateBlocks, Init init, boolean packed,
        boolean rowCopy) {

    /**
     * How a tensor is initialized from the spec's {@code init} statement.
     *
     * @param kind a weight or a bias, drawn with the weights' or the recurrent scheme
     * @param fan the size PyTorch's uniform bound {@code 1/sqrt(fan)} is taken from: the hidden size for a
     *     recurrent tensor, the fan-in for the head
     */
    public record Init(Kind kind, int fan) {
        /** Which rule of the {@code init} statement applies. */
        public enum Kind {
            /** An input-to-hidden or head weight: the first scheme. */
            WEIGHT,
            /** A hidden-to-hidden weight: the recurrent scheme. */
            RECURRENT_WEIGHT,
            /** A bias: drawn like PyTorch's under the pytorch scheme, zero otherwise. */
            BIAS,
            /** An embedding table: N(0, 1) under every scheme, as {@code nn.Embedding}. */
            EMBEDDING
        }
    }

    public TensorSpec {
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(init, "init");
        if (rows <= 0 || cols < 0 || gateBlocks <= 0 || rows % gateBlocks != 0) {
            throw new IllegalArgumentException(name + ": shape [" + rows + ", " + cols + "], " + gateBlocks + " blocks");
        }
        if ((packed || rowCopy) && cols == 0) {
            throw new IllegalArgumentException(name + ": a vector has no packed or row copies");
        }
    }

    /**
     * Returns true for a lookup table (an embedding) read by rows, whose gradient is row-sparse
     * ({@link dev.unroll.runtime.GradientRows}) and which has no copies.
     */
    public boolean isTable() {
        return init.kind() == Init.Kind.EMBEDDING;
    }

    /** Returns the expression of the rows a workspace {@code ws} lists for a table's gradient. */
    public String gradientRowsRef() {
        return gradientRef() + "Rows";
    }

    /** Returns true for a matrix, false for a vector. */
    public boolean isMatrix() {
        return cols > 0;
    }

    /** Returns the number of elements. */
    public int size() {
        return isMatrix() ? rows * cols : rows;
    }

    /** Returns the shape as source text, {@code "12, 4"} or {@code "12"}. */
    public String shapeText() {
        return isMatrix() ? rows + ", " + cols : Integer.toString(rows);
    }

    /** Returns the field of the transposed copy the forward pass reads, e.g. {@code packedWeightIhL0}. */
    public String packedField() {
        return "packed" + capitalized();
    }

    /** Returns the field of the row copy the backward pass reads, e.g. {@code rowsWeightIhL0}. */
    public String rowsField() {
        return "rows" + capitalized();
    }

    /** Returns the expression of this tensor's gradient buffer in a workspace {@code ws}. */
    public String gradientRef() {
        return "ws.grads." + field;
    }

    /** Returns the expression of this tensor's values. */
    public String valueRef() {
        return field + ".value";
    }

    private String capitalized() {
        return Character.toUpperCase(field.charAt(0)) + field.substring(1);
    }
}
