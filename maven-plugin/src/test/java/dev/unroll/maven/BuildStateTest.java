package dev.unroll.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.unroll.maven.BuildState.SpecRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildStateTest {
    @TempDir
    Path dir;

    @Test
    void writesTheDocumentedFormat() throws IOException {
        BuildState state = new BuildState("0.1.0", "/p/src/main/rnn", "/p/target/gen", Map.of(
                "text/char.rnn", new SpecRecord(1767225600000L, List.of("com/example/text/CharLstm.java")),
                "empty.rnn", new SpecRecord(5, List.of())));
        Path file = dir.resolve("state/generate-default.state");

        state.write(file);

        assertEquals("""
                unroll-maven-plugin state 2
                generator	0.1.0
                sources	/p/src/main/rnn
                outputs	/p/target/gen
                spec	5	empty.rnn
                spec	1767225600000	text/char.rnn
                out	com/example/text/CharLstm.java
                """, Files.readString(file));
        assertEquals(Optional.of(state), BuildState.read(file));
    }

    @Test
    void roundTripsAwkwardFileNames() throws IOException {
        BuildState state = new BuildState("0.1.0-SNAPSHOT unroll-compiler@12-34", "C:\\src\\tab\there", "/out",
                Map.of("we\\ird\tna\nme.rnn", new SpecRecord(-1, List.of("a b/X.java", "c\r/Y.java"))));
        Path file = dir.resolve("s.state");
        state.write(file);
        assertEquals(Optional.of(state), BuildState.read(file));
        assertEquals(7, Files.readAllLines(file).size());
    }

    @Test
    void roundTripsWarnings() throws IOException {
        BuildState state = new BuildState("1", "/s", "/o", Map.of("a.rnn", new SpecRecord(7, List.of("p/A.java"),
                List.of(new BuildState.Warning(5, 12, "softmax\tover one", "/s/a.rnn:5:12: warning: softmax\n  x\n  ^"),
                        new BuildState.Warning(0, 0, "no position", "/s/a.rnn: warning: no position")))));
        Path file = dir.resolve("w.state");
        state.write(file);
        assertEquals(Optional.of(state), BuildState.read(file));
        assertEquals("warn\t5\t12\tsoftmax\\tover one\t/s/a.rnn:5:12: warning: softmax\\n  x\\n  ^",
                Files.readAllLines(file).get(6));
    }

    @Test
    void theEarlierFormatReadsAsNoState() throws IOException {
        Path file = dir.resolve("old.state");
        Files.writeString(file, "unroll-maven-plugin state 1\ngenerator\t1\nsources\t/s\noutputs\t/o\n");
        assertEquals(Optional.empty(), BuildState.read(file), "a format-1 state has no warnings: regenerate");
    }

    @Test
    void aMissingOrDamagedFileReadsAsNoState() throws IOException {
        assertEquals(Optional.empty(), BuildState.read(dir.resolve("missing.state")));
        for (String text : List.of(
                "",
                "something else\n",
                "unroll-maven-plugin state 2\ngenerator\t1\nsources\t/s\n",
                "unroll-maven-plugin state 2\ngenerator\t1\nsources\t/s\noutputs\t/o\nspec\tsoon\ta.rnn\n",
                "unroll-maven-plugin state 2\ngenerator\t1\nsources\t/s\noutputs\t/o\nspec\t1\ta\\x.rnn\n",
                "unroll-maven-plugin state 2\ngenerator\t1\nsources\t/s\noutputs\t/o\nbogus\n",
                "unroll-maven-plugin state 2\ngenerator\t1\nsources\t/s\noutputs\t/o\nspec\t1\ta.rnn\nwarn\tx\t1\tm\tf\n",
                "unroll-maven-plugin state 2\ngenerator\t1\nsources\t/s\noutputs\t/o\nspec\t1\ta.rnn\nwarn\t1\t1\tm\n")) {
            Path file = dir.resolve("damaged.state");
            Files.writeString(file, text);
            assertEquals(Optional.empty(), BuildState.read(file), text);
        }
        Path binary = dir.resolve("binary.state");
        Files.write(binary, new byte[] {(byte) 0xff, (byte) 0xfe, 0});
        assertEquals(Optional.empty(), BuildState.read(binary));
    }

    @Test
    void anEmptyStateHasNoSpecs() throws IOException {
        Path file = dir.resolve("empty.state");
        new BuildState("1", "/s", "/o", Map.of()).write(file);
        assertEquals("unroll-maven-plugin state 2\ngenerator\t1\nsources\t/s\noutputs\t/o\n",
                Files.readString(file, StandardCharsets.UTF_8));
        assertEquals(Map.of(), BuildState.read(file).orElseThrow().specs());
    }
}
