package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import dev.unroll.runtime.checkpoint.OutputTensor;
import dev.unroll.runtime.checkpoint.SafeTensors;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/java-api.md is runnable: its spec is generated, its Java program compiled against the
 * generated class and run, including the PyTorch import (with a state_dict written here under
 * PyTorch's module prefixes {@code lstm.} and {@code fc.}).
 */
class DocsJavaExampleTest {
    private static final Path DOC = Path.of(System.getProperty("unroll.docsDir", "../docs"), "java-api.md");

    @TempDir
    Path work;

    @Test
    void theProgramInTheGuideCompilesRunsAndDoesWhatItSays() throws Exception {
        String doc = Files.readString(DOC, StandardCharsets.UTF_8);
        String spec = block(doc, "rnn");
        String program = block(doc, "java");
        NetworkModel model = GeneratedCode.model("tiny.rnn", spec);
        Path src = Files.createDirectories(work.resolve("src"));
        UnrollCompiler.generate(model).writeTo(src);
        Path demo = src.resolve("docs/example/TinyCharsDemo.java");
        Files.writeString(demo, program, StandardCharsets.UTF_8);
        Path classes = Files.createDirectories(work.resolve("classes"));
        ByteArrayOutputStream javacOut = new ByteArrayOutputStream();
        int status = ToolProvider.getSystemJavaCompiler().run(null, javacOut, javacOut, "-d", classes.toString(),
                "-classpath", System.getProperty("java.class.path"), "--release", "17", "-Xlint:all", "-Werror",
                src.resolve("docs/example/TinyChars.java").toString(), demo.toString());
        assertEquals(0, status, javacOut.toString(StandardCharsets.UTF_8));

        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                getClass().getClassLoader())) {
            Path torch = work.resolve("tiny-torch.safetensors");
            writeTorchStateDict(loader, torch);
            Method main = loader.loadClass("docs.example.TinyCharsDemo").getMethod("main", String[].class);
            ByteArrayOutputStream captured = new ByteArrayOutputStream();
            PrintStream original = System.out;
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            try {
                main.invoke(null, (Object) new String[] {work.toString(), torch.toString()});
            } finally {
                System.setOut(original);
            }
            String out = captured.toString(StandardCharsets.UTF_8);
            assertTrue(out.contains("trained 300 updates"), out);
            Matcher loss = Pattern.compile("loss (\\d+\\.\\d+)\\n").matcher(out);
            assertTrue(loss.find(), out);
            assertTrue(Double.parseDouble(loss.group(1)) < 0.05, "the pattern should be learned: " + out);
            Matcher generated = Pattern.compile("generated: (\\d+)").matcher(out);
            assertTrue(generated.find(), out);
            assertTrue(isThePattern(generated.group(1)), "sampled text should follow 0 1 2 3 4: " + out);
            assertTrue(out.contains("head.weight is 5 x 16"), out);
            java.util.regex.Matcher heldOut = java.util.regex.Pattern
                    .compile("held-out loss (\\d+\\.\\d+) \\(docs\\.example\\.TinyChars, 1 layer\\)").matcher(out);
            assertTrue(heldOut.find(), out);
            assertTrue(Double.parseDouble(heldOut.group(1)) < 0.05, "generic evaluation of the trained model: " + out);
            assertTrue(out.contains("restored model agrees: true"), out);
            assertTrue(out.contains("imported: "), out);
            assertTrue(Files.exists(work.resolve("tiny.safetensors")));
        }
    }

    private static boolean isThePattern(String digits) {
        int wrong = 0;
        for (int i = 1; i < digits.length(); i++) {
            if ((digits.charAt(i - 1) - '0' + 1) % 5 != digits.charAt(i) - '0') {
                wrong++;
            }
        }
        return wrong <= 1;
    }

    /** Writes a model's weights under PyTorch module names, as a user's nn.LSTM + nn.Linear would save them. */
    private static void writeTorchStateDict(ClassLoader loader, Path file) throws Exception {
        Object torchModel = loader.loadClass("docs.example.TinyChars").getConstructor(long.class).newInstance(99L);
        ParameterSet parameters = (ParameterSet) torchModel.getClass().getMethod("parameters").invoke(torchModel);
        List<OutputTensor> tensors = new ArrayList<>();
        for (Parameter p : parameters) {
            float[] values = new float[p.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) p.value(i);
            }
            String name = p.name().replace("rnn.", "lstm.").replace("head.", "fc.");
            tensors.add(OutputTensor.of(name, values, p.shape()));
        }
        SafeTensors.write(file, tensors, Map.of());
    }

    /** The first fenced block of a language. */
    private static String block(String markdown, String language) {
        Matcher m = Pattern.compile("```" + language + "\\n(.*?)```", Pattern.DOTALL).matcher(markdown);
        assertTrue(m.find(), "no ```" + language + " block in " + DOC);
        return m.group(1);
    }
}
