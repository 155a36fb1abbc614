package dev.unroll.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15: {@code model M {} repeated to 16.7 MB took 37 s and 4.4 GB, and ended in an
 * OutOfMemoryError under {@code -Xmx1g}. Files at the size limit must be checked in a JVM of
 * 256 MB heap, in bounded time: parsing stops once more errors were reported than are shown,
 * tokens are read lazily (at most {@code 2^20}), and only the diagnostics that can be shown are
 * kept. Each case runs in a forked JVM so that the heap bound is real.
 */
class BoundedMemoryTest {
    /** A generous bound for a loaded 2-core machine; an idle one needs a few seconds. */
    private static final long SECONDS = 120;

    @TempDir
    Path directory;

    @Test
    void repeatedModelHeadersAtTheSizeLimit() throws Exception {
        String result = checkInSmallHeap("model M {\n", "headers.rnn");
        assertTrue(result.startsWith("51 diagnostics"), result);
        assertTrue(result.endsWith("error: too many errors; stopped after 50"), result);
    }

    @Test
    void openingBracesAtTheSizeLimit() throws Exception {
        String result = checkInSmallHeap("{", "braces.rnn");
        assertTrue(result.contains("error: file has more than 1048576 tokens; checking stops here"), result);
    }

    @Test
    void strayCharactersAtTheSizeLimit() throws Exception {
        String result = checkInSmallHeap("@", "stray.rnn");
        assertTrue(result.contains("error: file has more than 1048576 tokens; checking stops here")
                || result.contains("too many errors"), result);
    }

    /** Writes {@code unit} repeated up to the size limit and checks it under -Xmx256m; returns the child's output. */
    private String checkInSmallHeap(String unit, String name) throws IOException, InterruptedException {
        Path file = directory.resolve(name);
        int repeats = RnnFrontEnd.MAX_FILE_BYTES / unit.length();
        Files.writeString(file, unit.repeat(repeats), StandardCharsets.US_ASCII);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(List.of(java.toString(), "-Xmx256m", "-cp",
                System.getProperty("java.class.path"), CheckOne.class.getName(), file.toString()))
                .redirectErrorStream(true).start();
        boolean finished = process.waitFor(SECONDS, TimeUnit.SECONDS);
        if (!finished) {
            process.destroyForcibly();
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(finished, name + " not checked within " + SECONDS + " s");
        assertEquals(0, process.exitValue(), name + ": " + output);
        return output;
    }

    /** The forked JVM: checks one file and prints the number of diagnostics and each summary. */
    public static final class CheckOne {
        public static void main(String[] args) {
            CheckResult result = RnnFrontEnd.check(Path.of(args[0]));
            StringBuilder out = new StringBuilder(result.diagnostics().size() + " diagnostics");
            for (Diagnostic d : result.diagnostics()) {
                out.append('\n').append(d.summary().length() > 300 ? d.summary().substring(0, 300) : d.summary());
            }
            System.out.println(out);
        }
    }
}
