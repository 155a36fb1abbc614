package dev.unroll.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.maven.IncrementalGenerator.Generated;
import dev.unroll.maven.IncrementalGenerator.Report;
import dev.unroll.maven.Staleness.Spec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the generator on real specs in a temporary project, with the real compiler. */
class IncrementalGeneratorTest {
    @TempDir
    Path project;

    /** Spec modification times, advanced by each edit, in the past so that outputs are newer. */
    private long clock = System.currentTimeMillis() - 100_000;

    private Path sources() {
        return project.resolve("src/main/rnn");
    }

    private Path outputs() {
        return project.resolve("target/generated-sources/rnn");
    }

    private IncrementalGenerator generator(String version) {
        return new IncrementalGenerator(sources(), outputs(),
                project.resolve("target/unroll-maven-plugin/generate-default.state"), version);
    }

    private static String spec(String pkg, String... models) {
        StringBuilder text = new StringBuilder("package " + pkg + ";\n");
        for (String model : models) {
            text.append("model ").append(model).append(" {\n    input 3;\n    lstm 4;\n    output 2 softmax;\n"
                    + "    many_to_one steps 3;\n}\n");
        }
        return text.toString();
    }

    private void write(String path, String text) throws IOException {
        Path file = sources().resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        Files.setLastModifiedTime(file, FileTime.fromMillis(clock += 1000));
    }

