package dev.unroll.runtime.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir
    Path dir;

    /** A file: header length, header JSON (unpadded), then the data bytes. */
    static byte[] raw(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return b.array();
    }

    static byte[] le(int bytes, java.util.function.Consumer<ByteBuffer> fill) {
        ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        fill.accept(b);
        return b.array();
    }

    static String readError(byte[] bytes) {
        return assertThrows(CheckpointException.class, () -> SafeTensors.read(bytes, "x.safetensors")).getMessage();
    }

    private static List<OutputTensor> sample() {
        return List.of(
                OutputTensor.of("a", new double[] {1, -2.5, Math.PI, 1e-300, -0.0, Double.MAX_VALUE}, 2, 3),
                OutputTensor.of("b", new float[] {1.5f, Float.MIN_VALUE, -7f}, 3),
                OutputTensor.of("scalar", new double[] {42}),
                OutputTensor.of("empty", new double[0], 0, 4));
    }

    @Test
    void roundTripsThroughAFile() throws Exception {
        Path f = dir.resolve("t.safetensors");
        SafeTensors.write(f, sample(), Map.of("step", "17", "note", "héllo \"quoted\""));
        TensorFile tf = SafeTensors.read(f);
        assertEquals(List.of("a", "b", "scalar", "empty"), tf.names());
        assertEquals(Map.of("step", "17", "note", "héllo \"quoted\""), tf.metadata());
        Tensor a = tf.tensor("a");
        assertEquals(DType.F64, a.dtype());
        assertArrayEquals(new int[] {2, 3}, a.shape());
        assertArrayEquals(new double[] {1, -2.5, Math.PI, 1e-300, -0.0, Double.MAX_VALUE}, a.toDoubleArray());
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(a.getDouble(4)));
        Tensor b = tf.tensor("b");
        assertEquals(DType.F32, b.dtype());
        assertArrayEquals(new float[] {1.5f, Float.MIN_VALUE, -7f}, b.toFloatArray());
        assertArrayEquals(new int[0], tf.tensor("scalar").shape());
        assertEquals(42, tf.tensor("scalar").getDouble(0));
        assertEquals(0, tf.tensor("empty").elementCount());
        // header padded so that the data starts 8-aligned, as the reference implementation does
        long n = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8);
        assertEquals(8 + n + 6 * 8 + 3 * 4 + 8, Files.size(f));
        assertArrayEquals(Files.readAllBytes(f), SafeTensors.toBytes(sample(), Map.of("step", "17", "note", "héllo \"quoted\"")));
    }

    @Test
    void readsEveryIntegerAndFloatType() throws Exception {
        String header = "{\"i64\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                + "\"i32\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[16,24]},"
                + "\"f16\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[24,32]},"
                + "\"bf16\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[32,36]},"
                + "\"u8\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[36,38]},"
                + "\"i8\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[38,39]},"
                + "\"bool\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[39,40]},"
                + "\"e4m3\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[40,42]},"
                + "\"u64\":{\"dtype\":\"U64\",\"shape\":[1],\"data_offsets\":[42,50]}}";
        byte[] data = le(50, b -> b.putLong(-3).putLong(1L << 40).putInt(-7).putInt(123456)
                .putShort((short) 0x3c00).putShort((short) 0xc000).putShort((short) 0x0001).putShort((short) 0x7c00)
                .putShort((short) 0x3fc0).putShort((short) 0xbf80)
                .put((byte) 200).put((byte) 7).put((byte) -5).put((byte) 1)
                .put((byte) 0x38).put((byte) 0x7f).putLong(-1L));
        TensorFile tf = SafeTensors.read(raw(header, data), "types");
        assertArrayEquals(new long[] {-3, 1L << 40}, tf.tensor("i64").toLongArray());
        assertArrayEquals(new double[] {-3, 1L << 40}, tf.tensor("i64").toDoubleArray());
        assertArrayEquals(new double[] {-7, 123456}, tf.tensor("i32").toDoubleArray());
        assertArrayEquals(new double[] {1, -2, 0x1p-24, Double.POSITIVE_INFINITY}, tf.tensor("f16").toDoubleArray());
        assertArrayEquals(new double[] {1.5, -1}, tf.tensor("bf16").toDoubleArray());
        assertArrayEquals(new double[] {200, 7}, tf.tensor("u8").toDoubleArray());
        assertEquals(-5, tf.tensor("i8").getDouble(0));
        assertEquals(1, tf.tensor("bool").getDouble(0));
        assertEquals(1.0, tf.tensor("e4m3").getDouble(0));
        assertTrue(Double.isNaN(tf.tensor("e4m3").getDouble(1)));
        assertEquals(0x1p64, tf.tensor("u64").getDouble(0));
        assertThrows(IllegalStateException.class, () -> tf.tensor("f16").toLongArray());
        assertThrows(IndexOutOfBoundsException.class, () -> tf.tensor("i32").getDouble(2));
    }

    @Test
    void refusesAFileTooShort() {
        assertEquals("safetensors file x.safetensors: file too short: 5 bytes, but a safetensors file starts "
                + "with an 8-byte header length", readError(new byte[5]));
    }

    @Test
    void refusesAnAbsurdHeaderLength() {
        byte[] b = le(16, x -> x.putLong(1L << 40));
        assertTrue(readError(b).contains("header length 1099511627776 (bytes 0-7) is absurd"), readError(b));
        byte[] negative = le(16, x -> x.putLong(-1));
        assertTrue(readError(negative).contains("header length 18446744073709551615"), readError(negative));
    }

    @Test
    void refusesAHeaderLengthBeyondTheFile() {
        byte[] b = le(20, x -> x.putLong(100).put("{}".getBytes(StandardCharsets.UTF_8)));
        assertTrue(readError(b).contains("header length 100 (bytes 0-7) goes beyond the end of the file: the file has 20 bytes"),
                readError(b));
    }

    @Test
    void refusesHeadersThatAreNotJsonObjects() {
        assertTrue(readError(raw("{\"a\": ", new byte[0])).contains("the header is not valid JSON"));
        assertTrue(readError(raw("{\"a\" 1}", new byte[0])).contains("(at byte 13 of the file)"),
                readError(raw("{\"a\" 1}", new byte[0])));
        assertTrue(readError(raw("[1, 2]", new byte[0])).contains("the header is not a JSON object: it starts with an array"));
        assertTrue(readError(raw("   ", new byte[0])).contains("is empty or blank"));
        assertTrue(readError(raw("{} {}", new byte[0])).contains("the header has an object after its JSON object, at byte 11"));
        assertTrue(readError(raw("{} xyz", new byte[0])).contains("not valid JSON"));
        byte[] badUtf8 = raw("{\"\u00e9\":1}", new byte[0]);
        badUtf8[10] = (byte) 0xff;
        assertTrue(readError(badUtf8).contains("not valid JSON"), readError(badUtf8));
    }

    @Test
    void refusesDuplicateNames() {
        String t = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        String msg = readError(raw("{\"x\":" + t + ",\"x\":" + t + "}", new byte[4]));
        assertTrue(msg.contains("the header names tensor 'x' twice (again at byte 62)"), msg);
    }

    @Test
    void refusesAnUnknownDtype() {
        String msg = readError(raw("{\"x\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}", new byte[16]));
        assertTrue(msg.startsWith("safetensors file x.safetensors: tensor 'x': unknown dtype 'F128' (known: BOOL, U8"), msg);
    }

    @Test
    void refusesMalformedEntries() {
        assertTrue(readError(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[0]))
                .contains("tensor 'x': header entry lacks 'data_offsets'"));
        assertTrue(readError(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}}", new byte[4]))
                .contains("tensor 'x': unexpected field 'extra'"));
        assertTrue(readError(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4]))
                .contains("tensor 'x': shape holds -1, not a non-negative 64-bit integer"));
        assertTrue(readError(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", new byte[4]))
                .contains("tensor 'x': shape must hold non-negative integers, but holds the number 1.5"));
        assertTrue(readError(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", new byte[4]))
                .contains("tensor 'x': data_offsets must hold 2 integers, but holds [0]"));
        assertTrue(readError(raw("{\"x\":[1]}", new byte[0])).contains("tensor 'x': header entry must be an object"));
        assertTrue(readError(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[99999999999],\"data_offsets\":[0,4]}}", new byte[4]))
                .contains("dimension 99999999999 of shape [99999999999] is too large"));
        assertTrue(readError(raw("{\"__metadata__\":{\"k\":1}}", new byte[0]))
                .contains("metadata value for key 'k' must be a string, but is the number 1"));
        assertTrue(readError(raw("{\"__metadata__\":[]}", new byte[0]))
                .contains("'__metadata__' must be an object of strings, but is an array"));
    }

    @Test
    void refusesAShapeThatDisagreesWithTheOffsets() {
        String msg = readError(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[3,4],\"data_offsets\":[0,40]}}", new byte[40]));
        assertEquals("safetensors file x.safetensors: tensor 'x': shape [3, 4] of F32 needs 48 bytes, "
                + "data_offsets [0, 40] give 40", msg);
        assertTrue(readError(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", new byte[8]))
                .contains("tensor 'x': data_offsets [8, 4] end before they begin"));
    }

    @Test
    void refusesATruncatedFile() throws Exception {
        byte[] good = SafeTensors.toBytes(sample(), Map.of());
        byte[] cut = Arrays.copyOf(good, good.length - 3);
        String msg = readError(cut);
        assertTrue(msg.contains("tensor 'scalar': data_offsets [60, 68] go beyond the end of the data section, which has 65 bytes"), msg);
        assertTrue(msg.contains("the file is truncated"), msg);
        // cut inside the header
        assertTrue(readError(Arrays.copyOf(good, 30)).contains("goes beyond the end of the file"));
        // and through a real file
        Path f = dir.resolve("cut.safetensors");
        Files.write(f, cut);
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().startsWith("safetensors file " + f + ": tensor 'scalar'"), e.getMessage());
    }

    @Test
    void refusesTrailingGarbage() {
        byte[] good = SafeTensors.toBytes(sample(), Map.of());
        byte[] longer = Arrays.copyOf(good, good.length + 5);
        String msg = readError(longer);
        assertTrue(msg.contains("5 bytes of trailing garbage after the last tensor: the tensors end at file byte "
                + good.length + ", the file at " + longer.length), msg);
    }

    @Test
    void refusesOverlapsAndGaps() {
        String overlap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        assertTrue(readError(raw(overlap, new byte[12]))
                .contains("tensors 'a' (data_offsets [0, 8]) and 'b' (data_offsets [4, 12]) overlap"));
        String gap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}";
        assertTrue(readError(raw(gap, new byte[20])).contains("bytes [8, 12) of the data section"));
        String late = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        assertTrue(readError(raw(late, new byte[8])).contains("bytes [0, 4) of the data section"));
        String same = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        assertTrue(readError(raw(same, new byte[8])).contains("overlap"));
    }

    @Test
    void refusesAMissingFile() {
        Path f = dir.resolve("none.safetensors");
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensors.read(f));
        assertEquals("safetensors file " + f + ": no such file", e.getMessage());
    }

    private List<String> listDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aWriteThatFailsMidwayLeavesTheOldFileIntact() throws Exception {
        Path f = dir.resolve("model.safetensors");
        SafeTensors.write(f, sample(), Map.of("v", "1"));
        byte[] before = Files.readAllBytes(f);
        int n = 200_000; // larger than the write buffer, so part of it reaches the temporary file
        OutputTensor failing = new OutputTensor("big", DType.F64, new int[] {n}, i -> {
            if (i == n / 2) {
                throw new IllegalStateException("disk on fire at element " + i);
            }
            return i;
        });
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> SafeTensors.write(f, List.of(OutputTensor.of("a", new double[] {1}, 1), failing), Map.of()));
        assertTrue(e.getMessage().contains("writing " + f + " failed, the previous file (if any) is unchanged: "
                + "disk on fire at element 100000"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(f));
        assertEquals(List.of("model.safetensors"), listDir());
    }

    @Test
    void anIoErrorMidwayLeavesNoFileWhenThereWasNone() throws Exception {
        Path f = dir.resolve("fresh.safetensors");
        OutputTensor failing = new OutputTensor("x", DType.F32, new int[] {100_000}, i -> {
            if (i == 70_000) {
                throw new UncheckedIOException(new IOException("No space left on device"));
            }
            return 0;
        });
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensors.write(f, List.of(failing), Map.of()));
        assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
        assertFalse(Files.exists(f));
        assertEquals(List.of(), listDir());
    }

    @Test
    void aSuccessfulWriteReplacesTheFile() throws Exception {
        Path f = dir.resolve("m.safetensors");
        SafeTensors.write(f, List.of(OutputTensor.of("x", new double[] {1}, 1)), Map.of());
        SafeTensors.write(f, List.of(OutputTensor.of("x", new double[] {2}, 1)), Map.of());
        assertEquals(2, SafeTensors.read(f).tensor("x").getDouble(0));
        assertEquals(List.of("m.safetensors"), listDir());
    }

    @Test
    void refusesToWriteIntoAMissingDirectoryOrDuplicateNames() {
        Path f = dir.resolve("no/such/dir/m.safetensors");
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> SafeTensors.write(f, List.of(OutputTensor.of("x", new double[] {1}, 1)), Map.of()));
        assertTrue(e.getMessage().startsWith("writing " + f + " failed"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(dir.resolve("d.safetensors"),
                List.of(OutputTensor.of("x", new double[] {1}, 1), OutputTensor.of("x", new double[] {1}, 1)), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> OutputTensor.of("x", new double[] {1, 2}, 3));
        assertThrows(IllegalArgumentException.class, () -> new OutputTensor("x", DType.I64, new int[] {1}, i -> 0));
        assertThrows(IllegalArgumentException.class, () -> OutputTensor.of("__metadata__", new double[] {1}, 1));
    }
}
