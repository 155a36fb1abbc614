package dev.unroll.dsl.validate;

import dev.unroll.dsl.Diagnostics;
import dev.unroll.dsl.SourcePosition;
import dev.unroll.dsl.ast.Argument;
import dev.unroll.dsl.ast.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Reads the arguments of one statement: first its positional arguments, in order, then named
 * options ({@link OptionDecl}). Every problem is reported at the argument it concerns; a reader
 * never throws.
 */
final class StatementArgs {

    /** An option as written: its name and, for numbers and choices, its value. */
    record Option(Argument.Word name, Optional<Argument> value) {
        SourcePosition position() {
            return value.map(Argument::position).orElse(name.position());
        }
    }

    private final Statement statement;
    private final Diagnostics diagnostics;
    private final String subject;
    /** Option names of this kind of statement: a missing number is not to be confused with them. */
    private final Set<String> optionNames = new java.util.HashSet<>();
    private int next;
    /** The last word read from a fixed set ('softmax'), and that set, for "'softmax' and 'sigmoid' exclude each other". */
    private Argument.Word chosen;
    private List<String> chosenFrom = List.of();

    /**
     * @param subject how messages name the statement, e.g. "lstm layer" or "optimizer"
     */
    StatementArgs(Statement statement, Diagnostics diagnostics, String subject) {
        this.statement = statement;
        this.diagnostics = diagnostics;
        this.subject = subject;
    }

    Statement statement() {
        return statement;
    }

    /**
     * Declares words that are options of this statement, so that one written where a required
     * number belongs ("lstm dropout 0.2;") is left to be read as the option it is.
     */
    void knowOptions(java.util.Collection<String> names) {
        optionNames.addAll(names);
    }

    private void choose(Argument.Word word, List<String> choices) {
        chosen = word;
        chosenFrom = choices;
    }

    /** Where a missing argument is reported: just after the last thing written. */
    private SourcePosition afterLast() {
        List<Argument> args = statement.arguments();
        if (args.isEmpty()) {
            return statement.keyword().position();
        }
        return args.get(args.size() - 1).position();
    }

    private Optional<Argument> peek() {
        return next < statement.arguments().size() ? Optional.of(statement.arguments().get(next)) : Optional.empty();
    }

    /**
     * Reads a required positional integer in {@code [min, max]}.
     *
     * @param meaning what the number is, e.g. "hidden size"
     * @param example a statement showing the argument, for the message when it is missing
     */
    Optional<Integer> requiredInt(String meaning, int min, int max, String example) {
        return requiredInt(meaning, meaning, min, max, example);
    }

    /**
     * Reads a required positional integer in {@code [min, max]}.
     *
     * @param meaning what the number is, for the message when it is missing: "input needs a size"
     * @param rangeName what the number is, for the message when it is out of range: "input size
     *     must be a positive integer"
     * @param example a statement showing the argument, for the message when it is missing
     */
    Optional<Integer> requiredInt(String meaning, String rangeName, int min, int max, String example) {
        Optional<Argument> arg = peek();
        if (arg.isEmpty() || !(arg.get() instanceof Argument.NumberLiteral number)) {
            missing(arg, meaning, example);
            return Optional.empty();
        }
        next++;
        OptionalLong value = Numbers.integer(number, rangeName, min, max, diagnostics);
        return value.isPresent() ? Optional.of((int) value.getAsLong()) : Optional.empty();
    }

    /**
     * Reads a required positional number that satisfies {@code valid}; otherwise reports
     * "{@code rangeName} {@code requirement}, got ...".
     */
    OptionalDouble requiredNumber(String meaning, String example, String rangeName,
            java.util.function.DoublePredicate valid, String requirement) {
        Optional<Argument> arg = peek();
        if (arg.isEmpty() || !(arg.get() instanceof Argument.NumberLiteral number)) {
            missing(arg, meaning, example);
            return OptionalDouble.empty();
        }
        next++;
        return Numbers.real(number, rangeName, valid, requirement, diagnostics);
    }

