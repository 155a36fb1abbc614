package dev.unroll.compiler.codegen;

import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.TypeName;
import dev.unroll.dsl.model.Precision;
import java.math.BigDecimal;

/**
 * The numeric type of the generated code, float or double, and how to spell its literals and
 * arrays. Every place that would otherwise branch on precision asks this instead.
 */
final class Num {
    static final ClassName DOUBLE_PARAMETER = ClassName.get("dev.unroll.runtime", "DoubleParameter");
    static final ClassName FLOAT_PARAMETER = ClassName.get("dev.unroll.runtime", "FloatParameter");

    private final boolean isFloat;

    Num(Precision precision) {
        this.isFloat = precision == Precision.FLOAT32;
    }

    boolean isFloat() {
        return isFloat;
    }

    /** {@code float} or {@code double}. */
    TypeName type() {
        return isFloat ? TypeName.FLOAT : TypeName.DOUBLE;
    }

    /** The keyword, for code written as text. */
    String keyword() {
        return isFloat ? "float" : "double";
    }

    /** {@code float[]}, {@code float[][]}... of the given rank. */
    TypeName array(int rank) {
        TypeName t = type();
        for (int i = 0; i < rank; i++) {
            t = ArrayTypeName.of(t);
        }
        return t;
    }

    /** The runtime parameter class for this precision. */
    ClassName parameterClass() {
        return isFloat ? FLOAT_PARAMETER : DOUBLE_PARAMETER;
    }

    /** A literal of this type: {@code 1.0f} or {@code 1.0}. */
    String literal(double value) {
        String text = BigDecimal.valueOf(value).toPlainString();
        if (!text.contains(".")) {
            text += ".0";
        }
        return isFloat ? text + "f" : text;
    }

    /** Wraps a double-valued expression so that it can be stored in this type. */
    String narrow(String doubleExpression) {
        return isFloat ? "(float) (" + doubleExpression + ")" : doubleExpression;
    }
}
