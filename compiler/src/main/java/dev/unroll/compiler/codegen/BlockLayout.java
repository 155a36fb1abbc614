package dev.unroll.compiler.codegen;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How the Vector API kernels store a matrix {@code M} of {@code rows x cols} that they multiply by a vector: in blocks
 * of rows, each block's columns one after the other, so that a kernel holding a block of rows in registers reads its
 * weights as one contiguous run. Block {@code j} holds rows {@code [starts[j], starts[j + 1])}; element
 * {@code (r, i)} of it is at {@code starts[j] * cols + i * (starts[j + 1] - starts[j]) + r - starts[j]}.
 *
 * <p>The blocks are those of the kernel: each segment between split points (a two-thread cut, the rows a cell
 * multiplies separately) is cut into blocks of at most {@link VectorVectorKernels.VECTORS_PER_BLOCK} whole vectors, of even
 * size, and the rows past the segment's last whole vector are a block of their own. Measured (JDK 17, AVX-512, the
 * 2,048 x 576 product of an LSTM-512 step, weights from L3): 62 us in blocks against 108 us reading the same weights
 * column after column and 83 us for the plain kernel.
 *
 * @param rows the rows of {@code M}: the rows of the products' results
 * @param cols the columns of {@code M}: the inputs of the products
 * @param starts the first row of every block, then {@code rows}
 */
record BlockLayout(int rows, int cols, int[] starts) {
    BlockLayout {
        starts = starts.clone();
    }

    /** Returns the layout of {@code rows x cols} for vectors of {@code lanes}, cut at the ascending {@code splits}. */
    static BlockLayout of(int rows, int cols, int lanes, int... splits) {
        List<Integer> starts = new ArrayList<>();
        int from = 0;
        int[] ends = Arrays.copyOf(splits, splits.length + 1);
        ends[splits.length] = rows;
        for (int end : ends) {
            if (end <= from) {
                continue;
            }
            int vectors = (end - from) / lanes;
            int blocks = (vectors + VectorKernels.VECTORS_PER_BLOCK - 1) / VectorKernels.VECTORS_PER_BLOCK;
            int row = from;
            int done = 0;
            for (int block = 0; block < blocks; block++) {
                // even blocks: 12 vectors as 6 + 6, not 8 + 4
                int size = (vectors - done) / (blocks - block);
                starts.add(row);
                row += size * lanes;
                done += size;
            }
            if (row < end) {
                starts.add(row);
            }
            from = end;
        }
        starts.add(rows);
        return new BlockLayout(rows, cols, starts.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Returns the number of blocks. */
    int blocks() {
        return starts.length - 1;
    }

    /** Returns the first row of block {@code j}. */
    int start(int j) {
        return starts[j];
    }

    /** Returns the rows of block {@code j}. */
    int size(int j) {
        return starts[j + 1] - starts[j];
    }

    /** Returns where block {@code j} begins in the array. */
    int offset(int j) {
        return starts[j] * cols;
    }

    /** Returns the block that begins at {@code row}, or {@link #blocks()} for {@code rows}. */
    int blockAt(int row) {
        int j = Arrays.binarySearch(starts, row);
        if (j < 0) {
            throw new IllegalArgumentException("row " + row + " is not where a block begins: " + Arrays.toString(starts));
        }
        return j;
    }

    /** Returns the block starts as Java source: {@code {0, 128, 256}}. */
    String startsSource() {
        StringBuilder s = new StringBuilder("{");
        for (int j = 0; j < starts.length; j++) {
            s.append(j == 0 ? "" : ", ").append(starts[j]);
        }
        return s.append('}').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlockLayout l && l.rows == rows && l.cols == cols && Arrays.equals(l.starts, starts);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * rows + cols) + Arrays.hashCode(starts);
    }

    @Override
    public String toString() {
        return "BlockLayout[" + rows + " x " + cols + ", starts " + Arrays.toString(starts) + "]";
    }
}
