package dev.unroll.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The front end must survive any input: random bytes, random soups of the language's tokens,
 * mutations of the good specs, and pathological files. For every input it must return
 * diagnostics (never throw, never print) and every diagnostic must point inside the file: line
 * between 1 and the line count, column at most the line's length plus one.
 *
 * <p>Seeds are fixed, so a failure is reproducible; the failing input is in the message.
 */
@Timeout(60)
class RobustnessTest {
    private static final PrintStream REAL_OUT = System.out;
    private static final PrintStream REAL_ERR = System.err;
    private static final ByteArrayOutputStream PRINTED = new ByteArrayOutputStream();

    /** Words of the language, and near misses of them. */
    private static final String[] VOCABULARY = {
        "package", "model", "{", "}", ";", ".", "input", "one_hot", "dense", "rnn", "lstm", "gru", "output",
        "softmax", "sigmoid", "tanh", "linear", "relu", "one_to_one", "one_to_many", "many_to_one", "many_to_many",
        "steps", "input_steps", "output_steps", "feedback", "variable_length", "batch", "any", "truncated_bptt",
        "loss", "cross_entropy", "binary_cross_entropy", "mse", "optimizer", "sgd", "momentum", "adagrad", "rmsprop",
        "adam", "adamw", "learning_rate", "nesterov", "weight_decay", "epsilon", "alpha", "beta1", "beta2",
        "schedule", "constant", "step", "cosine", "every", "gamma", "period", "min_learning_rate", "init",
        "pytorch", "xavier", "orthogonal", "recurrent", "seed", "clip", "value", "norm", "per_parameter_norm",
        "precision", "float32", "float64", "bidirectional", "concat", "sum", "dropout", "forget_bias", "peepholes",
        "cell_clip", "reset_after", "cho", "0", "1", "-1", "65", "128", "0.5", "1e-8", "1e999", "-0", "99999999999",
        "\"str\"", "\"", "/*", "*/", "/**", "//", "\n", " ", "\t", "\r\n", "\r", "@", "#", "é", "\u0000", "lstn",
        "modle", "class", "A", "B", "_", "1.2.3", ".5",
    };

