package dev.unroll.dsl.ast;

import dev.unroll.dsl.SourcePosition;
import java.util.List;

/**
 * A dotted name such as {@code com.example.text}.
 *
 * @param position where the first part starts
 * @param parts the parts between the dots, each with its own position
 */
public record QualifiedName(SourcePosition position, List<Identifier> parts) implements Node {
    public QualifiedName {
        parts = List.copyOf(parts);
    }

    /** Returns the name with dots, e.g. {@code com.example.text}. */
    public String text() {
        return String.join(".", parts.stream().map(Identifier::text).toList());
    }
}
