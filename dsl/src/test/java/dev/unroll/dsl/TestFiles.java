package dev.unroll.dsl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Where the test resources are, and the golden-file switch shared by the corpus tests. */
final class TestFiles {
    private TestFiles() {}

    /**
     * The module directory: surefire passes {@code unroll.sourceRoot} (see dsl/pom.xml); an IDE
     * running from the module directory works without it.
     */
    static Path moduleRoot() {
        String root = System.getProperty("unroll.sourceRoot");
        return Path.of(root == null || root.isBlank() || root.startsWith("${") ? "." : root);
    }

    /** The test resources in the source tree, which update mode rewrites. */
    static Path resources() {
        return moduleRoot().resolve("src/test/resources");
    }

    /** True when the build was run with {@code -Dunroll.updateGoldens=true}. */
    static boolean updateGoldens() {
        return Boolean.parseBoolean(System.getProperty("unroll.updateGoldens", "false"));
    }

    /** The files of a resource directory whose names end with {@code suffix}, sorted by name. */
    static List<Path> list(String directory, String suffix) {
        try (Stream<Path> files = Files.list(resources().resolve(directory))) {
            return files.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] bytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The file name without its extension: {@code good/char.rnn} gives {@code char}. */
    static String baseName(Path file) {
        String name = file.getFileName().toString();
        int dot = name.indexOf('.');
        return dot < 0 ? name : name.substring(0, dot);
    }

    /**
     * A diagnostic as the corpus files write it: {@code line:col: severity: message}, or
     * {@code severity: message} for one about the whole file. The path is left out: the tests
     * check it separately, and the files stay valid wherever the checkout is.
     */
    /** Returns {@code line:col: severity: message}, and a {@code line:col: note: message} line per note. */
    static String line(Diagnostic d) {
        String where = d.position().map(p -> p.line() + ":" + p.column() + ": ").orElse("");
        StringBuilder out = new StringBuilder(where + d.severity().label() + ": " + d.message());
        for (Diagnostic.Note note : d.notes()) {
            out.append('\n').append(note.position().line()).append(':').append(note.position().column())
                    .append(": note: ").append(note.message());
        }
        return out.toString();
    }
}
