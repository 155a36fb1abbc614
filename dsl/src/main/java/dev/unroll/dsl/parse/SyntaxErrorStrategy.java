package dev.unroll.dsl.parse;

import dev.unroll.dsl.Diagnostics;
import dev.unroll.dsl.validate.Suggestions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.antlr.v4.runtime.DefaultErrorStrategy;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.TokenStream;
import org.antlr.v4.runtime.atn.ATNState;
import org.antlr.v4.runtime.misc.IntervalSet;

/**
 * ANTLR's default recovery (single-token insertion and deletion, then resynchronization), with
 * messages written for people who write specs rather than for people who write grammars:
 * "expected ';' after '128'" instead of "missing ';' at '}'".
 *
 * <p>Recovery is tuned to the shape of the language so that one mistake gives one error:
 * <ul>
 *   <li>a token that is out of place at the start of a loop (a model body, a statement's
 *       arguments, the list of models) is skipped up to the next token that can continue,
 *       instead of abandoning the whole rule (ANTLR's default there, which at the top level
 *       would silently skip every later model);
 *   <li>{@code model} and {@code package} are never deleted as "extra" tokens, and the
 *       {@code '{'} of a model is never deleted in place of its missing name;
 *   <li>a model left open at the end of the file is always reported, even right after
 *       another error.
 * </ul>
 */
final class SyntaxErrorStrategy extends DefaultErrorStrategy {
    private final Diagnostics diagnostics;
    private final Predicate<String> isStatementKeyword;
    /** The tokens: tells whether the file ends inside an unclosed comment, and stops early. */
    private final BoundedTokenSource source;
    /** Statements whose only flaw is a missing ';' (already reported): their content is kept. */
    private final Set<ParserRuleContext> missingSemicolon = new HashSet<>();
    /** Models already reported as not closed. */
    private final Set<ParserRuleContext> reportedUnclosed = new HashSet<>();
    /** Statements with an error already: one error per statement, the rest are likely consequences. */
    private final Set<ParserRuleContext> statementsWithErrors = new HashSet<>();
    /** Token indexes of keywords written as a model name ('model model'), reported once. */
    private final Set<Integer> keywordsAsNames = new HashSet<>();
    /** True while ANTLR deletes a token it found extra (the token after it fits). */
    private boolean deleting;

    SyntaxErrorStrategy(Diagnostics diagnostics, Predicate<String> isStatementKeyword, BoundedTokenSource source) {
        this.diagnostics = diagnostics;
        this.isStatementKeyword = isStatementKeyword;
        this.source = source;
    }

    /** Returns true when the statement's only syntax error was a missing ';'. */
    boolean onlyMissesSemicolon(RnnParser.StatementContext statement) {
        return missingSemicolon.contains(statement);
    }

    @Override
    public void sync(Parser recognizer) throws RecognitionException {
        if (inErrorRecoveryMode(recognizer)) {
            return;
        }
        ATNState state = recognizer.getInterpreter().atn.states.get(recognizer.getState());
        int la = recognizer.getInputStream().LA(1);
        if (recognizer.getContext() instanceof RnnParser.ModelDeclContext model && model.LBRACE() != null
                && la != RnnLexer.IDENT && la != RnnLexer.RBRACE && la != RnnLexer.MODEL && la != Token.EOF) {
            // Where a statement should start, something else does ("65 one_hot;" lacking its
            // keyword): report it, and skip the rest of that statement, up to and including its
            // ';', rather than reading what follows as a statement of its own.
            reportUnwantedToken(recognizer);
            TokenStream input = recognizer.getInputStream();
            for (int type = input.LA(1); type != Token.EOF && type != RnnLexer.RBRACE && type != RnnLexer.MODEL;
                    type = input.LA(1)) {
                recognizer.consume();
                if (type == RnnLexer.SEMI) {
                    break;
                }
            }
            return;
        }
        IntervalSet next = recognizer.getATN().nextTokens(state);
        boolean blockStart = switch (state.getStateType()) {
            case ATNState.BLOCK_START, ATNState.STAR_BLOCK_START, ATNState.PLUS_BLOCK_START,
                    ATNState.STAR_LOOP_ENTRY -> true;
            default -> false;
        };
        if (!blockStart || next.contains(la) || next.contains(Token.EPSILON)) {
            super.sync(recognizer);
            return;
        }
        // Instead of throwing (which abandons the rule), report the token and skip to one that
        // can continue here or in an enclosing rule, as ANTLR does at the back of a loop.
        if (singleTokenDeletion(recognizer) != null) {
            return;
        }
        reportUnwantedToken(recognizer);
        consumeUntil(recognizer, recognizer.getExpectedTokens().or(getErrorRecoverySet(recognizer)));
    }