    @BeforeAll
    static void captureOutput() {
        System.setOut(new PrintStream(PRINTED, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(PRINTED, true, StandardCharsets.UTF_8));
    }

    @AfterAll
    static void restoreOutput() {
        System.setOut(REAL_OUT);
        System.setErr(REAL_ERR);
    }

    /** Checks one input and every promise the front end makes about it. */
    private static CheckResult survive(String what, byte[] bytes) {
        int printedBefore = PRINTED.size();
        CheckResult result;
        try {
            result = RnnFrontEnd.check("fuzz.rnn", bytes);
        } catch (Throwable t) {
            throw new AssertionError("threw on " + what + ": " + show(bytes), t);
        }
        if (PRINTED.size() != printedBefore) {
            fail("printed on " + what + ": " + PRINTED.toString(StandardCharsets.UTF_8).substring(printedBefore)
                    + "\ninput: " + show(bytes));
        }
        check(what, bytes, result);
        return result;
    }

    private static CheckResult survive(String what, String text) {
        return survive(what, text.getBytes(StandardCharsets.UTF_8));
    }

    private static void check(String what, byte[] bytes, CheckResult result) {
        if (result.internalError().isPresent()) {
            fail("internal error on " + what + ": " + result.formattedDiagnostics() + "\ninput: " + show(bytes),
                    result.internalError().get());
        }
        for (Diagnostic d : result.diagnostics()) {
            if (d.position().isEmpty()) {
                continue;
            }
            SourcePosition p = d.position().get();
            if (result.source().isEmpty()) {
                // Only the UTF-8 check reports positions without a decoded file.
                assertTrue(d.message().startsWith("file is not valid UTF-8"), what + ": " + d);
                continue;
            }
            SourceFile source = result.source().get();
            String line = source.line(p.line());
            boolean inside = p.line() >= 1 && p.line() <= source.lineCount()
                    && p.column() >= 1 && p.column() <= line.codePointCount(0, line.length()) + 1;
            if (!inside) {
                fail(what + ": position outside the file (" + source.lineCount() + " lines, line " + p.line()
                        + " has " + line.codePointCount(0, line.length()) + " characters): " + d
                        + "\ninput: " + show(bytes));
            }
            assertFalse(d.format(source).isEmpty());
        }
        if (result.hasErrors()) {
            assertTrue(result.models().isEmpty(), what + ": models despite errors");
        }
        assertTrue(result.diagnostics().stream().filter(Diagnostic::isError).count() <= Diagnostics.MAX_ERRORS + 1,
                what + ": more errors than the cap");
    }

    private static String show(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (text.length() > 400) {
            text = text.substring(0, 400) + "... (" + bytes.length + " bytes)";
        }
        return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t");
    }

    // ---- random inputs ---------------------------------------------------------------------

    @Test
    void randomBytes() {
        Random random = new Random(1);
        for (int i = 0; i < 1000; i++) {
            byte[] bytes = new byte[random.nextInt(200)];
            random.nextBytes(bytes);
            if (i % 2 == 0) { // half of them printable, so that they get past the UTF-8 check
                for (int j = 0; j < bytes.length; j++) {
                    bytes[j] = (byte) (0x09 + Math.floorMod(bytes[j], 0x76));
                }
            }
            survive("random bytes #" + i, bytes);
        }
    }

    @Test
    void tokenSoups() {
        Random random = new Random(2);
        for (int i = 0; i < 1000; i++) {
            StringBuilder soup = new StringBuilder();
            int length = random.nextInt(80);
            if (random.nextBoolean()) {
                soup.append("model M").append(i).append(" {\n");
            }
            for (int j = 0; j < length; j++) {
                soup.append(VOCABULARY[random.nextInt(VOCABULARY.length)]);
                soup.append(random.nextInt(4) == 0 ? "\n" : " ");
            }
            survive("token soup #" + i, soup.toString());
        }
    }

    @Test
    void mutationsOfTheGoodSpecs() {
        List<String> specs = goodSpecs();
        Random random = new Random(3);
        Pattern token = Pattern.compile("[A-Za-z_][A-Za-z_0-9]*|-?[0-9][0-9.eE+-]*|\\S");
        for (int i = 0; i < 1200; i++) {
            String spec = specs.get(random.nextInt(specs.size()));
            List<int[]> spans = new ArrayList<>();
            Matcher m = token.matcher(spec);
            while (m.find()) {
                spans.add(new int[] {m.start(), m.end()});
            }
            String mutated = spec;
            int mutations = 1 + random.nextInt(3);
            for (int k = 0; k < mutations; k++) {
                mutated = mutate(mutated, spans, random);
            }
            survive("mutation #" + i, mutated);
        }
    }

    private static String mutate(String text, List<int[]> spans, Random random) {
        if (text.isEmpty()) {
            return VOCABULARY[random.nextInt(VOCABULARY.length)];
        }
        int at = random.nextInt(text.length());
        int[] span = spans.isEmpty() ? new int[] {at, Math.min(text.length(), at + 1)}
                : spans.get(random.nextInt(spans.size()));
        if (span[1] > text.length()) { // spans of the original; clamp after earlier mutations
            span = new int[] {Math.min(span[0], text.length()), text.length()};
        }
        String word = VOCABULARY[random.nextInt(VOCABULARY.length)];
        return switch (random.nextInt(8)) {
            case 0 -> text.substring(0, span[0]) + text.substring(span[1]); // delete a token
            case 1 -> text.substring(0, span[1]) + " " + text.substring(span[0], span[1]) + text.substring(span[1]);
            case 2 -> { // swap two tokens
                int[] other = spans.get(random.nextInt(spans.size()));
                if (other[1] > text.length() || other[0] == span[0]) {
                    yield text;
                }
                int[] first = other[0] < span[0] ? other : span;
                int[] second = other[0] < span[0] ? span : other;
                if (first[1] > second[0]) {
                    yield text;
                }
                yield text.substring(0, first[0]) + text.substring(second[0], second[1])
                        + text.substring(first[1], second[0]) + text.substring(first[0], first[1])
                        + text.substring(second[1]);
            }
            case 3 -> text.substring(0, span[0]) + word + " " + text.substring(span[0]); // insert a token
            case 4 -> text.substring(0, at) + text.substring(at + 1); // delete a character
            case 5 -> text.substring(0, at) + text.charAt(at) + text.substring(at); // duplicate a character
            case 6 -> text.substring(0, at) + (char) (0x20 + random.nextInt(0x5f)) + text.substring(at); // insert one
            default -> text.substring(0, span[0]) + word + text.substring(span[1]); // replace a token
        };
    }

    /**
     * Recovery quality, not just survival: deleting any one token (or comment) of a good spec is
     * one mistake, and must give at most one error, not a cascade.
     */
    @Test
    void deletingOneTokenOfAGoodSpecGivesAtMostOneError() {
        Pattern token = Pattern.compile("[A-Za-z_][A-Za-z_0-9]*|-?[0-9][0-9.eE+-]*|/\\*.*?\\*/|//[^\n]*|\\S",
                Pattern.DOTALL);
        List<String> cascades = new ArrayList<>();
        for (String spec : goodSpecs()) {
            Matcher m = token.matcher(spec);
            while (m.find()) {
                String mutated = spec.substring(0, m.start()) + spec.substring(m.end());
                CheckResult result = survive("deletion of '" + m.group() + "'", mutated);
                List<String> errors = result.diagnostics().stream().filter(Diagnostic::isError)
                        .map(Diagnostic::summary).collect(java.util.stream.Collectors.toList());
                if (errors.size() > 1) {
                    int from = spec.lastIndexOf('\n', m.start()) + 1;
                    int to = spec.indexOf('\n', m.end());
                    cascades.add("deleting '" + m.group() + "' from '" + spec.substring(from, to < 0 ? spec.length() : to)
                            + "' gives:\n  " + String.join("\n  ", errors));
                }
            }
        }
        assertTrue(cascades.isEmpty(), cascades.size() + " cascades, e.g.:\n"
                + String.join("\n", cascades.subList(0, Math.min(10, cascades.size()))));
    }

    @Test
    void everyPrefixOfASpec() {
        String spec = TestFiles.read(TestFiles.resources().resolve("good/training.rnn"));
        for (int end = 0; end <= spec.length(); end++) {
            survive("prefix of training.rnn up to " + end, spec.substring(0, end));
        }
        String comments = TestFiles.read(TestFiles.resources().resolve("good/comments.rnn"));
        for (int end = 0; end <= comments.length(); end++) {
            survive("prefix of comments.rnn up to " + end, comments.substring(0, end));
        }
    }

    private static List<String> goodSpecs() {
        List<String> specs = new ArrayList<>();
        for (Path file : TestFiles.list("good", ".rnn")) {
            specs.add(TestFiles.read(file));
        }
        assertFalse(specs.isEmpty());
        return specs;
    }

    // ---- pathological inputs ----------------------------------------------------------------

    @Test
    void emptyAndWhitespace() {
        assertFalse(survive("empty", "").hasErrors());
        assertFalse(survive("blank", " \n\t\r\n\f ").hasErrors());
    }

    @Test
    void binaryGarbage() {
        byte[] bytes = new byte[64 * 1024];
        new Random(4).nextBytes(bytes);
        CheckResult result = survive("64 KB of random bytes", bytes);
        assertTrue(result.hasErrors());
        byte[] controls = new byte[64 * 1024];
        for (int i = 0; i < controls.length; i++) {
            controls[i] = (byte) (i % 32);
        }
        assertTrue(survive("64 KB of control characters", controls).hasErrors());
    }

    @Test
    void oneMegabyteOfOpeningBraces() {
        assertTrue(survive("1 MB of '{'", "{".repeat(1 << 20)).hasErrors());
        assertTrue(survive("model then 1 MB of '{'", "model A " + "{".repeat(1 << 20)).hasErrors());
    }

    @Test
    void hundredThousandNestedBraces() {
        String nested = "{".repeat(100_000) + "}".repeat(100_000);
        assertTrue(survive("100k nested braces", nested).hasErrors());
        assertTrue(survive("100k nested braces in a model", "model A " + nested).hasErrors());
    }

    @Test
    void fiveMegabytesOfRepeatedStatements() {
        String statement = "    lstm 128 dropout 0.1 forget_bias 1.0;\n";
        StringBuilder spec = new StringBuilder("model Big {\n    input 65 one_hot;\n");
        while (spec.length() < 5 << 20) {
            spec.append(statement);
        }
        spec.append("    output 65 softmax;\n    many_to_many steps 25;\n}\n");
        CheckResult result = survive("5 MB spec", spec.toString());
        assertFalse(result.hasErrors(), () -> result.formattedDiagnostics());
        assertTrue(result.models().get(0).layers().size() > 100_000);

        String duplicates = "model Dup {\n" + "    input 65 one_hot;\n".repeat(200_000) + "}\n";
        CheckResult capped = survive("200k duplicate statements", duplicates);
        assertEquals("too many errors; stopped after 50",
                capped.diagnostics().get(capped.diagnostics().size() - 1).message());
    }

    @Test
    void tenThousandDigitNumbers() {
        String digits = "9".repeat(10_000);
        String spec = "model A {\n    input " + digits + ";\n    lstm 1." + digits + ";\n"
                + "    output 65 softmax dropout 0." + digits + ";\n"
                + "    many_to_many steps 25;\n    optimizer adam learning_rate 0." + "0".repeat(10_000) + "1;\n"
                + "    clip norm 1" + "0".repeat(10_000) + ";\n    seed " + digits + "e" + digits + ";\n}\n";
        CheckResult result = survive("10,000-digit numbers", spec);
        assertTrue(result.hasErrors());
        for (Diagnostic d : result.diagnostics()) {
            assertTrue(d.message().length() < 300, "long literal repeated in full: " + d.message().length());
        }
        survive("a 200,000-digit number", "model A { input " + "1".repeat(200_000) + "; }");
    }

    /**
     * Issue 15: {@code seed 1e-300000000} hung the checker (the exponent was materialized), and
     * {@code 1e-2147483647} overflowed BigInteger. Each literal must now be read in well under a
     * second, as an integer argument and as a real one.
     */
    @Test
    @Timeout(10)
    void hugeExponentsAreReadFromTheirDigits() {
        for (String literal : List.of("1e-300000000", "1e-2147483647", "1e-2147483648", "1e-99999999999999999999",
                "1e2147483647", "1e99999999999999999999", "-1e-2147483647", "0e-2147483647", "1.5e-10000000")) {
            long start = System.nanoTime();
            CheckResult result = survive("seed and dropout " + literal, "model M { input 3; lstm 4 dropout " + literal
                    + "; output 2; one_to_one; seed " + literal + "; }");
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < 1_000, literal + " took " + millis + " ms");
            assertTrue(result.hasErrors() || literal.startsWith("0e"), literal);
        }
    }

