package dev.unroll.dsl.model;

/**
 * A value that a {@code .rnn} file names with a word: every enum of the model implements it, so
 * the validator derives the words it accepts from the enums instead of repeating them.
 */
public interface Keyword {
    /** Returns the word that names this value in a {@code .rnn} file. */
    String keyword();
}