    @Override
    protected Token singleTokenDeletion(Parser recognizer) {
        int current = recognizer.getInputStream().LA(1);
        if (current == RnnLexer.MODEL || current == RnnLexer.PACKAGE) {
            return null;
        }
        if (current == RnnLexer.LBRACE && recognizer.getContext() instanceof RnnParser.ModelDeclContext model
                && model.LBRACE() == null) {
            return null; // "model {": the name is missing, the brace is not extra
        }
        deleting = true;
        try {
            return super.singleTokenDeletion(recognizer);
        } finally {
            deleting = false;
        }
    }

    @Override
    public void reportError(Parser recognizer, RecognitionException e) {
        IntervalSet expected = e.getExpectedTokens();
        Token offending = e.getOffendingToken();
        if (inErrorRecoveryMode(recognizer) && !isUnclosedModelAtEnd(recognizer, offending, expected)) {
            return;
        }
        beginErrorCondition(recognizer);
        report(recognizer, offending, expected, false);
    }

    @Override
    protected void reportUnwantedToken(Parser recognizer) {
        if (inErrorRecoveryMode(recognizer)) {
            return;
        }
        beginErrorCondition(recognizer);
        report(recognizer, recognizer.getCurrentToken(), getExpectedTokens(recognizer), false);
    }

    @Override
    protected void reportMissingToken(Parser recognizer) {
        Token current = recognizer.getCurrentToken();
        IntervalSet expected = getExpectedTokens(recognizer);
        if (inErrorRecoveryMode(recognizer) && !isUnclosedModelAtEnd(recognizer, current, expected)) {
            return;
        }
        beginErrorCondition(recognizer);
        report(recognizer, current, expected, true);
    }

    /** A model still open at the end of the file is worth reporting even right after another error. */
    private boolean isUnclosedModelAtEnd(Parser recognizer, Token offending, IntervalSet expected) {
        return offending != null && offending.getType() == Token.EOF && expected != null
                && expected.contains(RnnLexer.RBRACE) && enclosingModel(recognizer) != null
                && !reportedUnclosed.contains(enclosingModel(recognizer));
    }

