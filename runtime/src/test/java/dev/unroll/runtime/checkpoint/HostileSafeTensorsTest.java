package dev.unroll.runtime.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile safetensors files, one row each: what a corrupt, truncated, forged or mistaken file
 * looks like, and the words the refusal must contain. Every row is read from memory and from a
 * file, must throw a {@link CheckpointException} (never another exception, never an
 * {@link OutOfMemoryError}), and must allocate little more than the file itself: a header that
 * claims gigabytes must cost nothing.
 */
class HostileSafeTensorsTest {
    /** What reading a hostile file may allocate beyond twice its size (the bytes, then a copy). */
    private static final long ALLOCATION_SLACK = 4L << 20;

    @TempDir
    Path dir;

    /** One hostile file and what its refusal must say (all fragments, in any order). */
    record Case(String name, Supplier<byte[]> bytes, List<String> says) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Case row(String name, Supplier<byte[]> bytes, String... says) {
        return new Case(name, bytes, List.of(says));
    }

    private static final String F32_1 = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";

    private static byte[] file(String header, int dataBytes) {
        return SafeTensorsTest.raw(header, new byte[dataBytes]);
    }

    private static byte[] lengthOnly(long headerLength, int totalBytes) {
        return SafeTensorsTest.le(totalBytes, b -> b.putLong(headerLength));
    }

    private static byte[] startingWith(int size, int... first) {
        byte[] b = new byte[size];
        for (int i = 0; i < first.length; i++) {
            b[i] = (byte) first[i];
        }
        return b;
    }

