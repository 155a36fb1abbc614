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
public final class Num {
    static final ClassName DOUBLE_PARAMETER = ClassName.get("dev.unroll.runtime", "DoubleParameter");
    static final ClassName FLOAT_PARAMETER = ClassName.get("dev.unroll.runtime", "FloatParameter");

    private final boolean isFloat;

    /** Returns the numeric type of a model of this precision. */
    public Num(Precision precision) {
        this.isFloat = precision == Precision.FLOAT32;
    }

    /** Returns true for float32. */
    public boolean isFloat() {
        return isFloat;
    }

    /** Returns {@code float} or {@code double}. */
    public TypeName type() {
        return isFloat ? TypeName.FLOAT : TypeName.DOUBLE;
    }

    /** Returns the keyword, for code written as text. */
    public String keyword() {
        return isFloat ? "float" : "double";
    }

    /** Returns {@code float[]}, {@code float[][]}... of the given rank. */
    public TypeName array(int rank) {
        TypeName t = type();
        for (int i = 0; i < rank; i++) {
            t = ArrayTypeName.of(t);
        }
        return t;
    }

    /** Returns the runtime parameter class for this precision. */
    public ClassName parameterClass() {
        return isFloat ? FLOAT_PARAMETER : DOUBLE_PARAMETER;
    }

    /** Returns a literal of this type: {@code 1.0f} or {@code 1.0}. */
    public String literal(double value) {
        String text = BigDecimal.valueOf(value).toPlainString();
        if (!text.contains(".")) {
            text += ".0";
        }
        return isFloat ? text + "f" : text;
    }

    /** Returns a double-valued expression wrapped so that it can be stored in this type. */
    public String narrow(String doubleExpression) {
        return isFloat ? "(float) (" + doubleExpression + ")" : doubleExpression;
    }
}
