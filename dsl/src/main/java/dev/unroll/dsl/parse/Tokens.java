package dev.unroll.dsl.parse;

import dev.unroll.dsl.SourcePosition;
import org.antlr.v4.runtime.Token;

/** How tokens are named and located in diagnostics. */
final class Tokens {
    private static final int MAX_SHOWN = 64;

    private Tokens() {}

    static SourcePosition startOf(Token token) {
        return new SourcePosition(Math.max(1, token.getLine()), token.getCharPositionInLine() + 1);
    }

    /** The column just after the token, where a missing ';' belongs. */
    static SourcePosition endOf(Token token) {
        String text = token.getText() == null ? "" : token.getText();
        int length = text.codePointCount(0, text.length());
        return new SourcePosition(Math.max(1, token.getLine()), token.getCharPositionInLine() + length + 1);
    }

    /** Describes a token as the user sees it: {@code 'lstm'}, {@code end of file}. */
    static String describe(Token token) {
        if (token.getType() == Token.EOF) {
            return "end of file";
        }
        String text = token.getText();
        if (text == null) {
            return kindName(token.getType());
        }
        if (token.getType() == RnnLexer.BAD_CHAR) {
            return describeCharacter(text);
        }
        return "'" + shown(text) + "'";
    }

    /**
     * Describes a token that is out of place, naming its kind where quotes alone would confuse:
     * {@code number 3}, {@code string "a.b"}, {@code 'lstm'}, {@code character '@'}.
     */
    static String describeUnexpected(Token token) {
        if (token.getType() == RnnLexer.NUMBER && token.getText() != null) {
            return "number " + shown(token.getText());
        }
        if (token.getType() == RnnLexer.STRING && token.getText() != null) {
            return "string " + shown(token.getText());
        }
        return describe(token);
    }

    /** Returns the text, shortened with "..." when it is too long to repeat in a message. */
    static String shown(String text) {
        if (text.codePointCount(0, text.length()) <= MAX_SHOWN) {
            return text;
        }
        return text.substring(0, text.offsetByCodePoints(0, MAX_SHOWN - 3)) + "...";
    }

    /**
     * Describes a character the language has no use for: {@code character '@'},
     * {@code character 'é' (U+00E9)}, {@code character U+0007}.
     */
    static String describeCharacter(String text) {
        if (text.isEmpty()) {
            return "character";
        }
        int cp = text.codePointAt(0);
        if (cp >= 0x21 && cp < 0x7f) {
            return "character '" + new String(Character.toChars(cp)) + "'";
        }
        String code = String.format("U+%04X", cp);
        boolean visible = switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE,
                    Character.UNASSIGNED, Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR,
                    Character.PARAGRAPH_SEPARATOR, Character.NON_SPACING_MARK, Character.ENCLOSING_MARK,
                    Character.COMBINING_SPACING_MARK -> false;
            default -> true;
        };
        if (Character.isSpaceChar(cp)) {
            return "space character " + code;
        }
        return visible ? "character '" + new String(Character.toChars(cp)) + "' (" + code + ")" : "character " + code;
    }

    /** Names a token type in words: "a name", "a number", "';'", "end of file". */
    static String kindName(int type) {
        return switch (type) {
            case Token.EOF -> "end of file";
            case RnnLexer.IDENT -> "a name";
            case RnnLexer.NUMBER -> "a number";
            case RnnLexer.STRING -> "a string";
            case RnnLexer.PACKAGE -> "'package'";
            case RnnLexer.MODEL -> "'model'";
            case RnnLexer.LBRACE -> "'{'";
            case RnnLexer.RBRACE -> "'}'";
            case RnnLexer.SEMI -> "';'";
            case RnnLexer.DOT -> "'.'";
            default -> RnnLexer.VOCABULARY.getDisplayName(type);
        };
    }
}
