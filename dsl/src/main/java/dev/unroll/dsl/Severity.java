package dev.unroll.dsl;

/** How bad a {@link Diagnostic} is. */
public enum Severity {
    /** The spec cannot be compiled. */
    ERROR,
    /** The spec is legal but probably not what the user wants. */
    WARNING;

    /** Returns the lower-case label printed in diagnostics ("error", "warning"). */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
