package dev.unroll.dsl.parse;

import dev.unroll.dsl.Diagnostics;
import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.DefaultErrorStrategy;
import org.antlr.v4.runtime.FailedPredicateException;
import org.antlr.v4.runtime.InputMismatchException;
import org.antlr.v4.runtime.NoViableAltException;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.misc.IntervalSet;

/**
 * ANTLR's default recovery (single-token insertion and deletion, then resynchronization), with
 * messages written for people who write specs rather than for people who write grammars:
 * "expected ';' after '128'" instead of "missing ';' at '}'".
 */
final class SyntaxErrorStrategy extends DefaultErrorStrategy {
    private final Diagnostics diagnostics;

    SyntaxErrorStrategy(Diagnostics diagnostics) {
        this.diagnostics = diagnostics;
    }

    @Override
    protected void reportNoViableAlternative(Parser recognizer, NoViableAltException e) {
        report(recognizer, e.getOffendingToken(), e.getExpectedTokens());
    }

    @Override
    protected void reportInputMismatch(Parser recognizer, InputMismatchException e) {
        report(recognizer, e.getOffendingToken(), e.getExpectedTokens());
    }

    @Override
    protected void reportFailedPredicate(Parser recognizer, FailedPredicateException e) {
        report(recognizer, e.getOffendingToken(), e.getExpectedTokens());
    }

    @Override
    protected void reportUnwantedToken(Parser recognizer) {
        if (inErrorRecoveryMode(recognizer)) {
            return;
        }
        beginErrorCondition(recognizer);
        report(recognizer, recognizer.getCurrentToken(), getExpectedTokens(recognizer));
    }

    @Override
    protected void reportMissingToken(Parser recognizer) {
        if (inErrorRecoveryMode(recognizer)) {
            return;
        }
        beginErrorCondition(recognizer);
        report(recognizer, recognizer.getCurrentToken(), getExpectedTokens(recognizer));
    }

    @Override
    public void reportError(Parser recognizer, RecognitionException e) {
        if (inErrorRecoveryMode(recognizer)) {
            return;
        }
        beginErrorCondition(recognizer);
        if (e instanceof NoViableAltException nva) {
            reportNoViableAlternative(recognizer, nva);
        } else if (e instanceof InputMismatchException mismatch) {
            reportInputMismatch(recognizer, mismatch);
        } else if (e instanceof FailedPredicateException predicate) {
            reportFailedPredicate(recognizer, predicate);
        } else {
            report(recognizer, e.getOffendingToken(), e.getExpectedTokens());
        }
    }

    private void report(Parser recognizer, Token offending, IntervalSet expected) {
        Token previous = previousVisibleToken(recognizer, offending);
        boolean wantsSemicolon = expected != null && expected.contains(RnnParser.SEMI);
        if (wantsSemicolon && previous != null && offending.getType() != RnnParser.SEMI) {
            // Like javac: a missing ';' is reported right after the token it should follow.
            diagnostics.error(Tokens.endOf(previous), "expected ';' after " + Tokens.describe(previous));
            return;
        }
        String message = "unexpected " + Tokens.describe(offending);
        String wanted = describe(expected);
        if (!wanted.isEmpty()) {
            message += "; expected " + wanted;
        }
        diagnostics.error(Tokens.startOf(offending), message);
    }

    private static Token previousVisibleToken(Parser recognizer, Token token) {
        int index = token.getTokenIndex() - 1;
        while (index >= 0) {
            Token candidate = recognizer.getTokenStream().get(index);
            if (candidate.getChannel() == Token.DEFAULT_CHANNEL) {
                return candidate;
            }
            index--;
        }
        return null;
    }

    private static String describe(IntervalSet expected) {
        if (expected == null || expected.isNil()) {
            return "";
        }
        List<String> names = new ArrayList<>();
        for (int type : expected.toArray()) {
            String name = Tokens.kindName(type);
            if (!names.contains(name)) {
                names.add(name);
            }
        }
        if (names.size() == 1) {
            return names.get(0);
        }
        return String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
    }
}
