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
import org.antlr.v4.runtime.misc.Interval;

/**
 * Turns the text of a {@code .rnn} file into its syntax tree, reporting every syntax error to a
 * {@link Diagnostics} instead of the console. Never throws for any input.
 *
 * <p>{@code model} and {@code package} are keywords of the language, but {@code model} is a
 * common Java package name ({@code com.example.model}), and {@code package}, a Java keyword,
 * is better reported by the validator like {@code class} ("is a Java keyword and cannot be a
 * package name part") than as a syntax error. So where one of them stands as a part of a
 * package name, right after {@code package} or a {@code '.'}, and is not followed by a name
 * (as the {@code model} of {@code model Name} is), it is turned into a name
 * ({@link BoundedTokenSource} does it as the tokens pass). A file starting
 * {@code package com.example.} and then {@code model A} thus still reads {@code model A} as a
 * model (with a package name missing after the dot), instead of losing the model to error
 * recovery.
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
        // Read lazily, never all at once: see BoundedTokenSource for the bounds this puts on a check.
        BoundedTokenSource tokenSource = new BoundedTokenSource(lexer, diagnostics);
        CommonTokenStream tokens = new CommonTokenStream(tokenSource);
        RnnParser parser = new RnnParser(tokens);
        parser.removeErrorListeners();
        SyntaxErrorStrategy errors = new SyntaxErrorStrategy(diagnostics, isStatementKeyword, tokenSource);
        parser.setErrorHandler(errors);
        RnnParser.SpecFileContext tree = parser.specFile();
        return new AstBuilder(tokens, errors, diagnostics, isStatementKeyword).build(tree);
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
