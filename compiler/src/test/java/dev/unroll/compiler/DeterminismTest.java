package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.dsl.CheckResult;
import dev.unroll.dsl.RnnFrontEnd;
import dev.unroll.dsl.SourceFile;
import dev.unroll.dsl.model.NetworkModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generator is a pure function of the model: the same spec gives byte-identical source on
 * every run (two separate front-end runs, any thread, any directory), and a model's source does
 * not depend on which other models share its file, in which order, or at which lines.
 */
class DeterminismTest {
    @TempDir
    Path work;

    /** Three models with different cells, topologies, heads, precisions and training statements. */
    private static final Map<String, String> MODELS = new LinkedHashMap<>();

    static {
        MODELS.put("Tagger", """
                /** Tags each step; doc of Tagger. */
                model Tagger {
                    input 12 one_hot;
                    lstm 8 forget_bias 1.0;
                    gru 6;
                    output 5 softmax;
                    many_to_many steps 7;
                    optimizer adam learning_rate 0.002;
                    clip norm 1.0;
                    clip value 3;
                    seed 42;
                }
                """);
        MODELS.put("Writer", """
                /** Rolls out its own outputs; doc of Writer. */
                model Writer {
                    input 3;
                    rnn 9 relu;
                    output 3 tanh;
                    one_to_many steps 5 feedback;
                    batch 4;
                    schedule cosine period 100 min_learning_rate 0.0001;
                    optimizer momentum learning_rate 0.05 nesterov;
                    precision float64;
                }
                """);
        MODELS.put("Scorer", """
                model Scorer {
                    input 4;
                    gru 5;
                    rnn 3;
                    output 2 sigmoid;
                    many_to_one steps 6;
                    loss mse;
                    init xavier recurrent orthogonal;
                    schedule step every 10 gamma 0.5;
                    optimizer rmsprop;
                }
                """);
    }

    private static String file(List<String> names) {
        StringBuilder s = new StringBuilder("package det.models;\n\n");
        for (String name : names) {
            s.append(MODELS.get(name)).append('\n');
        }
        return s.toString();
    }

    /** Runs the front end and the generator on a spec text; returns each model's source by class name. */
    private static Map<String, String> generate(String fileName, String text) {
        CheckResult result = RnnFrontEnd.check(new SourceFile(fileName, text));
        assertFalse(result.hasErrors(), result::formattedDiagnostics);
        Map<String, String> sources = new LinkedHashMap<>();
        for (NetworkModel model : result.models()) {
            sources.put(model.qualifiedName(), UnrollCompiler.generate(model).toString());
        }
        return sources;
    }

    @Test
    void theSameSpecGivesByteIdenticalSourceOnEveryRun() {
        String text = file(List.of("Tagger", "Writer", "Scorer"));
        Map<String, String> first = generate("models.rnn", text);
        Map<String, String> second = generate("models.rnn", new String(text.getBytes(StandardCharsets.UTF_8),
                StandardCharsets.UTF_8));
        assertEquals(3, first.size());
        assertEquals(first.keySet(), second.keySet());
        for (String name : first.keySet()) {
            assertArrayEquals(first.get(name).getBytes(StandardCharsets.UTF_8),
                    second.get(name).getBytes(StandardCharsets.UTF_8), name);
        }
    }

    @Test
    void generationOnManyThreadsAtOnceGivesTheSameSource() throws Exception {
        String text = file(List.of("Tagger", "Writer", "Scorer"));
        Map<String, String> expected = generate("models.rnn", text);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Map<String, String>>> runs = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                runs.add(pool.submit(() -> generate("models.rnn", text)));
            }
            for (Future<Map<String, String>> run : runs) {
                assertEquals(expected, run.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aModelsSourceDoesNotDependOnTheOtherModelsOfItsFile() {
        Map<String, String> together = generate("models.rnn", file(List.of("Tagger", "Writer", "Scorer")));
        Map<String, String> reversed = generate("models.rnn", file(List.of("Scorer", "Writer", "Tagger")));
        Map<String, String> rotated = generate("models.rnn", file(List.of("Writer", "Scorer", "Tagger")));
        for (String name : MODELS.keySet()) {
            String qualified = "det.models." + name;
            Map<String, String> alone = generate("models.rnn", file(List.of(name)));
            String expected = alone.get(qualified);
            assertEquals(expected, together.get(qualified), name + ": alone vs first order");
            assertEquals(expected, reversed.get(qualified), name + ": alone vs reversed order");
            assertEquals(expected, rotated.get(qualified), name + ": alone vs rotated order");
            for (String other : MODELS.keySet()) {
                if (!other.equals(name)) {
                    assertFalse(expected.contains("doc of " + other), name + " mentions " + other);
                    assertFalse(java.util.regex.Pattern.compile("\\b" + other + "\\b").matcher(expected).find(),
                            name + "'s source names " + other);
                }
            }
        }
        // with the list in another order, the list of models (and so of written files) follows the file
        assertEquals(List.of("det.models.Scorer", "det.models.Writer", "det.models.Tagger"),
                List.copyOf(reversed.keySet()));
    }

    @Test
    void writtenFilesAreIdenticalWhateverTheDirectoryAndTheOrderOfSpecs() throws IOException {
        Path a = Files.createDirectories(work.resolve("a/deep/er"));
        Path b = Files.createDirectories(work.resolve("b"));
        Files.writeString(a.resolve("one.rnn"), file(List.of("Tagger", "Writer")));
        Files.writeString(a.resolve("two.rnn"), file(List.of("Scorer")).replace("det.models", "det.other"));
        Files.copy(a.resolve("one.rnn"), b.resolve("one.rnn"));
        Files.copy(a.resolve("two.rnn"), b.resolve("two.rnn"));

        UnrollCompiler.Result first = UnrollCompiler.compile(List.of(a.resolve("one.rnn"), a.resolve("two.rnn")),
                work.resolve("out1"));
        UnrollCompiler.Result second = UnrollCompiler.compile(List.of(b.resolve("two.rnn"), b.resolve("one.rnn")),
                work.resolve("out2"));
        assertFalse(first.hasErrors(), first.diagnostics()::toString);
        assertFalse(second.hasErrors(), second.diagnostics()::toString);
        assertEquals(3, first.written().size());
        assertEquals(3, second.written().size());
        for (Path written : first.written()) {
            Path relative = work.resolve("out1").relativize(written);
            Path other = work.resolve("out2").resolve(relative);
            assertTrue(Files.exists(other), "also written in the second run: " + relative);
            byte[] bytes = Files.readAllBytes(written);
            assertArrayEquals(bytes, Files.readAllBytes(other), relative.toString());
            String source = new String(bytes, StandardCharsets.UTF_8);
            assertFalse(source.contains(work.toString()), relative + " mentions a path of the machine");
        }
    }
}
