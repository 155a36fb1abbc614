package dev.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.compiler.diagram.NetworkDiagram;
import dev.unroll.dsl.RnnFrontEnd;
import dev.unroll.dsl.model.NetworkModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code unroll diagram}, run through {@link UnrollCommand#run}: exit codes, files, messages. */
class DiagramCommandTest {
    private static final String TWO_MODELS = """
            package dev.example;

            model Writer {
                input 4;
                lstm 8;
                output 4 tanh;
                one_to_many steps 6 feedback;
            }

            model Reader {
                input 4;
                gru 8;
                output 2 softmax;
                many_to_one steps 6;
            }
            """;

    @TempDir
    Path dir;

    private Path twoModels;

    /** What one run printed and returned. */
    record Run(int status, String out, String err) {}

    @BeforeEach
    void writeSpecs() throws IOException {
        twoModels = write("two.rnn", TWO_MODELS);
    }

    private Path write(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = UnrollCommand.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(status, out.toString(), err.toString());
    }

    private List<String> svgFiles(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".svg")).sorted().toList();
        }
    }

    private static NetworkModel model(Path spec, String name) {
        return RnnFrontEnd.check(spec).models().stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void eachModelGoesToAFileNamedAfterIt() throws IOException {
        Path out = dir.resolve("out");
        Run run = run("diagram", "-d", out.toString(), twoModels.toString());
        assertEquals(0, run.status(), run.err());
        assertEquals("", run.err());
        assertEquals(List.of("Reader.svg", "Writer.svg"), svgFiles(out));
        assertEquals(out.resolve("Writer.svg") + System.lineSeparator() + out.resolve("Reader.svg")
                + System.lineSeparator(), run.out(), "the written files, in the order of the spec");
        assertEquals(NetworkDiagram.svg(model(twoModels, "Writer"), 4),
                Files.readString(out.resolve("Writer.svg"), StandardCharsets.UTF_8));
    }

    @Test
    void modelPicksOneModel() throws IOException {
        Run run = run("diagram", "-d", dir.toString(), "--model", "Reader", twoModels.toString());
        assertEquals(0, run.status(), run.err());
        assertEquals(List.of("Reader.svg"), svgFiles(dir));
    }

    @Test
    void anUnknownModelIsACommandLineError() throws IOException {
        Run run = run("diagram", "-d", dir.toString(), "--model", "Writter", twoModels.toString());
        assertEquals(2, run.status());
        assertEquals(twoModels + ": error: no model 'Writter' in this file; it declares Writer, Reader"
                + System.lineSeparator(), run.err());
        assertEquals(List.of(), svgFiles(dir));
    }

    @Test
    void outputNamesTheFile() throws IOException {
        Path target = dir.resolve("pictures/reader diagram.svg");
        Run run = run("diagram", "--model", "Reader", "-o", target.toString(), twoModels.toString());
        assertEquals(0, run.status(), run.err());
        assertEquals(target + System.lineSeparator(), run.out());
        assertEquals(NetworkDiagram.svg(model(twoModels, "Reader"), 4), Files.readString(target));
    }

    @Test
    void outputWithSeveralModelsNeedsModel() throws IOException {
        Path target = dir.resolve("both.svg");
        Run run = run("diagram", "-o", target.toString(), twoModels.toString());
        assertEquals(2, run.status());
        assertTrue(run.err().contains("the file declares 2 models (Writer, Reader) but -o names one file;"
                + " choose one with --model NAME, or use -d DIR"), run.err());
        assertFalse(Files.exists(target));
    }

    @Test
    void outputDashWritesToStandardOutput() throws IOException {
        Path single = write("single.rnn", "model Only { input 2; rnn 3; output 2; many_to_many steps 2; }\n");
        Run run = run("diagram", "-o", "-", "--steps", "3", single.toString());
        assertEquals(0, run.status(), run.err());
        assertEquals(NetworkDiagram.svg(RnnFrontEnd.check(single).models().get(0), 3), run.out());
    }

    @Test
    void stepsIsPassedOnAndChecked() throws IOException {
        Run two = run("diagram", "-d", dir.resolve("two").toString(), "--steps", "2", twoModels.toString());
        assertEquals(0, two.status(), two.err());
        assertEquals(NetworkDiagram.svg(model(twoModels, "Reader"), 2),
                Files.readString(dir.resolve("two/Reader.svg")));
        for (String bad : List.of("1", "33", "-4", "four")) {
            Run run = run("diagram", "-d", dir.toString(), "--steps", bad, twoModels.toString());
            assertEquals(2, run.status(), "--steps " + bad);
            assertTrue(run.err().contains("--steps") || run.err().contains("'" + bad + "'"), run.err());
        }
        assertEquals(List.of(), svgFiles(dir));
    }

    @Test
    void outputAndDirectoryExcludeEachOther() {
        Run run = run("diagram", "-o", dir.resolve("a.svg").toString(), "-d", dir.toString(), twoModels.toString());
        assertEquals(2, run.status());
        assertTrue(run.err().contains("-o writes one file and -d names a directory; give one of them"), run.err());
    }

    @Test
    void aSpecWithErrorsIsReportedAsCheckDoesAndNothingIsWritten() throws IOException {
        Path bad = write("bad.rnn", "model Bad {\n    input 4;\n    lstn 8;\n    output 2;\n    one_to_one;\n}\n");
        Run diagram = run("diagram", "-d", dir.toString(), bad.toString());
        Run check = run("check", bad.toString());
        assertEquals(1, diagram.status());
        assertEquals(check.err(), diagram.err(), "the same diagnostics as 'check'");
        assertTrue(diagram.err().startsWith(bad + ":3:5: error: unknown cell type 'lstn'; did you mean 'lstm'?"
                + System.lineSeparator() + "    lstn 8;" + System.lineSeparator() + "    ^"), diagram.err());
        assertEquals("", diagram.out());
        assertEquals(List.of(), svgFiles(dir));
    }

    @Test
    void warningsArePrintedAndTheDiagramIsStillDrawn() throws IOException {
        Path warned = write("warned.rnn", "model Warned { input 2; rnn 3; output 1 softmax; many_to_one steps 60; }\n");
        Run run = run("diagram", "-d", dir.toString(), warned.toString());
        assertEquals(0, run.status());
        assertTrue(run.err().contains("warning: softmax over a single output is always 1"), run.err());
        assertTrue(run.err().endsWith("0 errors, 2 warnings" + System.lineSeparator()), run.err());
        assertEquals(List.of("Warned.svg"), svgFiles(dir));
    }

    @Test
    void aMissingFileIsAnError() {
        Path missing = dir.resolve("missing.rnn");
        Run run = run("diagram", "-d", dir.toString(), missing.toString());
        assertEquals(1, run.status());
        assertEquals(missing + ": error: no such file" + System.lineSeparator() + "1 error, 0 warnings"
                + System.lineSeparator(), run.err());
    }

    @Test
    void aFileWithoutModelsDrawsNothing() throws IOException {
        Path empty = write("empty.rnn", "package a.b;\n");
        Run run = run("diagram", "-d", dir.toString(), empty.toString());
        assertEquals(0, run.status());
        assertTrue(run.err().contains("warning: file declares no model"), run.err());
        assertTrue(run.err().contains(empty + ": nothing to draw: the file declares no model"), run.err());
        assertEquals(List.of(), svgFiles(dir));
    }

    @Test
    void anUnwritableTargetIsAnError() throws IOException {
        Path notADirectory = write("plain.txt", "x");
        Run run = run("diagram", "-d", notADirectory.toString(), twoModels.toString());
        assertEquals(1, run.status());
        assertTrue(run.err().contains(": error: cannot write the diagram: "), run.err());
    }

    @Test
    void theCommandLineNeedsOneFile() {
        assertEquals(2, run("diagram").status());
        assertEquals(2, run("diagram", twoModels.toString(), twoModels.toString()).status());
        assertEquals(2, run("diagram", "--colour", "red", twoModels.toString()).status());
    }

    @Test
    void helpListsTheCommand() {
        Run top = run("--help");
        assertEquals(0, top.status());
        assertTrue(top.out().contains("diagram"), top.out());
        Run help = run("diagram", "--help");
        assertEquals(0, help.status());
        for (String option : List.of("--output", "--output-directory", "--model", "--steps", "Exit status")) {
            assertTrue(help.out().contains(option), option + " in\n" + help.out());
        }
    }

    /** Without -o or -d the files go to the current directory: run a JVM there. */
    @Test
    void withoutOptionsTheFilesGoToTheCurrentDirectory() throws Exception {
        Path work = Files.createDirectory(dir.resolve("work"));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                UnrollCommand.class.getName(), "diagram", twoModels.toAbsolutePath().toString())
                .directory(work.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the command did not finish");
        assertEquals(0, process.exitValue(), output);
        assertEquals("Writer.svg" + System.lineSeparator() + "Reader.svg" + System.lineSeparator(), output);
        assertEquals(List.of("Reader.svg", "Writer.svg"), svgFiles(work));
    }
}
