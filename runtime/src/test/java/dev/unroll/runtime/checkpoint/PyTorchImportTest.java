package dev.unroll.runtime.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.runtime.DoubleParameter;
import dev.unroll.runtime.FloatParameter;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import dev.unroll.runtime.testing.Models;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PyTorchImportTest {

    /** Builds a state_dict like PyTorch's: {@code <rp>weight_ih_l0} ... then {@code <hp>weight}, {@code <hp>bias}. */
    Map<String, double[]> stateDict(int gates, int in, int hidden, int layers, int out, String rp, String hp,
                                           boolean bidirectional, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, double[]> sd = new LinkedHashMap<>();
        ParameterSet shape = Models.recurrent(gates, in, hidden, layers, out, true, bidirectional);
        for (Parameter p : shape) {
            String name = p.name().startsWith("rnn.") ? rp + p.name().substring(4) : hp + p.name().substring(5);
            double[] v = new double[p.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = r.nextDouble(-1, 1);
            }
            sd.put(name, v);
            shapes.put(name, p.shape());
        }
        return sd;
    }

    /** The shapes of the tensors made by {@link #stateDict} and added by the tests (JUnit makes one instance per test). */
    private final Map<String, int[]> shapes = new LinkedHashMap<>();

    TensorFile file(Map<String, double[]> sd, boolean f32) throws CheckpointException {
        List<OutputTensor> ts = new ArrayList<>();
        sd.forEach((name, v) -> {
            int[] shape = shapes.get(name);
            if (f32) {
                float[] f = new float[v.length];
                for (int i = 0; i < v.length; i++) {
                    f[i] = (float) v[i];
                }
                ts.add(OutputTensor.of(name, f, shape));
            } else {
                ts.add(OutputTensor.of(name, v, shape));
            }
        });
        return SafeTensors.read(SafeTensors.toBytes(ts, Map.of()), "model.safetensors");
    }

    static String importError(TensorFile f, ParameterSet model) {
        return assertThrows(CheckpointException.class, () -> PyTorchImport.importStateDict(f, model, null, null)).getMessage();
    }

    @Test
    void importsEveryLayerOfATwoLayerLstmAndTheHead() throws Exception {
        Map<String, double[]> sd = stateDict(4, 3, 5, 2, 2, "lstm.", "fc.", false, 1);
        ParameterSet model = Models.recurrent(4, 3, 5, 2, 2, true);
        PyTorchImport.Report report = PyTorchImport.importStateDict(file(sd, false), model, null, null);
        assertEquals("lstm.", report.recurrentPrefix());
        assertEquals("fc.", report.headPrefix());
        assertEquals(2, report.layers());
        assertFalse(report.bidirectional());
        assertEquals(10, report.mapping().size());
        assertEquals("rnn.weight_hh_l1", report.mapping().get("lstm.weight_hh_l1"));
        // layer 1 is really set (loading only layer 0 is the classic bug)
        for (String s : List.of("weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1", "weight_ih_l0")) {
            assertArrayEquals(sd.get("lstm." + s), ((DoubleParameter) model.get("rnn." + s)).value, s);
        }
        assertArrayEquals(sd.get("fc.weight"), ((DoubleParameter) model.get("head.weight")).value);
        assertArrayEquals(sd.get("fc.bias"), ((DoubleParameter) model.get("head.bias")).value);
    }

    @Test
    void importsWithoutARecurrentPrefixAndConvertsF64ToFloat() throws Exception {
        Map<String, double[]> sd = stateDict(3, 2, 4, 1, 3, "", "decoder.", false, 2);
        ParameterSet model = Models.recurrent(3, 2, 4, 1, 3, false);
        PyTorchImport.Report report = PyTorchImport.importStateDict(file(sd, false), model, null, null);
        assertEquals("", report.recurrentPrefix());
        assertEquals("decoder.", report.headPrefix());
        float[] w = ((FloatParameter) model.get("rnn.weight_hh_l0")).value;
        for (int i = 0; i < w.length; i++) {
            assertEquals((float) sd.get("weight_hh_l0")[i], w[i]);
        }
    }

    @Test
    void importsF32IntoFloat64AndAcceptsExplicitPrefixes() throws Exception {
        Map<String, double[]> sd = stateDict(1, 2, 3, 2, 1, "encoder.rnn.", "head.", false, 3);
        ParameterSet model = Models.recurrent(1, 2, 3, 2, 1, true);
        PyTorchImport.importStateDict(file(sd, true), model, "encoder.rnn.", "head.");
        assertEquals((double) (float) sd.get("encoder.rnn.bias_hh_l1")[2], model.get("rnn.bias_hh_l1").value(2));
    }

    @Test
    void importsAFileThatAlreadyUsesTheCanonicalNames() throws Exception {
        Map<String, double[]> sd = stateDict(1, 2, 3, 2, 2, "rnn.", "head.", false, 15);
        ParameterSet model = Models.recurrent(1, 2, 3, 2, 2, true);
        PyTorchImport.Report r = PyTorchImport.importStateDict(file(sd, false), model, null, null);
        assertEquals("rnn.", r.recurrentPrefix());
        assertEquals("head.", r.headPrefix());
        assertArrayEquals(sd.get("rnn.weight_hh_l1"), ((DoubleParameter) model.get("rnn.weight_hh_l1")).value);
        assertArrayEquals(sd.get("head.bias"), ((DoubleParameter) model.get("head.bias")).value);
    }

    @Test
    void choosesTheHeadByShapeAndRefusesTheOtherGroupAsUnknown() throws Exception {
        Map<String, double[]> sd = stateDict(4, 3, 5, 1, 2, "lstm.", "fc.", false, 4);
        sd.put("embedding.weight", new double[30]);
        shapes.put("embedding.weight", new int[] {10, 3});
        ParameterSet model = Models.randomize(Models.recurrent(4, 3, 5, 1, 2, true), 5);
        double[] before = Models.snapshot(model);
        String msg = importError(file(sd, false), model);
        assertEquals("PyTorch state_dict model.safetensors: unknown tensors [embedding.weight [10, 3]] "
                + "(ImportOptions.ignoringUnknown() would ignore them); the model was not changed", msg);
        assertArrayEquals(before, Models.snapshot(model));
    }

    @Test
    void refusesMissingTensorsNamingWhatWasLookedFor() throws Exception {
        Map<String, double[]> sd = stateDict(4, 3, 5, 2, 2, "lstm.", "fc.", false, 6);
        sd.remove("lstm.bias_hh_l1");
        sd.remove("fc.bias");
        String msg = importError(file(sd, false), Models.recurrent(4, 3, 5, 2, 2, true));
        assertTrue(msg.contains("missing tensors [rnn.bias_hh_l1 [20] (looked for 'lstm.bias_hh_l1'), "
                + "head.bias [2] (looked for 'fc.bias')]"), msg);
    }

    @Test
    void refusesAGruCheckpointForAnLstmModelWithAHint() throws Exception {
        Map<String, double[]> sd = stateDict(3, 3, 5, 1, 2, "gru.", "fc.", false, 7);
        String msg = importError(file(sd, false), Models.recurrent(4, 3, 5, 1, 2, true));
        assertTrue(msg.contains("tensor 'gru.weight_ih_l0' (for 'rnn.weight_ih_l0') has shape [15, 3], expected [20, 3] "
                + "(the checkpoint looks like a GRU with hidden size 5, the model is an LSTM with hidden size 5)"), msg);
        assertTrue(msg.startsWith("PyTorch state_dict model.safetensors: 4 problems: "), msg);
    }

    @Test
    void refusesABidirectionalCheckpointForAUnidirectionalModel() throws Exception {
        Map<String, double[]> sd = stateDict(1, 2, 3, 1, 0, "rnn.", "fc.", true, 8);
        String msg = importError(file(sd, false), Models.recurrent(1, 2, 3, 1, 0, true));
        assertTrue(msg.contains("the checkpoint is bidirectional but the model is not: tensors [rnn.weight_ih_l0_reverse, "
                + "rnn.weight_hh_l0_reverse, rnn.bias_ih_l0_reverse, rnn.bias_hh_l0_reverse]"), msg);
    }

    @Test
    void importsABidirectionalCheckpointIntoABidirectionalModel() throws Exception {
        Map<String, double[]> sd = stateDict(3, 2, 3, 2, 2, "gru.", "fc.", true, 9);
        ParameterSet model = Models.recurrent(3, 2, 3, 2, 2, true, true);
        PyTorchImport.Report r = PyTorchImport.importStateDict(file(sd, false), model, null, null);
        assertTrue(r.bidirectional());
        assertArrayEquals(sd.get("gru.weight_ih_l1_reverse"), ((DoubleParameter) model.get("rnn.weight_ih_l1_reverse")).value);
    }

    @Test
    void refusesALayerCountMismatchBothWays() throws Exception {
        Map<String, double[]> two = stateDict(4, 3, 5, 2, 2, "lstm.", "fc.", false, 10);
        String msg = importError(file(two, false), Models.recurrent(4, 3, 5, 1, 2, true));
        assertEquals("PyTorch state_dict model.safetensors: layer count mismatch: 'lstm.' has 2 layers (l0-l1), "
                + "the model has 1 layer (l0-l0); the model was not changed", msg);
        Map<String, double[]> one = stateDict(4, 3, 5, 1, 2, "lstm.", "fc.", false, 11);
        msg = importError(file(one, false), Models.recurrent(4, 5, 5, 3, 2, true));
        assertTrue(msg.contains("layer count mismatch: 'lstm.' has 1 layer (l0-l0), the model has 3 layers (l0-l2)"), msg);
    }

    @Test
    void refusesAmbiguousOrAbsentRecurrentTensors() throws Exception {
        Map<String, double[]> sd = stateDict(1, 2, 3, 1, 2, "enc.", "fc.", false, 12);
        sd.putAll(stateDict(1, 2, 3, 1, 0, "dec.", "", false, 13));
        String msg = importError(file(sd, false), Models.recurrent(1, 2, 3, 1, 2, true));
        assertTrue(msg.contains("recurrent tensors under several prefixes ['dec.', 'enc.']; choose one with "
                + "ImportOptions.withRecurrentPrefix, e.g. \"dec.\""), msg);
        // explicit prefixes resolve it, but the other module's tensors are then unknown
        msg = assertThrows(CheckpointException.class, () -> PyTorchImport.importStateDict(file(sd, false),
                Models.recurrent(1, 2, 3, 1, 2, true), "enc.", "fc.")).getMessage();
        assertTrue(msg.contains("unknown tensors [dec.weight_ih_l0 [3, 2], dec.weight_hh_l0 [3, 3], dec.bias_ih_l0 [3], "
                + "dec.bias_hh_l0 [3]]"), msg);
        Map<String, double[]> none = new LinkedHashMap<>();
        none.put("fc.weight", new double[6]);
        shapes.put("fc.weight", new int[] {2, 3});
        msg = importError(file(none, false), Models.recurrent(1, 2, 3, 1, 2, true));
        assertTrue(msg.contains("no recurrent tensors (like 'lstm.weight_ih_l0') found; the tensors are [fc.weight [2, 3]]"), msg);
    }

    @Test
    void refusesLstmProjections() throws Exception {
        Map<String, double[]> sd = stateDict(4, 3, 5, 1, 2, "lstm.", "fc.", false, 14);
        sd.put("lstm.weight_hr_l0", new double[10]);
        shapes.put("lstm.weight_hr_l0", new int[] {2, 5});
        String msg = importError(file(sd, false), Models.recurrent(4, 3, 5, 1, 2, true));
        assertTrue(msg.contains("LSTM projections (proj_size) are not supported: tensors [lstm.weight_hr_l0]"), msg);
    }

    @Test
    void importsARealPyTorchStateDict() throws Exception {
        // written by src/test/python/make_optimizer_fixtures.py from torch.nn.LSTM(3, 4, num_layers=2) + nn.Linear(4, 2)
        Path f = Path.of(PyTorchImportTest.class.getResource("/fixtures/pytorch_lstm2_state_dict.safetensors").toURI());
        TensorFile tf = SafeTensors.read(f);
        ParameterSet model = Models.recurrent(4, 3, 4, 2, 2, false);
        PyTorchImport.Report r = PyTorchImport.importStateDict(f, model);
        assertEquals("lstm.", r.recurrentPrefix());
        assertEquals("fc.", r.headPrefix());
        for (Parameter p : model) {
            String source = r.mapping().entrySet().stream().filter(e -> e.getValue().equals(p.name())).findFirst()
                    .orElseThrow().getKey();
            assertArrayEquals(tf.tensor(source).toFloatArray(), ((FloatParameter) p).value, p.name());
        }
        assertTrue(((FloatParameter) model.get("rnn.weight_hh_l1")).value[0] != 0);
    }

    // ---- ImportOptions

    /** An encoder and a decoder in one file: the options choose one and ignore the other. */
    @Test
    void optionsChooseThePrefixAndIgnoreTheOtherModule() throws Exception {
        Map<String, double[]> sd = stateDict(1, 2, 3, 1, 2, "enc.", "fc.", false, 12);
        sd.putAll(stateDict(1, 2, 3, 1, 0, "dec.", "", false, 13));
        ParameterSet model = Models.recurrent(1, 2, 3, 1, 2, true);
        PyTorchImport.Report r = PyTorchImport.importStateDict(file(sd, false), model,
                PyTorchImport.ImportOptions.defaults().withRecurrentPrefix("dec.").withHeadPrefix("fc.").ignoringUnknown());
        assertEquals("dec.", r.recurrentPrefix());
        assertEquals(List.of("enc.weight_ih_l0", "enc.weight_hh_l0", "enc.bias_ih_l0", "enc.bias_hh_l0"), r.ignored());
        assertArrayEquals(sd.get("dec.weight_hh_l0"), ((DoubleParameter) model.get("rnn.weight_hh_l0")).value);
        assertArrayEquals(sd.get("fc.weight"), ((DoubleParameter) model.get("head.weight")).value);
    }

    /** Optimizer state and saved inputs next to the weights: refused by default, ignored on request. */
    @Test
    void optionsIgnoreExtraTensorsOnlyWhenAsked() throws Exception {
        Map<String, double[]> sd = stateDict(4, 3, 5, 1, 2, "lstm.", "fc.", false, 4);
        sd.put("optimizer.state.0.exp_avg", new double[60]);
        shapes.put("optimizer.state.0.exp_avg", new int[] {20, 3});
        sd.put("inputs", new double[6]);
        shapes.put("inputs", new int[] {2, 3});
        ParameterSet model = Models.randomize(Models.recurrent(4, 3, 5, 1, 2, true), 5);
        double[] before = Models.snapshot(model);
        String msg = importError(file(sd, false), model);
        assertTrue(msg.contains("unknown tensors [optimizer.state.0.exp_avg [20, 3], inputs [2, 3]]"), msg);
        assertArrayEquals(before, Models.snapshot(model));

        PyTorchImport.Report r = PyTorchImport.importStateDict(file(sd, false), model,
                PyTorchImport.ImportOptions.defaults().ignoringUnknown());
        assertEquals(List.of("optimizer.state.0.exp_avg", "inputs"), r.ignored());
        assertEquals("lstm.", r.recurrentPrefix());
        assertEquals("fc.", r.headPrefix());
        assertEquals(6, r.mapping().size());
        assertArrayEquals(sd.get("lstm.weight_ih_l0"), ((DoubleParameter) model.get("rnn.weight_ih_l0")).value);
    }

    /** Ignoring unknown tensors never imports a different network: extra layers are still refused. */
    @Test
    void ignoringUnknownStillRefusesAnotherLayerCountOrDirection() throws Exception {
        ParameterSet model = Models.recurrent(1, 2, 3, 1, 2, true);
        var options = PyTorchImport.ImportOptions.defaults().ignoringUnknown();
        String msg = assertThrows(CheckpointException.class, () -> PyTorchImport.importStateDict(
                file(stateDict(1, 2, 3, 2, 2, "rnn.", "fc.", false, 3), false), model, options)).getMessage();
        assertTrue(msg.contains("layer count mismatch"), msg);
        msg = assertThrows(CheckpointException.class, () -> PyTorchImport.importStateDict(
                file(stateDict(1, 2, 3, 1, 2, "rnn.", "fc.", true, 3), false), model, options)).getMessage();
        assertTrue(msg.contains("the checkpoint is bidirectional but the model is not"), msg);
    }

    /** A filter drops tensors before the prefixes are detected, so a second recurrent module stops being ambiguous. */
    @Test
    void aFilterHidesTensorsBeforeDetection() throws Exception {
        Map<String, double[]> sd = stateDict(3, 2, 4, 1, 2, "enc.", "fc.", false, 21);
        sd.putAll(stateDict(3, 2, 4, 1, 0, "dec.", "", false, 22));
        ParameterSet model = Models.recurrent(3, 2, 4, 1, 2, false);
        PyTorchImport.Report r = PyTorchImport.importStateDict(file(sd, false), model,
                PyTorchImport.ImportOptions.defaults().onlyTensorsMatching("(enc|fc)\\..*"));
        assertEquals("enc.", r.recurrentPrefix());
        assertEquals(4, r.ignored().size());
        assertTrue(r.ignored().stream().allMatch(n -> n.startsWith("dec.")), r.ignored().toString());
        assertEquals((float) sd.get("enc.bias_hh_l0")[5], ((FloatParameter) model.get("rnn.bias_hh_l0")).value[5]);
        // the file version of the options, and the defaults equal the two-argument import
        Path f = Path.of(System.getProperty("java.io.tmpdir")).resolve("opts-" + System.nanoTime() + ".safetensors");
        try {
            Map<String, double[]> one = stateDict(3, 2, 4, 1, 2, "gru.", "out.", false, 23);
            List<OutputTensor> ts = new ArrayList<>();
            one.forEach((name, v) -> ts.add(OutputTensor.of(name, v, shapes.get(name))));
            SafeTensors.write(f, ts, Map.of());
            assertEquals(PyTorchImport.importStateDict(f, Models.recurrent(3, 2, 4, 1, 2, true)),
                    PyTorchImport.importStateDict(f, Models.recurrent(3, 2, 4, 1, 2, true), PyTorchImport.ImportOptions.defaults()));
        } finally {
            java.nio.file.Files.deleteIfExists(f);
        }
    }

    /** A layer number too long for an int is an unknown tensor, not a NumberFormatException. */
    @Test
    void aHugeLayerNumberIsAnUnknownTensor() throws Exception {
        Map<String, double[]> sd = stateDict(1, 2, 3, 1, 2, "rnn.", "fc.", false, 3);
        sd.put("rnn.weight_ih_l99999999999", new double[6]);
        shapes.put("rnn.weight_ih_l99999999999", new int[] {3, 2});
        String msg = importError(file(sd, false), Models.recurrent(1, 2, 3, 1, 2, true));
        assertTrue(msg.contains("unknown tensors [rnn.weight_ih_l99999999999 [3, 2]]"), msg);
    }
}
