package dev.unroll.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The corpus of invalid (or suspicious) specs: each {@code src/test/resources/bad/NAME.rnn} must
 * produce exactly the diagnostics listed in {@code bad/NAME.expected}, one per line, in order:
 *
 * <pre>
 * 3:5: error: unknown cell type 'lstn'; did you mean 'lstm'?
 * 16:5: warning: vanilla rnn unrolled over 50 steps without gradient clipping: ...
 * error: too many errors; stopped after 50
 * </pre>
 *
 * (the last form is for a diagnostic about the whole file). Message, line and column are all
 * compared, and nothing else may be reported. Lines starting with {@code #} are comments.
 *
 * <p>Every expectation was decided by hand before it was recorded: the message and position a
 * demanding user would want. When the front end disagrees, fix the front end, not the file.
 * {@code -Dunroll.updateGoldens=true} (see {@link GoldenModelTest}) rewrites the expected files
 * from the current output, keeping their comments; review every changed line before committing.
 */
class BadSpecTest {
    private static final String DIRECTORY = "bad";

    @TestFactory
    Stream<DynamicTest> everyBadSpecReportsExactlyItsExpectedDiagnostics() {
        return TestFiles.list(DIRECTORY, ".rnn").stream()
                .map(spec -> DynamicTest.dynamicTest(spec.getFileName().toString(), () -> check(spec)));
    }

    private static void check(Path spec) {
        String name = DIRECTORY + "/" + spec.getFileName();
        CheckResult result = RnnFrontEnd.check(name, TestFiles.bytes(spec));
        for (Diagnostic d : result.diagnostics()) {
            assertEquals(name, d.path(), "diagnostic reported under the wrong path: " + d);
        }
        if (result.hasErrors()) {
            assertTrue(result.models().isEmpty(), name + ": a file with errors must yield no model");
        }
        List<String> actual = result.diagnostics().stream().map(TestFiles::line).collect(Collectors.toList());
        Path expectedFile = spec.resolveSibling(TestFiles.baseName(spec) + ".expected");
        List<String> comments = Files.exists(expectedFile)
                ? TestFiles.read(expectedFile).lines().filter(l -> l.startsWith("#")).collect(Collectors.toList())
                : List.of();
        if (TestFiles.updateGoldens()) {
            StringBuilder text = new StringBuilder();
            Stream.concat(comments.stream(), actual.stream()).forEach(l -> text.append(l).append('\n'));
            TestFiles.write(expectedFile, text.toString());
            return;
        }
        assertTrue(Files.exists(expectedFile), "missing " + expectedFile);
        List<String> expected = TestFiles.read(expectedFile).lines()
                .filter(l -> !l.startsWith("#") && !l.isBlank()).collect(Collectors.toList());
        assertEquals(String.join("\n", expected), String.join("\n", actual),
                name + " reports other diagnostics than " + expectedFile.getFileName() + ":\n"
                        + result.formattedDiagnostics());
    }

    @Test
    void corpusIsLargeEnough() {
        assertTrue(TestFiles.list(DIRECTORY, ".rnn").size() >= 50, "expected at least 50 bad specs");
    }

    @Test
    void everyExpectationHasItsSpec() {
        List<String> specs = TestFiles.list(DIRECTORY, ".rnn").stream().map(TestFiles::baseName)
                .collect(Collectors.toList());
        for (Path expected : TestFiles.list(DIRECTORY, ".expected")) {
            assertTrue(specs.contains(TestFiles.baseName(expected)), "expectation without a spec: " + expected);
        }
    }
}
