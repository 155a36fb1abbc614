package dev.unroll.compiler;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.objectweb.asm.ClassReader;

/**
 * Test support: the bytecode size of every method in compiled class files, read with ASM.
 *
 * <p>HotSpot does not JIT-compile a method whose bytecode is longer than {@code HugeMethodLimit}
 * (8000 bytes, and {@code -XX:-DontCompileHugeMethods} is a diagnostic flag nobody sets): such a
 * method runs interpreted forever, tens of times slower. Generated code keeps every size a
 * constant in loops precisely so that no method grows with the network; this checks it.
 *
 * <p>{@link GeneratedCode#compileSources} calls {@link #assertBelowHugeMethodLimit} on everything it
 * compiles, so every test that compiles generated models checks this too.
 */
final class MethodSizes {
    /** HotSpot's {@code -XX:HugeMethodLimit} default: methods this long or longer are never compiled. */
    static final int HUGE_METHOD_LIMIT = 8000;

    private MethodSizes() {}

    /** One method of one class and the length of its bytecode ({@code code_length}). */
    record Method(String className, String name, String descriptor, int bytecodeLength) {
        @Override
        public String toString() {
            return className + "." + name + descriptor + ": " + bytecodeLength + " bytes of bytecode";
        }
    }

    /** Every method with code in every {@code .class} file under {@code classes} (nested classes included). */
    static List<Method> methods(Path classes) {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(classes)) {
            files = walk.filter(p -> p.toString().endsWith(".class")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Method> methods = new ArrayList<>();
        for (Path file : files) {
            try {
                methods.addAll(methods(Files.readAllBytes(file)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return methods;
    }

    /**
     * Every method with code in one class file, with its {@code code_length}. ASM's reader parses
     * the constant pool; the method table after it is walked as the JVM specification (4.1, 4.6,
     * 4.7.3) lays it out, so the lengths are exactly those of the file, not of a re-encoding.
     */
    static List<Method> methods(byte[] classFile) {
        ClassReader reader = new ClassReader(classFile);
        String className = reader.getClassName().replace('/', '.');
        char[] buffer = new char[reader.getMaxStringLength()];
        int offset = reader.header + 6; // access_flags, this_class, super_class
        offset += 2 + 2 * reader.readUnsignedShort(offset); // interfaces
        int fields = reader.readUnsignedShort(offset);
        offset += 2;
        for (int f = 0; f < fields; f++) {
            offset = skipAttributes(reader, offset + 6);
        }
        List<Method> methods = new ArrayList<>();
        int count = reader.readUnsignedShort(offset);
        offset += 2;
        for (int m = 0; m < count; m++) {
            String name = reader.readUTF8(offset + 2, buffer);
            String descriptor = reader.readUTF8(offset + 4, buffer);
            int attributes = reader.readUnsignedShort(offset + 6);
            offset += 8;
            for (int a = 0; a < attributes; a++) {
                String attribute = reader.readUTF8(offset, buffer);
                int length = reader.readInt(offset + 2);
                if (attribute.equals("Code")) {
                    // Code: max_stack u2, max_locals u2, code_length u4
                    methods.add(new Method(className, name, descriptor, reader.readInt(offset + 6 + 4)));
                }
                offset += 6 + length;
            }
        }
        return methods;
    }

    private static int skipAttributes(ClassReader reader, int offset) {
        int attributes = reader.readUnsignedShort(offset);
        offset += 2;
        for (int a = 0; a < attributes; a++) {
            offset += 6 + reader.readInt(offset + 2);
        }
        return offset;
    }

    /** Fails when some method under {@code classes} reaches the limit; returns the largest method. */
    static Method assertBelowHugeMethodLimit(Path classes) {
        List<Method> methods = methods(classes);
        if (methods.isEmpty()) {
            throw new AssertionError("no compiled methods under " + classes);
        }
        List<Method> huge = methods.stream().filter(m -> m.bytecodeLength() >= HUGE_METHOD_LIMIT)
                .sorted(Comparator.comparingInt(Method::bytecodeLength).reversed()).toList();
        if (!huge.isEmpty()) {
            throw new AssertionError(huge.size() + " generated method(s) at or above HotSpot's HugeMethodLimit of "
                    + HUGE_METHOD_LIMIT + " bytes, which the JIT never compiles:\n  "
                    + String.join("\n  ", huge.stream().map(Method::toString).toList()));
        }
        return methods.stream().max(Comparator.comparingInt(Method::bytecodeLength)).orElseThrow();
    }
}
