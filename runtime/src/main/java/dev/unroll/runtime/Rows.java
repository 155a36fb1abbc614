package dev.unroll.runtime;

import java.util.Arrays;

/**
 * The array work generated models share that does not depend on their sizes: copying a row-major
 * weight into the transposed or per-row arrays the kernels read, and zeroing, adding and storing
 * the per-row gradient buffers the backward pass fills. Every method has a {@code float} and a
 * {@code double} form; each is a plain loop that C2 compiles once for every model.
 *
 * <p>Lengths are taken from the arrays; the generated code passes arrays it allocated with matching
 * sizes, and a mismatch fails with an {@link ArrayIndexOutOfBoundsException} rather than copying
 * part of a weight.
 */
public final class Rows {
    /** The side of the tiles {@link #blocked(float[], int, int[], float[])} copies in. */
    private static final int TILE = 16;

    /** Columns per block of {@link #transpose}: each row's reads stay in one or two cache lines. */
    private static final int BLOCK = 16;

    private Rows() {}

    /**
     * Writes the transpose of the row-major {@code rows x cols} matrix {@code w} into {@code wT}:
     * {@code wT[i][k] = w[k * cols + i]}, in blocks of 16 columns (2048 x 512: 10.4 ms by
     * element, 3.5 ms in blocks).
     */
    public static void transpose(float[] w, int cols, float[][] wT) {
        int rows = w.length / cols;
        for (int i0 = 0; i0 < cols; i0 += BLOCK) {
            int i1 = Math.min(i0 + BLOCK, cols);
            for (int k = 0; k < rows; k++) {
                int row = k * cols;
                for (int i = i0; i < i1; i++) {
                    wT[i][k] = w[row + i];
                }
            }
        }
    }

    /** The {@code double} form of {@link #transpose(float[], int, float[][])}. */
    public static void transpose(double[] w, int cols, double[][] wT) {
        int rows = w.length / cols;
        for (int i0 = 0; i0 < cols; i0 += BLOCK) {
            int i1 = Math.min(i0 + BLOCK, cols);
            for (int k = 0; k < rows; k++) {
                int row = k * cols;
                for (int i = i0; i < i1; i++) {
                    wT[i][k] = w[row + i];
                }
            }
        }
    }

    /**
     * Writes the row-major {@code w} ({@code cols} columns) in blocks of rows, each block column after column: rows
     * {@code [starts[j], starts[j + 1])} from {@code starts[j] * cols} on, element {@code (r, i)} of the block at
     * {@code starts[j] * cols + i * (starts[j + 1] - starts[j]) + r - starts[j]}. The layout of the generated Vector API
     * kernels' forward products; {@code starts} begins with 0 and ends with the number of rows.
     */
    public static void blocked(float[] w, int cols, int[] starts, float[] out) {
        for (int j = 0; j + 1 < starts.length; j++) {
            int from = starts[j];
            int size = starts[j + 1] - from;
            int base = from * cols;
            // in tiles of TILE x TILE, as transpose does: row after row over a whole block wrote to `cols` lines
            // 4 KiB apart at once (a block of 128 floats), which the L1 cannot hold: 4x slower at 512 x 128
            for (int r0 = 0; r0 < size; r0 += TILE) {
                int r1 = Math.min(r0 + TILE, size);
                for (int i0 = 0; i0 < cols; i0 += TILE) {
                    int i1 = Math.min(i0 + TILE, cols);
                    for (int i = i0; i < i1; i++) {
                        int column = base + i * size;
                        for (int r = r0; r < r1; r++) {
                            out[column + r] = w[(from + r) * cols + i];
                        }
                    }
                }
            }
        }
    }

    /** The {@code double} form of {@link #blocked(float[], int, int[], float[])}. */
    public static void blocked(double[] w, int cols, int[] starts, double[] out) {
        for (int j = 0; j + 1 < starts.length; j++) {
            int from = starts[j];
            int size = starts[j + 1] - from;
            int base = from * cols;
            // in tiles of TILE x TILE, as transpose does: row after row over a whole block wrote to `cols` lines
            // 4 KiB apart at once (a block of 128 floats), which the L1 cannot hold: 4x slower at 512 x 128
            for (int r0 = 0; r0 < size; r0 += TILE) {
                int r1 = Math.min(r0 + TILE, size);
                for (int i0 = 0; i0 < cols; i0 += TILE) {
                    int i1 = Math.min(i0 + TILE, cols);
                    for (int i = i0; i < i1; i++) {
                        int column = base + i * size;
                        for (int r = r0; r < r1; r++) {
                            out[column + r] = w[(from + r) * cols + i];
                        }
                    }
                }
            }
        }
    }