    private static String tensor(String dtype, String shape, String offsets) {
        return "{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    }

    static Stream<Case> cases() {
        List<Case> c = new ArrayList<>();
        // ---- the header length
        c.add(row("empty file", () -> new byte[0], "file too short: 0 bytes"));
        c.add(row("7 bytes", () -> new byte[7], "file too short: 7 bytes"));
        c.add(row("header length 2^40", () -> lengthOnly(1L << 40, 64), "header length 1099511627776 (bytes 0-7) is absurd"));
        c.add(row("header length -1 (2^64 - 1 unsigned)", () -> lengthOnly(-1, 64), "header length 18446744073709551615", "absurd"));
        c.add(row("header length Long.MIN_VALUE", () -> lengthOnly(Long.MIN_VALUE, 64), "header length 9223372036854775808", "absurd"));
        c.add(row("header claims 1 GB in a 100-byte file", () -> lengthOnly(1_000_000_000L, 100), "is absurd, above the limit"));
        c.add(row("header claims 99 MB in a 100-byte file", () -> lengthOnly(99_000_000L, 100),
                "header length 99000000 (bytes 0-7) goes beyond the end of the file: the file has 100 bytes"));
        c.add(row("header length one past the end", () -> lengthOnly(93, 100), "header length 93", "room for at most 92 bytes"));
        // ---- not JSON, not an object, not UTF-8
        c.add(row("zero header", () -> lengthOnly(0, 8), "is empty or blank"));
        c.add(row("NUL bytes as header", () -> lengthOnly(8, 16), "not valid JSON", "at byte 8"));
        c.add(row("truncated JSON", () -> file("{\"a\":{\"dtype\":", 0), "not valid JSON"));
        c.add(row("array header", () -> file("[]", 0), "not a JSON object: it starts with an array"));
        c.add(row("string header", () -> file("\"F32\"", 0), "not a JSON object: it starts with the string \"F32\""));
        c.add(row("two objects", () -> file("{}{}", 0), "has an object after its JSON object"));
        c.add(row("invalid UTF-8 in a name", () -> {
            byte[] b = file("{\"ab\":" + F32_1 + "}", 4);
            b[10] = (byte) 0xc3; // a lead byte followed by '"': not UTF-8
            return b;
        }, "not valid JSON", "UTF-8"));
        c.add(row("lone continuation byte", () -> {
            byte[] b = file("{\"ab\":" + F32_1 + "}", 4);
            b[10] = (byte) 0x80;
            return b;
        }, "not valid JSON"));
        c.add(row("deeply nested metadata", () -> file("{\"__metadata__\":" + "[".repeat(5000) + "]".repeat(5000) + "}", 0),
                "'__metadata__' must be an object of strings, but is an array"));
        c.add(row("deeply nested entry", () -> file("{\"x\":{\"dtype\":" + "{\"a\":".repeat(3000) + "1" + "}".repeat(3000) + "}}", 0),
                "tensor 'x': dtype must be a string, but is an object"));
        c.add(row("number with 2000 digits", () -> file("{\"x\":" + tensor("F32", "[1]", "[0," + "9".repeat(2000) + "]") + "}", 4),
                "not valid JSON", "Number value length"));
        // ---- duplicates
        c.add(row("duplicate tensor", () -> file("{\"x\":" + F32_1 + ",\"x\":" + F32_1 + "}", 4),
                "names tensor 'x' twice (again at byte"));
        c.add(row("duplicate metadata object", () -> file("{\"__metadata__\":{},\"__metadata__\":{}}", 0),
                "names '__metadata__' twice"));
        c.add(row("duplicate metadata key", () -> file("{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", 0),
                "metadata key 'k' appears twice"));
        c.add(row("duplicate field in an entry", () -> file("{\"x\":{\"dtype\":\"F32\",\"dtype\":\"F64\",\"shape\":[1],"
                + "\"data_offsets\":[0,4]}}", 4), "tensor 'x': field 'dtype' appears twice"));
        // ---- dtypes
        c.add(row("unknown dtype", () -> file("{\"x\":" + tensor("F128", "[1]", "[0,16]") + "}", 16), "tensor 'x': unknown dtype 'F128'"));
        c.add(row("lower-case dtype", () -> file("{\"x\":" + tensor("f32", "[1]", "[0,4]") + "}", 4), "unknown dtype 'f32'"));
        c.add(row("numeric dtype", () -> file("{\"x\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
                "tensor 'x': dtype must be a string, but is the number 4"));
        // ---- shapes
        c.add(row("negative dimension", () -> file("{\"x\":" + tensor("F32", "[-1]", "[0,4]") + "}", 4),
                "tensor 'x': shape holds -1, not a non-negative 64-bit integer"));
        c.add(row("dimension above 2^31", () -> file("{\"x\":" + tensor("F32", "[4294967296]", "[0,4]") + "}", 4),
                "dimension 4294967296 of shape [4294967296] is too large"));
        c.add(row("element count overflows a long", () -> file("{\"x\":" + tensor("F32",
                "[2147483647,2147483647,2147483647]", "[0,4]") + "}", 4), "has too many elements"));
        c.add(row("byte count overflows a long", () -> file("{\"x\":" + tensor("F64",
                "[2147483647,2147483647]", "[0,4]") + "}", 4), "of F64 is too large"));
        c.add(row("element count above 2^31, offsets tiny", () -> file("{\"x\":" + tensor("F32", "[65536,65536]", "[0,4]") + "}", 4),
                "shape [65536, 65536] of F32 needs 17179869184 bytes, data_offsets [0, 4] give 4"));
        c.add(row("a dimension too many", () -> file("{\"x\":" + tensor("F32", "[" + "1,".repeat(64) + "1]", "[0,4]") + "}", 4),
                "shape holds more than 64 integers"));
        c.add(row("a million dimensions", () -> file("{\"x\":" + tensor("F32", "[" + "1,".repeat(1_000_000) + "1]", "[0,4]") + "}", 4),
                "shape holds more than 64 integers"));
        c.add(row("fractional dimension", () -> file("{\"x\":" + tensor("F32", "[1.0]", "[0,4]") + "}", 4), "shape must hold non-negative integers"));
        // ---- offsets
        c.add(row("three offsets", () -> file("{\"x\":" + tensor("F32", "[1]", "[0,4,8]") + "}", 8), "data_offsets holds more than 2 integers"));
        c.add(row("a million offsets", () -> file("{\"x\":" + tensor("F32", "[1]", "[" + "0,".repeat(1_000_000) + "4]") + "}", 4),
                "data_offsets holds more than 2 integers"));
        c.add(row("one offset", () -> file("{\"x\":" + tensor("F32", "[1]", "[4]") + "}", 4), "data_offsets must hold 2 integers"));
        c.add(row("negative offset", () -> file("{\"x\":" + tensor("F32", "[1]", "[-4,0]") + "}", 4), "data_offsets holds -4"));
        c.add(row("offset above 2^63", () -> file("{\"x\":" + tensor("F32", "[1]", "[0,9223372036854775808]") + "}", 4),
                "data_offsets holds 9223372036854775808, not a non-negative 64-bit integer"));
        c.add(row("offsets end before they begin", () -> file("{\"x\":" + tensor("F32", "[1]", "[8,4]") + "}", 8), "end before they begin"));
        c.add(row("absurd offsets of the right length", () -> file("{\"x\":" + tensor("F32", "[1]",
                "[9223372036854775800,9223372036854775804]") + "}", 4), "go beyond the end of the data section, which has 4 bytes"));
        c.add(row("offsets beyond the data (truncated)", () -> file("{\"x\":" + tensor("F32", "[4]", "[0,16]") + "}", 10),
                "go beyond the end of the data section, which has 10 bytes", "truncated"));
        c.add(row("overlapping tensors", () -> file("{\"a\":" + tensor("F32", "[2]", "[0,8]") + ",\"b\":" + tensor("F32", "[2]", "[4,12]")
                + "}", 12), "tensors 'a' (data_offsets [0, 8]) and 'b' (data_offsets [4, 12]) overlap"));
        c.add(row("two tensors on the same bytes", () -> file("{\"a\":" + F32_1 + ",\"b\":" + F32_1 + "}", 4), "overlap"));
        c.add(row("gap between tensors", () -> file("{\"a\":" + tensor("F32", "[1]", "[0,4]") + ",\"b\":" + tensor("F32", "[1]", "[8,12]")
                + "}", 12), "bytes [4, 8) of the data section", "belong to no tensor"));
        c.add(row("trailing garbage", () -> file("{\"a\":" + F32_1 + "}", 1000), "996 bytes of trailing garbage"));
        // ---- entries
        c.add(row("entry lacks offsets", () -> file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1]}}", 0), "tensor 'x': header entry lacks 'data_offsets'"));
        c.add(row("entry with an extra field", () -> file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"grad\":1}}", 4),
                "unexpected field 'grad'"));
        c.add(row("empty tensor name", () -> file("{\"\":" + F32_1 + "}", 4), "a tensor has an empty name"));
        c.add(row("metadata value not a string", () -> file("{\"__metadata__\":{\"step\":17}}", 0),
                "metadata value for key 'step' must be a string, but is the number 17"));
        // ---- files of other formats, passed by mistake
        c.add(row("torch.save zip (.pt since PyTorch 1.6)", () -> startingWith(200, 'P', 'K', 3, 4, 0x14, 0, 0, 0),
                "zip archive", "torch.save", ".pt or .pth", "save its state_dict as safetensors", "docs/java-api.md, section 3"));
        c.add(row("torch.save zip with zeroed version bytes", () -> startingWith(200, 'P', 'K', 3, 4, 0, 0, 0, 0),
                "zip archive", "torch.save"));
        c.add(row("legacy torch.save pickle", () -> startingWith(200, 0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46),
                "Python pickle (protocol 2", "docs/java-api.md, section 3"));
        c.add(row("pickle protocol 5", () -> startingWith(200, 0x80, 0x05, 0x95, 0x10, 0, 0, 0, 0), "Python pickle (protocol 5"));
        c.add(row("NumPy .npy", () -> startingWith(200, 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0), "NumPy .npy array"));
        c.add(row("HDF5 (Keras .h5)", () -> startingWith(200, 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'), "HDF5 file"));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusedWithAMessageFromMemory(Case c) {
        byte[] bytes = c.bytes().get();
        long before = allocated();
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensors.read(bytes, "hostile.safetensors"));
        long used = allocated() - before;
        assertMessage(c, e, "hostile.safetensors");
        assertTrue(used < 2L * bytes.length + ALLOCATION_SLACK, c + ": reading " + bytes.length + " bytes allocated " + used);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusedWithAMessageFromAFile(Case c) throws Exception {
        Path f = dir.resolve("hostile.safetensors");
        byte[] bytes = c.bytes().get();
        Files.write(f, bytes);
        long before = allocated();
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensors.read(f));
        long used = allocated() - before;
        assertMessage(c, e, f.toString());
        assertTrue(used < 2L * bytes.length + ALLOCATION_SLACK, c + ": reading " + bytes.length + " bytes allocated " + used);
    }

    /** A load refuses the same files through the same reader and leaves the parameters alone. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusedByCheckpointLoadAndPyTorchImport(Case c) throws Exception {
        Path f = dir.resolve("hostile.safetensors");
        Files.write(f, c.bytes().get());
        var model = dev.unroll.runtime.testing.Models.randomize(dev.unroll.runtime.testing.Models.recurrent(4, 3, 2, 1, 2, false), 1);
        double[] before = dev.unroll.runtime.testing.Models.snapshot(model);
        assertMessage(c, assertThrows(CheckpointException.class, () -> Checkpoints.load(f, model)), f.toString());
        assertMessage(c, assertThrows(CheckpointException.class, () -> PyTorchImport.importStateDict(f, model)), f.toString());
        assertTrue(Arrays.equals(before, dev.unroll.runtime.testing.Models.snapshot(model)));
    }

    private static void assertMessage(Case c, CheckpointException e, String where) {
        String m = e.getMessage();
        assertTrue(m.startsWith("safetensors file " + where + ": "), c + ": " + m);
        for (String fragment : c.says()) {
            if (!m.contains(fragment)) {
                fail(c + ": the message should contain \"" + fragment + "\" but is: " + m);
            }
        }
    }

    /**
     * A sparse file of 3 GB whose header is valid and whose one tensor claims all of it: refused
     * for exceeding the reader's 2 GiB limit before anything is allocated for the data.
     */
    @Test
    void aHeaderClaimingGigabytesInASparseFileAllocatesNothing() throws Exception {
        Path f = dir.resolve("sparse.safetensors");
        long data = 3_000_000_000L;
        byte[] header = ("{\"x\":" + tensor("F32", "[750000000]", "[0," + data + "]") + "}").getBytes(StandardCharsets.UTF_8);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            ByteBuffer b = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(header.length).put(header);
            raf.write(b.array());
            raf.setLength(8 + header.length + data); // sparse: no disk space taken
        }
        long before = allocated();
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensors.read(f));
        long used = allocated() - before;
        assertTrue(e.getMessage().contains("the data section has 3000000000 bytes, more than this reader's limit of 2 GiB"),
                e.getMessage());
        assertTrue(used < ALLOCATION_SLACK, "allocated " + used + " bytes");
    }

