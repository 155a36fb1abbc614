package dev.unroll.dsl.model;

import dev.unroll.dsl.SourcePosition;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where one statement and each word in it were written, so that a later stage (the code
 * generator refusing an option it cannot emit yet) can put its caret under the word it is about:
 *
 * <pre>{@code
 * // lstm 128 peepholes dropout 0.2;
 * positions.keyword()           // 5:5, the 'lstm'
 * positions.word("peepholes")   // Optional[5:14]
 * positions.value("dropout")    // Optional[5:32], the '0.2'
 * positions.argument(0)         // Optional[5:10], the '128'
 * positions.at("cell_clip")     // 5:5: not written, so the keyword
 * }</pre>
 *
 * @param keyword where the statement's first word starts
 * @param words where each word argument was first written, keyed by the word: option names
 *     ({@code dropout}, {@code feedback}) and chosen words ({@code one_hot}, {@code softmax},
 *     {@code cho}); numbers and strings are not words
 * @param values where the value of each option written with one starts, keyed by the option's
 *     name ({@code bidirectional sum} maps {@code bidirectional} to the {@code sum})
 * @param arguments where each argument after the keyword starts, in source order
 */
public record StatementPositions(SourcePosition keyword, Map<String, SourcePosition> words,
        Map<String, SourcePosition> values, List<SourcePosition> arguments) {

    public StatementPositions {
        Objects.requireNonNull(keyword, "keyword");
        words = Map.copyOf(words);
        values = Map.copyOf(values);
        arguments = List.copyOf(arguments);
    }

    /** Returns the positions of a statement known only by where it starts (no words recorded). */
    public static StatementPositions ofKeyword(SourcePosition keyword) {
        return new StatementPositions(keyword, Map.of(), Map.of(), List.of());
    }

    /** Returns where {@code word} (an option name or a chosen word) was written, if it was. */
    public Optional<SourcePosition> word(String word) {
        return Optional.ofNullable(words.get(word));
    }

    /** Returns where {@code word} was written, or the statement's keyword when it was not. */
    public SourcePosition at(String word) {
        return words.getOrDefault(word, keyword);
    }

    /** Returns where the value of {@code option} was written, if the option was written with one. */
    public Optional<SourcePosition> value(String option) {
        return Optional.ofNullable(values.get(option));
    }

    /** Returns where the argument at {@code index} (0 is the first after the keyword) starts, if there is one. */
    public Optional<SourcePosition> argument(int index) {
        return index >= 0 && index < arguments.size() ? Optional.of(arguments.get(index)) : Optional.empty();
    }
}
