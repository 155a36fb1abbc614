package dev.unroll.dsl.validate;

import dev.unroll.dsl.model.StatementKind;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** The words that start statements in a model body, derived from {@link StatementKind}. */
public final class Keywords {
    /** Cell types, which start layer statements. */
    static final List<String> CELLS = StatementKind.LAYER.keywords();

    /** Topology statements. */
    static final List<String> TOPOLOGIES = StatementKind.TOPOLOGY.keywords();

    /** Every statement keyword, in the order the language reference documents them. */
    static final List<String> STATEMENTS = Arrays.stream(StatementKind.values())
            .flatMap(kind -> kind.keywords().stream()).toList();

    private static final Set<String> STATEMENT_SET = Set.copyOf(STATEMENTS);

    private Keywords() {}

    /** Returns true when {@code word} starts a statement. */
    public static boolean isStatementKeyword(String word) {
        return STATEMENT_SET.contains(word);
    }
}
