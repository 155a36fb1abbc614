package dev.unroll.dsl;

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
 * @param message what is wrong, in the language of the spec
 */
public record Diagnostic(Severity severity, String path, Optional<SourcePosition> position, String message) {

    public Diagnostic {
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(position, "position");
        Objects.requireNonNull(message, "message");
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
     * Returns the summary followed by the offending source line and a caret under the column.
     * Tabs in the source line are kept in the caret line so the caret lines up in a terminal.
     */
    public String format(SourceFile source) {
        StringBuilder out = new StringBuilder(summary());
        if (position.isEmpty() || source == null) {
            return out.toString();
        }
        String line = printable(source.line(position.get().line()));
        out.append('\n').append(line).append('\n');
        int column = position.get().column();
        int offset = 0;
        for (int cp = 1; cp < column && offset < line.length(); cp++) {
            int codePoint = line.codePointAt(offset);
            out.append(codePoint == '\t' ? '\t' : ' ');
            offset += Character.charCount(codePoint);
        }
        return out.append('^').toString();
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
