package dev.unroll.dsl.validate;

import dev.unroll.dsl.Diagnostics;
import dev.unroll.dsl.ast.Argument;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/** Converts number literals, reporting range problems instead of throwing. */
final class Numbers {
    private Numbers() {}

    /**
     * Reads an integer in {@code [min, max]}. Messages follow the pattern
     * "hidden size must be a positive integer, got 0".
     */
    static OptionalLong integer(Argument.NumberLiteral number, String meaning, long min, long max,
            Diagnostics diagnostics) {
        BigDecimal value = parse(number);
        String wanted = min == 1 ? "a positive integer" : min == 0 ? "a non-negative integer" : "an integer";
        if (value == null) {
            diagnostics.error(number.position(), meaning + " must be " + wanted + ", got " + number.text());
            return OptionalLong.empty();
        }
        BigInteger integer;
        try {
            integer = value.toBigIntegerExact();
        } catch (ArithmeticException notInteger) {
            diagnostics.error(number.position(), meaning + " must be " + wanted + ", got " + number.text());
            return OptionalLong.empty();
        }
        if (integer.compareTo(BigInteger.valueOf(min)) < 0) {
            diagnostics.error(number.position(), meaning + " must be " + wanted + ", got " + number.text());
            return OptionalLong.empty();
        }
        if (integer.compareTo(BigInteger.valueOf(max)) > 0) {
            diagnostics.error(number.position(), meaning + " must be at most " + max + ", got " + number.text());
            return OptionalLong.empty();
        }
        return OptionalLong.of(integer.longValueExact());
    }

    /** Reads a finite double; "1e999" is reported as out of range. */
    static OptionalDouble real(Argument.NumberLiteral number, Diagnostics diagnostics) {
        BigDecimal value = parse(number);
        double d = value == null ? Double.NaN : value.doubleValue();
        if (!Double.isFinite(d)) {
            diagnostics.error(number.position(), "number " + number.text() + " is out of range");
            return OptionalDouble.empty();
        }
        if (d == 0 && value.signum() != 0) {
            diagnostics.error(number.position(), "number " + number.text() + " is too small to represent");
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(d);
    }

    /** Parses a literal; null when it is beyond any range the language uses. */
    private static BigDecimal parse(Argument.NumberLiteral number) {
        String text = number.text();
        if (text.length() > 1000) {
            return null;
        }
        try {
            BigDecimal value = new BigDecimal(text);
            // Exponents such as 1e999999999 are legal BigDecimals but far beyond double.
            if (value.signum() != 0 && Math.abs((long) value.precision() - value.scale()) > 1000) {
                return null;
            }
            return value;
        } catch (NumberFormatException | ArithmeticException e) {
            return null;
        }
    }
}
