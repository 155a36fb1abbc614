package dev.unroll.samples.kafkastreams;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serde for a stepper's state as {@code SequenceStepper.exportState()} gives it, {@code double[][]}:
 * one vector per state name ({@code h0}, {@code c0}, ...). The bytes are a format byte (1), the
 * number of vectors, then each vector's length and its values, big-endian: doubles, so that a state
 * read back is the one written, bit for bit. It fits the state of any generated model; whether the
 * sizes fit a given model is {@code importState}'s to check.
 */
public final class StepperStateSerde implements Serde<double[][]>, Serializer<double[][]>, Deserializer<double[][]> {
    private static final byte FORMAT = 1;

    /** Writes the state; {@code null} (no state) stays {@code null}, which a store takes as a delete. */
    @Override
    public byte[] serialize(String topic, double[][] state) {
        if (state == null) {
            return null;
        }
        int size = 1 + Integer.BYTES;
        for (int v = 0; v < state.length; v++) {
            if (state[v] == null) {
                throw new SerializationException("state vector " + v + " is null");
            }
            size += Integer.BYTES + Double.BYTES * state[v].length;
        }
        ByteBuffer bytes = ByteBuffer.allocate(size).put(FORMAT).putInt(state.length);
        for (double[] vector : state) {
            bytes.putInt(vector.length);
            for (double value : vector) {
                bytes.putDouble(value);
            }
        }
        return bytes.array();
    }

    /**
     * Reads a state back.
     *
     * @throws SerializationException if the bytes are not a state this serde wrote: another format,
     *     a negative length, too few or too many bytes
     */
    @Override
    public double[][] deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        ByteBuffer bytes = ByteBuffer.wrap(data);
        try {
            byte format = bytes.get();
            if (format != FORMAT) {
                throw new SerializationException("stepper state: unknown format " + format + ", expected " + FORMAT);
            }
            int count = bytes.getInt();
            // Each vector takes at least its 4-byte length: a larger count cannot be right.
            if (count < 0 || count > bytes.remaining() / Integer.BYTES) {
                throw new SerializationException("stepper state: " + count + " vectors in " + data.length + " bytes");
            }
            double[][] state = new double[count][];
            for (int v = 0; v < count; v++) {
                int length = bytes.getInt();
                if (length < 0 || length > bytes.remaining() / Double.BYTES) {
                    throw new SerializationException("stepper state: vector " + v + " has length " + length
                            + " but " + bytes.remaining() + " bytes are left");
                }
                state[v] = new double[length];
                for (int i = 0; i < length; i++) {
                    state[v][i] = bytes.getDouble();
                }
            }
            if (bytes.hasRemaining()) {
                throw new SerializationException("stepper state: " + bytes.remaining() + " bytes left after "
                        + count + " vectors");
            }
            return state;
        } catch (BufferUnderflowException e) {
            throw new SerializationException("stepper state: truncated at byte " + bytes.position() + " of "
                    + data.length, e);
        }
    }

    /** Nothing to configure. */
    @Override
    public void configure(java.util.Map<String, ?> configs, boolean isKey) {}

    /** Nothing to release. */
    @Override
    public void close() {}

    @Override
    public Serializer<double[][]> serializer() {
        return this;
    }

    @Override
    public Deserializer<double[][]> deserializer() {
        return this;
    }
}
