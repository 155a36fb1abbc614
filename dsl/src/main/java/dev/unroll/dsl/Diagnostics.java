package dev.unroll.dsl;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Collects the diagnostics of one file. Problems are reported, never thrown, so that a single run
 * shows all of them. After {@link #MAX_ERRORS} errors the rest are dropped (a binary file would
 * otherwise produce one error per byte) and a final note says so; likewise after
 * {@link #MAX_WARNINGS} warnings. Reporting the same diagnostic twice keeps one.
 */
public final class Diagnostics {
    /** The most errors reported for one file. */
    public static final int MAX_ERRORS = 50;
    /** The most warnings reported for one file (a generated spec may repeat one thousands of times). */
    public static final int MAX_WARNINGS = 50;

    private final String path;
    private final List<Diagnostic> diagnostics = new ArrayList<>();
    private final Set<Diagnostic> seen = new HashSet<>();
    private int errorCount;
    private int warningCount;
    private boolean truncated;
    private boolean warningsTruncated;

    /** Creates an empty collector for the file reported as {@code path}. */
    public Diagnostics(String path) {
        this.path = path;
    }

    /** Reports an error at a position. */
    public void error(SourcePosition position, String message) {
        add(Severity.ERROR, Optional.of(position), message);
    }

    /** Reports an error about the file as a whole. */
    public void fileError(String message) {
        add(Severity.ERROR, Optional.empty(), message);
    }

    /** Reports a warning at a position. */
    public void warning(SourcePosition position, String message) {
        add(Severity.WARNING, Optional.of(position), message);
    }

    private void add(Severity severity, Optional<SourcePosition> position, String message) {
        Diagnostic diagnostic = new Diagnostic(severity, path, position, message);
        if (!seen.add(diagnostic)) {
            return; // the same problem reached by two routes is still one problem
        }
        if (severity == Severity.ERROR) {
            // Counted even when dropped, so that callers comparing counts still see new errors.
            errorCount++;
        }
        if (truncated || severity == Severity.ERROR && errorCount > MAX_ERRORS) {
            truncated = true;
            seen.remove(diagnostic); // keeps the set bounded when a file yields millions of errors
            return;
        }
        if (severity == Severity.WARNING && ++warningCount > MAX_WARNINGS) {
            warningsTruncated = true;
            seen.remove(diagnostic);
            return;
        }
        diagnostics.add(diagnostic);
    }

    /** Returns true when at least one error was reported. */
    public boolean hasErrors() {
        return errorCount > 0;
    }

    /** Returns the number of errors reported, including those dropped after {@link #MAX_ERRORS}. */
    public int errorCount() {
        return errorCount;
    }

    /**
     * Returns every diagnostic ordered by position (file-level ones first), stable for equal
     * positions, with a closing "too many errors" error when some were dropped.
     */
    public List<Diagnostic> toList() {
        List<Diagnostic> sorted = new ArrayList<>(diagnostics);
        sorted.sort(Comparator.comparing(
                (Diagnostic d) -> d.position().orElse(null),
                Comparator.nullsFirst(Comparator.naturalOrder())));
        if (warningsTruncated && !truncated) {
            sorted.add(new Diagnostic(Severity.WARNING, path, Optional.empty(),
                    "too many warnings; stopped after " + MAX_WARNINGS));
        }
        if (truncated) {
            sorted.add(new Diagnostic(Severity.ERROR, path, Optional.empty(),
                    "too many errors; stopped after " + MAX_ERRORS));
        }
        return List.copyOf(sorted);
    }
}
