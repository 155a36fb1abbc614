package dev.unroll.dsl.parse;

import java.util.ArrayList;
import java.util.List;

/** Turns the text of a doc comment into plain paragraphs, as javadoc does. */
final class DocComments {
    private DocComments() {}

    /**
     * Removes {@code /**}, the closing marker, and the leading {@code *} of each line; trims
     * trailing spaces and blank lines at either end.
     */
    static String strip(String comment) {
        String body = comment.substring(3, comment.length() - 2);
        List<String> lines = new ArrayList<>();
        for (String line : body.split("\n", -1)) {
            String trimmed = line.strip();
            if (trimmed.startsWith("*")) {
                trimmed = trimmed.substring(1);
                if (trimmed.startsWith(" ")) {
                    trimmed = trimmed.substring(1);
                }
            }
            lines.add(trimmed.stripTrailing());
        }
        while (!lines.isEmpty() && lines.get(0).isEmpty()) {
            lines.remove(0);
        }
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        return String.join("\n", lines);
    }
}
