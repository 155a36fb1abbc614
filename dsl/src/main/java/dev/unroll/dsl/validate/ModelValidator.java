package dev.unroll.dsl.validate;

import dev.unroll.dsl.Diagnostics;
import dev.unroll.dsl.SourcePosition;
import dev.unroll.dsl.ast.Argument;
import dev.unroll.dsl.ast.ModelDecl;
import dev.unroll.dsl.ast.Statement;
import dev.unroll.dsl.model.ClipKind;
import dev.unroll.dsl.model.ClipSpec;
import dev.unroll.dsl.model.InitSpec;
import dev.unroll.dsl.model.LayerSpec;
import dev.unroll.dsl.model.LossKind;
import dev.unroll.dsl.model.ModelPositions;
import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.dsl.model.OptimizerKind;
import dev.unroll.dsl.model.OutputSpec;
import dev.unroll.dsl.model.Precision;
import dev.unroll.dsl.model.ScheduleKind;
import dev.unroll.dsl.model.ScheduleSpec;
import dev.unroll.dsl.model.StatementKind;
import dev.unroll.dsl.model.StatementPositions;
import dev.unroll.dsl.model.TopologySpec;
import dev.unroll.dsl.model.TrainingSpec;
import dev.unroll.dsl.model.WeightInit;
import dev.unroll.dsl.validate.ModelDraft.LayerDraft;
import dev.unroll.dsl.validate.ModelDraft.OutputDraft;
import dev.unroll.dsl.validate.ModelDraft.TopologyDraft;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Validates one model: hands each statement to the reader of its kind, reports unknown and
 * duplicate statements, then checks what is missing and the rules between statements
 * ({@link ModelRules}) and resolves the sizes into a {@link NetworkModel}.
 */
final class ModelValidator {
    private final ModelDecl decl;
    private final String packageName;
    private final String sourceName;
    private final Diagnostics diagnostics;
    private final ModelDraft draft = new ModelDraft();
    /** The first statement of each kind written once per model, for the duplicate message. */
    private final Map<StatementKind, Statement> singletons = new EnumMap<>(StatementKind.class);

    ModelValidator(ModelDecl decl, String packageName, String sourceName, Diagnostics diagnostics) {
        this.decl = decl;
        this.packageName = packageName;
        this.sourceName = sourceName;
        this.diagnostics = diagnostics;
    }

    /** Returns the model, or empty when it has errors (all reported). */
    Optional<NetworkModel> validate() {
        JavaNames.checkClassName(decl.name(), diagnostics);
        for (Statement statement : decl.statements()) {
            statement(statement);
        }
        return resolve();
    }

    private void statement(Statement st) {
        Optional<StatementKind> found = StatementKind.ofKeyword(st.keyword().text());
        if (found.isEmpty()) {
            unknownStatement(st);
            return;
        }
        StatementKind kind = found.get();
        draft.attempted.add(kind);
        if (!kind.repeatable() && !firstOfItsKind(kind, st)) {
            return;
        }
        Reading reading = new Reading(kind, st, diagnostics, draft);
        switch (kind) {
            case INPUT -> InputReader.read(reading);
            case LAYER -> LayerReader.read(reading);
            case OUTPUT -> OutputReader.read(reading);
            case TOPOLOGY -> TopologyReader.read(reading);
            case BATCH -> BatchReader.read(reading);
            case TRUNCATED_BPTT -> TruncatedBpttReader.read(reading);
            case LOSS -> LossReader.read(reading);
            case OPTIMIZER -> OptimizerReader.read(reading);
            case SCHEDULE -> ScheduleReader.read(reading);
            case INIT -> InitReader.read(reading);
            case SEED -> SeedReader.read(reading);
            case CLIP -> ClipReader.read(reading);
            case PRECISION -> PrecisionReader.read(reading);
        }
        if (!reading.clean()) {
            draft.discard(kind, st);
        }
    }

    private void unknownStatement(Statement st) {
        String keyword = st.keyword().text();
        Optional<OptionTable.Owner> owner = OptionTable.owner(keyword);
        if (owner.isPresent()) {
            // Its statement is probably the one whose keyword went missing: not also "no layer".
            draft.attempted.add(owner.get().statement());
            diagnostics.error(st.keyword().position(), "'" + keyword + "' is not a statement but an option of "
                    + owner.get().phrase() + ", e.g. '" + owner.get().example() + ";'");
            return;
        }
        Optional<String> suggestion = Suggestions.closest(keyword, Keywords.STATEMENTS);
        boolean looksLikeLayer = suggestion.map(Keywords.CELLS::contains).orElse(false)
                || suggestion.isEmpty() && !st.arguments().isEmpty()
                && st.arguments().get(0) instanceof Argument.NumberLiteral;
        // A misspelled statement is the user's attempt at that statement: it is not missing too.
        if (looksLikeLayer) {
            draft.attempted.add(StatementKind.LAYER);
        } else {
            suggestion.flatMap(StatementKind::ofKeyword).ifPresent(draft.attempted::add);
        }
        String shown = Texts.shown(keyword);
        if (looksLikeLayer) {
            diagnostics.error(st.keyword().position(), "unknown cell type '" + shown + "'"
                    + Suggestions.hint(keyword, Keywords.CELLS));
        } else {
            diagnostics.error(st.keyword().position(), "unknown statement '" + shown + "'"
                    + suggestion.map(s -> "; did you mean '" + s + "'?").orElse(""));
        }
    }

