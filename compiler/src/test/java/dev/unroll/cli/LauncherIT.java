package dev.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the launcher that the package phase puts next to the jar, {@code target/unroll}, as a user
 * would: a real process, found through {@code JAVA_HOME} or the {@code PATH}, through a symbolic
 * link, and with what it needs missing. Runs in the integration-test phase (failsafe), after the
 * jar and the launcher exist.
 */
class LauncherIT {
    private static final Path TARGET = Path.of(System.getProperty("unroll.buildDirectory", "target")).toAbsolutePath();
    private static final Path LAUNCHER = TARGET.resolve("unroll");
    private static final String JAVA_HOME = System.getProperty("java.home");

    @TempDir
    Path work;

    record Run(int status, String out, String err) {
        @Override
        public String toString() {
            return "exit " + status + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /** Runs a command with exactly the given environment (plus nothing inherited). */
    private Run run(Map<String, String> env, String... command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile());
        builder.environment().clear();
        builder.environment().putAll(env);
        Path out = work.resolve("out.txt");
        Path err = work.resolve("err.txt");
        builder.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process process = builder.start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("timed out: " + List.of(command));
        }
        return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** A PATH of the system's tools, where Debian also links java. */
    private static final String SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin";

    private Path spec(String name, String text) throws IOException {
        Path file = work.resolve(name);
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    @Test
    void isExecutableAndFindsJavaThroughJavaHome() throws Exception {
        assertTrue(Files.isExecutable(LAUNCHER), LAUNCHER + " must be executable");
        Run run = run(Map.of("JAVA_HOME", JAVA_HOME, "PATH", SYSTEM_PATH), LAUNCHER.toString(), "--version");
        assertEquals(0, run.status(), run::toString);
        assertTrue(run.out().startsWith("unroll " + System.getProperty("unroll.expectedVersion")), run::toString);
    }

    @Test
    void findsJavaOnThePathAndPassesArgumentsAndExitStatus() throws Exception {
        Path good = spec("good.rnn", "package l;\nmodel Good {\n    input 3;\n    lstm 4;\n    output 2 softmax;\n"
                + "    many_to_one steps 3;\n}\n");
        Path bad = spec("bad model.rnn", "package l;\nmodel Bad {\n    input 3;\n    lstn 4;\n}\n");
        Map<String, String> env = Map.of("PATH", Path.of(JAVA_HOME, "bin") + ":" + SYSTEM_PATH);

        Run ok = run(env, "/usr/bin/dash", LAUNCHER.toString(), "check", good.toString());
        assertEquals(0, ok.status(), ok::toString);
        // a file name with a space arrives as one argument; the spec error is exit 1, as from java -jar
        Run failed = run(env, "/usr/bin/dash", LAUNCHER.toString(), "check", bad.toString());
        assertEquals(1, failed.status(), failed::toString);
        assertTrue(failed.err().contains(bad + ":4:5: error: unknown cell type 'lstn'"), failed::toString);
        Path out = work.resolve("generated");
        Run generate = run(env, LAUNCHER.toString(), "generate", "-d", out.toString(), good.toString());
        assertEquals(0, generate.status(), generate::toString);
        assertTrue(Files.isRegularFile(out.resolve("l/Good.java")), generate::toString);
    }

    @Test
    void worksThroughASymbolicLinkAndPassesJavaOpts() throws Exception {
        Path bin = Files.createDirectories(work.resolve("bin"));
        Files.createSymbolicLink(bin.resolve("unroll"), LAUNCHER);
        // typed as a user would: found on the PATH by the shell, as a link to target/unroll
        Run run = run(Map.of("JAVA_HOME", JAVA_HOME, "PATH", bin + ":" + SYSTEM_PATH,
                "JAVA_OPTS", "-Xmx64m -Dunused.option=1"), "/bin/sh", "-c", "unroll --version");
        assertEquals(0, run.status(), run::toString);
        assertTrue(run.out().startsWith("unroll "), run::toString);
        Run badOpts = run(Map.of("JAVA_HOME", JAVA_HOME, "PATH", SYSTEM_PATH, "JAVA_OPTS", "-Xmx-nonsense"),
                LAUNCHER.toString(), "--version");
        assertTrue(badOpts.status() != 0, "JAVA_OPTS reach the JVM: " + badOpts);
    }

    @Test
    void saysWhatIsMissing() throws Exception {
        Run wrongHome = run(Map.of("JAVA_HOME", work.resolve("no-jdk").toString(), "PATH", SYSTEM_PATH),
                LAUNCHER.toString(), "--version");
        assertEquals(1, wrongHome.status(), wrongHome::toString);
        assertTrue(wrongHome.err().contains("JAVA_HOME is " + work.resolve("no-jdk")), wrongHome::toString);

        // A PATH with the tools the script uses but no java.
        Path tools = Files.createDirectories(work.resolve("tools"));
        for (String tool : List.of("ls", "sed", "dirname")) {
            Files.createSymbolicLink(tools.resolve(tool), Path.of("/bin", tool).toRealPath());
        }
        Run noJava = run(Map.of("PATH", tools.toString()), "/bin/sh", LAUNCHER.toString(), "--version");
        assertEquals(1, noJava.status(), noJava::toString);
        assertTrue(noJava.err().contains("cannot find java: set JAVA_HOME, or put java"), noJava::toString);

        Path alone = Files.createDirectories(work.resolve("alone")).resolve("unroll");
        Files.copy(LAUNCHER, alone);
        Run noJar = run(Map.of("JAVA_HOME", JAVA_HOME, "PATH", SYSTEM_PATH), "/bin/sh", alone.toString(), "--help");
        assertEquals(1, noJar.status(), noJar::toString);
        assertTrue(noJar.err().contains("cannot find " + alone.getParent().resolve("unroll.jar")), noJar::toString);
    }
}
