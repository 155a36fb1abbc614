package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.cli.UnrollCommand;
import dev.unroll.dsl.CheckResult;
import dev.unroll.dsl.RnnFrontEnd;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code unroll} command line through {@link UnrollCommand#run}: {@code check} and
 * {@code generate}, their exit statuses (0 fine, 1 a spec error, 2 a bad command line), what they
 * print and where, the files {@code generate} writes (and that it writes nothing when any spec has
 * an error), the refusal of valid features the generator does not support yet, and {@code --help}.
 */
class CommandLineTest {
    @TempDir
    Path work;

    /** What one run printed and returned. */
    record Run(int status, String out, String err) {
        @Override
        public String toString() {
            return "exit " + status + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private static Run unroll(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = UnrollCommand.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(status, out.toString(), err.toString());
    }

    private Path spec(String name, String text) throws IOException {
        Path file = work.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    private static final String GOOD = """
            package cli.good;

            /** A good model. */
            model Good {
                input 4;
                gru 5;
                output 3 softmax;
                many_to_many steps 6;
            }

            model Other {
                input 7 one_hot;
                rnn 3 relu;
                output 2 sigmoid;
                many_to_one steps 4;
                precision float64;
            }
            """;

    private static final String BAD = """
            package cli.bad;

            model Bad {
                input 4;
                lstn 5;
                output 3 softmax;
                many_to_many steps 6;
            }
            """;

    private static final String WARNING = """
            model Warned {
                input 4;
                lstm 5;
                output 3 softmax;
                many_to_one steps 6;
                loss mse;
            }
            """;

    private static List<Path> filesUnder(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).sorted().toList();
        }
    }

    // ---- check ----------------------------------------------------------------------------------

    @Test
    void checkAcceptsAGoodSpecSilently() throws IOException {
        Run run = unroll("check", spec("good.rnn", GOOD).toString());
        assertEquals(0, run.status(), run::toString);
        assertEquals("", run.err(), run::toString);
    }

    @Test
    void theCountOfAFileWithTooManyErrorsIsTheFiftyShown() throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            text.append("model M").append(i).append(" { lstn 4; }\n");
        }
        Run run = unroll("check", spec("many.rnn", text.toString()).toString());
        assertEquals(1, run.status(), run::toString);
        assertTrue(run.err().contains("too many errors; stopped after 50"), run::toString);
        assertTrue(run.err().contains("\n50 errors, "), run::toString);
    }

    @Test
    void checkReportsAnErrorWithFileLineColumnAndCaretAndExitsOne() throws IOException {
        Path bad = spec("bad.rnn", BAD);
        Run run = unroll("check", bad.toString());
        assertEquals(1, run.status(), run::toString);
        assertTrue(run.err().contains(bad + ":5:5: error: unknown cell type 'lstn'; did you mean 'lstm'?"),
                run::toString);
        assertTrue(run.err().contains("\n    lstn 5;\n    ^\n"), run::toString);
        assertTrue(run.err().contains("1 error, 0 warnings"), run::toString);
    }

    @Test
    void checkPassesWarningsUnlessWerror() throws IOException {
        Path warned = spec("warned.rnn", WARNING);
        Run run = unroll("check", warned.toString());
        assertEquals(0, run.status(), run::toString);
        assertTrue(run.err().contains(warned + ":6:10: warning: "), run::toString);
        assertEquals(1, unroll("check", "--Werror", warned.toString()).status());
        Run quiet = unroll("check", "-q", warned.toString());
        assertEquals(0, quiet.status(), quiet::toString);
        assertFalse(quiet.err().contains("warning:"), quiet::toString);
    }

    @Test
    void checkOfSeveralFilesFailsWhenAnyHasAnError() throws IOException {
        Run run = unroll("check", spec("good.rnn", GOOD).toString(), spec("bad.rnn", BAD).toString());
        assertEquals(1, run.status(), run::toString);
        assertTrue(run.err().contains("bad.rnn:5:5: error:"), run::toString);
        assertFalse(run.err().contains("good.rnn:"), run::toString);
    }

    @Test
    void aBadCommandLineExitsTwo() throws IOException {
        assertEquals(2, unroll().status(), "no command");
        assertEquals(2, unroll("check").status(), "check without a file");
        assertEquals(2, unroll("check", "--no-such-option", spec("good.rnn", GOOD).toString()).status());
        assertEquals(2, unroll("frobnicate").status(), "unknown command");
        Run noOutput = unroll("generate", spec("good.rnn", GOOD).toString());
        assertEquals(2, noOutput.status(), "generate without -d");
        assertTrue(noOutput.err().contains("--output-directory"), noOutput::toString);
        assertEquals(2, unroll("generate", "-d", work.resolve("out").toString()).status(), "generate without a file");
        assertTrue(filesUnder(work.resolve("out")).isEmpty());
        Run badWidth = unroll("generate", "--vector-bits", "384", "-d", work.resolve("out").toString(),
                spec("good.rnn", GOOD).toString());
        assertEquals(2, badWidth.status(), badWidth::toString);
        assertTrue(badWidth.err().contains("--vector-bits: vector width 384 bits: the Vector API's are 128, 256 and 512"),
                badWidth::toString);
        assertTrue(filesUnder(work.resolve("out")).isEmpty(), "nothing written for a bad width");
    }

    @Test
    void generateWithVectorBitsWritesVectorKernels() throws IOException {
        Path out = work.resolve("vector");
        Run run = unroll("generate", "--vector-bits", "256", "-d", out.toString(), spec("good.rnn", GOOD).toString());
        assertEquals(0, run.status(), run::toString);
        List<Path> files = filesUnder(out);
        assertEquals(2, files.size(), files::toString);
        for (Path file : files) {
            String source = Files.readString(file);
            assertTrue(source.contains("SPECIES_256") && source.contains(" mulAdd"), file + ": 256-bit kernels");
        }
    }

    // ---- generate -------------------------------------------------------------------------------

    @Test
    void generateWritesOneSourcePerModelInItsPackageFolder() throws IOException {
        Path good = spec("specs/good.rnn", GOOD);
        Path other = spec("specs/more/single.rnn", WARNING);
        Path out = work.resolve("generated");
        Run run = unroll("generate", "-d", out.toString(), good.toString(), other.toString());
        assertEquals(0, run.status(), run::toString);
        List<Path> expected = List.of(out.resolve("Warned.java"), out.resolve("cli/good/Good.java"),
                out.resolve("cli/good/Other.java"));
        assertEquals(expected, filesUnder(out));
        // stdout lists the files written, one per line; warnings still go to stderr
        List<String> listed = run.out().lines().toList();
        assertEquals(3, listed.size(), run::toString);
        for (Path file : expected) {
            assertTrue(listed.contains(file.toString()), run::toString);
        }
        assertTrue(run.err().contains("single.rnn:6:10: warning:"), run::toString);
        // the files hold exactly what the compiler generates for each model
        CheckResult check = RnnFrontEnd.check(good);
        assertEquals(UnrollCompiler.generate(check.models().get(0)).toString(),
                Files.readString(out.resolve("cli/good/Good.java"), StandardCharsets.UTF_8));
        assertEquals(UnrollCompiler.generate(check.models().get(1)).toString(),
                Files.readString(out.resolve("cli/good/Other.java"), StandardCharsets.UTF_8));
        String source = Files.readString(out.resolve("cli/good/Good.java"), StandardCharsets.UTF_8);
        assertTrue(source.startsWith("// Generated by Unroll from good.rnn -- do not edit."), source);
        assertTrue(source.contains("package cli.good;"), source);
        assertTrue(source.contains("public final class Good"), source);
    }

    @Test
    void generateOverwritesPreviousOutput() throws IOException {
        Path good = spec("good.rnn", GOOD);
        Path out = work.resolve("generated");
        assertEquals(0, unroll("generate", "-d", out.toString(), good.toString()).status());
        Path file = out.resolve("cli/good/Good.java");
        String first = Files.readString(file);
        Files.writeString(file, "stale");
        assertEquals(0, unroll("generate", "-d", out.toString(), good.toString()).status());
        assertEquals(first, Files.readString(file));
    }

    @Test
    void generateWritesNothingWhenAnySpecHasAnError() throws IOException {
        Path out = work.resolve("generated");
        Run run = unroll("generate", "-d", out.toString(), spec("good.rnn", GOOD).toString(),
                spec("bad.rnn", BAD).toString());
        assertEquals(1, run.status(), run::toString);
        assertTrue(run.err().contains("bad.rnn:5:5: error: unknown cell type 'lstn'"), run::toString);
        assertEquals("", run.out(), run::toString);
        assertEquals(List.of(), filesUnder(out));
    }

    @Test
    void generateReportsAMissingFile() throws IOException {
        Path out = work.resolve("generated");
        Path missing = work.resolve("missing.rnn");
        Run run = unroll("generate", "-d", out.toString(), missing.toString());
        assertEquals(1, run.status(), run::toString);
        assertTrue(run.err().contains(missing + ": error: no such file"), run::toString);
        assertTrue(filesUnder(work.resolve("generated")).isEmpty());
    }

    /** Everything under a directory, folders included, relative to it; empty when it does not exist. */
    private static List<String> treeUnder(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString().replace('\\', '/'))
                    .sorted().toList();
        }
    }

    /**
     * A model name longer than the file system allows (255 bytes for a file name here) passes
     * {@code check}; {@code generate} then cannot write its file and must leave nothing of the
     * others, with an error that names the file and the reason (issue 15).
     */
    @Test
    void generateWritesNothingWhenANameIsTooLongForAFileSystem() throws IOException {
        // check refuses the name at its position (issue 15), so generate writes nothing, not even a folder
        String longName = "M" + "x".repeat(299);
        Path spec = spec("long.rnn", GOOD.replace("model Other", "model " + longName));
        Run check = unroll("check", spec.toString());
        assertEquals(1, check.status(), check::toString);
        assertTrue(check.err().contains("error: model name is 300 characters long"), check::toString);
        Path out = work.resolve("generated");

        Run run = unroll("generate", "-d", out.toString(), spec.toString());

        assertEquals(1, run.status(), run::toString);
        assertTrue(run.err().contains("error: model name is 300 characters long"), run::toString);
        assertEquals("", run.out(), run::toString);
        assertEquals(List.of(), treeUnder(out), "no file, no folder, no staging directory");
        assertFalse(Files.exists(out), "the output directory was not even created");
    }

    /**
     * A failure while moving the staged files into place (here a folder that cannot be created, as a
     * file stands where it belongs: this fails as root too, unlike a read-only directory) takes
     * back the files already moved, restores the ones they replaced, and removes new folders.
     */
    @Test
    void aFailureWhileMovingIntoPlaceUndoesEveryMove() throws IOException {
        Path first = spec("first.rnn", GOOD.replace("package cli.good;", "package a.first;"));
        Path second = spec("second.rnn", GOOD);
        Path out = work.resolve("generated");
        Files.createDirectories(out.resolve("a/first"));
        Files.writeString(out.resolve("a/first/Good.java"), "previous Good");
        Files.writeString(out.resolve("cli"), "a file where the package folder cli/ would go");
        List<String> before = treeUnder(out);

        Run run = unroll("generate", "-d", out.toString(), first.toString(), second.toString());

        assertEquals(1, run.status(), run::toString);
        assertTrue(run.err().contains("error: cannot write " + out.toAbsolutePath().resolve("cli/good/Good.java")
                + ": "), run::toString);
        assertTrue(run.err().contains("; nothing was written"), run::toString);
        assertEquals(before, treeUnder(out), "a/first/Other.java removed again, no staging directory left");
        assertEquals("previous Good", Files.readString(out.resolve("a/first/Good.java")), "the replaced file is back");

        Files.delete(out.resolve("cli"));
        Run again = unroll("generate", "-d", out.toString(), first.toString(), second.toString());
        assertEquals(0, again.status(), again::toString);
        assertEquals(List.of("a", "a/first", "a/first/Good.java", "a/first/Other.java", "cli", "cli/good",
                "cli/good/Good.java", "cli/good/Other.java"), treeUnder(out));
    }

    @Test
    void generateIntoAFileSaysSo() throws IOException {
        Path file = Files.writeString(work.resolve("not-a-dir"), "x");
        Run run = unroll("generate", "-d", file.toString(), spec("good.rnn", GOOD).toString());
        assertEquals(1, run.status(), run::toString);
        assertTrue(run.err().contains("error: cannot write into " + file.toAbsolutePath()
                + ": it is a file, not a directory; nothing was written"), run::toString);
        assertEquals("x", Files.readString(file));
    }

    @Test
    void warningsAreStillShownWhenWritingFails() throws IOException {
        Path file = Files.writeString(work.resolve("not-a-dir"), "x");
        Run run = unroll("generate", "-d", file.toString(), spec("single.rnn", WARNING).toString());
        assertEquals(1, run.status(), run::toString);
        assertTrue(run.err().contains("single.rnn:6:10: warning:"), run::toString);
    }

    /**
     * Features the language accepts but the generator cannot emit yet are refused by
     * {@code generate} with a positioned error (while {@code check} accepts them), and nothing is
     * written, not even the file's other models.
     */
    @Test
    void featuresNotGeneratedYetAreRefusedWithAPositionedError() throws IOException {
        Map<String, String> features = new java.util.LinkedHashMap<>();
        // the combinations still refused
        features.put("truncated_bptt", "gru 4;|many_to_many input_steps 3 output_steps 2;\n    truncated_bptt 3;");
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, String> feature : features.entrySet()) {
            String[] parts = feature.getValue().split("\\|");
            String text = "package cli.todo;\n\nmodel Fine {\n    input 3;\n    gru 2;\n    output 2 softmax;\n"
                    + "    one_to_one;\n}\n\nmodel Later {\n    input 3;\n    " + parts[0]
                    + "\n    output 2 softmax;\n    " + parts[1] + "\n}\n";
            Path file = spec(feature.getKey() + ".rnn", text);
            assertEquals(0, unroll("check", file.toString()).status(), feature.getKey() + " is valid for check");
            Path out = work.resolve("out-" + feature.getKey());
            Run run = unroll("generate", "-d", out.toString(), file.toString());
            Matcher diagnostic = Pattern.compile(Pattern.quote(file.toString()) + ":(\\d+):(\\d+): error: (.*)")
                    .matcher(run.err());
            if (run.status() != 1) {
                failures.add(feature.getKey() + ": exit " + run.status());
            } else if (!diagnostic.find()) {
                failures.add(feature.getKey() + ": no file:line:col error in\n" + run.err());
            } else {
                int line = Integer.parseInt(diagnostic.group(1));
                int column = Integer.parseInt(diagnostic.group(2));
                String message = diagnostic.group(3);
                // the error points at the word that asks for the feature, in the model Later
                String word = feature.getKey();
                int offset = text.indexOf(" " + word, text.indexOf("model Later")) + 1;
                int expectedLine = (int) text.substring(0, offset).chars().filter(c -> c == '\n').count() + 1;
                int expectedColumn = offset - text.lastIndexOf('\n', offset - 1);
                if (line != expectedLine || column != expectedColumn) {
                    failures.add(feature.getKey() + ": error at " + line + ":" + column + ", not at '" + word + "' ("
                            + expectedLine + ":" + expectedColumn + "): " + message);
                }
                String keyword = feature.getKey();
                if (!message.contains(keyword) || !message.contains("not generated yet")) {
                    failures.add(feature.getKey() + ": the message does not name the feature: " + message);
                }
            }
            if (!filesUnder(out).isEmpty()) {
                failures.add(feature.getKey() + ": files were written: " + filesUnder(out));
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    // ---- help and version -----------------------------------------------------------------------------

    @Test
    void helpListsTheCommandsAndExitsZero() {
        for (String[] args : List.of(new String[] {"--help"}, new String[] {"-h"}, new String[] {"help"})) {
            Run run = unroll(args);
            assertEquals(0, run.status(), run::toString);
            assertTrue(run.out().contains("Usage: unroll"), run::toString);
            assertTrue(run.out().contains("check") && run.out().contains("generate"), run::toString);
        }
        Run generate = unroll("generate", "--help");
        assertEquals(0, generate.status(), generate::toString);
        assertTrue(generate.out().contains("Usage: unroll generate") && generate.out().contains("-d"),
                generate::toString);
        Run check = unroll("help", "check");
        assertEquals(0, check.status(), check::toString);
        assertTrue(check.out().contains("Usage: unroll check") && check.out().contains("--Werror"), check::toString);
    }

    @Test
    void versionPrintsTheBuildsVersionAndCommit() {
        Run run = unroll("--version");
        assertEquals(0, run.status(), run::toString);
        String expected = System.getProperty("unroll.expectedVersion");
        assertTrue(expected != null && !expected.isBlank(), "surefire sets unroll.expectedVersion");
        // A checkout (CI's clone, a worktree) knows its commit; a source archive would not.
        assertTrue(run.out().matches("unroll " + Pattern.quote(expected)
                + "( \\(commit [0-9a-f]{7,40}( plus local changes)?\\))?\\R"), run::toString);
        assertFalse(run.out().contains("development"), run::toString);
    }

    @Test
    void noArgumentsPrintTheUsageOnceAndExitTwo() {
        Run run = unroll();
        assertEquals(2, run.status(), run::toString);
        assertTrue(run.err().startsWith("Missing required subcommand"), run::toString);
        assertEquals(1, run.err().split("Usage: unroll", -1).length - 1, run::toString);
        assertEquals("", run.out(), run::toString);
    }
}
