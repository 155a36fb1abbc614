package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.compiler.plan.Planner;
import dev.unroll.compiler.plan.Refusal;
import dev.unroll.dsl.model.NetworkModel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model names and the names the generated code uses. A class named {@code Long} made its own
 * {@code Long.MIN_VALUE} a javac error on generated code (found by a benchmark model); such names are now refused
 * at the name, and names that only equal an imported type (JavaPoet qualifies those) still generate and compile.
 */
class ModelNameClashTest {
    private static final String BODY = " {\n    input 3 one_hot;\n    gru 4;\n    output 3 softmax;\n"
            + "    many_to_many input_steps 3 output_steps 2 variable_length;\n}\n";

    private static NetworkModel model(String name) {
        return GeneratedCode.model("n.rnn", "package p" + name.toLowerCase() + ";\nmodel " + name + BODY);
    }

    @Test
    void namesThatHideWhatTheGeneratedCodeUsesAreRefusedAtTheName() {
        for (String name : List.of("Long", "System", "Double", "Math", "String", "Integer", "Thread", "Override",
                "Workspace", "Gradients", "Stepper")) {
            List<Refusal> refusals = Planner.plan(model(name)).refusals();
            assertEquals(1, refusals.size(), name + ": " + refusals);
            Refusal r = refusals.get(0);
            assertEquals(2, r.position().line(), name);
            assertEquals(7, r.position().column(), name);
            assertTrue(r.message().startsWith("a model cannot be named '" + name + "'"), r.message());
        }
        assertTrue(Planner.plan(model("Long")).refusals().get(0).message().contains("hide java.lang.Long"));
    }

    @Test
    void namesOfImportedTypesGenerateAndCompile(@TempDir Path dir) {
        Map<String, String> sources = new LinkedHashMap<>();
        for (String name : List.of("Activations", "Rows", "Checks", "RecurrentModel", "BeamSearch", "List",
                "Optional", "Arrays", "Generated", "SplittableRandom", "Longs")) {
            NetworkModel model = model(name);
            assertEquals(List.of(), UnrollCompiler.unsupportedFeatures(model), name);
            sources.put(model.qualifiedName(), UnrollCompiler.generate(model).toString());
        }
        assertEquals(11, GeneratedCode.compileSources(sources, dir).size());
    }
}
