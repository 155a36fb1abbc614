package dev.unroll.dsl.ast;

import dev.unroll.dsl.SourcePosition;

/** An argument of a statement: a word, a number or a string. */
public sealed interface Argument extends Node {

    /** Returns the argument as written in the source. */
    String text();

    /**
     * A bare word such as {@code one_hot} or {@code learning_rate}.
     *
     * @param position where it starts
     * @param text the word
     */
    record Word(SourcePosition position, String text) implements Argument {}

    /**
     * A number exactly as written ({@code 128}, {@code -0.5}, {@code 1e-8}); its range is checked
     * where its meaning is known.
     *
     * @param position where it starts
     * @param text the digits as written
     */
    record NumberLiteral(SourcePosition position, String text) implements Argument {}

    /**
     * A double-quoted string.
     *
     * @param position where the opening quote is
     * @param text the string as written, quotes included
     * @param value the string with quotes removed and escapes resolved
     */
    record StringLiteral(SourcePosition position, String text, String value) implements Argument {}
}
