package dev.unroll.dsl.model;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The kinds of statement a model body holds. Most kinds have one keyword, their own name
 * ({@code loss}, {@code truncated_bptt}); a layer starts with its cell type ({@code lstm}) and a
 * topology with its kind ({@code many_to_many}), so their keywords come from those enums.
 */
public enum StatementKind {
    /** {@code input 65 one_hot;} */
    INPUT,
    /** {@code lstm 128;}, one per recurrent layer. */
    LAYER,
    /** {@code output 65 softmax;} */
    OUTPUT,
    /** {@code many_to_many steps 25;} */
    TOPOLOGY,
    /** {@code batch 32;} */
    BATCH,
    /** {@code truncated_bptt 20;} */
    TRUNCATED_BPTT,
    /** {@code loss cross_entropy;} */
    LOSS,
    /** {@code optimizer adam learning_rate 0.001;} */
    OPTIMIZER,
    /** {@code schedule cosine period 1000;} */
    SCHEDULE,
    /** {@code init xavier recurrent orthogonal;} */
    INIT,
    /** {@code seed 42;} */
    SEED,
    /** {@code clip norm 1.0;}, once per clipping kind. */
    CLIP,
    /** {@code precision float64;} */
    PRECISION;

    /** Returns the words that start a statement of this kind, in the order the reference documents them. */
    public List<String> keywords() {
        return switch (this) {
            case LAYER -> Arrays.stream(CellType.values()).map(CellType::keyword).toList();
            // encoder_decoder is not a keyword: it is written as many_to_many with input_steps and output_steps.
            case TOPOLOGY -> Arrays.stream(Topology.values()).filter(t -> t != Topology.ENCODER_DECODER)
                    .map(Topology::keyword).toList();
            default -> List.of(name().toLowerCase(Locale.ROOT));
        };
    }

    /** Returns true when statements of this kind may appear more than once in a model (layers, clips). */
    public boolean repeatable() {
        return this == LAYER || this == CLIP;
    }

    /** Returns the kind of statement that {@code keyword} starts, if it starts one. */
    public static Optional<StatementKind> ofKeyword(String keyword) {
        for (StatementKind kind : values()) {
            if (kind.keywords().contains(keyword)) {
                return Optional.of(kind);
            }
        }
        return Optional.empty();
    }
}
