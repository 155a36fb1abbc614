package dev.unroll.compiler.plan;

import java.util.Objects;

/**
 * One array of the generated {@code Workspace}: its field name, element type, length and what it
 * holds. The workspace writer declares and allocates every buffer of the plan from these; kernels
 * refer to a buffer only through {@link #ref()}, so that no buffer name is typed twice.
 *
 * @param name the field name in the workspace, e.g. {@code h0}
 * @param element what the array holds: numbers of the model's precision, or symbols
 * @param length the number of elements
 * @param doc one sentence for the field's Javadoc
 */
public record BufferSpec(String name, Element element, int length, String doc) {
    /** The element type of a buffer. */
    public enum Element {
        /** {@code float} or {@code double}, as the model's precision. */
        NUMBER,
        /** {@code int}: input or target symbols. */
        SYMBOL
    }

    public BufferSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(element, "element");
        Objects.requireNonNull(doc, "doc");
        if (length <= 0) {
            throw new IllegalArgumentException(name + ": length " + length);
        }
    }

    /** Returns a buffer of numbers. */
    public static BufferSpec numbers(String name, int length, String doc) {
        return new BufferSpec(name, Element.NUMBER, length, doc);
    }

    /** Returns a buffer of symbols. */
    public static BufferSpec symbols(String name, int length, String doc) {
        return new BufferSpec(name, Element.SYMBOL, length, doc);
    }

    /** Returns the expression that reads this buffer from the workspace {@code ws}. */
    public String ref() {
        return "ws." + name;
    }

    @Override
    public String toString() {
        return ref();
    }
}
