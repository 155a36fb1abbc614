package dev.unroll.dsl.parse;

import dev.unroll.dsl.Diagnostics;
import java.util.ArrayDeque;
import java.util.Deque;
import org.antlr.v4.runtime.CharStream;
import org.antlr.v4.runtime.CommonToken;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.TokenFactory;
import org.antlr.v4.runtime.TokenSource;
import org.antlr.v4.runtime.WritableToken;
import org.antlr.v4.runtime.misc.Pair;

/**
 * The lexer's tokens as the parser reads them, one at a time, so that checking a file costs
 * memory and time bounded by how far the parser gets rather than by the file's size:
 * <ul>
 *   <li>after {@link #MAX_TOKENS} tokens the rest of the file is not read (reported once);
 *   <li>{@link #stop()} ends the input early, which the parser does once more errors were
 *       reported than are ever shown (everything after them would be dropped unseen);
 *   <li>unterminated comments and strings are reported as they pass, in words;
 *   <li>{@code model} and {@code package} standing as parts of a package name become names
 *       (see {@link SpecParser}), which needs one token of lookahead.
 * </ul>
 * A stopped or cut source ends with an EOF token placed where it stopped.
 */
final class BoundedTokenSource implements TokenSource {
    /**
     * Most tokens read from one file. A spec of a thousand layers has about ten thousand; the
     * bound keeps the tokens, parse tree and syntax tree of any file within a fixed heap.
     */
    static final int MAX_TOKENS = 1 << 20;

    private final RnnLexer lexer;
    private final Diagnostics diagnostics;
    /** Tokens read ahead while deciding whether a keyword is part of a package name. */
    private final Deque<Token> ahead = new ArrayDeque<>();
    /** The last token on the default channel, as the package-name rule sees it. */
    private Token previous;
    /** A {@code model} or {@code package} after '.' or 'package', waiting to see the token after it. */
    private Token waiting;
    private int count;
    private boolean stopped;
    private Token end;
    private boolean endsInComment;

    BoundedTokenSource(RnnLexer lexer, Diagnostics diagnostics) {
        this.lexer = lexer;
        this.diagnostics = diagnostics;
    }

    /** Ends the input at the next token not yet read. */
    void stop() {
        stopped = true;
    }

    /** Returns true when the file ended inside an unclosed comment (known once the parser reached its end). */
    boolean endsInComment() {
        return endsInComment;
    }

    @Override
    public Token nextToken() {
        if (!ahead.isEmpty()) {
            return ahead.poll();
        }
        Token token = read();
        while (waiting != null) {
            ahead.add(read());
        }
        return token;
    }

    /** Reads the next token from the lexer, applying the bounds and the package-name rule. */
    private Token read() {
        if (end != null) {
            return end;
        }
        Token token = lexer.nextToken();
        if (token.getType() == Token.EOF) {
            end = token;
            resolveWaiting(token);
            return token;
        }
        if (stopped || token.getChannel() == Token.DEFAULT_CHANNEL && ++count > MAX_TOKENS) {
            if (!stopped) {
                diagnostics.error(Tokens.startOf(token), "file has more than " + MAX_TOKENS
                        + " tokens; checking stops here");
            }
            end = endAt(token);
            resolveWaiting(end);
            return end;
        }
        if (token.getType() == RnnLexer.UNTERMINATED_COMMENT) {
            diagnostics.error(Tokens.startOf(token), "comment is not closed; expected '*/' before end of file");
            endsInComment = true;
        } else if (token.getType() == RnnLexer.UNTERMINATED_STRING) {
            diagnostics.error(Tokens.startOf(token), "string is not closed; expected '\"' before end of line");
        }
        if (token.getChannel() != Token.DEFAULT_CHANNEL) {
            return token;
        }
        resolveWaiting(token);
        if ((token.getType() == RnnLexer.MODEL || token.getType() == RnnLexer.PACKAGE) && previous != null
                && (previous.getType() == RnnLexer.DOT || previous.getType() == RnnLexer.PACKAGE)) {
            waiting = token;
        }
        previous = token;
        return token;
    }

    /** A keyword waiting to be judged is a name unless a name follows it ({@code model Name}). */
    private void resolveWaiting(Token next) {
        if (waiting != null && next.getType() != RnnLexer.IDENT) {
            ((WritableToken) waiting).setType(RnnLexer.IDENT);
        }
        waiting = null;
    }

    /** An end of input where {@code token} starts. */
    private Token endAt(Token token) {
        CommonToken eof = new CommonToken(new Pair<>(this, lexer.getInputStream()), Token.EOF,
                Token.DEFAULT_CHANNEL, token.getStartIndex(), token.getStartIndex() - 1);
        eof.setLine(token.getLine());
        eof.setCharPositionInLine(token.getCharPositionInLine());
        eof.setText("<EOF>");
        return eof;
    }

    @Override
    public int getLine() {
        return lexer.getLine();
    }

    @Override
    public int getCharPositionInLine() {
        return lexer.getCharPositionInLine();
    }

    @Override
    public CharStream getInputStream() {
        return lexer.getInputStream();
    }

    @Override
    public String getSourceName() {
        return lexer.getSourceName();
    }

    @Override
    public void setTokenFactory(TokenFactory<?> factory) {
        lexer.setTokenFactory(factory);
    }

    @Override
    public TokenFactory<?> getTokenFactory() {
        return lexer.getTokenFactory();
    }
}
