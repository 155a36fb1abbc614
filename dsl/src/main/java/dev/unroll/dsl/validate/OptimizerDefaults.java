package dev.unroll.dsl.validate;

import dev.unroll.dsl.model.OptimizerKind;
import dev.unroll.dsl.model.OptimizerSpec;

/** PyTorch's default hyper-parameters for each optimizer (SGD, which has none in PyTorch, gets 0.01). */
final class OptimizerDefaults {
    private OptimizerDefaults() {}

    static OptimizerSpec of(OptimizerKind kind) {
        return switch (kind) {
            case SGD -> new OptimizerSpec(kind, 0.01, 0, false, 0.9, 0.999, 1e-8, 0.99, 0);
            case MOMENTUM -> new OptimizerSpec(kind, 0.01, 0.9, false, 0.9, 0.999, 1e-8, 0.99, 0);
            case ADAGRAD -> new OptimizerSpec(kind, 0.01, 0, false, 0.9, 0.999, 1e-10, 0.99, 0);
            case RMSPROP -> new OptimizerSpec(kind, 0.01, 0, false, 0.9, 0.999, 1e-8, 0.99, 0);
            case ADAM -> new OptimizerSpec(kind, 0.001, 0, false, 0.9, 0.999, 1e-8, 0.99, 0);
            case ADAMW -> new OptimizerSpec(kind, 0.001, 0, false, 0.9, 0.999, 1e-8, 0.99, 0.01);
        };
    }
}
