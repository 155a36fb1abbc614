package dev.unroll.compiler.codegen;

import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeSpec;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The Vector API helper methods of one generated class, each written once however many call sites use it (kernels
 * of the same shape share one), and added to the class after everything that calls them.
 *
 * <p>Why helpers and not inline code: written inline, a method's vector code and its element-wise loops compile as
 * one graph, and C2 then left the element-wise loops unvectorized (LSTM-32, JDK 17: the layer's step 1.4 us with the
 * products inline, 0.71 us with them in a method of their own, 0.88 us for the plain kernels).
 */
final class VectorMethods {
    private final Map<String, MethodSpec> methods = new LinkedHashMap<>();
    private final Map<Object, String> names = new HashMap<>();

    /**
     * Returns the name of the helper that {@code key} identifies (equal keys, one helper), having written it with
     * {@code write} the first time: {@code name}, or, when another helper already has that name, {@code name} with a
     * letter after it.
     */
    String use(String name, Object key, Function<String, MethodSpec> write) {
        String known = names.get(key);
        if (known != null) {
            return known;
        }
        String unique = name;
        for (char suffix = 'B'; methods.containsKey(unique); suffix++) {
            unique = name + suffix;
        }
        MethodSpec method = write.apply(unique);
        if (!method.name().equals(unique)) {
            throw new IllegalStateException("helper " + unique + " written as " + method.name());
        }
        methods.put(unique, method);
        names.put(key, unique);
        return unique;
    }

    /** Adds every helper asked for so far to {@code type}, in the order they were first asked for. */
    void addTo(TypeSpec.Builder type) {
        methods.values().forEach(type::addMethod);
    }
}