    /** A zip given to the PyTorch import names the file and what to do. */
    @Test
    void aTorchSaveZipGivenToThePyTorchImportSaysWhatToDo() throws Exception {
        Path f = dir.resolve("model.pt");
        Files.write(f, startingWith(4096, 'P', 'K', 3, 4, 0x2d, 0, 8, 0));
        var model = dev.unroll.runtime.testing.Models.recurrent(4, 3, 2, 1, 2, false);
        String m = assertThrows(CheckpointException.class, () -> PyTorchImport.importStateDict(f, model)).getMessage();
        assertEquals("safetensors file " + f + ": this is a zip archive (bytes 0-3 are PK\\x03\\x04), which is what"
                + " torch.save writes to a .pt or .pth file, not a safetensors file: " + SafeTensors.SAVE_AS_SAFETENSORS_HINT, m);
    }

    /** A valid file whose first bytes look like a pickle (a 640-byte header starts 0x80 0x02) still reads. */
    @Test
    void aValidFileStartingLikeAPickleIsRead() throws Exception {
        String h = "{\"x\":" + F32_1 + "}";
        String padded = h + " ".repeat(640 - h.length());
        byte[] bytes = file(padded, 4);
        assertEquals(0x80, bytes[0] & 0xff);
        assertEquals(0x02, bytes[1]);
        assertEquals(1, SafeTensors.read(bytes, "pickle-like").size());
    }

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }
}
