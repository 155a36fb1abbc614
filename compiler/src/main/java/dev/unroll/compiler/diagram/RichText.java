package dev.unroll.compiler.diagram;

import java.util.ArrayList;
import java.util.List;

/**
 * A line of text with subscripts and superscripts, e.g. {@code W_ih^(0)}. Labels written by the
 * layout use a small markup ({@link #markup}); names that come from a spec are always
 * {@link #plain}, so an underscore in a model name stays an underscore.
 *
 * @param runs the pieces, in order
 */
public record RichText(List<Run> runs) {

    /** How a run sits on the line. */
    public enum Shift {
        /** On the baseline, at the label's size. */
        NONE,
        /** Lowered and smaller. */
        SUB,
        /** Raised and smaller. */
        SUPER
    }

    /**
     * A piece of text with one position.
     *
     * @param text the characters
     * @param shift on, below or above the baseline
     */
    public record Run(String text, Shift shift) {}

    public RichText {
        runs = List.copyOf(runs);
    }

    /** Text taken literally. */
    public static RichText plain(String text) {
        return new RichText(List.of(new Run(text, Shift.NONE)));
    }

    /**
     * Parses {@code _{...}} as a subscript and {@code ^{...}} as a superscript. Everything else,
     * including an underscore or caret not followed by a brace, is literal.
     */
    public static RichText markup(String text) {
        List<Run> runs = new ArrayList<>();
        StringBuilder plain = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            int close = (c == '_' || c == '^') && text.startsWith("{", i + 1) ? text.indexOf('}', i + 2) : -1;
            if (close < 0) {
                plain.append(c);
                i++;
                continue;
            }
            if (plain.length() > 0) {
                runs.add(new Run(plain.toString(), Shift.NONE));
                plain.setLength(0);
            }
            runs.add(new Run(text.substring(i + 2, close), c == '_' ? Shift.SUB : Shift.SUPER));
            i = close + 1;
        }
        if (plain.length() > 0) {
            runs.add(new Run(plain.toString(), Shift.NONE));
        }
        return new RichText(runs);
    }

    /** The characters without their positions, e.g. {@code W ih (0)} as {@code Wih(0)}. */
    public String text() {
        StringBuilder out = new StringBuilder();
        for (Run run : runs) {
            out.append(run.text());
        }
        return out.toString();
    }

    /** The font size of shifted runs for a label of the given size. */
    static int shiftedSize(int size) {
        return Math.round(size * 0.75f);
    }

    /** The estimated width in pixels at the given size. */
    public double width(int size, boolean bold) {
        double width = 0;
        for (Run run : runs) {
            int runSize = run.shift() == Shift.NONE ? size : shiftedSize(size);
            width += TextMetrics.width(run.text(), runSize, bold);
        }
        return width;
    }
}
