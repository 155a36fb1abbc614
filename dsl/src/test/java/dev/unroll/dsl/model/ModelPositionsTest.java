package dev.unroll.dsl.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.unroll.dsl.CheckResult;
import dev.unroll.dsl.RnnFrontEnd;
import dev.unroll.dsl.SourcePosition;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Every statement and option of a validated model knows where it was written. */
class ModelPositionsTest {
    // Columns are counted from 1; each line is indented by four spaces.
    private static final String SPEC = """
            package p;
            model M {
                input 10 one_hot;
                lstm 32 bidirectional sum dropout 0.25 peepholes cell_clip 3;
                gru 16 cho;
                output 10 softmax;
                many_to_one steps 20 variable_length;
                seed 10;
                init xavier recurrent orthogonal;
                clip norm 1.0;
            }
            """;

    private static NetworkModel model(String spec) {
        CheckResult result = RnnFrontEnd.check("positions.rnn", spec.getBytes(StandardCharsets.UTF_8));
        assertFalse(result.hasErrors(), result::formattedDiagnostics);
        return result.models().get(0);
    }

    private static SourcePosition at(int line, int column) {
        return new SourcePosition(line, column);
    }

    @Test
    void layerOptionsPointAtTheirWordsAndValues() {
        ModelPositions positions = model(SPEC).positions();
        assertEquals(Optional.of(at(4, 13)), positions.ofLayerOption(0, "bidirectional"));
        assertEquals(Optional.of(at(4, 31)), positions.ofLayerOption(0, "dropout"));
        assertEquals(Optional.of(at(4, 44)), positions.ofLayerOption(0, "peepholes"));
        assertEquals(Optional.of(at(4, 54)), positions.ofLayerOption(0, "cell_clip"));
        assertEquals(Optional.of(at(4, 27)), positions.layer(0).orElseThrow().value("bidirectional"));
        assertEquals(Optional.of(at(4, 39)), positions.layer(0).orElseThrow().value("dropout"));
        assertEquals(Optional.of(at(4, 10)), positions.layer(0).orElseThrow().argument(0));
        assertEquals(Optional.of(at(5, 12)), positions.ofLayerOption(1, "cho"));
        assertEquals(Optional.empty(), positions.ofLayerOption(1, "dropout"));
        assertEquals(at(5, 5), positions.atLayerOption(1, "dropout"), "not written: the layer's keyword");
        assertEquals(at(4, 5), positions.atLayer(0));
    }

    @Test
    void otherStatementsPointAtTheirWords() {
        ModelPositions positions = model(SPEC).positions();
        assertEquals(Optional.of(at(3, 14)), positions.ofOption(StatementKind.INPUT, "one_hot"));
        assertEquals(Optional.of(at(7, 26)), positions.ofOption(StatementKind.TOPOLOGY, "variable_length"));
        assertEquals(Optional.of(at(7, 17)), positions.ofOption(StatementKind.TOPOLOGY, "steps"));
        assertEquals(at(7, 5), positions.atOption(StatementKind.TOPOLOGY, "feedback"));
        assertEquals(at(8, 5), positions.atStatement(StatementKind.SEED));
        assertEquals(Optional.of(at(8, 10)), positions.statement(StatementKind.SEED).orElseThrow().argument(0));
        assertEquals(Optional.of(at(9, 27)), positions.statement(StatementKind.INIT).orElseThrow().value("recurrent"));
        assertEquals(Optional.of(at(10, 10)), positions.clip(ClipKind.NORM).orElseThrow().word("norm"));
        assertEquals(at(2, 1), positions.model());
        assertEquals(at(2, 7), positions.name());
    }

    @Test
    void truncatedBpttPointsAtItsKeywordAndWindow() {
        ModelPositions positions = model("model M {\n input 3; lstm 4; output 2; many_to_many steps 20;\n"
                + "  truncated_bptt 10;\n}").positions();
        assertEquals(at(3, 3), positions.atStatement(StatementKind.TRUNCATED_BPTT));
        assertEquals(Optional.of(at(3, 18)),
                positions.statement(StatementKind.TRUNCATED_BPTT).orElseThrow().argument(0));
    }

    @Test
    void defaultsFallBackToTheModel() {
        ModelPositions positions = model(SPEC).positions();
        assertEquals(Optional.empty(), positions.ofStatement(StatementKind.LOSS));
        assertEquals(at(2, 1), positions.atStatement(StatementKind.LOSS));
        assertEquals(at(2, 1), positions.atOption(StatementKind.OPTIMIZER, "learning_rate"));
        assertEquals(Optional.empty(), positions.clip(ClipKind.VALUE));
        assertEquals(at(2, 1), positions.atLayerOption(7, "dropout"), "no such layer");
    }

    @Test
    void everyLayerHasItsStatement() {
        NetworkModel model = model(SPEC);
        assertEquals(model.layers().size(), model.positions().layers().size());
    }

    @Test
    void repeatableStatementsAreReachedByIndexOrKind() {
        ModelPositions positions = model(SPEC).positions();
        assertThrows(IllegalArgumentException.class, () -> positions.statement(StatementKind.LAYER));
        assertThrows(IllegalArgumentException.class, () -> new ModelPositions(at(1, 1), at(1, 7),
                java.util.Map.of(StatementKind.CLIP, StatementPositions.ofKeyword(at(2, 1))), List.of(),
                java.util.Map.of()));
    }

    @Test
    void modelsBuiltByHandKnowOnlyTheirStart() {
        ModelPositions unknown = ModelPositions.unknown(at(3, 1));
        assertEquals(at(3, 1), unknown.atLayerOption(0, "bidirectional"));
        assertEquals(at(3, 1), unknown.atOption(StatementKind.INPUT, "one_hot"));
        assertEquals(Optional.empty(), unknown.ofLayerOption(0, "bidirectional"));
    }

    @Test
    void statementKindsKnowTheirKeywords() {
        assertEquals(List.of("rnn", "lstm", "gru"), StatementKind.LAYER.keywords());
        assertEquals(List.of("one_to_one", "one_to_many", "many_to_one", "many_to_many"),
                StatementKind.TOPOLOGY.keywords());
        assertEquals(Optional.of(StatementKind.TRUNCATED_BPTT), StatementKind.ofKeyword("truncated_bptt"));
        assertEquals(Optional.empty(), StatementKind.ofKeyword("encoder_decoder"));
    }
}
