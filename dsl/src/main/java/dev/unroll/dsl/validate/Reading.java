package dev.unroll.dsl.validate;

import dev.unroll.dsl.Diagnostics;
import dev.unroll.dsl.SourcePosition;
import dev.unroll.dsl.ast.Argument;
import dev.unroll.dsl.ast.Statement;
import dev.unroll.dsl.model.StatementKind;
import dev.unroll.dsl.validate.StatementArgs.Option;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.DoublePredicate;

/**
 * One statement being read: what a statement reader needs (the statement, where to report, the
 * draft to fill) and the helpers every reader shares. It remembers how many errors there were
 * when the statement started, so a reader can tell whether the statement has reported one.
 */
final class Reading {
    private final StatementKind kind;
    private final Statement statement;
    private final Diagnostics diagnostics;
    private final ModelDraft draft;
    private final int errorsBefore;

    Reading(StatementKind kind, Statement statement, Diagnostics diagnostics, ModelDraft draft) {
        this.kind = kind;
        this.statement = statement;
        this.diagnostics = diagnostics;
        this.draft = draft;
        this.errorsBefore = diagnostics.errorCount();
    }

    Statement statement() {
        return statement;
    }

    /** Returns the statement's keyword as written. */
    String keyword() {
        return statement.keyword().text();
    }

    Diagnostics diagnostics() {
        return diagnostics;
    }

    ModelDraft draft() {
        return draft;
    }

    /**
     * Returns a reader of the statement's arguments that knows the option names of every variant
     * of the statement, so that one written where a required number belongs is read as the option.
     *
     * @param subject how messages name the statement, e.g. "lstm layer"
     */
    StatementArgs args(String subject) {
        StatementArgs args = new StatementArgs(statement, diagnostics, subject);
        args.knowOptions(OptionTable.names(kind));
        return args;
    }

    /** Returns the value read from this statement, with the statement and its options. */
    <T> Located<T> located(T value, Map<String, Option> options) {
        return new Located<>(value, statement, options);
    }

    /** True when the statement has reported no error so far. */
    boolean clean() {
        return diagnostics.errorCount() == errorsBefore;
    }

    /**
     * Reports that the statement lacks something, unless it already reported an error (a stray
     * number where 'steps 25' belonged explains the missing steps already).
     */
    void reportUnlessCaused(SourcePosition position, String message) {
        if (clean()) {
            diagnostics.error(position, message);
        }
    }

    /** Reads the number of an option that was written with one; empty when absent or invalid (reported). */
    OptionalDouble number(Option option, String name, DoublePredicate valid, String requirement) {
        if (option == null || option.value().isEmpty()) {
            return OptionalDouble.empty();
        }
        Argument.NumberLiteral literal = (Argument.NumberLiteral) option.value().get();
        return Numbers.real(literal, name, valid, requirement, diagnostics);
    }

    /** Reads the integer of an option in {@code [min, max]}; empty when absent or invalid (reported). */
    OptionalInt integer(Option option, String name, int min, int max) {
        if (option == null || option.value().isEmpty()) {
            return OptionalInt.empty(); // written without its number: reported already
        }
        Argument.NumberLiteral literal = (Argument.NumberLiteral) option.value().get();
        OptionalLong value = Numbers.integer(literal, name, min, max, diagnostics);
        return value.isPresent() ? OptionalInt.of((int) value.getAsLong()) : OptionalInt.empty();
    }
}
