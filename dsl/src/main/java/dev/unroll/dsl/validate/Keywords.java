package dev.unroll.dsl.validate;

import java.util.List;
import java.util.Set;

/** The words that start statements in a model body. */
public final class Keywords {
    /** Cell types, which start layer statements. */
    static final List<String> CELLS = List.of("rnn", "lstm", "gru");

    /** Topology statements. */
    static final List<String> TOPOLOGIES = List.of("one_to_one", "one_to_many", "many_to_one", "many_to_many");

    /** Every statement keyword, in the order the language reference documents them. */
    static final List<String> STATEMENTS = List.of(
            "input", "rnn", "lstm", "gru", "output",
            "one_to_one", "one_to_many", "many_to_one", "many_to_many",
            "batch", "truncated_bptt", "loss", "optimizer", "schedule", "init", "seed", "clip", "precision");

    private static final Set<String> STATEMENT_SET = Set.copyOf(STATEMENTS);

    private Keywords() {}

    /** Returns true when {@code word} starts a statement. */
    public static boolean isStatementKeyword(String word) {
        return STATEMENT_SET.contains(word);
    }
}
