package dev.unroll.dsl.validate;

import dev.unroll.dsl.Diagnostics;
import dev.unroll.dsl.ast.Argument;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.function.DoublePredicate;

/** Converts number literals, reporting range problems instead of throwing. */
final class Numbers {
    /** Longer literals are refused unread; reading them exactly would only cost time. */
    private static final int MAX_DIGITS = 100_000;

    private Numbers() {}

    /**
     * Reads an integer in {@code [min, max]}. Messages follow the pattern
     * "hidden size must be a positive integer, got 0".
     */
    static OptionalLong integer(Argument.NumberLiteral number, String meaning, long min, long max,
            Diagnostics diagnostics) {
        BigDecimal value = parse(number, diagnostics);
        if (value == null) {
            return OptionalLong.empty();
        }
        String shown = Texts.shown(number.text());
        String wanted = min == 1 ? "a positive integer" : min == 0 ? "a non-negative integer" : "an integer";
        // Compared before anything else: compareTo is cheap even for 1e999999999.
        if (value.compareTo(BigDecimal.valueOf(max)) > 0) {
            diagnostics.error(number.position(), meaning + " must be at most " + max + ", got " + shown);
            return OptionalLong.empty();
        }
        if (value.compareTo(BigDecimal.valueOf(min)) < 0
                || value.scale() > 0 && value.setScale(0, RoundingMode.DOWN).compareTo(value) != 0) {
            diagnostics.error(number.position(), meaning + " must be " + wanted + ", got " + shown);
            return OptionalLong.empty();
        }
        return OptionalLong.of(value.longValue());
    }

    /**
     * Reads a finite double that satisfies {@code valid}; otherwise reports
     * "{@code name} {@code requirement}, got {@code text}" or, for a value the range allows but a
     * double cannot hold, that it is out of range (1e999) or too small to represent (1e-999).
     */
    static OptionalDouble real(Argument.NumberLiteral number, String name, DoublePredicate valid, String requirement,
            Diagnostics diagnostics) {
        BigDecimal value = parse(number, diagnostics);
        if (value == null) {
            return OptionalDouble.empty();
        }
        String shown = Texts.shown(number.text());
        double d = value.doubleValue(); // +-Infinity beyond the double range, 0 below it
        if (d == 0 && value.signum() != 0) {
            diagnostics.error(number.position(), name + " " + shown + " is too small to represent");
            return OptionalDouble.empty();
        }
        if (!valid.test(d)) {
            diagnostics.error(number.position(), name + " " + requirement + ", got " + shown);
            return OptionalDouble.empty();
        }
        if (!Double.isFinite(d)) {
            diagnostics.error(number.position(), name + " " + shown + " is out of range");
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(d == 0 ? 0.0 : d); // no -0.0
    }

    /** Parses a literal exactly; null (reported) when it is too long to be worth reading. */
    private static BigDecimal parse(Argument.NumberLiteral number, Diagnostics diagnostics) {
        String text = number.text();
        if (text.length() > MAX_DIGITS) {
            diagnostics.error(number.position(), "number " + Texts.shown(text) + " has too many digits ("
                    + text.length() + " characters)");
            return null;
        }
        try {
            return new BigDecimal(text);
        } catch (NumberFormatException | ArithmeticException e) {
            // The lexer only produces decimal literals; an exponent beyond int range gets here.
            diagnostics.error(number.position(), "number " + Texts.shown(text) + " is out of range");
            return null;
        }
    }
}
