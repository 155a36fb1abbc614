package dev.unroll.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link OnnxFiles#writeAtomically}: replaces the file, leaves no temporary behind, keeps ordinary permissions. */
class OnnxFilesTest {
    @TempDir
    Path dir;

    @Test
    void replacesAtomicallyWithOrdinaryPermissions() throws Exception {
        Path file = dir.resolve("sub/model.onnx");
        OnnxFiles.writeAtomically(file, new byte[] {1, 2});
        OnnxFiles.writeAtomically(file, new byte[] {3});
        assertArrayEquals(new byte[] {3}, Files.readAllBytes(file));
        try (var list = Files.list(file.getParent())) {
            assertEquals(1, list.count(), "no temporary file left");
        }
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
        // Readable by others unless the umask says otherwise (createTempFile would make it owner-only).
        Path plain = Files.write(dir.resolve("plain"), new byte[0]);
        assertEquals(Files.getPosixFilePermissions(plain), permissions);
    }
}
