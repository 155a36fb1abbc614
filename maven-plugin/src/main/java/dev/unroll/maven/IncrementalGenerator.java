package dev.unroll.maven;

import dev.unroll.compiler.UnrollCompiler;
import dev.unroll.compiler.plan.KernelStyle;
import dev.unroll.dsl.CheckResult;
import dev.unroll.dsl.Diagnostic;
import dev.unroll.dsl.Severity;
import dev.unroll.dsl.SourcePosition;
import dev.unroll.maven.BuildState.SpecRecord;
import dev.unroll.maven.BuildState.Warning;
import dev.unroll.maven.Staleness.Plan;
import dev.unroll.maven.Staleness.Spec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Brings an output directory up to date with a source directory of specs, generating only the stale
 * ones through {@link UnrollCompiler#compile}. Knows nothing of Maven: the mojo scans, calls
 * {@link #run}, and reports what the {@link Report} says.
 *
 * <p>Stale specs are compiled into a fresh temporary directory, one sub-folder per spec, and their
 * files are moved into the output directory only when every spec compiled without error and no two
 * specs produce the same file. A failure therefore changes nothing in the output directory, and
 * leaves the build state as it was so that the next run tries the same specs again.
 *
 * <p>The warnings of each generated spec are recorded in the build state, and a run that finds a
 * spec up to date reports them again, so that every build shows every warning, not only the build
 * that generated the spec. With {@code warningsAreErrors}, a warning fails the run like an error.
 */
final class IncrementalGenerator {
    private final Path sourceDirectory;
    private final Path outputDirectory;
    private final Path stateFile;
    private final String generator;
    private final boolean warningsAreErrors;
    private final KernelStyle kernels;

    /**
     * @param sourceDirectory where the specs are
     * @param outputDirectory where the generated sources go
     * @param stateFile the build state; its folder also holds the temporary directory
     * @param generator the generator's version; a change regenerates everything
     * @param warningsAreErrors whether a warning fails the run, writing nothing
     * @param kernels how the matrix products are written; part of what the build state records of the generator,
     *     so that changing it regenerates everything
     */
    IncrementalGenerator(Path sourceDirectory, Path outputDirectory, Path stateFile, String generator,
            boolean warningsAreErrors, KernelStyle kernels) {
        this.sourceDirectory = sourceDirectory.toAbsolutePath().normalize();
        this.outputDirectory = outputDirectory.toAbsolutePath().normalize();
        this.stateFile = stateFile.toAbsolutePath().normalize();
        this.generator = kernels.isVector() ? generator + " vector " + kernels.vectorBits() : generator;
        this.warningsAreErrors = warningsAreErrors;
        this.kernels = kernels;
    }

    /** As {@link #IncrementalGenerator(Path, Path, Path, String, boolean, KernelStyle)}, plain kernels. */
    IncrementalGenerator(Path sourceDirectory, Path outputDirectory, Path stateFile, String generator,
            boolean warningsAreErrors) {
        this(sourceDirectory, outputDirectory, stateFile, generator, warningsAreErrors, KernelStyle.PLAIN);
    }

    /** As {@link #IncrementalGenerator(Path, Path, Path, String, boolean)}, warnings allowed. */
    IncrementalGenerator(Path sourceDirectory, Path outputDirectory, Path stateFile, String generator) {
        this(sourceDirectory, outputDirectory, stateFile, generator, false);
    }

    /**
     * One spec generated.
     *
     * @param spec relative to the source directory
     * @param outputs the files written, relative to the output directory
     */
    record Generated(String spec, List<String> outputs) {}

    /**
     * A diagnostic of a spec.
     *
     * @param diagnostic the diagnostic
     * @param file the spec
     * @param formatted its summary, then the source line and a caret under the column
     * @param replayed true for a warning of an up-to-date spec, recorded when it was generated
     */
    record Problem(Diagnostic diagnostic, Path file, String formatted, boolean replayed) {}

    /**
     * What a run did.
     *
     * @param plan which specs were stale, and why, and which were up to date
     * @param generated the specs generated, in path order; empty when the run failed
     * @param removed obsolete outputs deleted, relative to the output directory
     * @param problems every error and warning of the stale specs
     * @param problems every error and warning of the stale specs, then the recorded warnings of the
     *     up-to-date ones
     * @param conflicts outputs that two specs produce; the run then failed
     * @param warningsAreErrors whether warnings failed the run
     */
    record Report(Plan plan, List<Generated> generated, SortedSet<String> removed, List<Problem> problems,
            List<String> conflicts, boolean warningsAreErrors) {
        /** Returns the number of errors, conflicts included. */
        long errorCount() {
            return problems.stream().filter(p -> p.diagnostic().isError()).count() + conflicts.size();
        }

        /** Returns the number of warnings, replayed ones included. */
        long warningCount() {
            return problems.stream().filter(p -> !p.diagnostic().isError()).count();
        }

        /** Returns true when nothing was written because of an error, or of a warning made an error. */
        boolean failed() {
            return errorCount() > 0 || warningsAreErrors && warningCount() > 0;
        }
    }

    /** Returns the source directory, absolute. */
    Path sourceDirectory() {
        return sourceDirectory;
    }

    /** Returns the output directory, absolute. */
    Path outputDirectory() {
        return outputDirectory;
    }

    /** Returns true when a build state exists, that is when some run completed before. */
    boolean hasState() {
        return Files.isRegularFile(stateFile);
    }

    /**
     * Generates the stale specs among {@code specs}, removes obsolete outputs, and records the new
     * state. Does nothing to the output directory when a spec has an error.
     *
     * @param specs every spec that the source directory holds now
     * @throws IOException if a file cannot be read, written, moved or deleted
     */
    Report run(List<Spec> specs) throws IOException {
        Optional<BuildState> previous = BuildState.read(stateFile);
        String sources = sourceDirectory.toString();
        String outputs = outputDirectory.toString();
        Plan plan = Staleness.plan(previous, generator, sources, outputs, specs, this::outputTime);

        Path temp = plan.stale().isEmpty() ? null : createTempDirectory();
        try {
            Map<String, Path> folders = new LinkedHashMap<>();
            Map<String, List<String>> produced = new LinkedHashMap<>();
            Map<String, List<Warning>> warnings = new LinkedHashMap<>();
            List<Problem> problems = new ArrayList<>();
            for (String spec : plan.stale().keySet()) {
                Path folder = temp.resolve(Integer.toString(folders.size()));
                folders.put(spec, folder);
                UnrollCompiler.Result result = UnrollCompiler.compile(List.of(sourceDirectory.resolve(spec)), folder,
                        kernels);
                List<Problem> found = problems(result);
                problems.addAll(found);
                warnings.put(spec, found.stream().filter(p -> !p.diagnostic().isError())
                        .map(IncrementalGenerator::record).toList());
                produced.put(spec, result.written().stream().map(file -> slashes(folder.relativize(file))).toList());
            }
            for (String spec : plan.upToDate()) {
                SpecRecord record = previous.orElseThrow().specs().get(spec);
                for (Warning warning : record.warnings()) {
                    problems.add(replay(sourceDirectory.resolve(spec), warning));
                }
            }
            List<Generated> none = List.of();
            if (problems.stream().anyMatch(p -> p.diagnostic().isError())
                    || warningsAreErrors && !problems.isEmpty()) {
                return new Report(plan, none, new TreeSet<>(), problems, List.of(), warningsAreErrors);
            }
            BuildState next = Staleness.next(previous, generator, sources, outputs, specs, plan, produced, warnings);
            List<String> conflicts = Staleness.conflicts(next);
            if (!conflicts.isEmpty()) {
                return new Report(plan, none, new TreeSet<>(), problems, conflicts, warningsAreErrors);
            }

            List<Generated> generated = new ArrayList<>();
            for (Map.Entry<String, List<String>> entry : produced.entrySet()) {
                Path folder = folders.get(entry.getKey());
                for (String output : entry.getValue()) {
                    moveInto(folder.resolve(output), output);
                }
                generated.add(new Generated(entry.getKey(), entry.getValue()));
            }
            SortedSet<String> removed = new TreeSet<>();
            for (String output : Staleness.obsolete(previous, next)) {
                if (delete(output)) {
                    removed.add(output);
                }
            }
            if (previous.isEmpty() || !previous.get().equals(next)) {
                next.write(stateFile);
            }
            return new Report(plan, generated, removed, problems, List.of(), warningsAreErrors);
        } finally {
            if (temp != null) {
                deleteTree(temp);
            }
        }
    }

    private OptionalLong outputTime(String output) {
        try {
            return OptionalLong.of(Files.getLastModifiedTime(outputDirectory.resolve(output)).toMillis());
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    private Path createTempDirectory() throws IOException {
        Path parent = stateFile.getParent();
        Files.createDirectories(parent);
        return Files.createTempDirectory(parent, "generating-");
    }

    private static List<Problem> problems(UnrollCompiler.Result result) {
        List<Problem> problems = new ArrayList<>();
        for (Diagnostic diagnostic : result.diagnostics()) {
            CheckResult check = result.checks().stream()
                    .filter(c -> c.path().equals(diagnostic.path())).findFirst().orElse(null);
            String formatted = diagnostic.format(check == null ? null : check.source().orElse(null));
            problems.add(new Problem(diagnostic, Path.of(diagnostic.path()), formatted, false));
        }
        return problems;
    }

    /** Returns the warning as the build state keeps it. */
    private static Warning record(Problem warning) {
        SourcePosition position = warning.diagnostic().position().orElse(null);
        return new Warning(position == null ? 0 : position.line(), position == null ? 0 : position.column(),
                warning.diagnostic().message(), warning.formatted());
    }

    /** Returns a recorded warning of an up-to-date spec as it was first reported. */
    private static Problem replay(Path spec, Warning warning) {
        Optional<SourcePosition> position = warning.line() > 0 && warning.column() > 0
                ? Optional.of(new SourcePosition(warning.line(), warning.column()))
                : Optional.empty();
        Diagnostic diagnostic = new Diagnostic(Severity.WARNING, spec.toString(), position, warning.message());
        return new Problem(diagnostic, spec, warning.formatted(), true);
    }

    /** Moves a generated file over its output; each file is replaced whole, never seen half-written. */
    private void moveInto(Path generated, String output) throws IOException {
        Path target = resolveOutput(output);
        Files.createDirectories(target.getParent());
        try {
            Files.move(generated, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) { // another file system
            Files.move(generated, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Deletes an obsolete output and the package folders it leaves empty; false if it was already gone. */
    private boolean delete(String output) throws IOException {
        Path file = resolveOutput(output);
        boolean deleted = Files.deleteIfExists(file);
        for (Path dir = file.getParent(); !dir.equals(outputDirectory); dir = dir.getParent()) {
            try {
                Files.delete(dir);
            } catch (DirectoryNotEmptyException | NoSuchFileException e) {
                break;
            }
        }
        return deleted;
    }

    /** Resolves an output path from the state, refusing one that would leave the output directory. */
    private Path resolveOutput(String output) throws IOException {
        Path file = outputDirectory.resolve(output).normalize();
        if (!file.startsWith(outputDirectory) || file.equals(outputDirectory)) {
            throw new IOException("refusing to touch " + file + ": it is outside " + outputDirectory);
        }
        return file;
    }

    private static String slashes(Path relative) {
        return relative.toString().replace(relative.getFileSystem().getSeparator(), "/");
    }

    /** Deletes the temporary directory, best effort: a leftover under target/ harms nothing. */
    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException | UncheckedIOException e) {
            // keep the original outcome of the run
        }
    }
}
