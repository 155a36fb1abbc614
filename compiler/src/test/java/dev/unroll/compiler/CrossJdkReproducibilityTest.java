package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What docs/robustness.md promises about reproducibility across JDKs, tested on the two installed
 * ones: this JVM's JDK and the other of JDK 17 and JDK 25 ({@code /usr/lib/jvm/...}, or the
 * {@code unroll.otherJdk} property), forked with the same class path. Skipped, saying so, when
 * the other JDK is not installed.
 */
class CrossJdkReproducibilityTest {
    private static final List<Path> JDKS = List.of(
            Path.of("/usr/lib/jvm/java-17-openjdk-amd64"), Path.of("/usr/lib/jvm/temurin-25-jdk-amd64"));

    @TempDir
    Path work;

    /** The installed JDK that is not this one, or null. */
    private static Path otherJdk() throws Exception {
        String configured = System.getProperty("unroll.otherJdk");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        Path home = Path.of(System.getProperty("java.home")).toRealPath();
        for (Path jdk : JDKS) {
            if (Files.isExecutable(jdk.resolve("bin/java")) && !jdk.toRealPath().equals(home)) {
                return jdk;
            }
        }
        return null;
    }

    private static Map<String, String> parse(String output) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : output.strip().split("\n")) {
            int space = line.lastIndexOf(' ');
            out.put(line.substring(0, space), line.substring(space + 1));
        }
        return out;
    }

    @Test
    void trainingIsBitIdenticalOnBothJdks() throws Exception {
        Path other = otherJdk();
        assumeTrue(other != null, "only one of " + JDKS + " is installed: the cross-JDK comparison is skipped");
        List<dev.unroll.dsl.model.NetworkModel> models = new ArrayList<>();
        for (NetSpec spec : TrainingHash.SPECS) {
            models.add(spec.model());
        }
        GeneratedCode.compile(models, work);
        String classPath = GeneratedCode.classesDirectory(work) + File.pathSeparator + System.getProperty("java.class.path");

        Map<String, String> here = parse(run(Path.of(System.getProperty("java.home")), classPath));
        Map<String, String> there = parse(run(other, classPath));
        String versions = "JDK " + System.getProperty("java.specification.version") + " and " + other;
        System.out.println(versions);
        here.forEach((k, v) -> System.out.printf("%-26s %-17s %-17s %s%n", k, v, there.get(k),
                v.equals(there.get(k)) ? "same" : "DIFFERENT"));

        // what is promised: training, in float64 and float32, and the activations generated code calls
        for (NetSpec spec : TrainingHash.SPECS) {
            assertEquals(here.get(spec.name()), there.get(spec.name()), spec.name() + " trains differently on " + versions);
        }
        assertEquals(here.get("Activations.tanh(double)"), there.get("Activations.tanh(double)"));
        assertEquals(here.get("Activations.tanh(float)"), there.get("Activations.tanh(float)"));
        assertEquals(here.get("StrictMath.tanh"), here.get("Activations.tanh(double)"), "Activations.tanh(double) is StrictMath's");
    }

    /** Runs {@link TrainingHash} on a JDK, in a fresh JVM (so that the two runs are alike). */
    private static String run(Path jdk, String classPath) throws Exception {
        Process p = new ProcessBuilder(jdk.resolve("bin/java").toString(), "-cp", classPath, TrainingHash.class.getName())
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "TrainingHash did not finish on " + jdk);
        assertEquals(0, p.exitValue(), () -> "TrainingHash failed on " + jdk + ":\n" + out);
        return out;
    }
}
