package dev.unroll.runtime.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.runtime.DoubleParameter;
import dev.unroll.runtime.FloatParameter;
import dev.unroll.runtime.ParameterSet;
import dev.unroll.runtime.testing.Models;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointsTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsAFloat64AndAFloat32Model() throws Exception {
        for (boolean f64 : new boolean[] {true, false}) {
            ParameterSet saved = Models.randomize(Models.recurrent(4, 3, 5, 2, 2, f64), 1);
            Path f = dir.resolve("m" + f64 + ".safetensors");
            Checkpoints.save(f, saved, Map.of("step", "100"));
            assertEquals(f64 ? DType.F64 : DType.F32, SafeTensors.read(f).tensor("rnn.weight_ih_l1").dtype());
            ParameterSet loaded = Models.recurrent(4, 3, 5, 2, 2, f64);
            assertEquals(Map.of("step", "100"), Checkpoints.load(f, loaded));
            assertArrayEquals(Models.snapshot(saved), Models.snapshot(loaded));
            assertEquals(saved.names(), SafeTensors.read(f).names());
        }
    }

    @Test
    void refusesAMisShapedTensorNamingItAndBothShapes() throws Exception {
        Path f = dir.resolve("model.safetensors");
        Checkpoints.save(f, new ParameterSet(List.of(new DoubleParameter("rnn.weight_ih_l0", 512, 64))), Map.of());
        ParameterSet model = new ParameterSet(List.of(new DoubleParameter("rnn.weight_ih_l0", 512, 65)));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.load(f, model));
        assertEquals("checkpoint " + f + ": tensor 'rnn.weight_ih_l0' has shape [512, 64], expected [512, 65]; "
                + "no parameter was changed", e.getMessage());
    }

    @Test
    void listsMissingAndUnexpectedTensors() throws Exception {
        Path f = dir.resolve("m.safetensors");
        Checkpoints.save(f, Models.recurrent(1, 2, 3, 1, 2, true), Map.of());
        ParameterSet twoLayers = Models.recurrent(1, 2, 3, 2, 0, true);
        String msg = assertThrows(CheckpointException.class, () -> Checkpoints.load(f, twoLayers)).getMessage();
        assertEquals("checkpoint " + f + ": 2 problems: missing tensors [rnn.weight_ih_l1, rnn.weight_hh_l1, "
                + "rnn.bias_ih_l1, rnn.bias_hh_l1]; unexpected tensors [head.weight [2, 3], head.bias [2]]; "
                + "no parameter was changed", msg);
    }

    @Test
    void aFailedLoadLeavesEveryParameterUnchanged() throws Exception {
        ParameterSet saved = Models.randomize(Models.recurrent(3, 2, 4, 2, 2, true), 7);
        Path f = dir.resolve("m.safetensors");
        Checkpoints.save(f, saved, Map.of());
        // the model differs only in its last parameter: every other tensor would load fine
        ParameterSet model = Models.randomize(Models.recurrent(3, 2, 4, 2, 3, true), 8);
        double[] before = Models.snapshot(model);
        assertThrows(CheckpointException.class, () -> Checkpoints.load(f, model));
        assertArrayEquals(before, Models.snapshot(model));
        // a truncated file too
        byte[] bytes = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(bytes, bytes.length - 1));
        ParameterSet same = Models.randomize(Models.recurrent(3, 2, 4, 2, 2, true), 9);
        double[] sameBefore = Models.snapshot(same);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.load(f, same));
        assertTrue(e.getMessage().contains("the file is truncated"), e.getMessage());
        assertArrayEquals(sameBefore, Models.snapshot(same));
    }

    @Test
    void float64IntoFloat32IsRefusedByDefaultAndConvertedOnRequest() throws Exception {
        Path f = dir.resolve("m.safetensors");
        DoubleParameter d = new DoubleParameter("w", 3);
        d.value[0] = 0.1;
        d.value[1] = 1e-50;
        d.value[2] = -3;
        Checkpoints.save(f, new ParameterSet(List.of(d)), Map.of());
        FloatParameter p = new FloatParameter("w", 3);
        ParameterSet model = new ParameterSet(List.of(p));
        String msg = assertThrows(CheckpointException.class, () -> Checkpoints.load(f, model)).getMessage();
        assertTrue(msg.contains("tensor 'w' has dtype F64, expected F32 for a float32 model (load with DtypePolicy.CONVERT"), msg);
        assertArrayEquals(new float[3], p.value);
        Checkpoints.load(f, model, Checkpoints.DtypePolicy.CONVERT);
        assertArrayEquals(new float[] {0.1f, 0f, -3f}, p.value);
    }

    @Test
    void float32IntoFloat64IsRefusedByDefaultAndWidenedExactlyOnRequest() throws Exception {
        Path f = dir.resolve("m.safetensors");
        FloatParameter s = new FloatParameter("w", 1, 2);
        s.value[0] = 0.1f;
        s.value[1] = -2.5f;
        Checkpoints.save(f, new ParameterSet(List.of(s)), Map.of());
        DoubleParameter d = new DoubleParameter("w", 1, 2);
        ParameterSet model = new ParameterSet(List.of(d));
        assertThrows(CheckpointException.class, () -> Checkpoints.load(f, model));
        Checkpoints.load(f, model, Checkpoints.DtypePolicy.CONVERT);
        assertArrayEquals(new double[] {0.1f, -2.5}, d.value);
    }

    @Test
    void refusesIntegerAndNonFiniteTensors() throws Exception {
        Path f = dir.resolve("m.safetensors");
        Files.write(f, SafeTensorsTest.raw("{\"w\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]));
        ParameterSet model = new ParameterSet(List.of(new DoubleParameter("w", 1)));
        String msg = assertThrows(CheckpointException.class,
                () -> Checkpoints.load(f, model, Checkpoints.DtypePolicy.CONVERT)).getMessage();
        assertTrue(msg.contains("tensor 'w' has dtype I64; parameters need a floating-point type (F64)"), msg);
        SafeTensors.write(f, List.of(OutputTensor.of("w", new double[] {1, 2, 3, Double.NaN}, 2, 2)), Map.of());
        ParameterSet m2 = new ParameterSet(List.of(new DoubleParameter("w", 2, 2)));
        msg = assertThrows(CheckpointException.class, () -> Checkpoints.load(f, m2)).getMessage();
        assertTrue(msg.contains("tensor 'w' holds NaN at index 3 [row 1, col 1]"), msg);
    }

    @Test
    void refusesToSaveNonFiniteValuesAndKeepsTheLastGoodCheckpoint() throws Exception {
        Path f = dir.resolve("m.safetensors");
        ParameterSet model = Models.randomize(Models.recurrent(4, 2, 3, 1, 2, false), 3);
        Checkpoints.save(f, model, Map.of());
        byte[] good = Files.readAllBytes(f);
        ((FloatParameter) model.get("rnn.weight_hh_l0")).value[4] = Float.POSITIVE_INFINITY;
        String msg = assertThrows(CheckpointException.class, () -> Checkpoints.save(f, model, Map.of())).getMessage();
        assertTrue(msg.contains("parameter 'rnn.weight_hh_l0' holds Infinity at index 4 [row 1, col 1]"), msg);
        assertArrayEquals(good, Files.readAllBytes(f));
    }
}
