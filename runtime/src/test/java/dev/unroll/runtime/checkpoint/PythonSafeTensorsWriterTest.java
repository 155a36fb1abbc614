package dev.unroll.runtime.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.unroll.runtime.FloatParameter;
import dev.unroll.runtime.ParameterSet;
import dev.unroll.runtime.testing.Models;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the dependency-free Python safetensors writer exactly as docs/java-api.md prints it (the
 * code block under "Without the safetensors package"), with {@code /usr/bin/python3}, and reads
 * what it wrote. The standard-library test runs wherever Python 3.8+ is; the PyTorch one only
 * where {@code import torch} works, and says why it skipped otherwise.
 */
class PythonSafeTensorsWriterTest {
    private static final String PYTHON = "/usr/bin/python3";

    @TempDir
    Path dir;

    private static String function;

    @BeforeAll
    static void extractFromTheDocs() throws IOException {
        Path docs = Path.of(System.getProperty("unroll.docsDir", "../docs")).resolve("java-api.md");
        String text = Files.readString(docs, StandardCharsets.UTF_8);
        int section = text.indexOf("### Without the `safetensors` package");
        assertTrue(section >= 0, "docs/java-api.md has no section \"Without the `safetensors` package\"");
        int begin = text.indexOf("```python\n", section) + "```python\n".length();
        int end = text.indexOf("```", begin);
        function = text.substring(begin, end);
        assertTrue(function.contains("def save_safetensors(") && function.contains("def state_dict_to_safetensors("),
                function);
    }

    /** Runs {@code function} followed by {@code script}; returns standard output. */
    private String python(String script) throws Exception {
        Path file = dir.resolve("writer.py");
        Files.writeString(file, function + "\n" + script, StandardCharsets.UTF_8);
        Process p = new ProcessBuilder(PYTHON, file.toString()).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "python did not finish");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), () -> "python failed:\n" + text);
        return text;
    }

    private static boolean pythonWorks(String module) {
        if (!Files.isExecutable(Path.of(PYTHON))) {
            return false;
        }
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import " + module).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @Test
    void theStandardLibraryWriterWritesWhatTheReaderReadsBitForBit() throws Exception {
        assumeTrue(pythonWorks("json, math, struct"), PYTHON + " is not there: skipped");
        python("""
                save_safetensors({
                    "w": ("F32", (2, 3), [0.5, -1.25, 3.0, 1e-45, -0.0, 65504.0]),
                    "b": ("F64", (3,), [0.1, -2.5e-300, 1.7976931348623157e308]),
                    "scalar": ("F64", (), [42.0]),
                    "empty": ("F32", (0, 4), []),
                }, "py.safetensors", {"step": 17, "note": "héllo"})
                try:
                    save_safetensors({"bad": ("F32", (2, 2), [1.0])}, "bad.safetensors")
                except ValueError as e:
                    print(e)
                """);
        TensorFile tf = SafeTensors.read(dir.resolve("py.safetensors"));
        assertEquals(List.of("w", "b", "scalar", "empty"), tf.names());
        assertEquals(Map.of("step", "17", "note", "héllo"), tf.metadata());
        assertEquals(DType.F32, tf.tensor("w").dtype());
        assertArrayEquals(new int[] {2, 3}, tf.tensor("w").shape());
        assertArrayEquals(new float[] {0.5f, -1.25f, 3f, Float.MIN_VALUE, -0f, 65504f}, tf.tensor("w").toFloatArray());
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(tf.tensor("w").toFloatArray()[4]));
        assertArrayEquals(new double[] {0.1, -2.5e-300, Double.MAX_VALUE}, tf.tensor("b").toDoubleArray());
        assertArrayEquals(new int[0], tf.tensor("scalar").shape());
        assertEquals(0, tf.tensor("empty").elementCount());
        // and the same bytes as this runtime's writer, header padding included
        byte[] java = SafeTensors.toBytes(List.of(
                OutputTensor.of("w", new float[] {0.5f, -1.25f, 3f, Float.MIN_VALUE, -0f, 65504f}, 2, 3),
                OutputTensor.of("b", new double[] {0.1, -2.5e-300, Double.MAX_VALUE}, 3),
                OutputTensor.of("scalar", new double[] {42}),
                OutputTensor.of("empty", new float[0], 0, 4)), new java.util.LinkedHashMap<>(Map.of("step", "17")));
        assertEquals(0, (Files.size(dir.resolve("py.safetensors")) - java.length) % 8, "both 8-aligned");
        assertTrue(Files.notExists(dir.resolve("bad.safetensors")));
    }

    @Test
    void theStateDictAdapterWritesWhatThePyTorchImportTakes() throws Exception {
        assumeTrue(pythonWorks("torch"), PYTHON + " cannot import torch: skipped (apt-get install python3-torch)");
        String out = python("""
                import torch, torch.nn as nn
                torch.manual_seed(3)
                class Net(nn.Module):
                    def __init__(self):
                        super().__init__()
                        self.lstm = nn.LSTM(input_size=3, hidden_size=2, num_layers=1, batch_first=True)
                        self.fc = nn.Linear(2, 2)
                net = Net()
                state = net.state_dict()
                state["optimizer.step"] = torch.tensor([5.0])
                state_dict_to_safetensors(state, "torch.safetensors")
                for k, v in net.state_dict().items():
                    print(k, " ".join(repr(x) for x in v.flatten().tolist()))
                """);
        ParameterSet model = Models.recurrent(4, 3, 2, 1, 2, false);
        PyTorchImport.Report r = PyTorchImport.importStateDict(dir.resolve("torch.safetensors"), model,
                PyTorchImport.ImportOptions.defaults().ignoringUnknown());
        assertEquals(List.of("optimizer.step"), r.ignored());
        assertEquals("lstm.", r.recurrentPrefix());
        List<String> checked = new ArrayList<>();
        for (String line : out.strip().split("\n")) {
            String[] parts = line.split(" ");
            String target = r.mapping().get(parts[0]);
            float[] actual = ((FloatParameter) model.get(target)).value;
            assertEquals(parts.length - 1, actual.length, parts[0]);
            for (int i = 1; i < parts.length; i++) {
                assertEquals(Float.parseFloat(parts[i]), actual[i - 1], parts[0] + "[" + (i - 1) + "]");
            }
            checked.add(parts[0]);
        }
        assertEquals(6, checked.size(), checked.toString());
    }
}
