package dev.unroll.dsl.validate;

import dev.unroll.dsl.Diagnostics;
import dev.unroll.dsl.ast.Identifier;
import java.util.Set;

/** Checks that the names of a spec can be written as Java: model names become classes, package names packages. */
final class JavaNames {
    /** Java's reserved keywords and literals: no identifier may be one of them. */
    private static final Set<String> JAVA_KEYWORDS = Set.of(
            "abstract", "assert", "boolean", "break", "byte", "case", "catch", "char", "class", "const",
            "continue", "default", "do", "double", "else", "enum", "extends", "final", "finally", "float",
            "for", "goto", "if", "implements", "import", "instanceof", "int", "interface", "long", "native",
            "new", "package", "private", "protected", "public", "return", "short", "static", "strictfp",
            "super", "switch", "synchronized", "this", "throw", "throws", "transient", "try", "void",
            "volatile", "while", "true", "false", "null", "_");
    /** Contextual keywords that Java allows in package names but not as a class name (JLS 3.9). */
    private static final Set<String> RESTRICTED_TYPE_NAMES = Set.of("var", "yield", "record", "sealed", "permits");

    /**
     * Most bytes in one file or directory name on the usual file systems (ext4, APFS, NTFS count
     * 255 bytes or UTF-16 units; names here are ASCII).
     */
    static final int MAX_FILE_NAME_BYTES = 255;
    /**
     * Longest model name: the generated {@code Name.java} and its class files, nested ones
     * included ({@code Name$Gradients.class}), must each fit in {@link #MAX_FILE_NAME_BYTES}; the
     * margin leaves room for nested classes the generator may add.
     */
    static final int MAX_MODEL_NAME_LENGTH = 200;

    private JavaNames() {}

    /** Checks a model name, which becomes the name of a generated class. */
    static void checkClassName(Identifier name, Diagnostics diagnostics) {
        check(name, "model name", true, diagnostics);
        if (name.text().length() > MAX_MODEL_NAME_LENGTH) {
            diagnostics.error(name.position(), "model name is " + name.text().length() + " characters long; the"
                    + " generated files (" + Texts.shown(name.text()) + ".java and its class files) need names"
                    + " of at most " + MAX_FILE_NAME_BYTES + " bytes, so a model name may have at most "
                    + MAX_MODEL_NAME_LENGTH);
        }
    }

    /** Checks one part of a package name, which becomes a directory of the generated sources. */
    static void checkPackagePart(Identifier part, Diagnostics diagnostics) {
        check(part, "package name part", false, diagnostics);
        if (part.text().length() > MAX_FILE_NAME_BYTES) {
            diagnostics.error(part.position(), "package name part is " + part.text().length() + " characters"
                    + " long; it becomes a directory, whose name may have at most " + MAX_FILE_NAME_BYTES + " bytes");
        }
    }

    private static void check(Identifier name, String what, boolean isClassName, Diagnostics diagnostics) {
        if (JAVA_KEYWORDS.contains(name.text())) {
            diagnostics.error(name.position(), "'" + name.text() + "' is a Java keyword and cannot be a " + what);
        } else if (isClassName && RESTRICTED_TYPE_NAMES.contains(name.text())) {
            diagnostics.error(name.position(), "'" + name.text() + "' cannot be a " + what
                    + ": Java does not allow it as a class name");
        }
    }
}