    /**
     * Writes the transpose of the row-major {@code w} ({@code cols} columns) as {@link #blocked(float[], int, int[],
     * float[])} writes a matrix: its rows (the columns of {@code w}) in blocks {@code [starts[j], starts[j + 1])}, each
     * block column after column. The layout of the generated Vector API kernels' backward products.
     */
    public static void blockedTransposed(float[] w, int cols, int[] starts, float[] out) {
        int rows = w.length / cols;
        for (int j = 0; j + 1 < starts.length; j++) {
            int from = starts[j];
            int size = starts[j + 1] - from;
            int base = from * rows;
            for (int k = 0; k < rows; k++) {
                System.arraycopy(w, k * cols + from, out, base + k * size, size);
            }
        }
    }

    /** The {@code double} form of {@link #blockedTransposed(float[], int, int[], float[])}. */
    public static void blockedTransposed(double[] w, int cols, int[] starts, double[] out) {
        int rows = w.length / cols;
        for (int j = 0; j + 1 < starts.length; j++) {
            int from = starts[j];
            int size = starts[j + 1] - from;
            int base = from * rows;
            for (int k = 0; k < rows; k++) {
                System.arraycopy(w, k * cols + from, out, base + k * size, size);
            }
        }
    }

    /** Copies the row-major matrix {@code w} into one array per row: {@code rows[k][i] = w[k * cols + i]}. */
    public static void split(float[] w, float[][] rows) {
        for (int k = 0; k < rows.length; k++) {
            System.arraycopy(w, k * rows[k].length, rows[k], 0, rows[k].length);
        }
    }

    /** The {@code double} form of {@link #split(float[], float[][])}. */
    public static void split(double[] w, double[][] rows) {
        for (int k = 0; k < rows.length; k++) {
            System.arraycopy(w, k * rows[k].length, rows[k], 0, rows[k].length);
        }
    }

    /** Copies one array per row back into the row-major {@code w}, the inverse of {@link #split(float[], float[][])}. */
    public static void join(float[][] rows, float[] w) {
        for (int k = 0; k < rows.length; k++) {
            System.arraycopy(rows[k], 0, w, k * rows[k].length, rows[k].length);
        }
    }

    /** The {@code double} form of {@link #join(float[][], float[])}. */
    public static void join(double[][] rows, double[] w) {
        for (int k = 0; k < rows.length; k++) {
            System.arraycopy(rows[k], 0, w, k * rows[k].length, rows[k].length);
        }
    }

    /** Sets every element of every row to zero. */
    public static void zero(float[][] rows) {
        for (float[] row : rows) {
            Arrays.fill(row, 0);
        }
    }

    /** The {@code double} form of {@link #zero(float[][])}. */
    public static void zero(double[][] rows) {
        for (double[] row : rows) {
            Arrays.fill(row, 0);
        }
    }

    /** Adds {@code other} into {@code sum}, element by element. */
    public static void add(float[][] sum, float[][] other) {
        for (int k = 0; k < sum.length; k++) {
            add(sum[k], other[k]);
        }
    }

    /** The {@code double} form of {@link #add(float[][], float[][])}. */
    public static void add(double[][] sum, double[][] other) {
        for (int k = 0; k < sum.length; k++) {
            add(sum[k], other[k]);
        }
    }

    /** Adds {@code other} into {@code sum}, element by element. */
    public static void add(float[] sum, float[] other) {
        for (int i = 0; i < sum.length; i++) {
            sum[i] += other[i];
        }
    }

    /** The {@code double} form of {@link #add(float[], float[])}. */
    public static void add(double[] sum, double[] other) {
        for (int i = 0; i < sum.length; i++) {
            sum[i] += other[i];
        }
    }
}
