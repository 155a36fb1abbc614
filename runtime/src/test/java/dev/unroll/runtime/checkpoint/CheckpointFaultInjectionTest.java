package dev.unroll.runtime.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.unroll.runtime.ParameterSet;
import dev.unroll.runtime.testing.Models;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault injection for checkpoints: a real JVM killed with SIGKILL while it saves, a full disk and
 * a read-only directory during a save. Each time the file on disk must be a complete checkpoint,
 * the previous or the new one, never a mix, never missing, never a temporary file in its place.
 */
class CheckpointFaultInjectionTest {
    /** Kill rounds; each starts a JVM (about half a second) and kills it at a seeded random moment. */
    private static final int KILLS = 30;

    @TempDir
    Path dir;

    private static final double[][] CONTENTS = {
        Models.snapshot(CrashingSaver.content(0)), Models.snapshot(CrashingSaver.content(1))};

    /** Loads the checkpoint and returns which content it holds, failing on anything else. */
    private static int whichContent(Path file, String when) {
        ParameterSet model = CrashingSaver.content(0);
        try {
            Map<String, String> metadata = Checkpoints.load(file, model);
            double[] values = Models.snapshot(model);
            int which = Arrays.equals(values, CONTENTS[0]) ? 0 : Arrays.equals(values, CONTENTS[1]) ? 1 : -1;
            assertTrue(which >= 0, when + ": the checkpoint holds neither content: a mix");
            assertEquals(Integer.toString(which), metadata.get("which"), when + ": the metadata belongs to the other content");
            return which;
        } catch (CheckpointException e) {
            return fail(when + ": the file on disk is not a complete checkpoint: " + e.getMessage(), e);
        }
    }

