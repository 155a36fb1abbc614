package dev.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.onnx.OnnxImport;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code unroll import} and {@code unroll export}, run through {@link UnrollCommand#run}. */
class OnnxCommandsTest {
    /** An ONNX fixture of the unroll-onnx module: nn.LSTM(3, 5) and nn.Linear(5, 4), every step. */
    static final Path LSTM = Path.of("../onnx/src/test/resources/fixtures/lstm_l1.onnx");

    @TempDir
    Path dir;

    record Run(int status, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = UnrollCommand.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void importWritesSpecAndCheckpointThatExportTurnsBackIntoTheSameModel() throws Exception {
        Run imported = run("import", LSTM.toString(), "-d", dir.toString(), "--name", "Tagger");
        assertEquals(0, imported.status(), imported.err());
        Path spec = dir.resolve("Tagger.rnn");
        Path weights = dir.resolve("Tagger.safetensors");
        assertEquals(spec + System.lineSeparator() + weights + System.lineSeparator(), imported.out());
        assertEquals("""
                model Tagger {
                    input 3;
                    lstm 5;
                    output 4 linear;
                    many_to_many steps 7;
                    precision float32;
                }
                """, Files.readString(spec, StandardCharsets.UTF_8));
        Run check = run("check", spec.toString());
        assertEquals(0, check.status(), check.err());

        Path onnx = dir.resolve("out/tagger.onnx");
        Run exported = run("export", spec.toString(), weights.toString(), "-o", onnx.toString());
        assertEquals(0, exported.status(), exported.err());
        assertEquals(onnx + System.lineSeparator(), exported.out());
        OnnxImport.Result original = OnnxImport.read(LSTM);
        OnnxImport.Result back = OnnxImport.read(onnx);
        assertEquals(original.spec().replace("LstmL1", "Tagger"), back.spec());
        for (String name : original.tensors().keySet()) {
            assertTrue(java.util.Arrays.equals(original.tensors().get(name), back.tensors().get(name)), name);
        }
    }

    @Test
    void importRefusalsAreOneLineErrors() throws Exception {
        Path pt = dir.resolve("model.pt");
        Files.copy(Path.of("../onnx/src/test/resources/fixtures/bad/pickle.pt"), pt);
        Run run = run("import", pt.toString(), "-d", dir.toString());
        assertEquals(1, run.status());
        assertEquals("", run.out());
        assertTrue(run.err().startsWith("error: " + pt + ": this is a zip archive, such as a torch.save() file"), run.err());
        assertEquals(1, Files.list(dir).count(), "nothing written");
    }

    @Test
    void exportRefusesACheckpointOfAnotherModel() throws Exception {
        assertEquals(0, run("import", LSTM.toString(), "-d", dir.toString()).status());
        Path other = dir.resolve("other.rnn");
        Files.writeString(other, "model Other { input 3; gru 5; output 4; many_to_many steps 7; }\n");
        Run run = run("export", other.toString(), dir.resolve("LstmL1.safetensors").toString(), "-o",
                dir.resolve("x.onnx").toString());
        assertEquals(1, run.status());
        assertEquals(dir.resolve("LstmL1.safetensors") + ": error: does not match model Other: tensor 'rnn.weight_ih_l0' "
                + "has shape [20, 3], expected [15, 3]; tensor 'rnn.weight_hh_l0' has shape [20, 5], expected [15, 5]; "
                + "tensor 'rnn.bias_ih_l0' has shape [20], expected [15]; tensor 'rnn.bias_hh_l0' has shape [20], "
                + "expected [15]" + System.lineSeparator(), run.err());
        assertTrue(Files.notExists(dir.resolve("x.onnx")));
    }

    @Test
    void exportRefusesWhatOnnxCannotExpress() throws Exception {
        Path spec = dir.resolve("writer.rnn");
        Files.writeString(spec, "model Writer { input 4; lstm 8; output 4 tanh; one_to_many steps 6 feedback; }\n");
        Path ckpt = dir.resolve("w.safetensors");
        Files.write(ckpt, new byte[0]);
        Run run = run("export", spec.toString(), ckpt.toString(), "-o", dir.resolve("x.onnx").toString());
        assertEquals(1, run.status());
        assertTrue(run.err().startsWith("error: model Writer: one_to_many is not exported to ONNX yet"), run.err());
    }

    @Test
    void exportRefusesAnEmbeddingByName() throws Exception {
        Path spec = dir.resolve("words.rnn");
        Files.writeString(spec, "model Words { input 100 embedding 8; gru 8; output 2 softmax; many_to_one steps 6; }\n");
        Path ckpt = dir.resolve("e.safetensors");
        Files.write(ckpt, new byte[0]);
        Run run = run("export", spec.toString(), ckpt.toString(), "-o", dir.resolve("e.onnx").toString());
        assertEquals(1, run.status());
        assertTrue(run.err().startsWith("error: model Words: an embedding input is not exported to ONNX yet"), run.err());
        assertTrue(Files.notExists(dir.resolve("e.onnx")));
    }
}
