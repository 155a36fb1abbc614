package dev.unroll.dsl;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One problem found in a spec, in the form compilers print:
 *
 * <pre>{@code
 * models/char.rnn:4:5: error: unknown cell type 'lstn'; did you mean 'lstm'?
 *     lstn 128;
 *     ^
 * }</pre>
 *
 * @param severity error or warning
 * @param path the file, as the user named it
 * @param position where in the file, or empty for problems with the file as a whole (unreadable)
 * <p>A diagnostic about how two statements relate may carry notes pointing at the other
 * statement, printed after it in the same form:
 *
 * <pre>{@code
 * models/char.rnn:9:10: error: loss cross_entropy needs a softmax output, but the output is linear
 *     loss cross_entropy;
 *          ^
 * models/char.rnn:5:5: note: output declared here
 *     output 65;
 *     ^
 * }</pre>
 *
 * @param message what is wrong, in the language of the spec
 * @param notes related places in the same file, in the order they are printed
 */
public record Diagnostic(Severity severity, String path, Optional<SourcePosition> position, String message,
        List<Note> notes) {

    /**
     * A related place, such as the statement that a rule between statements compares with.
     *
     * @param position where in the file
     * @param message what is there, e.g. "output declared here"
     */
    public record Note(SourcePosition position, String message) {
        public Note {
            Objects.requireNonNull(position, "position");
            Objects.requireNonNull(message, "message");
        }
    }

    public Diagnostic {
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(position, "position");
        Objects.requireNonNull(message, "message");
        notes = List.copyOf(notes);
    }

    /** Creates a diagnostic without notes. */
    public Diagnostic(Severity severity, String path, Optional<SourcePosition> position, String message) {
        this(severity, path, position, message, List.of());
    }

    /** Returns true for errors. */
    public boolean isError() {
        return severity == Severity.ERROR;
    }

    /** Returns the one-line summary {@code path:line:col: severity: message}. */
    public String summary() {
        String where = position.map(p -> path + ":" + p.line() + ":" + p.column()).orElse(path);
        return where + ": " + severity.label() + ": " + message;
    }

    /**
     * Returns the summary followed by the offending source line and a caret under the column,
     * then each note in the same form ({@code path:line:col: note: message}, line, caret).
     * Tabs in the source line are kept in the caret line so the caret lines up in a terminal.
     */
    public String format(SourceFile source) {
        StringBuilder out = new StringBuilder(summary());
        if (position.isEmpty() || source == null) {
            return out.toString();
        }
        appendSourceLine(out, source, position.get());
        for (Note note : notes) {
            out.append('\n').append(path).append(':').append(note.position().line()).append(':')
                    .append(note.position().column()).append(": note: ").append(note.message());
            appendSourceLine(out, source, note.position());
        }
        return out.toString();
    }

    private static void appendSourceLine(StringBuilder out, SourceFile source, SourcePosition at) {
        String line = printable(source.line(at.line()));
        out.append('\n').append(line).append('\n');
        int offset = 0;
        for (int cp = 1; cp < at.column() && offset < line.length(); cp++) {
            int codePoint = line.codePointAt(offset);
            out.append(codePoint == '\t' ? '\t' : ' ');
            offset += Character.charCount(codePoint);
        }
        out.append('^');
    }

    /** Replaces control characters so that binary input cannot garble a terminal. */
    private static String printable(String line) {
        StringBuilder sb = new StringBuilder(line.length());
        line.codePoints().forEach(cp -> {
            if (cp == '\t' || (cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp < 0xa0))) {
                sb.appendCodePoint(cp);
            } else {
                sb.append('?');
            }
        });
        return sb.toString();
    }

    @Override
    public String toString() {
        return summary();
    }
}