    /**
     * Reports one syntax error.
     *
     * @param offending the token where the parser got stuck
     * @param expected what it could have accepted there
     * @param missing true when ANTLR established that exactly one token is missing before
     *     {@code offending} (rather than that {@code offending} is out of place)
     */
    private void report(Parser recognizer, Token offending, IntervalSet expected, boolean missing) {
        int type = offending.getType();
        if (type == RnnLexer.UNTERMINATED_STRING || type == RnnLexer.UNTERMINATED_COMMENT) {
            return; // reported once, in words, by SpecParser
        }
        if (type == Token.EOF && source.endsInComment()) {
            return; // the unclosed comment swallowed the rest of the file
        }
        if (diagnostics.errorCount() > Diagnostics.MAX_ERRORS) {
            // Every error from here on would come after the ones shown, and be dropped: stop
            // reading, so that error recovery over a huge broken file costs no time.
            source.stop();
        }
        ParserRuleContext context = recognizer.getContext();
        Token previous = previousToken(recognizer.getInputStream(), offending);
        if (context instanceof RnnParser.ModelDeclContext m && m.MODEL() != null
                && keywordsAsNames.contains(m.MODEL().getSymbol().getTokenIndex())) {
            return; // 'model model {': the second 'model' was reported as a keyword; its model is no news
        }

        RnnParser.ModelDeclContext model = enclosingModel(recognizer);
        IntervalSet wanted = expected == null ? new IntervalSet() : expected;
        boolean unclosedModel = wanted.contains(RnnLexer.RBRACE) && model != null && model.LBRACE() != null
                && (type == Token.EOF || type == RnnLexer.MODEL);
        if (context instanceof RnnParser.StatementContext statement && !unclosedModel
                && !statementsWithErrors.add(statement)) {
            return;
        }

        if (unclosedModel) {
            if (reportedUnclosed.add(model)) {
                String name = model.name != null && model.name.getTokenIndex() >= 0 ? "model " + Tokens.shown(model.name.getText())
                        : "the model";
                diagnostics.error(previous == null ? Tokens.startOf(offending) : Tokens.endOf(previous),
                        "expected '}' to close " + name);
            }
            return;
        }
        if (wanted.contains(RnnLexer.SEMI) && previous != null && type != RnnLexer.SEMI && !deleting
                && (missing || type == Token.EOF || type == RnnLexer.RBRACE
                        || offending.getLine() > previous.getLine())) {
            // Like javac: a missing ';' is reported right after the token it should follow.
            diagnostics.error(Tokens.endOf(previous), "expected ';' after " + Tokens.describe(previous));
            if (context instanceof RnnParser.StatementContext statement && type != Token.EOF) {
                missingSemicolon.add(statement); // at the end of the file, the statement may be cut short
            }
            return;
        }
        // "package com.example." then "model A {": the name after the dot is missing, the model is not extra.
        boolean modelAfterPackage = type == RnnLexer.MODEL && (context instanceof RnnParser.PackageDeclContext
                || context instanceof RnnParser.QualifiedNameContext);
        if ((missing || type == Token.EOF || modelAfterPackage) && previous != null) {
            diagnostics.error(Tokens.endOf(previous), "expected " + describe(context, wanted) + " after "
                    + Tokens.describe(previous));
            return;
        }
        if (type == RnnLexer.DOT && context instanceof RnnParser.StatementContext) {
            TokenStream stream = recognizer.getInputStream();
            Token before = offending.getTokenIndex() > 0 ? stream.get(offending.getTokenIndex() - 1) : null;
            Token after = tokenAt(stream, offending.getTokenIndex() + 1);
            boolean numberBefore = before != null && before.getType() == RnnLexer.NUMBER
                    && before.getStopIndex() + 1 == offending.getStartIndex();
            boolean numberAfter = after.getType() == RnnLexer.NUMBER && !after.getText().startsWith("-")
                    && after.getStartIndex() == offending.getStopIndex() + 1;
            if (numberBefore && numberAfter) {
                diagnostics.error(Tokens.startOf(before), "malformed number '" + before.getText() + "."
                        + after.getText() + "'");
                return;
            }
            if (numberAfter) {
                diagnostics.error(Tokens.startOf(offending), "a number starts with a digit: write 0."
                        + after.getText() + " instead of ." + after.getText());
                return;
            }
            if (numberBefore && !before.getText().contains("e") && !before.getText().contains("E")
                    && !before.getText().contains(".")) {
                diagnostics.error(Tokens.startOf(offending), "a number has digits after its decimal point: write "
                        + before.getText() + ".0 or " + before.getText() + " instead of " + before.getText() + ".");
                return;
            }
        }
        if (context instanceof RnnParser.SpecFileContext file) {
            topLevel(file, offending, wanted);
            return;
        }
        if ((type == RnnLexer.MODEL || type == RnnLexer.PACKAGE) && context instanceof RnnParser.ModelDeclContext m
                && m.name == null && m.LBRACE() == null && previous != null && previous.getType() == RnnLexer.MODEL) {
            diagnostics.error(Tokens.startOf(offending), "'" + offending.getText() + "' is a keyword and cannot be"
                    + " a model name");
            keywordsAsNames.add(offending.getTokenIndex());
            return;
        }
        if (type == RnnLexer.PACKAGE && context instanceof RnnParser.ModelDeclContext) {
            diagnostics.error(Tokens.startOf(offending), "the package declaration must come before the first model");
            return;
        }
        if (type == RnnLexer.NUMBER && context instanceof RnnParser.ModelDeclContext m && m.LBRACE() == null) {
            Token after = recognizer.getInputStream().LT(2);
            String name = offending.getText()
                    + (after.getType() == RnnLexer.IDENT && after.getStartIndex() == offending.getStopIndex() + 1
                            ? after.getText() : "");
            diagnostics.error(Tokens.startOf(offending), "a model name starts with a letter or '_', got '"
                    + Tokens.shown(name) + "'");
            return;
        }
        String message = "unexpected " + Tokens.describeUnexpected(offending);
        if (type != RnnLexer.BAD_CHAR) {
            String what = describe(context, wanted);
            if (!what.isEmpty()) {
                message += "; expected " + what;
            }
        }
        diagnostics.error(Tokens.startOf(offending), message);
    }

