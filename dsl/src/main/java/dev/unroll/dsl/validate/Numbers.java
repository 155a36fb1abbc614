package dev.unroll.dsl.validate;

import dev.unroll.dsl.Diagnostics;
import dev.unroll.dsl.ast.Argument;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.function.DoublePredicate;

/**
 * Converts number literals, reporting range problems instead of throwing.
 *
 * <p>A literal is first read lexically into its significant digits and a power of ten
 * ({@link Decimal}), without building the number: {@code 1e-300000000} is one digit and an
 * exponent, and building it (as {@code BigDecimal.setScale} or {@code doubleValue} would) costs
 * time and memory proportional to the exponent. Only a literal whose magnitude is already known
 * to be in a sensible range is converted exactly.
 */
final class Numbers {
    /** Longer literals are refused unread; reading them exactly would only cost time. */
    private static final int MAX_DIGITS = 100_000;
    /**
     * Beyond this decimal magnitude a double is infinite, below its negative zero: the doubles
     * span about 10^-324 to 10^308, and the margin keeps rounding at the edges exact.
     */
    private static final long DOUBLE_MAGNITUDE_LIMIT = 400;
    /** Exponents are saturated here: far beyond any limit, yet safe from overflow when digits are added. */
    private static final long EXPONENT_SATURATION = 1L << 40;

    private Numbers() {}

    /**
     * A literal as {@code sign * digits * 10^power}.
     *
     * @param negative whether it starts with '-'
     * @param digits the significant digits, without leading or trailing zeros; empty for zero
     * @param power the power of ten applied to {@code digits} (saturated, see {@link #EXPONENT_SATURATION})
     */
    record Decimal(boolean negative, String digits, long power) {

        /** Reads a literal of the lexer's form: {@code -? DIGITS ('.' DIGITS)? ([eE] [+-]? DIGITS)?}. */
        static Decimal of(String text) {
            int i = 0;
            boolean negative = text.startsWith("-");
            if (negative) {
                i++;
            }
            int exponentAt = Math.max(text.indexOf('e'), text.indexOf('E'));
            int mantissaEnd = exponentAt < 0 ? text.length() : exponentAt;
            int dot = text.indexOf('.');
            String whole = text.substring(i, dot < 0 ? mantissaEnd : dot);
            String fraction = dot < 0 ? "" : text.substring(dot + 1, mantissaEnd);
            long exponent = exponentAt < 0 ? 0 : saturatedExponent(text.substring(exponentAt + 1));
            String all = whole + fraction;
            int first = 0;
            while (first < all.length() && all.charAt(first) == '0') {
                first++;
            }
            int last = all.length();
            while (last > first && all.charAt(last - 1) == '0') {
                last--;
            }
            if (first == last) {
                return new Decimal(negative, "", 0);
            }
            long power = exponent - fraction.length() + (all.length() - last);
            return new Decimal(negative, all.substring(first, last), power);
        }

        private static long saturatedExponent(String text) {
            boolean minus = text.startsWith("-");
            String digits = text.startsWith("-") || text.startsWith("+") ? text.substring(1) : text;
            long value = 0;
            for (int k = 0; k < digits.length() && value < EXPONENT_SATURATION; k++) {
                value = value * 10 + (digits.charAt(k) - '0');
            }
            value = Math.min(value, EXPONENT_SATURATION);
            return minus ? -value : value;
        }

        boolean isZero() {
            return digits.isEmpty();
        }

        /** Returns {@code floor(log10(|value|))}, the decimal magnitude of a non-zero value. */
        long magnitude() {
            return digits.length() - 1 + power;
        }

        /** Returns true when the value is a whole number. */
        boolean isInteger() {
            return power >= 0;
        }

        /** Returns the exact value; only for magnitudes within a few hundred of zero. */
        BigDecimal exact() {
            BigDecimal unsigned = new BigDecimal(new BigInteger(digits), Math.toIntExact(-power));
            return negative ? unsigned.negate() : unsigned;
        }
    }

    /**
     * Reads an integer in {@code [min, max]} (with {@code 0 <= min <= max}). Messages follow the
     * pattern "hidden size must be a positive integer, got 0".
     */
    static OptionalLong integer(Argument.NumberLiteral number, String meaning, long min, long max,
            Diagnostics diagnostics) {
        Decimal value = parse(number, diagnostics);
        if (value == null) {
            return OptionalLong.empty();
        }
        String shown = Texts.shown(number.text());
        String wanted = min == 1 ? "a positive integer" : min == 0 ? "a non-negative integer" : "an integer";
        // Every max is below 10^19, so a magnitude of 19 or more is too large, whatever the digits;
        // below that (and at least 1) the exact value has at most MAX_DIGITS digits after the point.
        boolean tooLarge = !value.negative() && !value.isZero() && value.magnitude() >= 0
                && (value.magnitude() >= 19 || value.exact().compareTo(BigDecimal.valueOf(max)) > 0);
        if (tooLarge) {
            diagnostics.error(number.position(), meaning + " must be at most " + max + ", got " + shown);
            return OptionalLong.empty();
        }
        if (value.isZero()) {
            if (min > 0) {
                diagnostics.error(number.position(), meaning + " must be " + wanted + ", got " + shown);
                return OptionalLong.empty();
            }
            return OptionalLong.of(0);
        }
        // Here the value is below max < 10^19, or negative: negative values and fractions are refused.
        if (value.negative() || !value.isInteger() || value.exact().compareTo(BigDecimal.valueOf(min)) < 0) {
            diagnostics.error(number.position(), meaning + " must be " + wanted + ", got " + shown);
            return OptionalLong.empty();
        }
        return OptionalLong.of(value.exact().longValueExact());
    }

    /**
     * Reads a finite double that satisfies {@code valid}; otherwise reports
     * "{@code name} {@code requirement}, got {@code text}" or, for a value the range allows but a
     * double cannot hold, that it is out of range (1e999) or too small to represent (1e-999).
     */
    static OptionalDouble real(Argument.NumberLiteral number, String name, DoublePredicate valid, String requirement,
            Diagnostics diagnostics) {
        Decimal value = parse(number, diagnostics);
        if (value == null) {
            return OptionalDouble.empty();
        }
        String shown = Texts.shown(number.text());
        double d; // +-Infinity beyond the double range, 0 below it, as BigDecimal.doubleValue() gives
        if (value.isZero()) {
            d = 0;
        } else if (value.magnitude() > DOUBLE_MAGNITUDE_LIMIT) {
            d = value.negative() ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        } else if (value.magnitude() < -DOUBLE_MAGNITUDE_LIMIT) {
            d = 0;
        } else {
            d = value.exact().doubleValue();
        }
        if (d == 0 && !value.isZero()) {
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

    /** Reads a literal's digits and exponent; null (reported) when it is too long to be worth reading. */
    private static Decimal parse(Argument.NumberLiteral number, Diagnostics diagnostics) {
        String text = number.text();
        if (text.length() > MAX_DIGITS) {
            diagnostics.error(number.position(), "number " + Texts.shown(text) + " has too many digits ("
                    + text.length() + " characters)");
            return null;
        }
        return Decimal.of(text);
    }
}
