package dev.unroll.dsl.parse;

import dev.unroll.dsl.Diagnostics;
import dev.unroll.dsl.SourceFile;
import dev.unroll.dsl.SourcePosition;
import dev.unroll.dsl.ast.SpecFile;
import java.util.function.Predicate;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.LexerNoViableAltException;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.WritableToken;
import org.antlr.v4.runtime.misc.Interval;

/**
 * Turns the text of a {@code .rnn} file into its syntax tree, reporting every syntax error to a
 * {@link Diagnostics} instead of the console. Never throws for any input.
 *
 * <pre>{@code
 * Diagnostics diagnostics = new Diagnostics(source.path());
 * SpecFile tree = SpecParser.parse(source, diagnostics, Keywords::isStatementKeyword);
 * }</pre>
 */
public final class SpecParser {
    private SpecParser() {}

    /**
     * Parses a file.
     *
     * @param source the file
     * @param diagnostics receives every syntax error
     * @param isStatementKeyword tells which words start a statement; a statement that runs on to a
     *     new line starting with one of them is taken to be missing its {@code ;}
     * @return the tree of everything that parsed; statements with syntax errors are left out
     */
    public static SpecFile parse(SourceFile source, Diagnostics diagnostics, Predicate<String> isStatementKeyword) {
        RnnLexer lexer = new RnnLexer(CharStreams.fromString(source.text(), source.path()));
        lexer.removeErrorListeners();
        lexer.addErrorListener(new LexerErrors(diagnostics));
        CommonTokenStream tokens = new CommonTokenStream(lexer);
        tokens.fill();
        namesInPackageDeclarations(tokens);
        boolean endsInComment = false;
        for (Token token : tokens.getTokens()) {
            if (token.getType() == RnnLexer.UNTERMINATED_COMMENT) {
                diagnostics.error(Tokens.startOf(token), "comment is not closed; expected '*/' before end of file");
                endsInComment = true;
            } else if (token.getType() == RnnLexer.UNTERMINATED_STRING) {
                diagnostics.error(Tokens.startOf(token), "string is not closed; expected '\"' before end of line");
            }
        }
        RnnParser parser = new RnnParser(tokens);
        parser.removeErrorListeners();
        SyntaxErrorStrategy errors = new SyntaxErrorStrategy(diagnostics, isStatementKeyword, endsInComment);
        parser.setErrorHandler(errors);
        RnnParser.SpecFileContext tree = parser.specFile();
        return new AstBuilder(tokens, errors, diagnostics, isStatementKeyword).build(tree);
    }

    /**
     * {@code model} and {@code package} are keywords of the language, but {@code model} is a
     * common Java package name ({@code com.example.model}), and {@code package}, a Java keyword,
     * is better reported by the validator like {@code class} ("is a Java keyword and cannot be a
     * package name part") than as a syntax error. So where one of them stands as a part of a
     * package name, right after {@code package} or a {@code '.'}, and is not followed by a name
     * (as the {@code model} of {@code model Name} is), it is turned into a name.
     *
     * <p>A file starting {@code package com.example.} and then {@code model A} thus still reads
     * {@code model A} as a model (with a package name missing after the dot), instead of losing
     * the model to error recovery.
     */
    private static void namesInPackageDeclarations(CommonTokenStream tokens) {
        Token previous = null;
        Token pending = null; // a keyword waiting to see the token after it
        for (Token token : tokens.getTokens()) {
            if (token.getChannel() != Token.DEFAULT_CHANNEL) {
                continue;
            }
            if (pending != null && token.getType() != RnnLexer.IDENT) {
                ((WritableToken) pending).setType(RnnLexer.IDENT);
            }
            pending = null;
            if ((token.getType() == RnnLexer.MODEL || token.getType() == RnnLexer.PACKAGE) && previous != null
                    && (previous.getType() == RnnLexer.DOT || previous.getType() == RnnLexer.PACKAGE)) {
                pending = token;
            }
            previous = token;
        }
    }

    /** Lexer errors arrive as ANTLR messages without a token; this rewrites them in words. */
    private static final class LexerErrors extends BaseErrorListener {
        private final Diagnostics diagnostics;

        LexerErrors(Diagnostics diagnostics) {
            this.diagnostics = diagnostics;
        }

        @Override
        public void syntaxError(Recognizer<?, ?> recognizer, Object offendingSymbol, int line,
                int charPositionInLine, String msg, RecognitionException e) {
            // Not reached with the current grammar (BAD_CHAR matches any character), kept as a safety net.
            String what = "character";
            if (e instanceof LexerNoViableAltException noViable) {
                int start = noViable.getStartIndex();
                what = Tokens.describeCharacter(noViable.getInputStream().getText(Interval.of(start, start)));
            }
            diagnostics.error(new SourcePosition(Math.max(1, line), charPositionInLine + 1), "unexpected " + what);
        }
    }
}
