package dev.unroll.maven;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the last generation produced: for each spec, its modification time then and the files it
 * produced, plus what the outputs depend on besides the specs (the generator's version and the two
 * directories). Stored as a small text file under {@code target/}:
 *
 * <pre>{@code
 * unroll-maven-plugin state 2
 * generator	0.1.0
 * sources	/home/me/app/src/main/rnn
 * outputs	/home/me/app/target/generated-sources/rnn
 * spec	1767225600000	text/char.rnn
 * out	com/example/text/CharLstm.java
 * warn	9	5	loss mse on a softmax output learns slowly	/home/me/app/src/main/rnn/text/char.rnn:9:5: warning: ...
 * }</pre>
 *
 * Spec paths are relative to the source directory and outputs to the output directory, both with
 * {@code /}; tabs, line breaks and backslashes in them are escaped. The warnings of a spec are kept
 * so that a build that finds it up to date still reports them (line and column 0 when a warning
 * has no position). A missing, unreadable or malformed file, or one of the earlier format 1, reads
 * as no state, which regenerates everything.
 */
final class BuildState {
    static final String HEADER = "unroll-maven-plugin state 2";

    /**
     * A warning of a spec, as the front end reported it when the spec was generated.
     *
     * @param line its line, or 0 when it has no position
     * @param column its column, or 0 when it has no position
     * @param message the message alone, for IDE markers
     * @param formatted the full text logged: summary, source line and caret
     */
    record Warning(int line, int column, String message, String formatted) {
        Warning {
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(formatted, "formatted");
        }
    }

    /**
     * One spec as last generated.
     *
     * @param lastModified the spec's modification time, in milliseconds, when it was generated
     * @param outputs the files it produced, relative to the output directory, sorted
     * @param warnings its warnings then, in the order reported
     */
    record SpecRecord(long lastModified, List<String> outputs, List<Warning> warnings) {
        SpecRecord {
            outputs = List.copyOf(new TreeSet<>(outputs));
            warnings = List.copyOf(warnings);
        }

        /** A spec that had no warnings. */
        SpecRecord(long lastModified, List<String> outputs) {
            this(lastModified, outputs, List.of());
        }
    }

    private final String generator;
    private final String sourceDirectory;
    private final String outputDirectory;
    private final SortedMap<String, SpecRecord> specs;

    BuildState(String generator, String sourceDirectory, String outputDirectory, Map<String, SpecRecord> specs) {
        this.generator = Objects.requireNonNull(generator, "generator");
        this.sourceDirectory = Objects.requireNonNull(sourceDirectory, "sourceDirectory");
        this.outputDirectory = Objects.requireNonNull(outputDirectory, "outputDirectory");
        this.specs = Collections.unmodifiableSortedMap(new TreeMap<>(specs));
    }

    String generator() {
        return generator;
    }

    String sourceDirectory() {
        return sourceDirectory;
    }

    String outputDirectory() {
        return outputDirectory;
    }

    /** Returns every spec, by path relative to the source directory, in path order. */
    SortedMap<String, SpecRecord> specs() {
        return specs;
    }

    /** Returns every output of every spec, sorted. */
    TreeSet<String> allOutputs() {
        TreeSet<String> outputs = new TreeSet<>();
        specs.values().forEach(record -> outputs.addAll(record.outputs()));
        return outputs;
    }

    /** Reads a state file; empty when it is missing, unreadable or not in this format. */
    static Optional<BuildState> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) { // missing, unreadable or not UTF-8
            return Optional.empty();
        }
        try {
            return Optional.of(parse(lines));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static BuildState parse(List<String> lines) {
        if (lines.size() < 4 || !lines.get(0).equals(HEADER)) {
            throw new IllegalArgumentException("not a state file");
        }
        String generator = field(lines.get(1), "generator");
        String sources = field(lines.get(2), "sources");
        String outputs = field(lines.get(3), "outputs");
        SortedMap<String, SpecRecord> specs = new TreeMap<>();
        String spec = null;
        long modified = 0;
        List<String> produced = new ArrayList<>();
        List<Warning> warnings = new ArrayList<>();
        for (String line : lines.subList(4, lines.size())) {
            if (line.startsWith("spec\t")) {
                if (spec != null) {
                    specs.put(spec, new SpecRecord(modified, produced, warnings));
                }
                String[] parts = line.split("\t", 3);
                if (parts.length != 3) {
                    throw new IllegalArgumentException("bad spec line");
                }
                try {
                    modified = Long.parseLong(parts[1]);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("bad time", e);
                }
                spec = unescape(parts[2]);
                produced = new ArrayList<>();
                warnings = new ArrayList<>();
            } else if (line.startsWith("out\t") && spec != null) {
                produced.add(unescape(line.substring(4)));
            } else if (line.startsWith("warn\t") && spec != null) {
                warnings.add(parseWarning(line));
            } else if (!line.isEmpty()) {
                throw new IllegalArgumentException("unexpected line");
            }
        }
        if (spec != null) {
            specs.put(spec, new SpecRecord(modified, produced, warnings));
        }
        return new BuildState(generator, sources, outputs, specs);
    }

    private static Warning parseWarning(String line) {
        String[] parts = line.split("\t", 5);
        if (parts.length != 5) {
            throw new IllegalArgumentException("bad warn line");
        }
        try {
            return new Warning(Integer.parseInt(parts[1]), Integer.parseInt(parts[2]), unescape(parts[3]),
                    unescape(parts[4]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad warning position", e);
        }
    }

    private static String field(String line, String name) {
        if (!line.startsWith(name + "\t")) {
            throw new IllegalArgumentException("expected " + name);
        }
        return unescape(line.substring(name.length() + 1));
    }

    /** Writes the state file, replacing the previous one in one move so a crash leaves one or the other. */
    void write(Path file) throws IOException {
        StringBuilder text = new StringBuilder(HEADER).append('\n');
        text.append("generator\t").append(escape(generator)).append('\n');
        text.append("sources\t").append(escape(sourceDirectory)).append('\n');
        text.append("outputs\t").append(escape(outputDirectory)).append('\n');
        specs.forEach((spec, record) -> {
            text.append("spec\t").append(record.lastModified()).append('\t').append(escape(spec)).append('\n');
            record.outputs().forEach(output -> text.append("out\t").append(escape(output)).append('\n'));
            record.warnings().forEach(warning -> text.append("warn\t").append(warning.line()).append('\t')
                    .append(warning.column()).append('\t').append(escape(warning.message())).append('\t')
                    .append(escape(warning.formatted())).append('\n'));
        });
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(temp, text, StandardCharsets.UTF_8);
        try {
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static String escape(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    static String unescape(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (++i == value.length()) {
                throw new IllegalArgumentException("dangling escape");
            }
            switch (value.charAt(i)) {
                case '\\' -> out.append('\\');
                case 't' -> out.append('\t');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                default -> throw new IllegalArgumentException("bad escape");
            }
        }
        return out.toString();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof BuildState that
                && generator.equals(that.generator)
                && sourceDirectory.equals(that.sourceDirectory)
                && outputDirectory.equals(that.outputDirectory)
                && specs.equals(that.specs);
    }

    @Override
    public int hashCode() {
        return Objects.hash(generator, sourceDirectory, outputDirectory, specs);
    }

    @Override
    public String toString() {
        return "BuildState[" + generator + ", " + sourceDirectory + " -> " + outputDirectory + ", " + specs + "]";
    }
}
