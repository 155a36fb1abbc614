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
 * @param stepLength the number of elements a workspace that holds a single step needs (the {@code Stepper}'s,
 *     which only runs step 0): {@code length} unless the buffer is laid out by time
 * @param doc one sentence for the field's Javadoc
 */
public record BufferSpec(String name, Element element, int length, int stepLength, String doc) {
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
        if (stepLength <= 0 || stepLength > length) {
            throw new IllegalArgumentException(name + ": step length " + stepLength + " of " + length);
        }
    }

    /** Returns a buffer of numbers that is not laid out by time. */
    public static BufferSpec numbers(String name, int length, String doc) {
        return new BufferSpec(name, Element.NUMBER, length, length, doc);
    }

    /**
     * Returns a buffer of numbers laid out by time: {@code slots} blocks of {@code width}, of which a one-step
     * workspace keeps the first {@code stepSlots} (2 for {@code h}, whose block 0 is {@code h_{-1}}; else 1).
     */
    public static BufferSpec numbersByTime(String name, int slots, int stepSlots, int width, String doc) {
        return new BufferSpec(name, Element.NUMBER, slots * width, Math.min(slots, stepSlots) * width, doc);
    }

    /** Returns a buffer of symbols that is not laid out by time. */
    public static BufferSpec symbols(String name, int length, String doc) {
        return new BufferSpec(name, Element.SYMBOL, length, length, doc);
    }

    /** Returns a buffer of symbols, one per step, of which a one-step workspace keeps the first. */
    public static BufferSpec symbolsByTime(String name, int steps, String doc) {
        return new BufferSpec(name, Element.SYMBOL, steps, 1, doc);
    }

    /** Returns whether a one-step workspace holds fewer elements of this buffer than a whole sequence's. */
    public boolean byTime() {
        return stepLength < length;
    }

    /** Returns the expression that reads this buffer from the workspace {@code ws}. */
    public String ref() {
        return ref("ws");
    }

    /** Returns the expression that reads this buffer from the workspace named {@code workspace}. */
    public String ref(String workspace) {
        return workspace + "." + name;
    }

    @Override
    public String toString() {
        return ref();
    }
}
