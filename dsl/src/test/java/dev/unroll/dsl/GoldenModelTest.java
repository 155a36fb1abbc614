package dev.unroll.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.unroll.dsl.model.ModelPrinter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Golden tests of the front end on valid specs: each {@code src/test/resources/good/NAME.rnn} is
 * checked with {@link RnnFrontEnd} and must give no error; its warnings (if any, one per line as
 * {@code line:col: warning: message}) followed by the {@link ModelPrinter} dump of every model
 * must equal {@code good/NAME.model.txt} exactly.
 *
 * <p><b>Updating the goldens.</b> When a change to the model or to the printer is intended, run
 * <pre>
 * mvn -B verify -Dunroll.updateGoldens=true          (or: mvn -B -pl dsl verify -D...)
 * </pre>
 * With the switch on (surefire passes it as the system property {@code unroll.updateGoldens},
 * and the module directory as {@code unroll.sourceRoot}; see dsl/pom.xml), this test does not
 * compare: it rewrites {@code ${unroll.sourceRoot}/src/test/resources/good/*.model.txt}.
 * Then review the diff line by line against the documented defaults before committing it; a
 * golden that records a bug is worse than none.
 */
class GoldenModelTest {
    private static final String DIRECTORY = "good";

    @TestFactory
    Stream<DynamicTest> everyGoodSpecMatchesItsGolden() {
        return TestFiles.list(DIRECTORY, ".rnn").stream()
                .map(spec -> DynamicTest.dynamicTest(spec.getFileName().toString(), () -> check(spec)));
    }

    private static void check(Path spec) {
        String name = DIRECTORY + "/" + spec.getFileName();
        CheckResult result = RnnFrontEnd.check(name, TestFiles.bytes(spec));
        if (result.hasErrors()) {
            fail(name + " should be valid but has errors:\n" + result.formattedDiagnostics());
        }
        assertFalse(result.models().isEmpty(), name + " declares no model");
        String actual = dump(result);
        Path golden = spec.resolveSibling(TestFiles.baseName(spec) + ".model.txt");
        if (TestFiles.updateGoldens()) {
            TestFiles.write(golden, actual);
            return;
        }
        assertTrue(Files.exists(golden), "missing golden " + golden
                + "; generate it with -Dunroll.updateGoldens=true and review it");
        assertEquals(TestFiles.read(golden), actual, "model dump of " + name
                + " differs from its golden (if the change is intended: -Dunroll.updateGoldens=true, then review)");
    }

    /** Warnings first, one per line, then the models. */
    static String dump(CheckResult result) {
        StringBuilder out = new StringBuilder();
        for (Diagnostic d : result.diagnostics()) {
            out.append(TestFiles.line(d)).append('\n');
        }
        if (out.length() > 0) {
            out.append('\n');
        }
        return out.append(ModelPrinter.print(result.models())).toString();
    }

    @Test
    void corpusIsLargeEnough() {
        assertTrue(TestFiles.list(DIRECTORY, ".rnn").size() >= 12, "expected at least 12 good specs");
    }

    @Test
    void everyGoldenHasItsSpec() {
        List<String> specs = TestFiles.list(DIRECTORY, ".rnn").stream().map(TestFiles::baseName)
                .collect(Collectors.toList());
        for (Path golden : TestFiles.list(DIRECTORY, ".model.txt")) {
            assertTrue(specs.contains(TestFiles.baseName(golden)), "golden without a spec: " + golden);
        }
    }
}
