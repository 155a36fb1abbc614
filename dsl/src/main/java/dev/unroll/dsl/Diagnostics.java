package dev.unroll.dsl;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Collects the diagnostics of one file. Problems are reported, never thrown, so that a single run
 * shows all of them. {@link #toList()} returns the first {@link #MAX_ERRORS} errors in the file
 * (by position, not by the order they were found in) and drops the rest (a binary file would
 * otherwise produce one error per byte), with a final note saying so; likewise for warnings
 * beyond {@link #MAX_WARNINGS}. Reporting the same diagnostic twice keeps one.
 */
public final class Diagnostics {
    /** The most errors reported for one file. */
    public static final int MAX_ERRORS = 50;
    /** The most warnings reported for one file (a generated spec may repeat one thousands of times). */
    public static final int MAX_WARNINGS = 50;
    /** The most diagnostics kept before sorting; beyond it, memory would grow with the input. */
    private static final int MAX_KEPT = 5_000;

    private final String path;
    private final List<Diagnostic> diagnostics = new ArrayList<>();
    private final Set<Diagnostic> seen = new HashSet<>();
    private int errorCount;
    private boolean overflow;

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
        if (diagnostics.size() >= MAX_KEPT) {
            overflow = true;
            if (severity == Severity.ERROR) {
                errorCount++; // counted even when dropped, so that callers comparing counts see new errors
            }
            return;
        }
        if (!seen.add(diagnostic)) {
            return; // the same problem reached by two routes is still one problem
        }
        if (severity == Severity.ERROR) {
            errorCount++;
        }
        diagnostics.add(diagnostic);
    }

    /** Returns true when at least one error was reported. */
    public boolean hasErrors() {
        return errorCount > 0;
    }

    /** Returns the number of errors reported, including those {@link #toList()} leaves out. */
    public int errorCount() {
        return errorCount;
    }

    /**
     * Returns the diagnostics ordered by position (file-level ones first), stable for equal
     * positions: the first {@link #MAX_ERRORS} errors and {@link #MAX_WARNINGS} warnings, followed
     * by a "too many" note for each kind that had more.
     */
    public List<Diagnostic> toList() {
        List<Diagnostic> sorted = new ArrayList<>(diagnostics);
        sorted.sort(Comparator.comparing(
                (Diagnostic d) -> d.position().orElse(null),
                Comparator.nullsFirst(Comparator.naturalOrder())));
        List<Diagnostic> shown = new ArrayList<>();
        int errors = 0;
        int warnings = 0;
        boolean tooManyErrors = overflow && errorCount > MAX_ERRORS;
        boolean tooManyWarnings = false;
        for (Diagnostic d : sorted) {
            if (d.isError() && ++errors > MAX_ERRORS) {
                tooManyErrors = true;
                break; // nothing after the last error shown: it would be out of context
            }
            if (!d.isError() && ++warnings > MAX_WARNINGS) {
                tooManyWarnings = true;
                continue;
            }
            shown.add(d);
        }
        if (tooManyWarnings && !tooManyErrors) {
            shown.add(new Diagnostic(Severity.WARNING, path, Optional.empty(),
                    "too many warnings; stopped after " + MAX_WARNINGS));
        }
        if (tooManyErrors) {
            shown.add(new Diagnostic(Severity.ERROR, path, Optional.empty(),
                    "too many errors; stopped after " + MAX_ERRORS));
        }
        return List.copyOf(shown);
    }
}
