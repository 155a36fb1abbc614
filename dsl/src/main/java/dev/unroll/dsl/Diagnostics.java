package dev.unroll.dsl;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Collects the diagnostics of one file. Problems are reported, never thrown, so that a single run
 * shows all of them. After {@link #MAX_ERRORS} errors the rest are dropped (a binary file would
 * otherwise produce one error per byte) and a final note says so.
 */
public final class Diagnostics {
    /** The most errors reported for one file. */
    public static final int MAX_ERRORS = 50;

    private final String path;
    private final List<Diagnostic> diagnostics = new ArrayList<>();
    private int errorCount;
    private boolean truncated;

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
        if (truncated) {
            return;
        }
        if (severity == Severity.ERROR && errorCount == MAX_ERRORS) {
            truncated = true;
            return;
        }
        if (severity == Severity.ERROR) {
            errorCount++;
        }
        diagnostics.add(new Diagnostic(severity, path, position, message));
    }

    /** Returns true when at least one error was reported. */
    public boolean hasErrors() {
        return errorCount > 0;
    }

    /** Returns the number of errors reported. */
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
        if (truncated) {
            sorted.add(new Diagnostic(Severity.ERROR, path, Optional.empty(),
                    "too many errors; stopped after " + MAX_ERRORS));
        }
        return List.copyOf(sorted);
    }
}
