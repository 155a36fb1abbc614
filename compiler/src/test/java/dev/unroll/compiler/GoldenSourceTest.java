package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.dsl.CheckResult;
import dev.unroll.dsl.RnnFrontEnd;
import dev.unroll.dsl.model.CellSpec;
import dev.unroll.dsl.model.CellType;
import dev.unroll.dsl.model.InputEncoding;
import dev.unroll.dsl.model.LayerSpec;
import dev.unroll.compiler.codegen.ModelWriter;
import dev.unroll.compiler.plan.KernelStyle;
import dev.unroll.compiler.plan.Planner;
import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.dsl.model.Precision;
import dev.unroll.dsl.model.RnnActivation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generated source of a few specs, compared exactly with reviewed copies.
 *
 * <p>Each {@code src/test/resources/golden/NAME.rnn} declares one model ({@code vectorBITS_NAME.rnn}: generated with
 * the Vector API kernels at BITS bits); its generated source is
 * expected in {@code NAME.java.txt} next to it. Together the specs cover every cell (rnn tanh,
 * rnn relu, lstm, gru), every topology, both precisions and both input encodings.
 *
 * <p><b>Updating.</b> When a change to the generator is intended, run
 * <pre>
 * mvn -B verify -Dunroll.updateGoldens=true
 * </pre>
 * (or only this test: {@code mvn -B verify -pl compiler -am -Dtest=GoldenSourceTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dunroll.updateGoldens=true}). With the system property
 * {@code unroll.updateGoldens=true}, which the compiler pom passes on to the tests, this test
 * rewrites every {@code .java.txt} under {@code ${unroll.sourceRoot}/src/test/resources/golden}
 * (the module's directory, also passed by the pom) instead of comparing, and removes goldens
 * whose spec is gone. Review the diff before committing it.
 *
 * <p>Whether compared or rewritten, every golden must also compile against the runtime with
 * {@code javac -Xlint:all -Werror}.
 */
class GoldenSourceTest {
    static final boolean UPDATE = "true".equals(System.getProperty("unroll.updateGoldens"));
    static final Path GOLDEN = Path.of(System.getProperty("unroll.sourceRoot", "."), "src/test/resources/golden");

    @TempDir
    static Path work;

    /** Spec file, its model, and its freshly generated source. */
    record Golden(Path spec, NetworkModel model, String source) {
        Path expected() {
            String name = spec.getFileName().toString();
            return spec.resolveSibling(name.substring(0, name.length() - ".rnn".length()) + ".java.txt");
        }
    }

    private static final List<Golden> goldens = new ArrayList<>();

    @BeforeAll
    static void generate() throws IOException {
        assertTrue(Files.isDirectory(GOLDEN), "golden specs are in " + GOLDEN.toAbsolutePath());
        List<Path> specs;
        try (Stream<Path> list = Files.list(GOLDEN)) {
            specs = list.filter(p -> p.toString().endsWith(".rnn")).sorted().toList();
        }
        for (Path spec : specs) {
            CheckResult result = RnnFrontEnd.check(spec);
            assertFalse(result.hasErrors(), result::formattedDiagnostics);
            assertEquals(1, result.models().size(), spec + " declares one model");
            NetworkModel model = result.models().get(0);
            goldens.add(new Golden(spec, model, ModelWriter.write(Planner.planOrThrow(model,
                    Planner.Options.DEFAULT.withKernels(kernels(spec)))).toString()));
        }
        if (UPDATE) {
            for (Golden g : goldens) {
                Files.writeString(g.expected(), g.source(), StandardCharsets.UTF_8);
            }
            try (Stream<Path> list = Files.list(GOLDEN)) {
                for (Path stale : list.filter(p -> p.toString().endsWith(".java.txt")).toList()) {
                    if (goldens.stream().noneMatch(g -> g.expected().equals(stale))) {
                        Files.delete(stale);
                    }
                }
            }
            System.out.println("GoldenSourceTest: rewrote " + goldens.size() + " goldens in " + GOLDEN.toAbsolutePath());
        }
    }

    /** The kernels of a golden: {@code vectorBITS_*.rnn} is generated with the Vector API at BITS, the rest plain. */
    static KernelStyle kernels(Path spec) {
        java.util.regex.Matcher vector = java.util.regex.Pattern.compile("vector(\\d+)_.*")
                .matcher(spec.getFileName().toString());
        return vector.matches() ? KernelStyle.vector(Integer.parseInt(vector.group(1))) : KernelStyle.PLAIN;
    }

    @TestFactory
    Stream<DynamicTest> generatedSourceEqualsTheGolden() {
        return goldens.stream().map(g -> DynamicTest.dynamicTest(g.spec().getFileName().toString(), () -> {
            assertTrue(Files.exists(g.expected()), "no golden " + g.expected() + "; write it with"
                    + " -Dunroll.updateGoldens=true and review it");
            String expected = Files.readString(g.expected(), StandardCharsets.UTF_8);
            if (!expected.equals(g.source())) {
                throw new AssertionError(g.expected().getFileName() + " differs from the generated source at "
                        + firstDifference(expected, g.source()) + "\nIf the change is intended, rerun with"
                        + " -Dunroll.updateGoldens=true and review the diff.");
            }
        }));
    }

    @Test
    void everyGoldenHasItsSpec() throws IOException {
        try (Stream<Path> list = Files.list(GOLDEN)) {
            for (Path golden : list.filter(p -> p.toString().endsWith(".java.txt")).toList()) {
                assertTrue(goldens.stream().anyMatch(g -> g.expected().equals(golden)), golden + " has no spec");
            }
        }
    }

    @Test
    void everyGoldenCompilesWithEveryLintWarningAnError() throws IOException {
        Map<String, String> sources = new LinkedHashMap<>();
        for (Golden g : goldens) {
            String text = Files.exists(g.expected()) ? Files.readString(g.expected(), StandardCharsets.UTF_8)
                    : g.source();
            sources.put(g.model().qualifiedName(), text);
        }
        Map<String, Class<?>> classes = GeneratedCode.compileSources(sources, work);
        assertEquals(goldens.size(), classes.size());
    }

    @Test
    void theGoldensCoverEveryCellTopologyPrecisionAndEncoding() {
        Set<String> cells = new HashSet<>();
        Set<String> topologies = new HashSet<>();
        Set<Precision> precisions = EnumSet.noneOf(Precision.class);
        Set<InputEncoding> encodings = EnumSet.noneOf(InputEncoding.class);
        for (Golden g : goldens) {
            for (LayerSpec layer : g.model().layers()) {
                cells.add(layer.cell().type() == CellType.RNN
                        ? "rnn " + (((CellSpec.Rnn) layer.cell()).activation() == RnnActivation.RELU ? "relu" : "tanh")
                        : layer.cell().type().keyword());
            }
            topologies.add(g.model().topology().kind().keyword() + (g.model().topology().feedback() ? " feedback" : ""));
            precisions.add(g.model().precision());
            encodings.add(g.model().input().encoding());
        }
        assertEquals(Set.of("rnn tanh", "rnn relu", "lstm", "gru"), cells);
        assertEquals(Set.of("one_to_one", "one_to_many", "one_to_many feedback", "many_to_one", "many_to_many",
                "encoder_decoder"), topologies);
        assertEquals(EnumSet.allOf(Precision.class), precisions);
        assertEquals(EnumSet.allOf(InputEncoding.class), encodings);
    }

    private static String firstDifference(String expected, String actual) {
        String[] e = expected.split("\n", -1);
        String[] a = actual.split("\n", -1);
        for (int i = 0; i < Math.max(e.length, a.length); i++) {
            String el = i < e.length ? e[i] : "<end of file>";
            String al = i < a.length ? a[i] : "<end of file>";
            if (!el.equals(al)) {
                return "line " + (i + 1) + ":\n  golden:    " + el + "\n  generated: " + al;
            }
        }
        return "(line ends)";
    }
}