    @Test
    void killedMidSaveTheFileIsAlwaysOneCompleteCheckpoint() throws Exception {
        Path file = dir.resolve("model.safetensors");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        SplittableRandom random = new SplittableRandom(20261202);
        int[] seen = new int[2];
        int strayTemporaryFiles = 0;
        for (int round = 0; round < KILLS; round++) {
            Process child = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx128m",
                    "-cp", System.getProperty("java.class.path"), CrashingSaver.class.getName(), file.toString())
                    .redirectErrorStream(true).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                String line = out.readLine();
                assertEquals("saved", line, "round " + round + ": the child did not start saving");
                // a save takes a few milliseconds: a kill anywhere in the next 40 lands before,
                // during or after one of them, at a moment the seed chooses
                Thread.sleep(random.nextInt(40));
                child.destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no finally block runs
                assertTrue(child.waitFor(30, TimeUnit.SECONDS), "round " + round + ": the child did not die");
            } finally {
                child.destroyForcibly();
            }
            assertEquals(137, child.exitValue(), "round " + round + ": the child was not killed by SIGKILL");
            assertTrue(Files.isRegularFile(file), "round " + round + ": the checkpoint is gone");
            seen[whichContent(file, "round " + round)]++;
            // a kill during a save may leave its temporary file beside the checkpoint, never in its place
            try (Stream<Path> files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    if (!p.equals(file)) {
                        assertTrue(p.getFileName().toString().matches("\\.model\\.safetensors\\.[0-9a-f]+\\.tmp"), p.toString());
                        strayTemporaryFiles++;
                        Files.delete(p);
                    }
                }
            }
        }
        System.out.printf("kill -9 rounds: %d; content 0 found %d times, content 1 %d times; "
                + "%d kills landed mid-save (a temporary file left)%n", KILLS, seen[0], seen[1], strayTemporaryFiles);
        // both contents seen: the kills did land at different points of the loop
        assertTrue(seen[0] > 0 && seen[1] > 0, "only one content was ever on disk: " + Arrays.toString(seen));
    }

    // ---- full disk, read-only directory

    /** A channel that accepts {@code room} bytes, then fails as a full disk does. */
    private static WritableByteChannel fullAfter(WritableByteChannel ch, long room) {
        return new WritableByteChannel() {
            long written;

            @Override
            public int write(ByteBuffer src) throws IOException {
                if (written + src.remaining() > room) {
                    throw new IOException("No space left on device");
                }
                int n = ch.write(src);
                written += n;
                return n;
            }

            @Override
            public boolean isOpen() {
                return ch.isOpen();
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
    }

    private List<String> listDir(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The seam: the disk fills up at every point of a save; each time the old file stays, and no temporary file. */
    @Test
    void aDiskThatFillsUpAnywhereInASaveLeavesThePreviousFile() throws Exception {
        Path file = dir.resolve("model.safetensors");
        Checkpoints.save(file, CrashingSaver.content(0), Map.of("which", "0"));
        byte[] before = Files.readAllBytes(file);
        List<OutputTensor> tensors = new ArrayList<>();
        CrashingSaver.content(1).forEach(p -> tensors.add(OutputTensor.of(p)));
        for (long room : new long[] {0, 7, 8, 100, 65_536, before.length / 2, before.length - 1}) {
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> SafeTensors.write(file, tensors, Map.of("which", "1"), ch -> fullAfter(ch, room)));
            assertTrue(e.getMessage().contains("No space left on device")
                    && e.getMessage().contains("the previous file (if any) is unchanged"), e.getMessage());
            assertArrayEquals(before, Files.readAllBytes(file), "room " + room);
            assertEquals(List.of("model.safetensors"), listDir(dir), "room " + room);
        }
        assertEquals(0, whichContent(file, "after the full disk"));
    }

    private static boolean canMount() {
        if (!"root".equals(System.getProperty("user.name")) || !Files.isExecutable(Path.of("/bin/mount"))) {
            return false;
        }
        return true;
    }

    private static int run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", command));
        return p.exitValue();
    }

    /**
     * A real full disk and a real read-only file system: a 192 KiB tmpfs, mounted where root may
     * mount (CI runs as root), then remounted read-only. Skipped, saying so, elsewhere; the seam
     * test above covers the full disk everywhere, {@link #aReadOnlyDirectoryRefusesTheSave} the
     * read-only directory for other users.
     */
    @Test
    void aRealFullDiskAndAReadOnlyFileSystemLeaveThePreviousFile() throws Exception {
        assumeTrue(canMount(), "not root: the tmpfs test of a real full disk is skipped");
        Path mnt = Files.createDirectory(dir.resolve("tiny"));
        assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=192k", "tmpfs", mnt.toString()) == 0,
                "mount -t tmpfs refused (no CAP_SYS_ADMIN): the test of a real full disk is skipped");
        try {
            Path file = mnt.resolve("model.safetensors");
            // a small model fits once, its temporary copy beside it does not fit with it
            ParameterSet small = Models.randomize(Models.recurrent(4, 64, 64, 1, 10, false), 1);
            Checkpoints.save(file, small, Map.of());
            byte[] before = Files.readAllBytes(file);
            assertTrue(before.length > 96 * 1024, "the checkpoint should take over half of the file system");
            ParameterSet other = Models.randomize(Models.recurrent(4, 64, 64, 1, 10, false), 2);
            CheckpointException full = assertThrows(CheckpointException.class, () -> Checkpoints.save(file, other, Map.of()));
            assertTrue(full.getMessage().contains("No space left on device"), full.getMessage());
            assertArrayEquals(before, Files.readAllBytes(file));
            assertEquals(List.of("model.safetensors"), listDir(mnt));

            assertEquals(0, run("mount", "-o", "remount,ro", mnt.toString()));
            ParameterSet tiny = Models.recurrent(1, 1, 1, 1, 1, false);
            Path another = mnt.resolve("tiny.safetensors");
            CheckpointException readOnly = assertThrows(CheckpointException.class, () -> Checkpoints.save(file, small, Map.of()));
            assertTrue(readOnly.getMessage().contains("Read-only file system"), readOnly.getMessage());
            assertThrows(CheckpointException.class, () -> Checkpoints.save(another, tiny, Map.of()));
            assertArrayEquals(before, Files.readAllBytes(file));
            assertEquals(List.of("model.safetensors"), listDir(mnt));
        } finally {
            run("umount", mnt.toString());
        }
    }

    /** A directory without write permission (for users other than root, whom permissions do not stop). */
    @Test
    void aReadOnlyDirectoryRefusesTheSave() throws Exception {
        assumeTrue(!"root".equals(System.getProperty("user.name")),
                "root ignores directory permissions: the read-only tmpfs test covers this for root");
        Path sub = Files.createDirectory(dir.resolve("ro"));
        Path file = sub.resolve("model.safetensors");
        Checkpoints.save(file, CrashingSaver.content(0), Map.of("which", "0"));
        byte[] before = Files.readAllBytes(file);
        assertTrue(sub.toFile().setWritable(false, false));
        try {
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> Checkpoints.save(file, CrashingSaver.content(1), Map.of("which", "1")));
            assertTrue(e.getMessage().contains("the previous file (if any) is unchanged"), e.getMessage());
            assertArrayEquals(before, Files.readAllBytes(file));
            assertEquals(List.of("model.safetensors"), listDir(sub));
        } finally {
            sub.toFile().setWritable(true, false);
        }
    }
}