    /** Something other than a model at the top level of the file. */
    private void topLevel(RnnParser.SpecFileContext file, Token offending, IntervalSet expected) {
        int type = offending.getType();
        if (type == RnnLexer.PACKAGE) {
            RnnParser.PackageDeclContext first = file.packageDecl();
            if (first != null) {
                diagnostics.error(Tokens.startOf(offending), "a file has one package declaration; the first is at "
                        + Tokens.startOf(first.getStart()));
            } else {
                diagnostics.error(Tokens.startOf(offending), "the package declaration must come before the first model");
            }
            return;
        }
        String message = "unexpected " + Tokens.describeUnexpected(offending);
        if (type == RnnLexer.IDENT && isStatementKeyword.test(offending.getText())) {
            diagnostics.error(Tokens.startOf(offending), "'" + offending.getText() + "' outside a model; statements"
                    + " go inside 'model Name { ... }'");
            return;
        }
        if (type == RnnLexer.IDENT) {
            List<String> keywords = expected.contains(RnnLexer.PACKAGE) ? List.of("model", "package") : List.of("model");
            String suggestion = Suggestions.closest(offending.getText(), keywords).orElse(null);
            if (suggestion != null) {
                diagnostics.error(Tokens.startOf(offending), message + "; did you mean '" + suggestion + "'?");
                return;
            }
        }
        if (type != RnnLexer.BAD_CHAR) {
            message += "; expected 'model'";
        }
        diagnostics.error(Tokens.startOf(offending), message);
    }

    private static RnnParser.ModelDeclContext enclosingModel(Parser recognizer) {
        for (ParserRuleContext c = recognizer.getContext(); c != null; c = c.getParent()) {
            if (c instanceof RnnParser.ModelDeclContext model) {
                return model;
            }
        }
        return null;
    }

    /** The last token before {@code token} that the user wrote and that the parser could use. */
    private static Token previousToken(TokenStream stream, Token token) {
        for (int index = token.getTokenIndex() - 1; index >= 0; index--) {
            Token candidate = stream.get(index);
            if (candidate.getChannel() == Token.DEFAULT_CHANNEL && candidate.getType() != RnnLexer.BAD_CHAR
                    && candidate.getType() != RnnLexer.UNTERMINATED_STRING
                    && candidate.getType() != RnnLexer.UNTERMINATED_COMMENT) {
                return candidate;
            }
        }
        return null;
    }

    /** Names what the parser wanted, in the terms of the rule it was in. */
    private static String describe(ParserRuleContext context, IntervalSet expected) {
        if (expected.isNil()) {
            return "";
        }
        List<Integer> types = new ArrayList<>();
        for (int type : expected.toArray()) {
            if (type != Token.EOF || expected.size() == 1) {
                types.add(type);
            }
        }
        if (context instanceof RnnParser.StatementContext) {
            return ""; // any word, number or string, or ';': listing them all would not help
        }
        if (types.remove(Integer.valueOf(RnnLexer.IDENT))) {
            types.add(0, RnnLexer.IDENT); // "a statement or '}'" reads better than the other way round
        }
        List<String> names = new ArrayList<>();
        for (int type : types) {
            String name = Tokens.kindName(type);
            if (type == RnnLexer.IDENT) {
                if (context instanceof RnnParser.ModelDeclContext model) {
                    name = model.LBRACE() != null ? "a statement" : "a model name";
                } else if (context instanceof RnnParser.QualifiedNameContext
                        || context instanceof RnnParser.PackageDeclContext) {
                    name = "a package name";
                }
            }
            if (!names.contains(name)) {
                names.add(name);
            }
        }
        if (names.size() == 1) {
            return names.get(0);
        }
        return String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
    }

    /**
     * Returns the token at {@code index}, reading it first if the parser has not got that far:
     * tokens are read lazily, so {@code get} alone may only look back.
     */
    private static Token tokenAt(TokenStream stream, int index) {
        int ahead = index - stream.index() + 1;
        return ahead >= 1 ? stream.LT(ahead) : stream.get(index);
    }
}
