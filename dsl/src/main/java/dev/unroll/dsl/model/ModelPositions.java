package dev.unroll.dsl.model;

import dev.unroll.dsl.SourcePosition;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where each part of a validated model was written. The model itself holds no syntax; this is
 * the one place a later stage finds a line and column for a message about it, e.g. the code
 * generator refusing an option it cannot emit yet:
 *
 * <pre>{@code
 * ModelPositions at = model.positions();
 * at.ofLayerOption(0, "bidirectional")   // Optional[6:14]: where layer 0 says 'bidirectional'
 * at.atLayerOption(0, "dropout")         // the 'dropout' of layer 0, else its 'lstm', else 'model'
 * at.atOption(StatementKind.TOPOLOGY, "variable_length")
 * at.atStatement(StatementKind.TRUNCATED_BPTT)
 * }</pre>
 *
 * <p>Methods named {@code of...} return what was written, or empty; methods named {@code at...}
 * always return a place to report at, falling back from the word to its statement's keyword and
 * from a statement that was not written (a default) to the {@code model} keyword.
 *
 * @param model where the {@code model} keyword starts
 * @param name where the model's name starts
 * @param statements the statements written once per model, by kind; never {@link StatementKind#LAYER}
 *     or {@link StatementKind#CLIP}, which are in {@code layers} and {@code clips}
 * @param layers the layer statements, in stack order: index {@code i} is {@link LayerSpec#index()} {@code i}
 * @param clips the clip statements, by the kind of clipping each declares
 */
public record ModelPositions(SourcePosition model, SourcePosition name, Map<StatementKind, StatementPositions> statements,
        List<StatementPositions> layers, Map<ClipKind, StatementPositions> clips) {

    public ModelPositions {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(name, "name");
        for (StatementKind kind : statements.keySet()) {
            if (kind.repeatable()) {
                throw new IllegalArgumentException(kind + " statements are listed in layers or clips, not statements");
            }
        }
        statements = Map.copyOf(statements);
        layers = List.copyOf(layers);
        clips = Map.copyOf(clips);
    }

    /**
     * Returns positions that know only where the model starts: every {@code at...} method answers
     * {@code model}. For models built by hand rather than validated from a spec.
     */
    public static ModelPositions unknown(SourcePosition model) {
        return new ModelPositions(model, model, Map.of(), List.of(), Map.of());
    }

    /**
     * Returns the statement of a kind written once per model, if it was written.
     *
     * @throws IllegalArgumentException for layers and clips: use {@link #layer} and {@link #clip}
     */
    public Optional<StatementPositions> statement(StatementKind kind) {
        if (kind.repeatable()) {
            throw new IllegalArgumentException(kind + " is repeatable: use layer(index) or clip(kind)");
        }
        return Optional.ofNullable(statements.get(kind));
    }

    /** Returns the statement of layer {@code index}, if it is known. */
    public Optional<StatementPositions> layer(int index) {
        return index >= 0 && index < layers.size() ? Optional.of(layers.get(index)) : Optional.empty();
    }

    /** Returns the clip statement of a kind, if it was written. */
    public Optional<StatementPositions> clip(ClipKind kind) {
        return Optional.ofNullable(clips.get(kind));
    }

    /** Returns where a statement's keyword was written, if the statement was. */
    public Optional<SourcePosition> ofStatement(StatementKind kind) {
        return statement(kind).map(StatementPositions::keyword);
    }

    /** Returns where a statement's keyword was written, or the {@code model} keyword for a default. */
    public SourcePosition atStatement(StatementKind kind) {
        return ofStatement(kind).orElse(model);
    }

    /** Returns where a word (option name or chosen word) of a statement was written, if it was. */
    public Optional<SourcePosition> ofOption(StatementKind kind, String word) {
        return statement(kind).flatMap(s -> s.word(word));
    }

    /** Returns where a word of a statement was written, else the statement's keyword, else {@code model}. */
    public SourcePosition atOption(StatementKind kind, String word) {
        return statement(kind).map(s -> s.at(word)).orElse(model);
    }

    /** Returns where layer {@code index}'s keyword ({@code lstm}) was written, if it is known. */
    public Optional<SourcePosition> ofLayer(int index) {
        return layer(index).map(StatementPositions::keyword);
    }

    /** Returns where layer {@code index}'s keyword was written, else {@code model}. */
    public SourcePosition atLayer(int index) {
        return ofLayer(index).orElse(model);
    }

    /** Returns where layer {@code index} wrote {@code word} ({@code bidirectional}, {@code cho}), if it did. */
    public Optional<SourcePosition> ofLayerOption(int index, String word) {
        return layer(index).flatMap(s -> s.word(word));
    }

    /** Returns where layer {@code index} wrote {@code word}, else its keyword, else {@code model}. */
    public SourcePosition atLayerOption(int index, String word) {
        return layer(index).map(s -> s.at(word)).orElse(model);
    }
}
