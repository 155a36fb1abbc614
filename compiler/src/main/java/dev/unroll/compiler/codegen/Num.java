package dev.unroll.compiler.codegen;

import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.TypeName;
import dev.unroll.compiler.plan.KernelStyle;
import dev.unroll.dsl.model.Precision;
import java.math.BigDecimal;

/**
 * The numeric type of the generated code, float or double, how to spell its literals and arrays, and whether its
 * matrix products are plain loops or Vector API code ({@link KernelStyle}). Every place that would otherwise
 * branch on precision or on the kernel style asks this instead.
 */
public final class Num {
    static final ClassName DOUBLE_PARAMETER = ClassName.get("dev.unroll.runtime", "DoubleParameter");
    static final ClassName FLOAT_PARAMETER = ClassName.get("dev.unroll.runtime", "FloatParameter");

    static final ClassName VECTOR_SPECIES = ClassName.get("jdk.incubator.vector", "VectorSpecies");

    /** The generated class's constant that holds the species its vector code uses. */
    public static final String SPECIES = "SPECIES";

    private final boolean isFloat;
    private final KernelStyle kernels;
    private final VectorMethods vectorMethods = new VectorMethods();
    /** Rows at which a weight's forward layout must begin a block (a two-thread cut, a cell's separate products). */
    private final java.util.Map<String, java.util.SortedSet<Integer>> splits = new java.util.HashMap<>();

    /** Returns the numeric type of a model of this precision, with plain Java kernels. */
    public Num(Precision precision) {
        this(precision, KernelStyle.PLAIN);
    }

    /** Returns the numeric type of a model of this precision whose matrix products are written in {@code kernels}. */
    public Num(Precision precision, KernelStyle kernels) {
        this.isFloat = precision == Precision.FLOAT32;
        this.kernels = kernels;
    }

    /** Returns how the matrix products are written. */
    public KernelStyle kernels() {
        return kernels;
    }

    /**
     * Returns the type of the copies of a weight the products read ({@code packedX} forward, {@code rowsX} backward):
     * one flat array in blocks for the Vector API kernels, one array per column (or row) for the plain ones.
     */
    public TypeName weightCopy() {
        return array(isVector() ? 1 : 2);
    }

    /**
     * Makes the forward layout of {@code w} begin a block at {@code row}, for a product that starts there. The
     * model writer says so for every such product before anything is written.
     */
    public void splitAt(dev.unroll.compiler.plan.TensorSpec w, int row) {
        if (row > 0 && row < w.rows()) {
            splits.computeIfAbsent(w.field(), f -> new java.util.TreeSet<>()).add(row);
        }
    }

    /**
     * Returns how the Vector API kernels' forward products store {@code W} (its rows in blocks), or null for plain
     * kernels, which read one array per column of {@code W}.
     */
    public BlockLayout forwardLayout(dev.unroll.compiler.plan.TensorSpec w) {
        if (!isVector()) {
            return null;
        }
        int[] at = splits.getOrDefault(w.field(), new java.util.TreeSet<>()).stream().mapToInt(Integer::intValue)
                .toArray();
        return BlockLayout.of(w.rows(), w.cols(), lanes(), at);
    }

    /** Returns how the backward products store {@code W^T} (rows the columns of {@code W}), or null for plain. */
    public BlockLayout backwardLayout(dev.unroll.compiler.plan.TensorSpec w) {
        return isVector() ? BlockLayout.of(w.cols(), w.rows(), lanes()) : null;
    }

    /** Returns the Vector API helper methods of the class being written (none for plain kernels). */
    VectorMethods vectorMethods() {
        return vectorMethods;
    }

    /** Returns true when the matrix products are Vector API code. */
    public boolean isVector() {
        return kernels.isVector();
    }

    /** Returns the lanes of one vector of this type; only for Vector API kernels. */
    public int lanes() {
        return kernels.lanes(isFloat ? 32 : 64);
    }

    /** Returns {@code FloatVector} or {@code DoubleVector}. */
    public ClassName vectorType() {
        return ClassName.get("jdk.incubator.vector", isFloat ? "FloatVector" : "DoubleVector");
    }

    /** Returns {@code VectorSpecies<Float>} or {@code VectorSpecies<Double>}. */
    public TypeName speciesType() {
        return com.palantir.javapoet.ParameterizedTypeName.get(VECTOR_SPECIES, type().box());
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
