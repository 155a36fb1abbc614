package dev.unroll.compiler.plan;

import dev.unroll.dsl.SourcePosition;

/**
 * A feature of a valid model that the generator cannot emit yet, reported at the option that asks for it.
 *
 * @param position where the option is written
 * @param message what is refused, for the user
 */
public record Refusal(SourcePosition position, String message) {}
