package dev.unroll.dsl.validate;

import dev.unroll.dsl.Diagnostic;
import dev.unroll.dsl.SourcePosition;
import dev.unroll.dsl.ast.Argument;
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

    /** Returns where the argument at {@code index} starts, or the keyword when there is none. */
    SourcePosition argument(int index) {
        return index < statement.arguments().size() ? statement.arguments().get(index).position() : position();
    }

    /** Returns where the word {@code word} is first written among the arguments, or the keyword. */
    SourcePosition word(String word) {
        for (Argument argument : statement.arguments()) {
            if (argument instanceof Argument.Word w && w.text().equals(word)) {
                return w.position();
            }
        }
        return position();
    }

    /** Returns a note at the keyword: "{@code keyword} declared here". */
    Diagnostic.Note declaredHere() {
        return new Diagnostic.Note(position(), statement.keyword().text() + " declared here");
    }

    /** Returns the option {@code name} as written, if it was. */
    Optional<Option> option(String name) {
        return Optional.ofNullable(options.get(name));
    }
}
