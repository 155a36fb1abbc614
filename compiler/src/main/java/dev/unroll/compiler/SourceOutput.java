package dev.unroll.compiler;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes a set of generated sources into an output directory all or nothing: every file is first
 * written into a staging directory, then moved into place; when any step fails, what was moved is
 * taken back, files it replaced are restored, folders it created are removed, and an
 * {@link IOException} says which file could not be written and why.
 *
 * <p>The staging directory, {@code .unroll-staging-*}, is made in the output directory itself, or
 * in its nearest existing ancestor when it does not exist yet, so that each move is a rename on one
 * file system, and a directory that cannot be written fails before anything is moved. It is
 * deleted at the end, failure or not.
 */
final class SourceOutput {
    private SourceOutput() {}

    /**
     * Writes the files and returns their paths in the output directory, in the order given.
     *
     * @param outputDirectory where the files go; created, with its parents, when missing
     * @param files each file's path relative to the output directory, and its text
     * @throws IOException if any file cannot be written; then the output directory is as it was
     */
    static List<Path> writeAll(Path outputDirectory, Map<String, String> files) throws IOException {
        Path output = outputDirectory.toAbsolutePath().normalize();
        if (Files.exists(output) && !Files.isDirectory(output)) {
            throw new IOException("cannot write into " + output + ": it is a file, not a directory");
        }
        Path anchor = output;
        while (!Files.isDirectory(anchor)) {
            anchor = anchor.getParent();
            if (anchor == null) {
                throw new IOException("cannot write into " + output + ": no existing folder above it");
            }
        }
        Path staging;
        try {
            staging = Files.createTempDirectory(anchor, ".unroll-staging-");
        } catch (IOException e) {
            throw new IOException("cannot write into " + output + ": " + describe(e, anchor), e);
        }
        Deque<Runnable> undo = new ArrayDeque<>();
        try {
            for (Map.Entry<String, String> file : files.entrySet()) {
                Path staged = staging.resolve("new").resolve(file.getKey());
                try {
                    Files.createDirectories(staged.getParent());
                    Files.writeString(staged, file.getValue(), StandardCharsets.UTF_8);
                } catch (IOException | RuntimeException e) {
                    throw new IOException("cannot write " + output.resolve(file.getKey()) + ": "
                            + describe(e, output.resolve(file.getKey())), e);
                }
            }
            List<Path> written = new ArrayList<>();
            for (String relative : files.keySet()) {
                Path target = output.resolve(relative);
                try {
                    moveIntoPlace(staging, relative, target, output, undo);
                } catch (IOException | RuntimeException e) {
                    throw new IOException("cannot write " + target + ": " + describe(e, target), e);
                }
                written.add(target);
            }
            undo.clear(); // committed
            return written;
        } catch (IOException e) {
            List<String> leftovers = rollBack(undo);
            if (!leftovers.isEmpty()) {
                e.addSuppressed(new IOException("could not undo: " + String.join("; ", leftovers)));
            }
            throw e;
        } finally {
            deleteTree(staging);
        }
    }

    /** Moves one staged file over its target, recording how to undo each step. */
    private static void moveIntoPlace(Path staging, String relative, Path target, Path output, Deque<Runnable> undo)
            throws IOException {
        createFolders(target.getParent(), output, undo);
        if (Files.exists(target) || Files.isSymbolicLink(target)) {
            Path backup = staging.resolve("old").resolve(relative);
            Files.createDirectories(backup.getParent());
            move(target, backup);
            undo.push(() -> quietly(() -> move(backup, target)));
        }
        move(staging.resolve("new").resolve(relative), target);
        undo.push(() -> quietly(() -> Files.deleteIfExists(target)));
    }

    /** Creates the missing folders from the topmost one down, recording each so it can be removed. */
    private static void createFolders(Path folder, Path output, Deque<Runnable> undo) throws IOException {
        Deque<Path> missing = new ArrayDeque<>();
        for (Path dir = folder; dir != null && !Files.isDirectory(dir); dir = dir.getParent()) {
            missing.push(dir);
        }
        while (!missing.isEmpty()) {
            Path dir = missing.pop();
            Files.createDirectory(dir);
            undo.push(() -> quietly(() -> Files.deleteIfExists(dir)));
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    /** Runs the undo steps, newest first; returns what could not be undone. */
    private static List<String> rollBack(Deque<Runnable> undo) {
        List<String> failures = new ArrayList<>();
        while (!undo.isEmpty()) {
            try {
                undo.pop().run();
            } catch (UncheckedIOException e) {
                failures.add(describe(e.getCause(), null));
            }
        }
        return failures;
    }

    private interface IoAction {
        void run() throws IOException;
    }

    private static void quietly(IoAction action) {
        try {
            action.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Says why a file could not be written: "File name too long", "access denied (/x)", ... */
    static String describe(Exception e, Path shown) {
        if (e instanceof FileSystemException f) {
            String reason = f.getReason() != null ? f.getReason()
                    : f.getClass().getSimpleName().replace("Exception", "").replaceAll("([a-z])([A-Z])", "$1 $2")
                            .toLowerCase(Locale.ROOT);
            // the staging path means nothing to the user: name the file only when it is another one
            return f.getFile() == null || f.getFile().contains(".unroll-staging-") || shown != null
                    && Path.of(f.getFile()).toAbsolutePath().equals(shown) ? reason : reason + " (" + f.getFile() + ")";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** Deletes the staging directory, best effort: its name says what it was. */
    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException | UncheckedIOException e) {
            // keep the outcome of the write
        }
    }
}
