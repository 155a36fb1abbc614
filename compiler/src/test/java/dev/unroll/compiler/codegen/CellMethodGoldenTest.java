package dev.unroll.compiler.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.compiler.plan.LayerPlan;
import dev.unroll.compiler.plan.ModelPlan;
import dev.unroll.compiler.plan.Planner;
import dev.unroll.dsl.CheckResult;
import dev.unroll.dsl.RnnFrontEnd;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * One forward and one backward step method per cell, compared exactly with reviewed copies in
 * {@code src/test/resources/golden-methods/}, so that a change to one cell's emitter shows as a
 * small diff of its own, beside the whole-class goldens of {@code GoldenSourceTest}. Rewritten with
 * {@code -Dunroll.updateGoldens=true}, like those.
 */
class CellMethodGoldenTest {
    private static final boolean UPDATE = "true".equals(System.getProperty("unroll.updateGoldens"));
    private static final Path GOLDEN = Path.of(System.getProperty("unroll.sourceRoot", "."),
            "src/test/resources/golden-methods");

    /** One small model per cell: dense input over a few steps, so the layer reads x densely. */
    private static final Map<String, String> CELLS = new LinkedHashMap<>();

    static {
        CELLS.put("rnn_tanh", "rnn 6 tanh;");
        CELLS.put("rnn_relu", "rnn 6 relu;");
        CELLS.put("lstm", "lstm 6;");
        CELLS.put("gru", "gru 6;");
        CELLS.put("lstm_peepholes", "lstm 6 peepholes;");
        CELLS.put("lstm_cell_clip", "lstm 6 cell_clip 2.5;");
        CELLS.put("lstm_peepholes_cell_clip", "lstm 6 peepholes cell_clip 2.5;");
        CELLS.put("gru_cho", "gru 6 cho;");
    }

    static ModelPlan plan(String layer) {
        String spec = "model M {\n    input 5;\n    " + layer + "\n    output 3;\n    many_to_many steps 4;\n"
                + "    loss mse;\n    precision float32;\n}\n";
        CheckResult result = RnnFrontEnd.check("m.rnn", spec.getBytes(StandardCharsets.UTF_8));
        assertFalse(result.hasErrors(), result::formattedDiagnostics);
        return Planner.planOrThrow(result.models().get(0));
    }

    static String methods(ModelPlan plan) {
        LayerPlan layer = plan.layers().get(0);
        LayerCode code = new LayerCode(layer, layer, plan.network(), new Num(plan.model().precision()));
        return code.forward() + "\n" + code.backward();
    }

    @TestFactory
    Stream<DynamicTest> eachCellsStepMethodsEqualTheirGolden() throws IOException {
        Files.createDirectories(GOLDEN);
        return CELLS.entrySet().stream().map(cell -> DynamicTest.dynamicTest(cell.getKey(), () -> {
            String source = methods(plan(cell.getValue()));
            Path expected = GOLDEN.resolve(cell.getKey() + ".java.txt");
            if (UPDATE) {
                Files.writeString(expected, source, StandardCharsets.UTF_8);
                return;
            }
            assertTrue(Files.exists(expected), "no golden " + expected + "; write it with -Dunroll.updateGoldens=true");
            assertEquals(Files.readString(expected, StandardCharsets.UTF_8), source,
                    cell.getKey() + ": rerun with -Dunroll.updateGoldens=true if the change is intended");
        }));
    }

    @Test
    void everyCellHasAGoldenAndEveryGoldenACell() throws IOException {
        if (UPDATE) {
            return;
        }
        try (Stream<Path> files = Files.list(GOLDEN)) {
            assertEquals(CELLS.keySet().stream().map(c -> c + ".java.txt").sorted().toList(),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }
}
