package dev.unroll.runtime.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.unroll.runtime.DoubleParameter;
import dev.unroll.runtime.FloatParameter;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import dev.unroll.runtime.testing.Models;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzzing of the safetensors reader and the PyTorch import (Jazzer).
 *
 * <p>In {@code mvn verify} this runs three times: over its seeds and findings under
 * {@code src/test/resources/dev/unroll/runtime/checkpoint/SafeTensorsFuzzTestInputs/checkpointFile/}
 * (regression mode, with the other tests), over what the long runs kept
 * ({@code src/test/fuzz-corpus/checkpointFile/}, in one loop), then each for {@code unroll.fuzz.duration} in fuzzing
 * mode in a JVM of its own (the {@code fuzz-checkpoint} execution of this module's pom). See
 * docs/robustness.md.
 *
 * <p>The properties: any bytes are either read or refused with a {@link CheckpointException},
 * never anything else; what is read converts and writes back to the same values; an import either
 * succeeds and copies exactly the mapped tensors, or throws and leaves the model unchanged. The
 * first byte of an input chooses the import's options; the rest is the file.
 */
class SafeTensorsFuzzTest {

    /**
     * Any bytes after the first: read, or refused with a message; a file that reads survives a
     * write and a read; then imported into a one-layer LSTM with a head, with the options the
     * first byte chooses: a report whose mapping was copied exactly, or a refusal that changed
     * nothing. (One target for both, since fuzzing mode costs a JVM per target.)
     */
    @FuzzTest(maxDuration = "15s")
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void checkpointFile(byte[] input) {
        if (input.length == 0) {
            return;
        }
        TensorFile file = read(Arrays.copyOfRange(input, 1, input.length));
        if (file != null) {
            importInto(file, input[0] & 0xff);
        }
    }

    /**
     * Every input the long fuzzing runs kept ({@code src/test/fuzz-corpus/checkpointFile/}, written
     * by scripts/fuzz.sh), replayed in one loop: microseconds each, where a JUnit invocation each
     * would cost seconds in all.
     */
    @Test
    void replaysTheLongRunCorpus() throws IOException {
        Path dir = Path.of("src/test/fuzz-corpus/checkpointFile");
        List<Path> inputs;
        try (var files = Files.list(dir)) {
            inputs = files.sorted().toList();
        }
        for (Path f : inputs) {
            checkpointFile(Files.readAllBytes(f));
        }
        assertTrue(!inputs.isEmpty(), "the long-run corpus is empty");
    }

    private static TensorFile read(byte[] bytes) {
        TensorFile file;
        try {
            file = SafeTensors.read(bytes, "fuzz.safetensors");
        } catch (CheckpointException e) {
            assertTrue(e.getMessage().startsWith("safetensors file fuzz.safetensors: "), e.getMessage());
            return null;
        }
        List<OutputTensor> again = new ArrayList<>();
        for (Tensor t : file.tensors()) {
            double[] values = t.toDoubleArray();
            assertEquals(t.elementCount(), values.length);
            assertEquals(t.elementCount(), t.toFloatArray().length);
            if (t.dtype() == DType.F64) {
                again.add(OutputTensor.of(t.name(), values, t.shape()));
            } else if (t.dtype() == DType.F32) {
                again.add(OutputTensor.of(t.name(), t.toFloatArray(), t.shape()));
            }
        }
        TensorFile back;
        try {
            back = SafeTensors.read(SafeTensors.toBytes(again, file.metadata()), "again");
        } catch (CheckpointException e) {
            throw new AssertionError("what was read does not read back: " + e.getMessage(), e);
        }
        assertEquals(file.metadata(), back.metadata());
        for (OutputTensor t : again) {
            Tensor original = file.tensor(t.name());
            Tensor copy = back.tensor(t.name());
            assertArrayEquals(original.shape(), copy.shape());
            // bit patterns, so that NaN payloads and -0.0 count too
            assertArrayEquals(bits(original.toDoubleArray()), bits(copy.toDoubleArray()), t.name());
        }
        return file;
    }

    private static void importInto(TensorFile file, int flags) {
        ParameterSet model = Models.randomize(Models.recurrent(4, 3, 2, 1, 2, (flags & 1) != 0), 7);
        double[] before = Models.snapshot(model);
        PyTorchImport.ImportOptions options = PyTorchImport.ImportOptions.defaults();
        if ((flags & 2) != 0) {
            options = options.ignoringUnknown();
        }
        if ((flags & 4) != 0) {
            options = options.withRecurrentPrefix((flags & 8) != 0 ? "" : "lstm.");
        }
        if ((flags & 16) != 0) {
            options = options.withHeadPrefix("fc.");
        }
        if ((flags & 32) != 0) {
            options = options.onlyTensors(name -> !name.startsWith("opt"));
        }
        PyTorchImport.Report report;
        try {
            report = PyTorchImport.importStateDict(file, model, options);
        } catch (CheckpointException e) {
            assertTrue(e.getMessage().startsWith("PyTorch state_dict fuzz.safetensors: "), e.getMessage());
            assertArrayEquals(bits(before), bits(Models.snapshot(model)), "a refused import changed the model");
            return;
        }
        assertEquals(model.size(), report.mapping().size(), "every parameter comes from one tensor");
        for (Map.Entry<String, String> m : report.mapping().entrySet()) {
            Tensor source = file.tensor(m.getKey());
            Parameter p = model.get(m.getValue());
            double[] expected = p instanceof DoubleParameter ? source.toDoubleArray() : widen(source.toFloatArray());
            double[] actual = p instanceof DoubleParameter d ? d.value : widen(((FloatParameter) p).value);
            assertArrayEquals(bits(expected), bits(actual), m.toString());
        }
    }

    private static double[] widen(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    private static long[] bits(double[] values) {
        long[] out = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Double.doubleToRawLongBits(values[i]);
        }
        return out;
    }
}
