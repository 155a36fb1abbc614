package dev.unroll.dsl;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Collects the diagnostics of one file. Problems are reported, never thrown, so that a single run
 * shows all of them. {@link #toList()} returns the first {@link #MAX_ERRORS} errors in the file
 * (by position, not by the order they were found in) and drops the rest (a binary file would
 * otherwise produce one error per byte), with a final note saying so; likewise for warnings
 * beyond {@link #MAX_WARNINGS}. Reporting the same diagnostic twice keeps one.
 *
 * <p>Only what can still be shown is kept: the first {@link #MAX_ERRORS} errors and
 * {@link #MAX_WARNINGS} warnings by position seen so far, so that a file with millions of
 * problems costs no memory per problem (the others are counted, not stored).
 */
public final class Diagnostics {
    /** The most errors reported for one file. */
    public static final int MAX_ERRORS = 50;
    /** The most warnings reported for one file (a generated spec may repeat one thousands of times). */
    public static final int MAX_WARNINGS = 50;

    /** File-level diagnostics first, then by position, then in the order reported. */
    private static final Comparator<Kept> ORDER = Comparator
            .comparing((Kept k) -> k.diagnostic().position().orElse(null),
                    Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparingLong(Kept::sequence);

    /** A diagnostic and when it was reported, which orders diagnostics at the same position. */
    private record Kept(Diagnostic diagnostic, long sequence) {}

    private final String path;
    private final TreeSet<Kept> errors = new TreeSet<>(ORDER);
    private final TreeSet<Kept> warnings = new TreeSet<>(ORDER);
    /** The diagnostics kept, for recognizing one reported again. */
    private final Set<Diagnostic> kept = new HashSet<>();
    private long sequence;
    private int errorCount;
    private int warningCount;

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

    /** Reports a warning about the file as a whole. */
    public void fileWarning(String message) {
        add(Severity.WARNING, Optional.empty(), message);
    }

    /** Reports a warning at a position. */
    public void warning(SourcePosition position, String message) {
        add(Severity.WARNING, Optional.of(position), message);
    }

    /** Reports an error at a position, with notes pointing at related places. */
    public void error(SourcePosition position, String message, List<Diagnostic.Note> notes) {
        add(new Diagnostic(Severity.ERROR, path, Optional.of(position), message, notes));
    }

    /** Reports a warning at a position, with notes pointing at related places. */
    public void warning(SourcePosition position, String message, List<Diagnostic.Note> notes) {
        add(new Diagnostic(Severity.WARNING, path, Optional.of(position), message, notes));
    }

    private void add(Severity severity, Optional<SourcePosition> position, String message) {
        add(new Diagnostic(severity, path, position, message));
    }

    /** Reports a diagnostic built by the caller (one with notes, for instance). */
    public void add(Diagnostic diagnostic) {
        if (kept.contains(diagnostic)) {
            return; // the same problem reached by two routes is still one problem
        }
        boolean error = diagnostic.isError();
        TreeSet<Kept> set = error ? errors : warnings;
        int limit = error ? MAX_ERRORS : MAX_WARNINGS;
        if (error) {
            errorCount++; // counted even when dropped, so that callers comparing counts see new errors
        } else {
            warningCount++;
        }
        Kept entry = new Kept(diagnostic, sequence++);
        if (set.size() == limit) {
            if (ORDER.compare(entry, set.last()) > 0) {
                return; // after every one kept: it would never be shown
            }
            kept.remove(set.pollLast().diagnostic());
        }
        set.add(entry);
        kept.add(diagnostic);
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
     * by a "too many" note for each kind that had more. When errors were dropped, so are the
     * warnings after the last error shown: they would be out of context.
     */
    public List<Diagnostic> toList() {
        boolean tooManyErrors = errorCount > MAX_ERRORS;
        boolean tooManyWarnings = warningCount > MAX_WARNINGS;
        TreeSet<Kept> all = new TreeSet<>(ORDER);
        all.addAll(errors);
        all.addAll(warnings);
        Kept lastError = errors.isEmpty() ? null : errors.last();
        List<Diagnostic> shown = new ArrayList<>();
        for (Kept k : all) {
            if (tooManyErrors && ORDER.compare(k, lastError) > 0) {
                break;
            }
            shown.add(k.diagnostic());
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
