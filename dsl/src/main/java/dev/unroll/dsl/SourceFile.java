package dev.unroll.dsl;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The text of one {@code .rnn} file and the name it is reported under.
 *
 * <p>Lines end at {@code \n}, {@code \r\n} or a lone {@code \r}, the same rule the lexer uses for
 * line numbers, so a diagnostic's line always points at the line {@link #line(int)} returns.
 */
public final class SourceFile {
    private final String path;
    private final String text;
    private final int[] lineStarts;

    /**
     * Creates a source file.
     *
     * @param path the name diagnostics use for this file, usually the path as the user gave it
     * @param text the decoded contents
     */
    public SourceFile(String path, String text) {
        this.path = Objects.requireNonNull(path, "path");
        this.text = Objects.requireNonNull(text, "text");
        this.lineStarts = computeLineStarts(text);
    }

    /** Returns the name diagnostics use for this file. */
    public String path() {
        return path;
    }

    /** Returns the decoded contents. */
    public String text() {
        return text;
    }

    /** Returns the number of lines (an empty file has one, empty, line). */
    public int lineCount() {
        return lineStarts.length;
    }

    /** Returns line {@code n} (1-based) without its terminator, or "" when there is no such line. */
    public String line(int n) {
        if (n < 1 || n > lineStarts.length) {
            return "";
        }
        int start = lineStarts[n - 1];
        int end = n < lineStarts.length ? lineStarts[n] : text.length();
        while (end > start && (text.charAt(end - 1) == '\n' || text.charAt(end - 1) == '\r')) {
            end--;
        }
        return text.substring(start, end);
    }

    private static int[] computeLineStarts(String text) {
        List<Integer> starts = new ArrayList<>();
        starts.add(0);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n') {
                starts.add(i + 1);
            } else if (c == '\r') {
                if (i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                    i++;
                }
                starts.add(i + 1);
            }
        }
        return starts.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public String toString() {
        return path;
    }
}