    /**
     * Reports a missing positional argument, at the argument of the wrong kind written in its
     * place (which is then consumed, so that it is not reported a second time as unexpected) or
     * just after the statement's last argument.
     */
    private void missing(Optional<Argument> arg, String meaning, String example) {
        SourcePosition at = arg.map(Argument::position).orElse(afterLast());
        boolean option = arg.isPresent() && arg.get() instanceof Argument.Word word && optionNames.contains(word.text());
        diagnostics.error(at, subject + " needs " + Texts.article(meaning) + " " + meaning + ", e.g. '" + example + "'"
                + (option ? "" : notANumber(arg)));
        if (arg.isPresent() && !(arg.get() instanceof Argument.Word word && optionNames.contains(word.text()))) {
            next++;
        }
    }

    /**
     * Reads a required positional word from {@code choices}.
     *
     * @param meaning what the word is, e.g. "loss"
     * @return the chosen word, or empty (reported) when missing or unknown
     */
    Optional<String> requiredChoice(String meaning, List<String> choices) {
        Optional<Argument> arg = peek();
        if (arg.isEmpty() || !(arg.get() instanceof Argument.Word word)) {
            SourcePosition at = arg.map(Argument::position).orElse(afterLast());
            if (arg.isPresent() && arg.get() instanceof Argument.StringLiteral string
                    && choices.contains(string.value())) {
                diagnostics.error(at, "write " + string.value() + " without quotes");
            } else {
                String needs = subject.equals(meaning) ? "one of " : Texts.article(meaning) + " " + meaning + ": ";
                diagnostics.error(at, subject + " needs " + needs + Suggestions.oneOf(choices));
            }
            if (arg.isPresent()) {
                next++;
            }
            return Optional.empty();
        }
        if (!choices.contains(word.text()) && optionNames.contains(word.text())) {
            // "init recurrent xavier": the choice is missing, the option is fine and read later.
            String before = " before '" + word.text() + "'";
            diagnostics.error(word.position(), subject + " needs " + (subject.equals(meaning)
                    ? "one of " + Suggestions.oneOf(choices) + before
                    : Texts.article(meaning) + " " + meaning + before + ": " + Suggestions.oneOf(choices)));
            return Optional.empty();
        }
        next++;
        if (!choices.contains(word.text())) {
            diagnostics.error(word.position(), "unknown " + meaning + " '" + Texts.shown(word.text()) + "'"
                    + Suggestions.hint(word.text(), choices));
            return Optional.empty();
        }
        choose(word, choices);
        return Optional.of(word.text());
    }

    /**
     * Reads an optional positional word. A word from {@code choices} is taken; a word that is not
     * a known option name either is reported as an unknown {@code meaning}; anything else is left
     * for {@link #options}.
     */
    Optional<String> optionalChoice(String meaning, List<String> choices, Set<String> optionNames) {
        Optional<Argument> arg = peek();
        if (arg.isPresent() && arg.get() instanceof Argument.StringLiteral string && choices.contains(string.value())) {
            next++;
            diagnostics.error(string.position(), "write " + string.value() + " without quotes");
            return Optional.empty();
        }
        if (arg.isEmpty() || !(arg.get() instanceof Argument.Word word)) {
            return Optional.empty();
        }
        if (choices.contains(word.text())) {
            next++;
            choose(word, choices);
            return Optional.of(word.text());
        }
        if (OptionTable.appliesTo(word.text()).isPresent() && !optionNames.contains(word.text())) {
            return Optional.empty(); // an option of another statement: reported as such where options are read
        }
        if (optionNames.contains(word.text()) || Suggestions.closest(word.text(), optionNames).isPresent()
                && Suggestions.closest(word.text(), choices).isEmpty()) {
            return Optional.empty();
        }
        next++;
        diagnostics.error(word.position(), "unknown " + meaning + " '" + Texts.shown(word.text()) + "'"
                + Suggestions.hint(word.text(), choices));
        return Optional.empty();
    }

