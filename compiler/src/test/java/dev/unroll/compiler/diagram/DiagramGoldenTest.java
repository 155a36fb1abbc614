package dev.unroll.compiler.diagram;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.unroll.dsl.CheckResult;
import dev.unroll.dsl.RnnFrontEnd;
import dev.unroll.dsl.model.NetworkModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Golden tests of the diagrams: each {@code src/test/resources/diagram/NAME.rnn} declares one
 * model, drawn with the default number of steps; the SVG must equal {@code diagram/NAME.svg}
 * byte for byte.
 *
 * <p><b>Updating the goldens.</b> When a change to the drawing is intended, run
 * <pre>
 * mvn -B verify -pl compiler -am -Dtest='Diagram*' -Dsurefire.failIfNoSpecifiedTests=false -Dunroll.updateGoldens=true
 * </pre>
 * With the switch on (surefire passes it as the system property {@code unroll.updateGoldens},
 * and the module directory as {@code unroll.sourceRoot}; see compiler/pom.xml), this test does
 * not compare: it rewrites {@code ${unroll.sourceRoot}/src/test/resources/diagram/*.svg}. Then
 * look at the pictures (e.g. {@code rsvg-convert -o x.png x.svg}) before committing them.
 */
class DiagramGoldenTest {

    /** The module directory; an IDE running from it works without the property. */
    static Path resources() {
        String root = System.getProperty("unroll.sourceRoot");
        Path module = Path.of(root == null || root.isBlank() || root.startsWith("${") ? "." : root);
        return module.resolve("src/test/resources/diagram");
    }

    static boolean updateGoldens() {
        return Boolean.parseBoolean(System.getProperty("unroll.updateGoldens", "false"));
    }

    static List<Path> specs() {
        try (Stream<Path> files = Files.list(resources())) {
            return files.filter(p -> p.getFileName().toString().endsWith(".rnn")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The one model of a spec of the corpus. */
    static NetworkModel model(Path spec) {
        CheckResult result = RnnFrontEnd.check(spec);
        if (result.hasErrors() || result.models().size() != 1) {
            fail(spec + " should declare exactly one valid model:\n" + result.formattedDiagnostics());
        }
        return result.models().get(0);
    }

    static String baseName(Path spec) {
        String name = spec.getFileName().toString();
        return name.substring(0, name.length() - ".rnn".length());
    }

    @TestFactory
    Stream<DynamicTest> everySpecMatchesItsGolden() {
        return specs().stream().map(spec -> DynamicTest.dynamicTest(spec.getFileName().toString(), () -> check(spec)));
    }

    private static void check(Path spec) throws IOException {
        String actual = NetworkDiagram.svg(model(spec), DiagramLayout.DEFAULT_STEPS);
        Path golden = spec.resolveSibling(baseName(spec) + ".svg");
        if (updateGoldens()) {
            Files.writeString(golden, actual, StandardCharsets.UTF_8);
            return;
        }
        assertTrue(Files.exists(golden), "missing golden " + golden
                + "; generate it with -Dunroll.updateGoldens=true and look at it");
        assertEquals(Files.readString(golden, StandardCharsets.UTF_8), actual, "diagram of " + spec.getFileName()
                + " differs from its golden (if the change is intended: -Dunroll.updateGoldens=true, then look at it)");
    }

    @Test
    void corpusCoversEveryTopology() {
        List<String> names = specs().stream().map(DiagramGoldenTest::baseName).toList();
        for (String expected : List.of("one_to_one", "one_to_many", "one_to_many_feedback", "many_to_one",
                "many_to_many", "encoder_decoder", "bidirectional", "stacked")) {
            assertTrue(names.contains(expected), "the corpus has no " + expected + ".rnn");
        }
    }

    @Test
    void everyGoldenHasItsSpec() throws IOException {
        try (Stream<Path> files = Files.list(resources())) {
            for (Path svg : files.filter(p -> p.getFileName().toString().endsWith(".svg")).toList()) {
                String name = svg.getFileName().toString();
                Path spec = svg.resolveSibling(name.substring(0, name.length() - ".svg".length()) + ".rnn");
                assertTrue(Files.exists(spec), svg + " has no spec " + spec.getFileName());
            }
        }
    }
}
