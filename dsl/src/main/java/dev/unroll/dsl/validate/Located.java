package dev.unroll.dsl.validate;

import dev.unroll.dsl.SourcePosition;
import dev.unroll.dsl.ast.Statement;
import dev.unroll.dsl.validate.StatementArgs.Option;
import java.util.Map;
import java.util.Optional;

/**
 * A value read from a statement, with the statement and its options, so that the rules between
 * statements can point at the word they are about and the model can record where it was written.
 *
 * @param value what the statement means
 * @param statement the statement
 * @param options the options it was written with, by name (empty for statements without options)
 */
record Located<T>(T value, Statement statement, Map<String, Option> options) {

    Located {
        options = Map.copyOf(options);
    }

    /** Returns where the statement's keyword is. */
    SourcePosition position() {
        return statement.position();
    }

    /** Returns the option {@code name} as written, if it was. */
    Optional<Option> option(String name) {
        return Optional.ofNullable(options.get(name));
    }
}
