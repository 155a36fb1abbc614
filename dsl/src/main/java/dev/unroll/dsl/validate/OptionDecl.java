package dev.unroll.dsl.validate;

import java.util.List;

/**
 * The declaration of one option: its name, what follows it, and how messages show it in use.
 *
 * @param name the option's name, e.g. {@code dropout}
 * @param kind what follows the name
 * @param choices the words a {@link Kind#CHOICE} option may be followed by, else empty
 * @param sample a value for "needs a number, e.g. 'dropout 0.5'" ({@link Kind#NUMBER} only, else "")
 * @param example a whole statement using the option, without its {@code ;}, for the message
 *     about the option written as a statement of its own ("e.g. 'lstm 128 dropout 0.2;'")
 */
record OptionDecl(String name, Kind kind, List<String> choices, String sample, String example) {

    /** What follows an option's name. */
    enum Kind {
        /** Nothing: {@code peepholes}. */
        FLAG,
        /** A number: {@code learning_rate 0.1}. */
        NUMBER,
        /** Optionally one word of a fixed set: {@code bidirectional sum}. */
        CHOICE
    }

    OptionDecl {
        choices = List.copyOf(choices);
    }

    static OptionDecl flag(String name, String example) {
        return new OptionDecl(name, Kind.FLAG, List.of(), "", example);
    }

    static OptionDecl number(String name, String sample, String example) {
        return new OptionDecl(name, Kind.NUMBER, List.of(), sample, example);
    }

    static OptionDecl choice(String name, List<String> choices, String example) {
        return new OptionDecl(name, Kind.CHOICE, choices, "", example);
    }
}