    /** Statements other than layers and clips appear once per model. */
    private boolean firstOfItsKind(StatementKind kind, Statement st) {
        Statement first = singletons.putIfAbsent(kind, st);
        if (first == null) {
            return true;
        }
        if (kind == StatementKind.TOPOLOGY) {
            diagnostics.error(st.position(), "a model has one topology, already declared as '"
                    + first.keyword().text() + "' at " + first.position());
        } else {
            diagnostics.error(st.position(), "duplicate '" + st.keyword().text() + "' statement; the first is at "
                    + first.position());
        }
        return false;
    }

    private Optional<NetworkModel> resolve() {
        SourcePosition at = decl.name().position();
        String shownName = Texts.shown(decl.name().text());
        if (!decl.complete()) {
            // Syntax errors set part of the body aside: what looks missing may be in that part.
            draft.attempted.addAll(EnumSet.of(StatementKind.INPUT, StatementKind.LAYER, StatementKind.OUTPUT,
                    StatementKind.TOPOLOGY, StatementKind.CLIP));
        }
        if (decl.complete() && decl.statements().isEmpty()) {
            diagnostics.error(at, "model " + shownName + " is empty; it needs an input, a recurrent layer, an output"
                    + " and a topology, e.g. 'input 65 one_hot; lstm 128; output 65 softmax; many_to_many steps 25;'");
            return Optional.empty();
        }
        if (draft.input == null && !draft.attempted.contains(StatementKind.INPUT)) {
            diagnostics.error(at, "model " + shownName + " has no input; add e.g. 'input 65 one_hot;'");
        }
        if (draft.layers.isEmpty() && !draft.attempted.contains(StatementKind.LAYER)) {
            diagnostics.error(at, "model " + shownName + " has no recurrent layer; add e.g. 'lstm 128;'");
        }
        if (draft.output == null && !draft.attempted.contains(StatementKind.OUTPUT)) {
            diagnostics.error(at, "model " + shownName + " has no output; add e.g. 'output 65 softmax;'");
        }
        if (draft.topology == null && !draft.attempted.contains(StatementKind.TOPOLOGY)) {
            diagnostics.error(at, "model " + shownName + " has no topology; add e.g. 'many_to_many steps 25;'");
        }
        List<LayerSpec> layers = new ArrayList<>();
        int width = draft.input == null ? 0 : draft.input.value().featureSize();
        for (Located<LayerDraft> located : draft.input == null ? List.<Located<LayerDraft>>of() : draft.layers) {
            LayerDraft l = located.value();
            LayerSpec layer = new LayerSpec(layers.size(), l.cell(), width, l.hidden(), l.direction(), l.dropout());
            layers.add(layer);
            width = layer.outputSize();
        }
        // Checked even when a statement is missing or was set aside: every problem in one run.
        LossKind loss = new ModelRules(draft, diagnostics).check(layers);
        if (draft.input == null || draft.layers.isEmpty() || draft.output == null || draft.topology == null) {
            return Optional.empty();
        }

        TopologyDraft t = draft.topology.value();
        OutputDraft out = draft.output.value();
        TopologySpec topology = new TopologySpec(t.kind(), t.inputSteps(), t.outputSteps(), t.feedback(),
                t.variableLength(), draft.batch == null ? OptionalInt.empty() : OptionalInt.of(draft.batch.value()),
                draft.bpttWindow == null ? OptionalInt.empty() : OptionalInt.of(draft.bpttWindow.value()));
        List<ClipSpec> clipping = new ArrayList<>();
        for (ClipKind kind : List.of(ClipKind.VALUE, ClipKind.PER_PARAMETER_NORM, ClipKind.NORM)) {
            if (draft.clips.containsKey(kind)) {
                clipping.add(draft.clips.get(kind).value());
            }
        }
        TrainingSpec training = new TrainingSpec(loss,
                draft.optimizer == null ? OptimizerDefaults.of(OptimizerKind.ADAM) : draft.optimizer.value(),
                draft.schedule == null ? new ScheduleSpec(ScheduleKind.CONSTANT, 0, 1, 0, 0) : draft.schedule.value(),
                draft.init == null ? new InitSpec(WeightInit.PYTORCH, WeightInit.PYTORCH) : draft.init.value(),
                draft.seed == null ? 0L : draft.seed.value(), clipping);
        return Optional.of(new NetworkModel(sourceName, decl.position(), packageName, decl.name().text(), decl.doc(),
                draft.input.value(), layers, new OutputSpec(width, out.size(), out.activation()), topology, training,
                draft.precision == null ? Precision.FLOAT32 : draft.precision.value(), positions()));
    }

    /** Where every statement of the (valid) model and each of its words were written. */
    private ModelPositions positions() {
        Map<StatementKind, StatementPositions> statements = new EnumMap<>(StatementKind.class);
        draft.singles().forEach((kind, located) -> statements.put(kind, Positions.of(located)));
        List<StatementPositions> layers = draft.layers.stream().map(Positions::of).toList();
        Map<ClipKind, StatementPositions> clips = new EnumMap<>(ClipKind.class);
        draft.clips.forEach((kind, clip) -> clips.put(kind, Positions.of(clip)));
        return new ModelPositions(decl.position(), decl.name().position(), statements, layers, clips);
    }
}