    /**
     * Reads the next argument when it is the word {@code word} (a flag that only one form of the
     * statement takes, read before {@link #noMoreArguments}), and returns it.
     */
    Optional<Argument.Word> takeWord(String word) {
        Optional<Argument> arg = peek();
        if (arg.isPresent() && arg.get() instanceof Argument.Word w && w.text().equals(word)) {
            next++;
            return Optional.of(w);
        }
        return Optional.empty();
    }

    /**
     * Reads the remaining arguments as options.
     *
     * @param allowed the options this statement takes
     * @param elsewhere options that exist for related statements but not this one, mapped to
     *     where they do apply, for a message better than "unknown"
     * @return the options given, by name, in source order
     */
    Map<String, Option> options(List<OptionDecl> allowed, Map<String, String> elsewhere) {
        Map<String, OptionDecl> byName = new LinkedHashMap<>();
        for (OptionDecl decl : allowed) {
            byName.put(decl.name(), decl);
        }
        Map<String, Option> given = new LinkedHashMap<>();
        List<Argument> args = statement.arguments();
        while (next < args.size()) {
            Argument arg = args.get(next++);
            if (!(arg instanceof Argument.Word word)) {
                String what = describe(arg);
                String hint = allowed.isEmpty() ? "" : "; a value follows an option name, e.g. '"
                        + example(allowed) + "'";
                diagnostics.error(arg.position(), "unexpected " + what + " in " + subject + hint);
                continue;
            }
            OptionDecl decl = byName.get(word.text());
            if (decl == null) {
                reportUnknownOption(word, byName.keySet(), elsewhere);
                skipValue(word, allowed);
                continue;
            }
            Optional<Argument> value = Optional.empty();
            switch (decl.kind()) {
                case FLAG -> { }
                case NUMBER -> {
                    Optional<Argument> candidate = peek();
                    if (candidate.isPresent() && candidate.get() instanceof Argument.NumberLiteral) {
                        value = candidate;
                        next++;
                    } else {
                        boolean nextIsOption = candidate.isPresent() && candidate.get() instanceof Argument.Word w
                                && (byName.containsKey(w.text()) || elsewhere.containsKey(w.text())
                                        || OptionTable.appliesTo(w.text()).isPresent());
                        diagnostics.error(candidate.map(Argument::position).orElse(word.position()),
                                "option '" + word.text() + "' needs a number, e.g. '" + word.text() + " "
                                        + decl.sample() + "'" + (nextIsOption ? "" : notANumber(candidate)));
                        if (candidate.isPresent() && !nextIsOption) {
                            next++; // a quoted value or a word meant as this option's: not to be reported again
                        }
                        // Kept, without a value, so that the statement does not also report it missing.
                        given.putIfAbsent(word.text(), new Option(word, Optional.empty()));
                        continue;
                    }
                }
                case CHOICE -> {
                    Optional<Argument> candidate = peek();
                    if (candidate.isPresent() && candidate.get() instanceof Argument.Word choice
                            && !byName.containsKey(choice.text()) && !elsewhere.containsKey(choice.text())) {
                        next++;
                        if (!decl.choices().contains(choice.text())) {
                            diagnostics.error(choice.position(), "unknown value '" + Texts.shown(choice.text())
                                    + "' for option '"
                                    + word.text() + "'" + Suggestions.hint(choice.text(), decl.choices()));
                            continue;
                        }
                        value = candidate;
                    }
                }
            }
            Option previous = given.get(word.text());
            if (previous != null) {
                diagnostics.error(word.position(), "option '" + word.text() + "' is given twice in " + subject
                        + "; the first is at " + previous.name().position());
                continue;
            }
            given.put(word.text(), new Option(word, value));
        }
        return given;
    }

    /**
     * Says what was written where a number belongs: "; 'big' is a word, not a number",
     * "; write 10 without quotes". Empty when nothing was written.
     */
    private static String notANumber(Optional<Argument> arg) {
        if (arg.isEmpty() || arg.get() instanceof Argument.NumberLiteral) {
            return "";
        }
        if (arg.get() instanceof Argument.StringLiteral string) {
            return string.value().matches("-?[0-9]+(\\.[0-9]+)?([eE][+-]?[0-9]+)?")
                    ? "; write " + string.value() + " without quotes" : "; a string is not a number";
        }
        return "; '" + Texts.shown(arg.get().text()) + "' is a word, not a number";
    }

