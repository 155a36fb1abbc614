package dev.unroll.dsl.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.dsl.model.CellType;
import dev.unroll.dsl.model.GruVariant;
import dev.unroll.dsl.model.OptimizerKind;
import dev.unroll.dsl.model.StatementKind;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The option table: derived from the model's enums, and the source of every "where it applies". */
class OptionTableTest {

    @Test
    void everyCellAndOptimizerHasItsVariant() {
        for (CellType cell : CellType.values()) {
            assertTrue(OptionTable.names(StatementKind.LAYER).containsAll(
                    OptionTable.options(StatementKind.LAYER, cell.keyword()).stream().map(OptionDecl::name).toList()));
            assertTrue(!OptionTable.options(StatementKind.LAYER, cell.keyword()).isEmpty(), cell.keyword());
        }
        for (OptimizerKind kind : OptimizerKind.values()) {
            assertEquals("learning_rate", OptionTable.options(StatementKind.OPTIMIZER, kind.keyword()).get(0).name());
        }
    }

    @Test
    void cellVariantFlagsComeFromTheEnums() {
        List<String> gru = OptionTable.options(StatementKind.LAYER, "gru").stream().map(OptionDecl::name).toList();
        assertTrue(gru.containsAll(OptionTable.words(GruVariant.values())), gru.toString());
        assertEquals(GruVariant.CHO, OptionTable.valueOf(GruVariant.class, "cho"));
    }

    @Test
    void elsewhereNamesTheVariantsThatTakeAnOption() {
        assertEquals("lstm layers", OptionTable.elsewhere(StatementKind.LAYER, "gru").get("peepholes"));
        assertEquals("optimizers adagrad, rmsprop, adam and adamw",
                OptionTable.elsewhere(StatementKind.OPTIMIZER, "sgd").get("epsilon"));
        assertEquals("many_to_one and many_to_many",
                OptionTable.elsewhere(StatementKind.TOPOLOGY, "one_to_many").get("variable_length"));
    }

    @Test
    void ownersSayWhereAnOptionBelongs() {
        assertEquals(Optional.of(new OptionTable.Owner(StatementKind.LAYER, "an lstm layer", "lstm 128 peepholes")),
                OptionTable.owner("peepholes"));
        assertEquals("a gru layer", OptionTable.owner("cho").orElseThrow().phrase());
        assertEquals("an rnn layer", OptionTable.owner("relu").orElseThrow().phrase());
        assertEquals("one_to_many", OptionTable.owner("feedback").orElseThrow().phrase());
        assertEquals("the topology", OptionTable.owner("input_steps").orElseThrow().phrase());
        assertEquals(Optional.empty(), OptionTable.owner("lstm"));
    }
}
