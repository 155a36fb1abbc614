package dev.unroll.runtime;

import java.util.Arrays;

/**
 * The rows of a table whose gradient may be non-zero: the row-sparse gradient of an embedding
 * table ({@code embedding.weight}, {@code V x D}), of which a batch touches only the rows of the
 * symbols it reads. The backward pass lists each row it adds to, and everything that would run
 * over the whole gradient (zeroing it, adding two workspaces' gradients, clipping, the NaN check,
 * the optimizer update) runs over the listed rows only, so that no step costs {@code V x D}.
 *
 * <pre>{@code
 * GradientRows rows = p.gradientRows();        // null for a dense parameter
 * for (int i = 0; i < rows.count(); i++) {
 *     int from = rows.row(i) * rows.width();   // the row's elements: [from, from + width)
 * }
 * }</pre>
 *
 * <p>A caller that writes a table's {@code grad} array directly (rather than through
 * {@link Parameter#setGrad}, which lists the row) lists the rows it wrote with {@link #add}, or all
 * of them with {@link #addAll()}. Not thread-safe; each workspace has its own.
 */
public final class GradientRows {
    private final int tableRows;
    private final int width;
    private final boolean[] listed;
    private int[] rows = new int[16];
    private int count;

    /**
     * Creates an empty list for a table of {@code tableRows} rows of {@code width} elements.
     *
     * @throws IllegalArgumentException for a non-positive size
     */
    public GradientRows(int tableRows, int width) {
        if (tableRows <= 0 || width <= 0) {
            throw new IllegalArgumentException("table of " + tableRows + " x " + width);
        }
        this.tableRows = tableRows;
        this.width = width;
        this.listed = new boolean[tableRows];
    }

    /** Returns the number of rows of the table. */
    public int tableRows() {
        return tableRows;
    }

    /** Returns the number of elements of a row. */
    public int width() {
        return width;
    }

    /** Returns how many rows are listed. */
    public int count() {
        return count;
    }

    /** Returns the {@code i}-th listed row. */
    public int row(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("row " + i + " of " + count + " listed");
        }
        return rows[i];
    }

    /** Returns true when {@code row} is listed. */
    public boolean contains(int row) {
        return listed[row];
    }

    /** Lists {@code row}, if it is not listed yet. */
    public void add(int row) {
        if (!listed[row]) {
            listed[row] = true;
            if (count == rows.length) {
                rows = Arrays.copyOf(rows, Math.min(tableRows, 2 * rows.length));
            }
            rows[count++] = row;
        }
    }

    /** Lists every row of the table (after writing the whole gradient array directly). */
    public void addAll() {
        for (int r = 0; r < tableRows; r++) {
            add(r);
        }
    }

    /** Lists every row {@code other} lists. */
    public void addAll(GradientRows other) {
        checkSameTable(other);
        for (int i = 0; i < other.count; i++) {
            add(other.rows[i]);
        }
    }

    /** Sorts the listed rows in increasing order, so that what runs over them does not depend on the order of the symbols. */
    public void sort() {
        Arrays.sort(rows, 0, count);
    }

    /** Forgets every listed row. */
    public void clear() {
        for (int i = 0; i < count; i++) {
            listed[rows[i]] = false;
        }
        count = 0;
    }

    /** Sets the listed rows of {@code grad} to zero and forgets them: the gradient is then all zero. */
    public void zero(float[] grad) {
        for (int i = 0; i < count; i++) {
            Arrays.fill(grad, rows[i] * width, rows[i] * width + width, 0f);
        }
        clear();
    }

    /** As {@link #zero(float[])} for a float64 table. */
    public void zero(double[] grad) {
        for (int i = 0; i < count; i++) {
            Arrays.fill(grad, rows[i] * width, rows[i] * width + width, 0d);
        }
        clear();
    }

    /** Adds the rows {@code from} lists of {@code source} to {@code into}, whose rows this lists, and lists them. */
    public void addRows(float[] into, GradientRows from, float[] source) {
        checkSameTable(from);
        for (int i = 0; i < from.count; i++) {
            int r = from.rows[i];
            add(r);
            for (int j = r * width, end = j + width; j < end; j++) {
                into[j] += source[j];
            }
        }
    }

    /** As {@link #addRows(float[], GradientRows, float[])} for float64 tables. */
    public void addRows(double[] into, GradientRows from, double[] source) {
        checkSameTable(from);
        for (int i = 0; i < from.count; i++) {
            int r = from.rows[i];
            add(r);
            for (int j = r * width, end = j + width; j < end; j++) {
                into[j] += source[j];
            }
        }
    }

    /**
     * Makes {@code into} (whose rows this lists) the gradient {@code source} (whose rows {@code from}
     * lists): zeroes the rows listed now, copies the rows of {@code from}, lists them, sorted.
     */
    public void store(float[] into, GradientRows from, float[] source) {
        zero(into);
        for (int i = 0; i < from.count; i++) {
            int r = from.rows[i];
            add(r);
            System.arraycopy(source, r * width, into, r * width, width);
        }
        sort();
    }

    /** As {@link #store(float[], GradientRows, float[])} for float64 tables. */
    public void store(double[] into, GradientRows from, double[] source) {
        zero(into);
        for (int i = 0; i < from.count; i++) {
            int r = from.rows[i];
            add(r);
            System.arraycopy(source, r * width, into, r * width, width);
        }
        sort();
    }

    private void checkSameTable(GradientRows other) {
        if (other.tableRows != tableRows || other.width != width) {
            throw new IllegalArgumentException("rows of a " + other.tableRows + " x " + other.width
                    + " table added to those of a " + tableRows + " x " + width + " table");
        }
    }

    @Override
    public String toString() {
        return count + " of " + tableRows + " rows";
    }
}
