package dev.unroll.dsl.validate;

import dev.unroll.dsl.ast.Statement;
import dev.unroll.dsl.model.CellSpec;
import dev.unroll.dsl.model.ClipKind;
import dev.unroll.dsl.model.ClipSpec;
import dev.unroll.dsl.model.Direction;
import dev.unroll.dsl.model.InitSpec;
import dev.unroll.dsl.model.InputSpec;
import dev.unroll.dsl.model.LossKind;
import dev.unroll.dsl.model.OptimizerSpec;
import dev.unroll.dsl.model.OutputActivation;
import dev.unroll.dsl.model.Precision;
import dev.unroll.dsl.model.ScheduleSpec;
import dev.unroll.dsl.model.StatementKind;
import dev.unroll.dsl.model.Topology;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the statement readers found in one model, before the rules between statements are
 * checked and the sizes resolved. A field is null while its statement is absent or had errors.
 * Fields rather than accessors: this is the scratch space of one validation, filled by the
 * readers and read by {@link ModelRules} and {@link ModelValidator}, never seen outside.
 */
final class ModelDraft {
    Located<InputSpec> input;
    final List<Located<LayerDraft>> layers = new ArrayList<>();
    Located<OutputDraft> output;
    Located<TopologyDraft> topology;
    Located<Integer> batch;
    Located<Integer> bpttWindow;
    Located<LossKind> loss;
    Located<OptimizerSpec> optimizer;
    Located<ScheduleSpec> schedule;
    Located<InitSpec> init;
    Located<Long> seed;
    final Map<ClipKind, Located<ClipSpec>> clips = new LinkedHashMap<>();
    Located<Precision> precision;
    /** Set when a layer statement had errors: the layers above it would read the wrong size. */
    boolean layerDiscarded;
    /**
     * The kinds of statement the model tried to write, validly or not (a misspelled 'lstn' is an
     * attempt at a layer): those are not also reported missing.
     */
    final Set<StatementKind> attempted = EnumSet.noneOf(StatementKind.class);

    /** A layer before its input size is known. */
    record LayerDraft(CellSpec cell, int hidden, Direction direction, double dropout) {}

    /** The output head before its input size is known. */
    record OutputDraft(int size, OutputActivation activation) {}

    /** The topology before batching and the BPTT window are added. */
    record TopologyDraft(Topology kind, int inputSteps, int outputSteps, boolean feedback, boolean variableLength) {
        /** Returns the number of steps the stack runs. */
        int unrolledSteps() {
            return kind == Topology.ENCODER_DECODER ? inputSteps + outputSteps : Math.max(inputSteps, outputSteps);
        }
    }

    /** Forgets what a statement with errors contributed, so that it causes no follow-on errors. */
    void discard(StatementKind kind, Statement st) {
        switch (kind) {
            case INPUT -> input = null;
            case LAYER -> {
                layers.removeIf(l -> l.statement() == st);
                layerDiscarded = true;
            }
            case OUTPUT -> output = null;
            case TOPOLOGY -> topology = null;
            case BATCH -> batch = null;
            case TRUNCATED_BPTT -> bpttWindow = null;
            case LOSS -> loss = null;
            case OPTIMIZER -> optimizer = null;
            case SCHEDULE -> schedule = null;
            case INIT -> init = null;
            case SEED -> seed = null;
            case CLIP -> clips.values().removeIf(c -> c.statement() == st);
            case PRECISION -> precision = null;
        }
    }

    /** Returns every statement written once that was read without errors, with its kind. */
    Map<StatementKind, Located<?>> singles() {
        Map<StatementKind, Located<?>> singles = new LinkedHashMap<>();
        put(singles, StatementKind.INPUT, input);
        put(singles, StatementKind.OUTPUT, output);
        put(singles, StatementKind.TOPOLOGY, topology);
        put(singles, StatementKind.BATCH, batch);
        put(singles, StatementKind.TRUNCATED_BPTT, bpttWindow);
        put(singles, StatementKind.LOSS, loss);
        put(singles, StatementKind.OPTIMIZER, optimizer);
        put(singles, StatementKind.SCHEDULE, schedule);
        put(singles, StatementKind.INIT, init);
        put(singles, StatementKind.SEED, seed);
        put(singles, StatementKind.PRECISION, precision);
        return singles;
    }

    private static void put(Map<StatementKind, Located<?>> map, StatementKind kind, Located<?> value) {
        if (value != null) {
            map.put(kind, value);
        }
    }
}
