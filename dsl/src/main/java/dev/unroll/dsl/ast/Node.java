package dev.unroll.dsl.ast;

import dev.unroll.dsl.SourcePosition;

/** A node of the syntax tree of a {@code .rnn} file. Every node knows where it starts. */
public sealed interface Node permits SpecFile, QualifiedName, ModelDecl, Identifier, Statement, Argument {
    /** Returns where this node starts in its file. */
    SourcePosition position();
}