    private List<Spec> scan() throws IOException {
        List<Spec> specs = new ArrayList<>();
        try (Stream<Path> files = Files.walk(sources())) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                specs.add(new Spec(sources().relativize(file).toString().replace('\\', '/'),
                        Files.getLastModifiedTime(file).toMillis()));
            }
        }
        return specs;
    }

    private Report run(String version) throws IOException {
        return generator(version).run(scan());
    }

    private Set<String> outputFiles() throws IOException {
        if (!Files.exists(outputs())) {
            return Set.of();
        }
        try (Stream<Path> files = Files.walk(outputs())) {
            return Set.copyOf(files.filter(Files::isRegularFile)
                    .map(f -> outputs().relativize(f).toString().replace('\\', '/')).toList());
        }
    }

    private long time(String output) throws IOException {
        return Files.getLastModifiedTime(outputs().resolve(output)).toMillis();
    }

    @Test
    void generatesOnceThenOnlyWhatChanged() throws IOException {
        write("a.rnn", spec("p.a", "A"));
        write("sub/b.rnn", spec("p.b", "B1", "B2"));

        Report first = run("1");
        assertEquals(List.of(new Generated("a.rnn", List.of("p/a/A.java")),
                new Generated("sub/b.rnn", List.of("p/b/B1.java", "p/b/B2.java"))), first.generated());
        assertEquals(Set.of("p/a/A.java", "p/b/B1.java", "p/b/B2.java"), outputFiles());
        assertTrue(Files.readString(outputs().resolve("p/a/A.java")).contains("class A"));

        Files.setLastModifiedTime(outputs().resolve("p/a/A.java"), FileTime.fromMillis(clock + 50_000));
        long before = time("p/a/A.java");
        Report second = run("1");
        assertEquals(List.of(), second.generated());
        assertEquals(Set.of("a.rnn", "sub/b.rnn"), second.plan().upToDate());
        assertEquals(before, time("p/a/A.java"));

        write("sub/b.rnn", spec("p.b", "B1", "B3"));
        Report third = run("1");
        assertEquals(List.of(new Generated("sub/b.rnn", List.of("p/b/B1.java", "p/b/B3.java"))), third.generated());
        assertEquals(Set.of("p/b/B2.java"), third.removed());
        assertEquals(Set.of("p/a/A.java", "p/b/B1.java", "p/b/B3.java"), outputFiles());
        assertEquals(before, time("p/a/A.java"));
    }

    @Test
    void removesTheOutputsOfDeletedSpecsAndTheirEmptyPackages() throws IOException {
        write("a.rnn", spec("p.a", "A"));
        write("b.rnn", spec("p.b.deep", "B"));
        run("1");

        Files.delete(sources().resolve("b.rnn"));
        Report report = run("1");

        assertEquals(Set.of("p/b/deep/B.java"), report.removed());
        assertEquals(Set.of("p/a/A.java"), outputFiles());
        assertFalse(Files.exists(outputs().resolve("p/b")));
        assertTrue(Files.exists(outputs().resolve("p/a")));
    }

    @Test
    void aRenamedSpecKeepsItsOutputs() throws IOException {
        write("old.rnn", spec("p", "A"));
        run("1");
        Files.move(sources().resolve("old.rnn"), sources().resolve("new.rnn"));

        Report report = run("1");

        assertEquals(List.of(new Generated("new.rnn", List.of("p/A.java"))), report.generated());
        assertEquals(Set.of(), report.removed());
        assertEquals(Set.of("p/A.java"), outputFiles());
    }

    @Test
    void regeneratesAnOutputDeletedByHand() throws IOException {
        write("a.rnn", spec("p", "A"));
        run("1");
        Files.delete(outputs().resolve("p/A.java"));

        Report report = run("1");

        assertEquals("p/A.java is missing", report.plan().stale().get("a.rnn"));
        assertEquals(Set.of("p/A.java"), outputFiles());
    }

    @Test
    void aNewGeneratorVersionRegeneratesEverything() throws IOException {
        write("a.rnn", spec("p", "A"));
        write("b.rnn", spec("p", "B"));
        run("1");

        Report report = run("2");

        assertEquals(2, report.generated().size());
        assertEquals("generator changed from 1 to 2", report.plan().stale().get("a.rnn"));
        assertEquals(List.of(), run("2").generated());
    }

    @Test
    void anErrorWritesNothingAndKeepsTheState() throws IOException {
        write("a.rnn", spec("p", "A"));
        run("1");
        Path state = project.resolve("target/unroll-maven-plugin/generate-default.state");
        String stateBefore = Files.readString(state);
        write("a.rnn", spec("p", "A", "A2"));
        write("bad.rnn", "package p;\nmodel Bad {\n    input 3;\n    lstn 4;\n}\n");

        Report report = run("1");

        assertTrue(report.failed());
        assertEquals(List.of(), report.generated());
        assertEquals(Set.of("p/A.java"), outputFiles());
        assertEquals(stateBefore, Files.readString(state));
        String bad = sources().resolve("bad.rnn").toString();
        assertTrue(report.problems().stream().anyMatch(p -> p.formatted().startsWith(bad + ":4:5: error: ")
                && p.formatted().contains("\n    lstn 4;\n    ^")), report.problems().toString());
        try (Stream<Path> work = Files.list(state.getParent())) {
            assertEquals(List.of(state), work.toList(), "the temporary directory is removed");
        }
    }

    /** A valid spec with one warning, at 5:5: softmax over a single output. */
    private static final String WARNING_SPEC =
            "package p;\nmodel W {\n    input 3;\n    lstm 4;\n    output 1 softmax;\n    many_to_one steps 3;\n}\n";

    @Test
    void warningsOfUpToDateSpecsAreReportedAgain() throws IOException {
        write("w.rnn", WARNING_SPEC);
        write("a.rnn", spec("p", "A"));
        Report first = run("1");
        assertEquals(1, first.warningCount(), first.problems().toString());
        IncrementalGenerator.Problem generated = first.problems().get(0);
        assertFalse(generated.replayed());

        Report second = run("1");

        assertEquals(List.of(), second.generated());
        assertEquals(Set.of("a.rnn", "w.rnn"), second.plan().upToDate());
        assertEquals(1, second.problems().size(), second.problems().toString());
        IncrementalGenerator.Problem replayed = second.problems().get(0);
        assertTrue(replayed.replayed());
        assertEquals(generated.formatted(), replayed.formatted());
        assertEquals(generated.diagnostic(), replayed.diagnostic());
        assertTrue(replayed.formatted().startsWith(sources().resolve("w.rnn") + ":5:14: warning: softmax over a single"
                + " output"), replayed.formatted());
        assertFalse(second.failed());

        write("w.rnn", WARNING_SPEC.replace("output 1 softmax", "output 1 sigmoid"));
        Report fixed = run("1");
        assertEquals(List.of(), fixed.problems(), "a fixed spec's old warning is forgotten");
        assertEquals(List.of(), run("1").problems());
    }

    @Test
    void warningsAreErrorsFailTheRunWritingNothing() throws IOException {
        write("a.rnn", spec("p", "A"));
        write("w.rnn", WARNING_SPEC);
        Path state = project.resolve("target/unroll-maven-plugin/generate-default.state");
        IncrementalGenerator strict = new IncrementalGenerator(sources(), outputs(), state, "1", true);

        Report report = strict.run(scan());

        assertTrue(report.failed());
        assertEquals(0, report.errorCount());
        assertEquals(1, report.warningCount());
        assertEquals(Set.of(), outputFiles());
        assertFalse(Files.exists(state), "no state: the next run tries again and reports the warning again");

        run("1"); // allowed: generated, and the warning recorded
        Report upToDate = strict.run(scan());
        assertTrue(upToDate.failed(), "a recorded warning of an up-to-date spec fails a strict run too");
        assertTrue(upToDate.problems().get(0).replayed());
    }

    @Test
    void twoSpecsDeclaringOneClassFailTheRun() throws IOException {
        write("a.rnn", spec("p", "Same"));
        write("b.rnn", spec("p", "Same"));

        Report report = run("1");

        assertTrue(report.failed());
        assertEquals(List.of("p/Same.java is generated by both a.rnn and b.rnn"), report.conflicts());
        assertEquals(Set.of(), outputFiles());
    }

    @Test
    void aSpecWithoutModelsGeneratesNothingButIsRecorded() throws IOException {
        write("empty.rnn", "package p;\n");

        Report first = run("1");
        Report second = run("1");

        assertEquals(List.of(new Generated("empty.rnn", List.of())), first.generated());
        assertFalse(first.failed());
        assertEquals(1, first.problems().size(), "the 'declares no model' warning");
        assertEquals(Set.of("empty.rnn"), second.plan().upToDate());
    }
}