    @Test
    void manyRepeatedModels() {
        String model = "model M%d { input 4; lstm 8; output 4; many_to_one steps 5; }\n";
        StringBuilder spec = new StringBuilder();
        for (int i = 0; i < 5_000; i++) {
            spec.append(String.format(model, i));
        }
        CheckResult result = survive("5,000 models", spec.toString());
        assertEquals(5_000, result.models().size());

        CheckResult sameName = survive("5,000 models with one name", "model A { input 4; lstm 8; output 4; one_to_one; }\n"
                .repeat(5_000));
        assertTrue(sameName.hasErrors());
        StringBuilder warnings = new StringBuilder();
        for (int i = 0; i < 5_000; i++) {
            warnings.append("model W").append(i).append(" { input 4; rnn 8; output 4; many_to_many steps 60; }\n");
        }
        CheckResult warned = survive("5,000 models with a warning", warnings.toString());
        assertFalse(warned.hasErrors());
        assertEquals(5_000, warned.models().size());
        assertEquals(Diagnostics.MAX_WARNINGS + 1, warned.diagnostics().size(), "warnings are capped too");
    }

    @Test
    void longTokens() {
        survive("256 KB identifier", "model " + "a".repeat(1 << 18) + " { }");
        survive("256 KB unknown statement", "model A { " + "a".repeat(1 << 18) + " 5; }");
        survive("256 KB string", "model A { input \"" + "s".repeat(1 << 18) + "\"; }");
        survive("256 KB unterminated string", "model A { input \"" + "s".repeat(1 << 18));
        survive("256 KB comment", "/*" + "*".repeat(1 << 18));
        survive("256 KB of dots", ".".repeat(1 << 18));
        survive("256 KB of minus signs", "model A { input " + "-".repeat(1 << 18) + "; }");
        survive("256 KB line of semicolons", "model A {" + ";".repeat(1 << 18) + "}");
    }

    @Test
    void unusualCharacters() {
        survive("NUL bytes", "model\u0000A {\u0000}");
        survive("surrogate pairs", "model A { lstm \uD83D\uDE00 128; }");
        survive("right-to-left text", "model \u05D0 { }");
        survive("form feeds and vertical tabs", "model A {\f\u000B}");
        survive("lone line separators", "model A {\u2028input 4;\u2029}");
        survive("only a BOM", "\uFEFF");
        survive("two BOMs", "\uFEFF\uFEFFmodel A { }");
        // Text given directly (not decoded from bytes) may hold lone surrogates.
        CheckResult result = RnnFrontEnd.check(new SourceFile("s.rnn", "model A { lstm \uD800 128; \uDC00 }"));
        check("lone surrogates", new byte[0], result);
    }
}
