package dev.unroll.runtime.checkpoint;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.UnaryOperator;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format.
 *
 * <p>A file is an 8-byte little-endian unsigned header length {@code N}, then {@code N} bytes of
 * UTF-8 JSON, then the tensor bytes (the data section). The header is an object mapping each
 * tensor name to {@code {"dtype": "F32", "shape": [3, 4], "data_offsets": [begin, end]}}, offsets
 * relative to the data section, plus an optional {@code "__metadata__"} object of string values.
 * Tensor bytes are little-endian, row-major.
 *
 * <p><b>Reading</b> ({@link #read(Path)}) validates everything before handing out a tensor and
 * throws a {@link CheckpointException} naming the file and saying what is wrong and where: a file
 * too short to hold the header length, a header length beyond the file or above
 * {@link #MAX_HEADER_BYTES}, a header that is not valid JSON or not an object, duplicate names,
 * an unknown dtype, a shape whose byte count disagrees with its data offsets, offsets out of range
 * (a truncated file), overlapping, or leaving bytes of the data section unused (gaps, trailing
 * garbage), a shape of more than {@link #MAX_DIMENSIONS} dimensions or whose element count
 * overflows. Nothing is allocated for the data before the header has been checked against the
 * real file size, so a header claiming gigabytes costs nothing. A file that is not safetensors at
 * all but a PyTorch {@code .pt}/{@code .pth} file (a zip archive or a pickle), a NumPy array or
 * an HDF5 file is recognised by its first bytes and the message says what to do instead. The
 * header JSON is parsed with Jackson's streaming parser (no reflection).
 *
 * <p><b>Writing</b> ({@link #write(Path, List, Map)}) is atomic: the file is written to a temporary
 * file in the same directory, forced to disk, and moved over the target with
 * {@link StandardCopyOption#ATOMIC_MOVE}, so a crash or an exception mid-save leaves the previous
 * file byte-identical, and no temporary file is left behind by a failed write. The header is
 * padded with spaces so that the data section starts at a multiple of 8 bytes, as the reference
 * implementation does. Only {@link DType#F64} and {@link DType#F32} are written.
 *
 * <p>All methods are static and thread-safe.
 */
public final class SafeTensors {
    /** The reserved header key holding string metadata. */
    public static final String METADATA_KEY = "__metadata__";

    /** The largest header accepted, in bytes (the reference implementation's limit, 100 MB). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    /**
     * The most dimensions a shape may have (NumPy 2's limit; PyTorch's is lower). Bounds what a
     * hostile header can make the reader hold per tensor: without it, a header of {@code [1,1,1,...]}
     * would cost far more memory as parsed numbers than as bytes.
     */
    public static final int MAX_DIMENSIONS = 64;

    private static final int IO_BUFFER_BYTES = 1 << 16;

    // Duplicate names are detected by the reader itself, which can say which tensor and field.
    private static final JsonFactory JSON = JsonFactory.builder()
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength((int) MAX_HEADER_BYTES)
                    .maxNameLength((int) MAX_HEADER_BYTES)
                    .build())
            .build();

    private SafeTensors() {
    }

    // ------------------------------------------------------------------------------------------
    // Reading

    /**
     * Reads and validates a safetensors file.
     *
     * @param file the file
     * @return its tensors and metadata
     * @throws CheckpointException when the file cannot be read or is not a valid safetensors file;
     *     the message starts with {@code safetensors file <path>:} and says what is wrong and where
     */
    public static TensorFile read(Path file) throws CheckpointException {
        String where = file.toString();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return parse(where, new Source() {
                @Override
                public long size() throws IOException {
                    return ch.size();
                }

                @Override
                public void readFully(long position, ByteBuffer dst) throws IOException {
                    long at = position;
                    while (dst.hasRemaining()) {
                        int n = ch.read(dst, at);
                        if (n < 0) {
                            throw new EOFException("end of file at byte " + at);
                        }
                        at += n;
                    }
                }
            });
        } catch (CheckpointException e) {
            throw e;
        } catch (NoSuchFileException e) {
            throw new CheckpointException("safetensors file " + where + ": no such file", e);
        } catch (IOException e) {
            throw new CheckpointException("safetensors file " + where + ": cannot be read: " + e, e);
        }
    }

    /**
     * Reads and validates safetensors content held in memory.
     *
     * @param bytes the whole file
     * @param source what to call it in messages, e.g. a file name
     * @return its tensors and metadata
     * @throws CheckpointException as {@link #read(Path)}
     */
    public static TensorFile read(byte[] bytes, String source) throws CheckpointException {
        try {
            return parse(source, new Source() {
                @Override
                public long size() {
                    return bytes.length;
                }

                @Override
                public void readFully(long position, ByteBuffer dst) throws EOFException {
                    int n = dst.remaining();
                    if (position + n > bytes.length) {
                        throw new EOFException("end of data at byte " + bytes.length);
                    }
                    dst.put(bytes, (int) position, n);
                }
            });
        } catch (CheckpointException e) {
            throw e;
        } catch (IOException e) {
            throw new CheckpointException("safetensors file " + source + ": cannot be read: " + e, e);
        }
    }

    private interface Source {
        long size() throws IOException;

        void readFully(long position, ByteBuffer dst) throws IOException;
    }

    /** One header entry, before the data is read. */
    private record Entry(String name, DType dtype, int[] shape, long begin, long end, long byteCount) {
    }

    private static TensorFile parse(String where, Source src) throws IOException {
        String w = "safetensors file " + where + ": ";
        long size = src.size();
        if (size < 8) {
            throw new CheckpointException(w + "file too short: " + size
                    + " bytes, but a safetensors file starts with an 8-byte header length");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        src.readFully(0, lengthBytes);
        long n = lengthBytes.getLong(0);
        if (n < 0 || n > MAX_HEADER_BYTES || n > size - 8) {
            // Only a length that cannot be right is worth a second look: a valid file may start with
            // the same bytes as a pickle (a header of 640 bytes starts 0x80 0x02).
            String foreign = foreignFormat(lengthBytes.array());
            if (foreign != null) {
                throw new CheckpointException(w + foreign);
            }
        }
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw new CheckpointException(w + "header length " + Long.toUnsignedString(n)
                    + " (bytes 0-7) is absurd, above the limit of " + MAX_HEADER_BYTES
                    + " bytes: this is not a safetensors file, or a corrupt one");
        }
        if (n > size - 8) {
            throw new CheckpointException(w + "header length " + n + " (bytes 0-7) goes beyond the end of the file: "
                    + "the file has " + size + " bytes, so room for at most " + (size - 8)
                    + " bytes of header; the file is truncated or not a safetensors file");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) n);
        src.readFully(8, headerBytes);
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, Entry> entries = parseHeader(w, headerBytes.array(), metadata);

        long dataStart = 8 + n;
        long dataLength = size - dataStart;
        validateOffsets(w, entries, dataStart, dataLength, size);
        if (dataLength > Integer.MAX_VALUE - 8) {
            throw new CheckpointException(w + "the data section has " + dataLength
                    + " bytes, more than this reader's limit of 2 GiB");
        }
        ByteBuffer data = ByteBuffer.allocate((int) dataLength).order(ByteOrder.LITTLE_ENDIAN);
        try {
            src.readFully(dataStart, data);
        } catch (EOFException e) {
            throw new CheckpointException(w + "the file ended before its " + size + " bytes were read: it changed while being read", e);
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Entry e : entries.values()) {
            ByteBuffer slice = data.duplicate();
            slice.limit((int) e.end()).position((int) e.begin());
            tensors.put(e.name(), new Tensor(e.name(), e.dtype(), e.shape(), slice));
        }
        return new TensorFile(where, tensors, metadata);
    }

    /** Where {@link #foreignFormat} sends people with a PyTorch file. */
    static final String SAVE_AS_SAFETENSORS_HINT = "load it in Python and save its state_dict as safetensors"
            + " (with safetensors.torch.save_file, or without that package the save_safetensors function"
            + " in docs/java-api.md, section 3, \"Importing weights trained in PyTorch\")";

    /**
     * Recognizes the first bytes of the files most often passed by mistake: what torch.save writes
     * (a zip archive since PyTorch 1.6, a bare pickle before), NumPy arrays, HDF5 (Keras) files.
     * Returns what the file is and what to do instead, or null.
     */
    static String foreignFormat(byte[] first8) {
        int b0 = first8[0] & 0xff;
        int b1 = first8[1] & 0xff;
        if (b0 == 'P' && b1 == 'K' && first8[2] == 3 && first8[3] == 4) {
            return "this is a zip archive (bytes 0-3 are PK\\x03\\x04), which is what torch.save writes to a .pt or .pth"
                    + " file, not a safetensors file: " + SAVE_AS_SAFETENSORS_HINT;
        }
        if (b0 == 0x80 && b1 >= 2 && b1 <= 5) {
            return "this is a Python pickle (protocol " + b1 + ", bytes 0-1 are \\x80\\x0" + b1
                    + "), which is what older torch.save writes to a .pt, .pth or .pkl file, not a safetensors file: "
                    + SAVE_AS_SAFETENSORS_HINT;
        }
        if (b0 == 0x93 && b1 == 'N' && first8[2] == 'U' && first8[3] == 'M' && first8[4] == 'P' && first8[5] == 'Y') {
            return "this is a NumPy .npy array (bytes 0-5 are \\x93NUMPY), not a safetensors file:"
                    + " save the arrays with safetensors.numpy.save_file instead";
        }
        if (b0 == 0x89 && b1 == 'H' && first8[2] == 'D' && first8[3] == 'F') {
            return "this is an HDF5 file (bytes 0-3 are \\x89HDF), as Keras writes to .h5, not a safetensors file:"
                    + " export the weights as safetensors instead";
        }
        return null;
    }

    private static Map<String, Entry> parseHeader(String w, byte[] header, Map<String, String> metadata)
            throws CheckpointException {
        Map<String, Entry> entries = new LinkedHashMap<>();
        try (JsonParser p = JSON.createParser(header)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                throw new CheckpointException(w + "the header (bytes 8-" + (8 + header.length)
                        + ") is empty or blank, not a JSON object");
            }
            if (t != JsonToken.START_OBJECT) {
                throw new CheckpointException(w + "the header is not a JSON object: it starts with "
                        + describe(t, p) + " at byte " + fileOffset(p.currentTokenLocation()));
            }
            boolean metadataSeen = false;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                if (entries.containsKey(key) || metadataSeen && METADATA_KEY.equals(key)) {
                    throw new CheckpointException(w + "the header names " + (METADATA_KEY.equals(key) ? "'" + key + "'"
                            : "tensor '" + key + "'") + " twice (again at byte " + fileOffset(p.currentTokenLocation())
                            + "); every name may appear once");
                }
                JsonToken value = p.nextToken();
                if (METADATA_KEY.equals(key)) {
                    metadataSeen = true;
                    parseMetadata(w, p, value, metadata);
                } else {
                    entries.put(key, parseEntry(w, key, p, value));
                }
            }
            JsonToken after = p.nextToken();
            if (after != null) {
                throw new CheckpointException(w + "the header has " + describe(after, p)
                        + " after its JSON object, at byte " + fileOffset(p.currentTokenLocation()));
            }
        } catch (CheckpointException e) {
            throw e;
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new CheckpointException(w + "the header is not valid JSON: " + e.getOriginalMessage()
                    + (at == null ? "" : " (at byte " + fileOffset(at) + " of the file)"), e);
        } catch (IOException e) {
            throw new CheckpointException(w + "the header cannot be parsed: " + e, e);
        }
        return entries;
    }

    private static void parseMetadata(String w, JsonParser p, JsonToken t, Map<String, String> metadata)
            throws IOException {
        if (t != JsonToken.START_OBJECT) {
            throw new CheckpointException(w + "'" + METADATA_KEY + "' must be an object of strings, but is "
                    + describe(t, p) + " at byte " + fileOffset(p.currentTokenLocation()));
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            if (metadata.containsKey(key)) {
                throw new CheckpointException(w + "metadata key '" + key + "' appears twice (again at byte "
                        + fileOffset(p.currentTokenLocation()) + ")");
            }
            JsonToken v = p.nextToken();
            if (v != JsonToken.VALUE_STRING) {
                throw new CheckpointException(w + "metadata value for key '" + key + "' must be a string, but is "
                        + describe(v, p) + " at byte " + fileOffset(p.currentTokenLocation()));
            }
            metadata.put(key, p.getText());
        }
    }

    private static Entry parseEntry(String w, String name, JsonParser p, JsonToken t) throws IOException {
        String tw = w + "tensor '" + name + "': ";
        if (name.isEmpty()) {
            throw new CheckpointException(w + "a tensor has an empty name (at byte " + fileOffset(p.currentTokenLocation()) + ")");
        }
        if (t != JsonToken.START_OBJECT) {
            throw new CheckpointException(tw + "header entry must be an object with dtype, shape and data_offsets, but is "
                    + describe(t, p) + " at byte " + fileOffset(p.currentTokenLocation()));
        }
        DType dtype = null;
        long[] shape = null;
        long[] offsets = null;
        Set<String> fields = new HashSet<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            if (!fields.add(field)) {
                throw new CheckpointException(tw + "field '" + field + "' appears twice in its header entry (again at byte "
                        + fileOffset(p.currentTokenLocation()) + ")");
            }
            JsonToken v = p.nextToken();
            switch (field) {
                case "dtype" -> {
                    if (v != JsonToken.VALUE_STRING) {
                        throw new CheckpointException(tw + "dtype must be a string, but is " + describe(v, p));
                    }
                    String dtypeName = p.getText();
                    dtype = DType.fromHeaderName(dtypeName).orElseThrow(() -> new CheckpointException(tw
                            + "unknown dtype '" + dtypeName + "' (known: " + DType.knownNames() + ")"));
                }
                case "shape" -> shape = readIntegers(tw, "shape", p, v, MAX_DIMENSIONS, false);
                case "data_offsets" -> offsets = readIntegers(tw, "data_offsets", p, v, 2, true);
                default -> throw new CheckpointException(tw + "unexpected field '" + field
                        + "' in its header entry (expected dtype, shape, data_offsets)");
            }
        }
        if (dtype == null || shape == null || offsets == null) {
            throw new CheckpointException(tw + "header entry lacks "
                    + (dtype == null ? "'dtype'" : shape == null ? "'shape'" : "'data_offsets'"));
        }
        int[] intShape = new int[shape.length];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] > Integer.MAX_VALUE) {
                throw new CheckpointException(tw + "dimension " + shape[i] + " of shape " + Arrays.toString(shape) + " is too large");
            }
            intShape[i] = (int) shape[i];
            try {
                count = Math.multiplyExact(count, shape[i]);
            } catch (ArithmeticException e) {
                throw new CheckpointException(tw + "shape " + Arrays.toString(shape) + " has too many elements", e);
            }
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(count, (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new CheckpointException(tw + "shape " + Arrays.toString(shape) + " of " + dtype + " is too large", e);
        }
        return new Entry(name, dtype, intShape, offsets[0], offsets[1], bytes);
    }

    /**
     * Reads an array of at most {@code maxCount} non-negative integers (exactly that many when
     * {@code exact}), stopping at the first one too many, so a hostile array costs no memory.
     */
    private static long[] readIntegers(String tw, String field, JsonParser p, JsonToken t, int maxCount, boolean exact)
            throws IOException {
        if (t != JsonToken.START_ARRAY) {
            throw new CheckpointException(tw + field + " must be an array of non-negative integers, but is " + describe(t, p));
        }
        List<Long> values = new ArrayList<>();
        JsonToken v;
        while ((v = p.nextToken()) != JsonToken.END_ARRAY) {
            if (values.size() == maxCount) {
                throw new CheckpointException(tw + field + " holds more than " + maxCount + " integers"
                        + (exact ? "" : " (the most dimensions this reader accepts)")
                        + ", at byte " + fileOffset(p.currentTokenLocation()));
            }
            if (v != JsonToken.VALUE_NUMBER_INT) {
                throw new CheckpointException(tw + field + " must hold non-negative integers, but holds " + describe(v, p));
            }
            if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER || p.getLongValue() < 0) {
                throw new CheckpointException(tw + field + " holds " + p.getText()
                        + ", not a non-negative 64-bit integer");
            }
            values.add(p.getLongValue());
        }
        if (exact && values.size() != maxCount) {
            throw new CheckpointException(tw + field + " must hold " + maxCount + " integers, but holds " + values);
        }
        return values.stream().mapToLong(Long::longValue).toArray();
    }

    private static void validateOffsets(String w, Map<String, Entry> entries, long dataStart, long dataLength, long fileSize)
            throws CheckpointException {
        for (Entry e : entries.values()) {
            String tw = w + "tensor '" + e.name() + "': ";
            String offsets = "data_offsets [" + e.begin() + ", " + e.end() + "]";
            if (e.end() < e.begin()) {
                throw new CheckpointException(tw + offsets + " end before they begin");
            }
            if (e.end() - e.begin() != e.byteCount()) {
                throw new CheckpointException(tw + "shape " + Arrays.toString(e.shape()) + " of " + e.dtype()
                        + " needs " + e.byteCount() + " bytes, " + offsets + " give " + (e.end() - e.begin()));
            }
            if (e.end() > dataLength) {
                throw new CheckpointException(tw + offsets + " go beyond the end of the data section, which has "
                        + dataLength + " bytes (file bytes " + dataStart + "-" + fileSize
                        + "): the file is truncated or the offsets are wrong");
            }
        }
        List<Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long pos = 0;
        Entry previous = null;
        for (Entry e : sorted) {
            if (e.begin() < pos) {
                throw new CheckpointException(w + "tensors '" + previous.name() + "' (data_offsets [" + previous.begin()
                        + ", " + previous.end() + "]) and '" + e.name() + "' (data_offsets [" + e.begin() + ", " + e.end()
                        + "]) overlap");
            }
            if (e.begin() > pos) {
                throw new CheckpointException(w + "bytes [" + pos + ", " + e.begin() + ") of the data section (file bytes "
                        + (dataStart + pos) + "-" + (dataStart + e.begin()) + ") belong to no tensor: a gap before '"
                        + e.name() + "'");
            }
            pos = e.end();
            previous = e;
        }
        if (pos < dataLength) {
            throw new CheckpointException(w + (dataLength - pos) + " bytes of trailing garbage after the last tensor: "
                    + "the tensors end at file byte " + (dataStart + pos) + ", the file at " + fileSize);
        }
    }

    private static long fileOffset(JsonLocation at) {
        return 8 + Math.max(0, at.getByteOffset());
    }

    private static String describe(JsonToken t, JsonParser p) throws IOException {
        switch (t) {
            case START_OBJECT:
                return "an object";
            case START_ARRAY:
                return "an array";
            case VALUE_STRING:
                return "the string \"" + abbreviate(p.getText()) + "\"";
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                return "the number " + abbreviate(p.getText());
            case VALUE_TRUE:
            case VALUE_FALSE:
            case VALUE_NULL:
                return p.getText();
            default:
                return t.toString();
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    // ------------------------------------------------------------------------------------------
    // Writing

    /**
     * Writes tensors and metadata to {@code file}, atomically replacing any previous file.
     *
     * <p>The content goes to a temporary file {@code .<name>.<random>.tmp} in the same directory,
     * which is forced to disk ({@link FileChannel#force}) and then moved over {@code file} with
     * {@link StandardCopyOption#ATOMIC_MOVE}; the directory is then forced too where the platform
     * allows it. If anything fails — an I/O error, a tensor's {@link OutputTensor.ElementSource}
     * throwing, a crash — the previous file is left byte-identical and the temporary file is
     * deleted (a crash of the JVM itself may leave it behind, never in place of the target).
     *
     * @param file the target
     * @param tensors the tensors, written in this order; names must be unique
     * @param metadata string metadata, may be empty
     * @throws CheckpointException naming the file and the cause; the previous file is unchanged
     * @throws IllegalArgumentException for duplicate tensor names
     */
    public static void write(Path file, List<OutputTensor> tensors, Map<String, String> metadata)
            throws CheckpointException {
        write(file, tensors, metadata, UnaryOperator.identity());
    }

    /**
     * {@link #write(Path, List, Map)} through a wrapper of the temporary file's channel: the seam
     * through which tests inject the faults of a full disk. Package-private.
     */
    static void write(Path file, List<OutputTensor> tensors, Map<String, String> metadata,
                      UnaryOperator<WritableByteChannel> faults) throws CheckpointException {
        byte[] header = header(tensors, metadata);
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeContent(faults.apply(ch), header, tensors);
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system of " + dir + " cannot replace files atomically", e);
            }
            moved = true;
            forceDirectory(dir);
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException("writing " + file + " failed, the previous file (if any) is unchanged: "
                    + (e.getMessage() == null ? e.toString() : e.getMessage()), e);
        } finally {
            if (!moved) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the write has failed already and says so; a stray temporary file is harmless
                }
            }
        }
    }

    /**
     * Returns the bytes {@link #write(Path, List, Map)} would write, for in-memory use.
     *
     * @throws IllegalArgumentException for duplicate tensor names
     */
    public static byte[] toBytes(List<OutputTensor> tensors, Map<String, String> metadata) {
        byte[] header = header(tensors, metadata);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writeContent(Channels.newChannel(out), header, tensors);
        } catch (IOException e) {
            throw new IllegalStateException("cannot happen in memory", e);
        }
        return out.toByteArray();
    }

    private static byte[] header(List<OutputTensor> tensors, Map<String, String> metadata) {
        Objects.requireNonNull(metadata, "metadata");
        Set<String> names = new HashSet<>();
        for (OutputTensor t : tensors) {
            if (!names.add(t.name())) {
                throw new IllegalArgumentException("duplicate tensor name '" + t.name() + "'");
            }
        }
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(json)) {
            g.writeStartObject();
            if (!metadata.isEmpty()) {
                g.writeObjectFieldStart(METADATA_KEY);
                for (Map.Entry<String, String> e : metadata.entrySet()) {
                    g.writeStringField(Objects.requireNonNull(e.getKey(), "metadata key"),
                            Objects.requireNonNull(e.getValue(), () -> "metadata value for '" + e.getKey() + "'"));
                }
                g.writeEndObject();
            }
            long offset = 0;
            for (OutputTensor t : tensors) {
                long bytes = (long) t.elementCount() * t.dtype().byteSize();
                g.writeObjectFieldStart(t.name());
                g.writeStringField("dtype", t.dtype().name());
                g.writeArrayFieldStart("shape");
                for (int d : t.shape()) {
                    g.writeNumber(d);
                }
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(offset);
                g.writeNumber(offset + bytes);
                g.writeEndArray();
                g.writeEndObject();
                offset += bytes;
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("cannot happen in memory", e);
        }
        while (json.size() % 8 != 0) {
            json.write(' ');
        }
        if (json.size() > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("the header would have " + json.size() + " bytes, above the limit of "
                    + MAX_HEADER_BYTES);
        }
        return json.toByteArray();
    }

    private static void writeContent(WritableByteChannel ch, byte[] header, List<OutputTensor> tensors) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(IO_BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(header.length);
        flush(ch, buf);
        writeAll(ch, ByteBuffer.wrap(header));
        for (OutputTensor t : tensors) {
            OutputTensor.ElementSource values = t.values();
            int n = t.elementCount();
            boolean f64 = t.dtype() == DType.F64;
            for (int i = 0; i < n; i++) {
                if (buf.remaining() < 8) {
                    flush(ch, buf);
                }
                if (f64) {
                    buf.putDouble(values.get(i));
                } else {
                    buf.putFloat((float) values.get(i));
                }
            }
        }
        flush(ch, buf);
    }

    private static void flush(WritableByteChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        writeAll(ch, buf);
        buf.clear();
    }

    private static void writeAll(WritableByteChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    private static void forceDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // not every platform can open a directory (Windows); the file itself is already durable
        }
    }
}
