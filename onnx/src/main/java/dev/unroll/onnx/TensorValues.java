package dev.unroll.onnx;

import com.google.protobuf.ByteString;
import dev.unroll.onnx.proto.Onnx.TensorProto;
import dev.unroll.onnx.proto.Onnx.TensorProto.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** Decodes ONNX tensors into Java arrays, checking that the data matches the dimensions. */
final class TensorValues {
    private TensorValues() {}

    /**
     * A decoded tensor: its element type, dimensions and values (integers and floats alike as
     * doubles, which hold every float32 and every int64 below 2^53 exactly).
     */
    record Value(DataType type, long[] dims, double[] values) {
        int rank() {
            return dims.length;
        }

        boolean isFloat() {
            return type == DataType.FLOAT || type == DataType.DOUBLE;
        }

        boolean allZero() {
            for (double v : values) {
                if (v != 0) {
                    return false;
                }
            }
            return true;
        }

        String shape() {
            return Arrays.toString(dims);
        }
    }

    /** Decodes {@code t}; {@code where} names it in messages. */
    static Value decode(TensorProto t, String where) throws OnnxException {
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0) {
            throw new OnnxException(where + ": its data is stored outside the .onnx file (ONNX external data), which "
                    + "Unroll does not read; save the model as one file");
        }
        long[] dims = new long[t.getDimsCount()];
        long count = 1;
        for (int i = 0; i < dims.length; i++) {
            dims[i] = t.getDims(i);
            if (dims[i] < 0) {
                throw new OnnxException(where + ": negative dimension " + dims[i]);
            }
            // Capped so that the product cannot overflow: past the limit the exact count does not matter.
            count = Math.min(count * Math.min(dims[i], 1L << 31), 1L << 31);
        }
        if (count > Integer.MAX_VALUE - 8) {
            throw new OnnxException(where + ": dimensions " + Arrays.toString(dims) + " need more elements than a Java array holds");
        }
        int n = (int) count;
        DataType type = t.getDataType() == 0 ? DataType.UNDEFINED : DataType.forNumber(t.getDataType());
        if (type == null) {
            type = DataType.UNDEFINED;
        }
        double[] values = new double[n];
        ByteString raw = t.getRawData();
        boolean hasRaw = !raw.isEmpty();
        int width;
        switch (type) {
            case FLOAT -> width = 4;
            case DOUBLE, INT64 -> width = 8;
            case INT32 -> width = 4;
            default -> throw new OnnxException(where + ": element type " + type + " is not supported (float, double, "
                    + "int32 and int64 are)");
        }
        if (hasRaw) {
            if (raw.size() != (long) n * width) {
                throw new OnnxException(where + ": raw data holds " + raw.size() + " bytes, but its dimensions "
                        + Arrays.toString(dims) + " of " + type + " need " + (long) n * width);
            }
            ByteBuffer b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                values[i] = switch (type) {
                    case FLOAT -> b.getFloat();
                    case DOUBLE -> b.getDouble();
                    case INT64 -> b.getLong();
                    default -> b.getInt();
                };
            }
        } else {
            int found = switch (type) {
                case FLOAT -> t.getFloatDataCount();
                case DOUBLE -> t.getDoubleDataCount();
                case INT64 -> t.getInt64DataCount();
                default -> t.getInt32DataCount();
            };
            if (found != n) {
                throw new OnnxException(where + ": holds " + found + " values, but its dimensions "
                        + Arrays.toString(dims) + " need " + n);
            }
            for (int i = 0; i < n; i++) {
                values[i] = switch (type) {
                    case FLOAT -> t.getFloatData(i);
                    case DOUBLE -> t.getDoubleData(i);
                    case INT64 -> t.getInt64Data(i);
                    default -> t.getInt32Data(i);
                };
            }
        }
        return new Value(type, dims, values);
    }
}
