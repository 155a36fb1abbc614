package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.palantir.javapoet.JavaFile;
import dev.unroll.dsl.CheckResult;
import dev.unroll.dsl.RnnFrontEnd;
import dev.unroll.dsl.SourceFile;
import dev.unroll.dsl.model.NetworkModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Test support: turns spec texts into loaded classes, through the real front end, the real
 * generator and the real {@code javac} (with every lint warning an error), in one compilation.
 */
final class GeneratedCode {
    private GeneratedCode() {}

    /** Returns the one valid model of a spec text, failing the test on any error. */
    static NetworkModel model(String name, String specText) {
        CheckResult result = RnnFrontEnd.check(new SourceFile(name, specText));
        assertFalse(result.hasErrors(), () -> name + ":\n" + result.formattedDiagnostics());
        assertTrue(result.models().size() == 1, name + " should declare one model");
        return result.models().get(0);
    }

    /**
     * Generates and compiles every model; returns a class loader holding them, keyed by the
     * models' qualified names.
     */
    static Map<String, Class<?>> compile(List<NetworkModel> models, Path workDir) {
        try {
            Path src = Files.createDirectories(workDir.resolve("src"));
            Path classes = Files.createDirectories(workDir.resolve("classes"));
            List<String> files = new ArrayList<>();
            for (NetworkModel model : models) {
                JavaFile file = UnrollCompiler.generate(model);
                file.writeTo(src);
                files.add(src.resolve(file.toJavaFileObject().getName()).toString());
            }
            JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
            List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-classpath",
                    System.getProperty("java.class.path"), "--release", "17", "-Xlint:all", "-Werror",
                    "-encoding", "UTF-8"));
            args.addAll(files);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            int status = javac.run(null, out, out, args.toArray(String[]::new));
            assertTrue(status == 0, "javac failed on generated code in " + src + "\n" + out);
            URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                    GeneratedCode.class.getClassLoader());
            Map<String, Class<?>> loaded = new LinkedHashMap<>();
            for (NetworkModel model : models) {
                loaded.put(model.qualifiedName(), loader.loadClass(model.qualifiedName()));
            }
            return loaded;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
    }

    /** Reads a UTF-8 text file. */
    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
