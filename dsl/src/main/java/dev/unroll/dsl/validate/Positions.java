package dev.unroll.dsl.validate;

import dev.unroll.dsl.SourcePosition;
import dev.unroll.dsl.ast.Argument;
import dev.unroll.dsl.ast.Statement;
import dev.unroll.dsl.model.StatementPositions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Records where a valid statement wrote each of its words, for {@link dev.unroll.dsl.model.ModelPositions}. */
final class Positions {
    private Positions() {}

    /** Returns the positions of a statement that passed validation. */
    static StatementPositions of(Located<?> located) {
        Statement statement = located.statement();
        Map<String, SourcePosition> words = new HashMap<>();
        List<SourcePosition> arguments = new ArrayList<>();
        for (Argument argument : statement.arguments()) {
            arguments.add(argument.position());
            if (argument instanceof Argument.Word word) {
                words.putIfAbsent(word.text(), word.position());
            }
        }
        Map<String, SourcePosition> values = new HashMap<>();
        located.options().forEach((name, option) -> option.value().ifPresent(v -> values.put(name, v.position())));
        return new StatementPositions(statement.keyword().position(), words, values, arguments);
    }
}
