package dev.unroll.dsl;

/**
 * A place in a source file: 1-based line and 1-based column (counted in Unicode code points).
 *
 * @param line the line, starting at 1
 * @param column the column, starting at 1
 */
public record SourcePosition(int line, int column) implements Comparable<SourcePosition> {

    /** The start of a file. */
    public static final SourcePosition START = new SourcePosition(1, 1);

    public SourcePosition {
        if (line < 1 || column < 1) {
            throw new IllegalArgumentException("position must be 1-based, got " + line + ":" + column);
        }
    }

    @Override
    public int compareTo(SourcePosition other) {
        int byLine = Integer.compare(line, other.line);
        return byLine != 0 ? byLine : Integer.compare(column, other.column);
    }

    /** Returns {@code line:column}. */
    @Override
    public String toString() {
        return line + ":" + column;
    }
}
