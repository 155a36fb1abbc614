package dev.unroll.dsl.model;

import dev.unroll.dsl.SourcePosition;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Prints a {@link NetworkModel} as indented text, one value per line, for people to read and for
 * golden files to compare:
 *
 * <pre>
 * NetworkModel com.example.text.CharLstm
 *   sourceName: "char.rnn"
 *   position: 4:1
 *   ...
 *   input: InputSpec
 *     size: 65
 *     encoding: ONE_HOT
 *   layers:
 *     [0] LayerSpec
 *       index: 0
 *       cell: Lstm
 *         forgetBias: 0.0
 *   ...
 * </pre>
 *
 * <p>The output is deterministic: record components in declaration order, enums by name,
 * absent optional values as {@code none}, strings quoted with Java escapes, and every
 * {@code double} as the shortest decimal that reads back as the same double (computed exactly,
 * so it does not depend on the JDK's {@code Double.toString}). Every component of every record is
 * printed, so a field added to the model shows up in golden files without touching this class;
 * the one exception is {@link NetworkModel#positions()}, which says where each word was written
 * rather than what the network is, and an empty component marked {@link PrintedWhenPresent}.
 */
public final class ModelPrinter {
    private static final String INDENT = "  ";

    private ModelPrinter() {}

    /** Returns the model as indented text ending with a line break. */
    public static String print(NetworkModel model) {
        StringBuilder out = new StringBuilder();
        out.append("NetworkModel ").append(model.qualifiedName()).append('\n');
        fields(model, 1, out);
        return out.toString();
    }

    /** Returns the models one after another, separated by an empty line. */
    public static String print(List<NetworkModel> models) {
        StringBuilder out = new StringBuilder();
        for (NetworkModel model : models) {
            if (out.length() > 0) {
                out.append('\n');
            }
            out.append(print(model));
        }
        return out.toString();
    }

    private static void fields(Record record, int depth, StringBuilder out) {
        for (RecordComponent component : record.getClass().getRecordComponents()) {
            if (component.getType() == ModelPositions.class) {
                continue; // where things were written, not what the model is: goldens would repeat the spec
            }
            Object value;
            try {
                value = component.getAccessor().invoke(record);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException("cannot read " + component, e);
            }
            if (component.isAnnotationPresent(PrintedWhenPresent.class) && unwrap(value) == null) {
                continue; // a feature most models lack: printed only when present
            }
            indent(depth, out).append(component.getName()).append(':');
            value(value, depth, out);
        }
    }

    /** Appends the value after "name:" (same line for scalars, nested lines for structures). */
    private static void value(Object value, int depth, StringBuilder out) {
        Object v = unwrap(value);
        if (v instanceof List<?> list) {
            if (list.isEmpty()) {
                out.append(" []\n");
                return;
            }
            out.append('\n');
            for (int i = 0; i < list.size(); i++) {
                indent(depth + 1, out).append('[').append(i).append(']');
                Object item = unwrap(list.get(i));
                if (item instanceof Record r && !(item instanceof SourcePosition)) {
                    out.append(' ').append(r.getClass().getSimpleName()).append('\n');
                    fields(r, depth + 2, out);
                } else {
                    out.append(' ').append(scalar(item)).append('\n');
                }
            }
        } else if (v instanceof Record r && !(v instanceof SourcePosition)) {
            out.append(' ').append(r.getClass().getSimpleName()).append('\n');
            fields(r, depth + 1, out);
        } else {
            out.append(' ').append(scalar(v)).append('\n');
        }
    }

    /** Optional values become their content, or null when absent. */
    private static Object unwrap(Object value) {
        if (value instanceof Optional<?> o) {
            return o.orElse(null);
        }
        if (value instanceof OptionalInt o) {
            return o.isPresent() ? o.getAsInt() : null;
        }
        if (value instanceof OptionalLong o) {
            return o.isPresent() ? o.getAsLong() : null;
        }
        if (value instanceof OptionalDouble o) {
            return o.isPresent() ? o.getAsDouble() : null;
        }
        return value;
    }

    private static String scalar(Object v) {
        if (v == null) {
            return "none";
        }
        if (v instanceof String s) {
            return quote(s);
        }
        if (v instanceof Double d) {
            return formatDouble(d);
        }
        if (v instanceof Float f) {
            return formatDouble(f.doubleValue());
        }
        if (v instanceof Enum<?> e) {
            return e.name();
        }
        return String.valueOf(v); // integers, booleans, SourcePosition ("4:1")
    }

    private static StringBuilder indent(int depth, StringBuilder out) {
        return out.append(INDENT.repeat(depth));
    }

    /** Quotes a string the way Java source would. */
    static String quote(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    /**
     * Formats a double as the shortest decimal that converts back to it: {@code 0.1},
     * {@code 5.0}, {@code 1.0e-10}. Plain notation from 0.001 up to 10^7, scientific outside.
     */
    static String formatDouble(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            return Double.toString(d);
        }
        if (d == 0) {
            return 1 / d < 0 ? "-0.0" : "0.0";
        }
        BigDecimal exact = new BigDecimal(d);
        BigDecimal shortest = exact;
        for (int digits = 1; digits <= 17; digits++) {
            BigDecimal rounded = exact.round(new MathContext(digits, RoundingMode.HALF_EVEN));
            if (rounded.doubleValue() == d) {
                shortest = rounded;
                break;
            }
        }
        shortest = shortest.stripTrailingZeros();
        double magnitude = Math.abs(d);
        if (magnitude >= 1e-3 && magnitude < 1e7) {
            String plain = shortest.toPlainString();
            return plain.contains(".") ? plain : plain + ".0";
        }
        String digits = shortest.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - shortest.scale();
        String mantissa = digits.substring(0, 1) + "." + (digits.length() > 1 ? digits.substring(1) : "0");
        return (d < 0 ? "-" : "") + mantissa + "e" + exponent;
    }
}
