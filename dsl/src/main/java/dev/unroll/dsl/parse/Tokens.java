package dev.unroll.dsl.parse;

import dev.unroll.dsl.SourcePosition;
import org.antlr.v4.runtime.Token;

/** How tokens are named and located in diagnostics. */
final class Tokens {
    private static final int MAX_SHOWN = 24;

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
        if (text.codePointCount(0, text.length()) > MAX_SHOWN) {
            text = text.substring(0, text.offsetByCodePoints(0, MAX_SHOWN)) + "...";
        }
        return "'" + text + "'";
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
