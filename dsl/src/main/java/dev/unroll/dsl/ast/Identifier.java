package dev.unroll.dsl.ast;

import dev.unroll.dsl.SourcePosition;

/**
 * A name or keyword as written.
 *
 * @param position where it starts
 * @param text the characters of the name
 */
public record Identifier(SourcePosition position, String text) implements Node {}
