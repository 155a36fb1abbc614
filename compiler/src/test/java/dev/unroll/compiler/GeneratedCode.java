package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.palantir.javapoet.JavaFile;
import dev.unroll.compiler.codegen.ModelWriter;
import dev.unroll.compiler.plan.Planner;
import dev.unroll.dsl.CheckResult;
import dev.unroll.dsl.RnnFrontEnd;
import dev.unroll.dsl.SourceFile;
import dev.unroll.dsl.model.NetworkModel;
import java.io.ByteArrayOutputStream;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Test support: turns spec texts into loaded classes, through the real front end, the real
 * generator and the real {@code javac} (with every lint warning an error), in one compilation.
 *
 * <p>Every compilation also checks the compiled bytecode with {@link MethodSizes}: no method of a
 * generated class may reach HotSpot's {@code HugeMethodLimit} (8000 bytes of bytecode), above
 * which the JIT refuses to compile it. So every test that compiles models checks that too.
 *
 * <p>Large compilations are split into independent {@code javac} runs on all cores: the generated
 * classes do not refer to each other, and {@code javac} is single-threaded.
 */
final class GeneratedCode {
    /** Files per {@code javac} run below which splitting does not pay for itself. */
    private static final int FILES_PER_TASK = 24;

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
        return compile(models, workDir, Planner.Options.DEFAULT);
    }

    /** Like {@link #compile(List, Path)}, planned with the given options. */
    static Map<String, Class<?>> compile(List<NetworkModel> models, Path workDir, Planner.Options options) {
        Map<String, String> sources = new LinkedHashMap<>();
        for (NetworkModel model : models) {
            JavaFile file = ModelWriter.write(Planner.planOrThrow(model, options));
            sources.put(model.qualifiedName(), file.toString());
        }
        return compileSources(sources, workDir);
    }

    /**
     * Compiles Java sources given by the qualified name of their one top-level class (with
     * {@code -Xlint:all -Werror} against the runtime), checks the bytecode's method sizes, and
     * loads the classes.
     */
    static Map<String, Class<?>> compileSources(Map<String, String> sources, Path workDir) {
        try {
            Path src = Files.createDirectories(workDir.resolve("src"));
            Path classes = Files.createDirectories(workDir.resolve("classes"));
            List<String> files = new ArrayList<>();
            for (Map.Entry<String, String> source : sources.entrySet()) {
                Path file = src.resolve(source.getKey().replace('.', '/') + ".java");
                Files.createDirectories(file.getParent());
                Files.writeString(file, source.getValue(), StandardCharsets.UTF_8);
                files.add(file.toString());
                // created up front so that parallel javac runs never race to create a package folder
                Files.createDirectories(classes.resolve(source.getKey().replace('.', '/')).getParent());
            }
            // code with Vector API kernels names the module it needs
            javac(files, classes, src, sources.values().stream().anyMatch(t -> t.contains("jdk.incubator.vector")));
            MethodSizes.assertBelowHugeMethodLimit(classes);
            URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                    GeneratedCode.class.getClassLoader());
            Map<String, Class<?>> loaded = new LinkedHashMap<>();
            for (String name : sources.keySet()) {
                loaded.put(name, loader.loadClass(name));
            }
            return loaded;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
    }

    /** Returns the folder {@link #compile} writes class files to, under its {@code workDir}. */
    static Path classesDirectory(Path workDir) {
        return workDir.resolve("classes");
    }

    private static void javac(List<String> files, Path classes, Path src, boolean vector) {
        int tasks = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(),
                files.size() / FILES_PER_TASK));
        List<List<String>> chunks = new ArrayList<>();
        for (int i = 0; i < tasks; i++) {
            chunks.add(new ArrayList<>());
        }
        for (int i = 0; i < files.size(); i++) {
            chunks.get(i % tasks).add(files.get(i));
        }
        if (tasks == 1) {
            javacRun(chunks.get(0), classes, src, vector);
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(tasks);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (List<String> chunk : chunks) {
                done.add(pool.submit(() -> javacRun(chunk, classes, src, vector)));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AssertionError a) {
                throw a;
            }
            throw new AssertionError(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    private static void javacRun(List<String> files, Path classes, Path src, boolean vector) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        // Code with Vector API kernels draws javac's one warning that -Xlint cannot turn off, "using incubating
        // module(s)": it compiles without -Werror, and any other warning still fails below.
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-classpath",
                System.getProperty("java.class.path"), "--release", "17", "-Xlint:all", "-implicit:none",
                "-encoding", "UTF-8"));
        if (vector) {
            args.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        } else {
            args.add("-Werror");
        }
        args.addAll(files);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = javac.run(null, out, out, args.toArray(String[]::new));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(status == 0, () -> "javac failed on generated code in " + src + "\n" + printed);
        if (vector) {
            List<String> warnings = printed.lines().filter(l -> l.contains("warning"))
                    .filter(l -> !l.contains("using incubating module(s): jdk.incubator.vector"))
                    .filter(l -> !l.matches("\\d+ warnings?")).toList();
            assertTrue(warnings.isEmpty(), () -> "javac warned on generated code in " + src + "\n" + printed);
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
