package dev.unroll.dsl.ast;

import dev.unroll.dsl.SourcePosition;
import java.util.List;
import java.util.Optional;

/**
 * A whole {@code .rnn} file: an optional package and the models it declares, in source order.
 *
 * @param position the start of the file
 * @param packageName the declared package, if any
 * @param models the models, in source order
 */
public record SpecFile(SourcePosition position, Optional<QualifiedName> packageName, List<ModelDecl> models)
        implements Node {
    public SpecFile {
        models = List.copyOf(models);
    }
}
