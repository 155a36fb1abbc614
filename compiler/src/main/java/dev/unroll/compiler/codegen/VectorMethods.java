package dev.unroll.compiler.codegen;

import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeSpec;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

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

    /** Returns {@code name}, having written its method with {@code write} the first time it is asked for. */
    String use(String name, Supplier<MethodSpec> write) {
        methods.computeIfAbsent(name, n -> {
            MethodSpec method = write.get();
            if (!method.name().equals(n)) {
                throw new IllegalStateException("helper " + n + " written as " + method.name());
            }
            return method;
        });
        return name;
    }

    /** Adds every helper asked for so far to {@code type}, in the order they were first asked for. */
    void addTo(TypeSpec.Builder type) {
        methods.values().forEach(type::addMethod);
    }
}
