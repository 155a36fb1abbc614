package dev.unroll.dsl.ast;

import dev.unroll.dsl.SourcePosition;
import java.util.List;

/**
 * One statement of a model: a keyword, its arguments, and a closing {@code ;}.
 * For example {@code optimizer adam learning_rate 0.001;} has keyword {@code optimizer} and
 * three arguments.
 *
 * @param position where the keyword starts
 * @param keyword the first word
 * @param arguments the words, numbers and strings after it
 */
public record Statement(SourcePosition position, Identifier keyword, List<Argument> arguments) implements Node {
    public Statement {
        arguments = List.copyOf(arguments);
    }
}
