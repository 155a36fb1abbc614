package dev.unroll.dsl.validate;

import dev.unroll.dsl.model.CellSpec;
import dev.unroll.dsl.model.CellType;
import dev.unroll.dsl.model.Direction;
import dev.unroll.dsl.model.GruVariant;
import dev.unroll.dsl.model.Keyword;
import dev.unroll.dsl.model.RnnActivation;
import dev.unroll.dsl.model.StatementKind;
import dev.unroll.dsl.validate.ModelDraft.LayerDraft;
import dev.unroll.dsl.validate.StatementArgs.Option;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/** Reads a layer: {@code rnn|lstm|gru HIDDEN [options];}. */
final class LayerReader {
    private LayerReader() {}

    static void read(Reading r) {
        String cell = r.keyword();
        StatementArgs args = r.args(cell + " layer");
        Optional<Integer> hidden = args.requiredInt("hidden size", 1, Limits.MAX_HIDDEN_SIZE, cell + " 128;");
        Map<String, Option> options = args.options(OptionTable.options(StatementKind.LAYER, cell),
                OptionTable.elsewhere(StatementKind.LAYER, cell));

        Direction direction = Direction.FORWARD;
        if (options.containsKey("bidirectional")) {
            direction = options.get("bidirectional").value()
                    .map(v -> OptionTable.valueOf(Direction.class, v.text())).orElse(Direction.CONCAT);
        }
        double dropout = r.number(options.get("dropout"), "dropout", v -> v >= 0 && v < 1, "must be in [0, 1)")
                .orElse(0);
        CellSpec spec = switch (OptionTable.valueOf(CellType.class, cell)) {
            case RNN -> new CellSpec.Rnn(exclusive(r, options, RnnActivation.TANH, RnnActivation.RELU));
            case LSTM -> new CellSpec.Lstm(
                    r.number(options.get("forget_bias"), "forget_bias", v -> true, "").orElse(0),
                    options.containsKey("peepholes"),
                    options.containsKey("cell_clip")
                            ? r.number(options.get("cell_clip"), "cell_clip", v -> v > 0, "must be > 0")
                            : OptionalDouble.empty());
            case GRU -> new CellSpec.Gru(exclusive(r, options, GruVariant.RESET_AFTER, GruVariant.CHO));
        };
        if (hidden.isPresent() && r.clean()) {
            r.draft().layers.add(r.located(new LayerDraft(spec, hidden.get(), direction, dropout), options));
        }
    }

    /**
     * Returns which of two flags that exclude each other ({@code tanh}/{@code relu}) was written,
     * {@code first} (the default) when neither was; when both were, reports the later one.
     */
    private static <E extends Enum<E> & Keyword> E exclusive(Reading r, Map<String, Option> options, E first, E second) {
        Option a = options.get(first.keyword());
        Option b = options.get(second.keyword());
        if (a != null && b != null) {
            Option earlier = a.name().position().compareTo(b.name().position()) < 0 ? a : b;
            Option later = earlier == a ? b : a;
            r.diagnostics().error(later.name().position(), "'" + earlier.name().text() + "' and '"
                    + later.name().text() + "' exclude each other");
            return first; // the statement is set aside for its error: the value is never used
        }
        return b != null ? second : first;
    }
}
