package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.palantir.javapoet.JavaFile;
import dev.unroll.dsl.CheckResult;
import dev.unroll.dsl.RnnFrontEnd;
import dev.unroll.dsl.model.NetworkModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzzing of the {@code .rnn} front end and of the generator (Jazzer).
 *
 * <p>In {@code mvn verify} both run over their seeds and findings
 * ({@code src/test/resources/dev/unroll/compiler/SpecFuzzTestInputs/<method>/}, regression mode,
 * with the other tests) and, in one loop each, over what the long runs kept
 * ({@code src/test/fuzz-corpus/<method>/}); and {@code check} also fuzzes for {@code unroll.fuzz.duration} in a JVM
 * of its own (this module's {@code fuzz-front-end} execution). {@code generate} runs {@code javac}
 * on every spec that passes, about a second each, so it fuzzes only in {@code -Pfuzz-long} and
 * {@code scripts/fuzz.sh}. See docs/robustness.md.
 */
class SpecFuzzTest {
    /** What one check may take at most, however hostile the input (the per-input bound, in every mode). */
    static final long CHECK_BOUND_MILLIS = 2_000;

    /**
     * Any bytes: {@code check} returns (never throws), reports no internal error, formats its
     * diagnostics, and takes less than {@link #CHECK_BOUND_MILLIS}. A hang is cut by the
     * {@code @Timeout} of 30 s, generous because the first input of a fuzzing JVM also loads and instruments everything (libFuzzer's {@code -timeout} in fuzzing mode).
     */
    @FuzzTest(maxDuration = "20s")
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void check(byte[] bytes) {
        checkOne(bytes);
    }

    private static void checkOne(byte[] bytes) {
        long start = System.nanoTime();
        CheckResult result = RnnFrontEnd.check("fuzz.rnn", bytes);
        long first = (System.nanoTime() - start) / 1_000_000;
        long millis = first;
        if (first >= CHECK_BOUND_MILLIS) {
            // once more, warm: the first call of a JVM loads and instruments the whole front end,
            // and a loaded machine stalls; an input that is slow twice is slow
            start = System.nanoTime();
            RnnFrontEnd.check("fuzz.rnn", bytes);
            millis = (System.nanoTime() - start) / 1_000_000;
        }
        assertNotNull(result.formattedDiagnostics());
        // The structured flag, not the message: the message quotes the input, and Jazzer's string hooks steer
        // the input towards any literal a check compares with (a contains("internal error") was "found").
        result.internalError().ifPresent(e -> {
            throw new AssertionError("the front end failed: " + result.formattedDiagnostics(), e);
        });
        long warm = millis;
        assertTrue(warm < CHECK_BOUND_MILLIS, () -> "checking " + bytes.length + " bytes took " + first + " ms, then "
                + warm + " ms");
        if (result.hasErrors()) {
            assertTrue(result.models().isEmpty(), "a spec with errors yields no model");
        }
    }

    /**
     * Every input the long fuzzing runs kept ({@code src/test/fuzz-corpus/check/}, written by
     * scripts/fuzz.sh), replayed in one loop: as a regression test each costs microseconds this
     * way, where a JUnit invocation each (the seed folder's way) would cost seconds in all.
     */
    @Test
    void replaysTheLongRunCorpus() throws IOException {
        int n = 0;
        for (Path f : longRunCorpus("check")) {
            checkOne(Files.readAllBytes(f));
            n++;
        }
        assertTrue(n > 0, "the long-run corpus is empty");
    }

    /** The generator's long-run corpus, the same way (only the few inputs that pass check reach javac). */
    @Test
    void replaysTheLongRunGeneratorCorpus() throws IOException {
        for (Path f : longRunCorpus("generate")) {
            generate(Files.readAllBytes(f));
        }
    }

    private static java.util.List<Path> longRunCorpus(String method) throws IOException {
        Path dir = Path.of(System.getProperty("unroll.sourceRoot", "."), "src/test/fuzz-corpus", method);
        try (var files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }

    /**
     * The huge exponents issue 15 reported, which the fuzzer found within seconds before the front end read numbers
     * from their digits ({@code seed 1e-10000000} took 15 s, {@code 1e-300000000} hung, {@code 1e-2147483647} was an
     * internal error): each now passes {@link #check} within its bound. And the input the fuzzer built in CI
     * when the check still read the message: a package name holding the words "internal error".
     */
    @Test
    void formerFrontEndBugs() throws Exception {
        Path dir = Path.of(SpecFuzzTest.class.getResource("SpecFuzzKnownBugs").toURI());
        try (var files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                assertTimeoutPreemptively(java.time.Duration.ofSeconds(10), () -> checkOne(Files.readAllBytes(f)),
                        f.getFileName().toString());
            }
        }
    }

    /**
     * Any bytes that pass {@code check}, with no feature the generator refuses by name: every
     * model generates, and the generated sources compile with {@code -Xlint:all -Werror}.
     */
    @FuzzTest(maxDuration = "5m")
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void generate(byte[] bytes) {
        CheckResult result = RnnFrontEnd.check("fuzz.rnn", bytes);
        if (result.hasErrors() || result.models().isEmpty()) {
            return;
        }
        Map<String, String> sources = new LinkedHashMap<>();
        for (NetworkModel model : result.models()) {
            if (!UnrollCompiler.unsupportedFeatures(model).isEmpty()) {
                continue;
            }
            JavaFile file = UnrollCompiler.generate(model);
            sources.put(model.qualifiedName(), file.toString());
        }
        if (sources.isEmpty()) {
            return;
        }
        Path work;
        try {
            work = Files.createTempDirectory("unroll-fuzz-generate");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            GeneratedCode.compileSources(sources, work);
        } finally {
            delete(work);
        }
    }

    private static void delete(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary folder left behind is harmless
        }
    }
}
