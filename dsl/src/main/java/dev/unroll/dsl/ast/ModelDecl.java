package dev.unroll.dsl.ast;

import dev.unroll.dsl.SourcePosition;
import java.util.List;
import java.util.Optional;

/**
 * {@code model Name { statements }}, with the doc comment written just before it.
 *
 * @param position where the {@code model} keyword starts
 * @param name the model name
 * @param doc the text of the doc comment, stripped of comment markers, if there is one
 * @param statements the statements, in source order
 * @param complete false when syntax errors made the parser set aside part of the body; the
 *     validator then does not report statements as missing, since they may be in that part
 */
public record ModelDecl(SourcePosition position, Identifier name, Optional<String> doc, List<Statement> statements,
        boolean complete) implements Node {
    public ModelDecl {
        statements = List.copyOf(statements);
    }
}