    /** Reads the remaining arguments without reporting them: they belong to a problem already reported. */
    void skipRest() {
        next = statement.arguments().size();
    }

    /** Reports arguments left over by a statement that takes no options. */
    void noMoreArguments() {
        List<Argument> args = statement.arguments();
        if (next < args.size()) {
            Argument extra = args.get(next);
            if (!(extra instanceof Argument.Word word && (conflictsWithChoice(word) || appliesElsewhere(word)))) {
                diagnostics.error(extra.position(), "unexpected " + describe(extra) + " in " + subject);
            }
            next = args.size();
        }
    }

    /**
     * Reports a word of the same set as a word already chosen ({@code output 10 softmax sigmoid}),
     * naming the one given first; returns false when the word is of no such set.
     */
    private boolean conflictsWithChoice(Argument.Word word) {
        if (chosen == null || !chosenFrom.contains(word.text())) {
            return false;
        }
        diagnostics.error(word.position(), "'" + chosen.text() + "' and '" + word.text() + "' exclude each other");
        return true;
    }

    /**
     * Reports an option of another statement written here ({@code input 10 bidirectional}),
     * saying where it applies; returns false when the word is no option of any statement.
     */
    private boolean appliesElsewhere(Argument.Word word) {
        Optional<String> where = OptionTable.appliesTo(word.text());
        where.ifPresent(w -> diagnostics.error(word.position(), "option '" + word.text() + "' does not apply to "
                + subject + " (only to " + w + ")"));
        return where.isPresent();
    }

    private void reportUnknownOption(Argument.Word word, Set<String> allowed, Map<String, String> elsewhere) {
        String where = elsewhere.get(word.text());
        if (where != null) {
            diagnostics.error(word.position(), "option '" + word.text() + "' does not apply to " + subject
                    + " (only to " + where + ")");
            return;
        }
        if (appliesElsewhere(word)) {
            return;
        }
        String message = "unknown option '" + Texts.shown(word.text()) + "' for " + subject;
        if (allowed.isEmpty()) {
            message = "unexpected " + describe(word) + " in " + subject;
        } else {
            message += Suggestions.hint(word.text(), allowed);
        }
        diagnostics.error(word.position(), message);
    }

    /**
     * After an unknown option, its value belongs to it and is not reported again: a number, or,
     * when the option looks like a misspelled choice option, a word among that option's choices.
     */
    private void skipValue(Argument.Word unknown, List<OptionDecl> allowed) {
        Optional<Argument> candidate = peek();
        if (candidate.isEmpty()) {
            return;
        }
        if (candidate.get() instanceof Argument.NumberLiteral) {
            next++;
            return;
        }
        Map<String, OptionDecl> byName = new LinkedHashMap<>();
        allowed.forEach(d -> byName.put(d.name(), d));
        Optional<String> meant = Suggestions.closest(unknown.text(), byName.keySet());
        if (meant.isPresent() && candidate.get() instanceof Argument.Word word
                && byName.get(meant.get()).choices().contains(word.text())) {
            next++;
        }
    }

    /** Describes an argument in a message: {@code number 5}, {@code string "a"}, {@code 'word'}. */
    static String describe(Argument arg) {
        if (arg instanceof Argument.NumberLiteral) {
            return "number " + Texts.shown(arg.text());
        }
        if (arg instanceof Argument.StringLiteral) {
            return "string " + Texts.shown(arg.text());
        }
        return "'" + Texts.shown(arg.text()) + "'";
    }

    private static String example(List<OptionDecl> allowed) {
        for (OptionDecl decl : allowed) {
            if (decl.kind() == OptionDecl.Kind.NUMBER) {
                return decl.name() + " " + decl.sample();
            }
        }
        return allowed.get(0).name();
    }
}
