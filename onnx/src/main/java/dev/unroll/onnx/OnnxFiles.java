package dev.unroll.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.unroll.onnx.proto.Onnx.ModelProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Reads and writes ONNX files: the checks around protobuf's parser, and atomic writes. */
final class OnnxFiles {
    /**
     * Larger files are refused before parsing. Protobuf messages cannot exceed 2 GiB, and an
     * ONNX file of a recurrent model Unroll can hold (every weight matrix a Java array) is far
     * smaller; weights stored as ONNX external data are refused separately.
     */
    static final long MAX_FILE_BYTES = 1L << 30;

    private OnnxFiles() {}

    /** Parses an ONNX file, refusing anything that is not a readable ONNX model with a message naming the file. */
    static ModelProto read(Path file) throws OnnxException {
        long size;
        byte[] bytes;
        try {
            if (Files.isDirectory(file)) {
                throw new OnnxException(file + ": is a directory, not an ONNX file");
            }
            size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new OnnxException(file + ": file is too large: " + size + " bytes (the limit is " + MAX_FILE_BYTES
                        + "); Unroll imports recurrent models whose weights fit in Java arrays");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new OnnxException(file + ": no such file", e);
        } catch (IOException | SecurityException e) {
            if (e instanceof OnnxException o) {
                throw o;
            }
            throw new OnnxException(file + ": cannot read file: " + e.getMessage(), e);
        }
        return parse(bytes, file.toString());
    }

    /** Parses the bytes of an ONNX file; {@code source} names it in messages. */
    static ModelProto parse(byte[] bytes, String source) throws OnnxException {
        if (bytes.length == 0) {
            throw new OnnxException(source + ": file is empty, not an ONNX model");
        }
        if (bytes.length >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4) {
            throw new OnnxException(source + ": this is a zip archive, such as a torch.save() file (.pt/.pth), not an "
                    + "ONNX model; export the module with torch.onnx.export(model, example_input, \"model.onnx\"), or "
                    + "save its state_dict as safetensors and use importPyTorch");
        }
        if ((bytes[0] & 0xff) == 0x80 && bytes.length > 1 && bytes[1] >= 2 && bytes[1] <= 5) {
            throw new OnnxException(source + ": this is a Python pickle (an old torch.save() file?), not an ONNX model; "
                    + "export the module with torch.onnx.export instead");
        }
        ModelProto model;
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            in.setSizeLimit(Integer.MAX_VALUE);
            model = ModelProto.parseFrom(in);
            in.checkLastTagWas(0);
        } catch (InvalidProtocolBufferException e) {
            throw new OnnxException(source + ": not a valid ONNX file (truncated or corrupt protobuf: "
                    + e.getMessage() + ")", e);
        } catch (IOException | RuntimeException e) {
            // Protobuf documents only InvalidProtocolBufferException; anything else still gets the file's name.
            throw new OnnxException(source + ": not a valid ONNX file (" + e + ")", e);
        }
        if (!model.hasGraph() || model.getGraph().getNodeCount() == 0) {
            throw new OnnxException(source + ": not an ONNX model: it has no graph (or an empty one)"
                    + (model.getIrVersion() == 0 ? " and no IR version" : ""));
        }
        return model;
    }

    /** Writes bytes atomically: to a temporary file beside {@code file}, then moved over it. */
    static void writeAtomically(Path file, byte[] bytes) throws OnnxException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            // Not Files.createTempFile, whose owner-only permissions the moved file would keep: a new
            // file created the ordinary way gets the permissions the user's umask gives.
            tmp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(System.nanoTime()) + ".tmp");
            Files.write(tmp, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new OnnxException(file + ": cannot write: " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // The write already failed; that is the error reported.
                }
            }
        }
    }
}
