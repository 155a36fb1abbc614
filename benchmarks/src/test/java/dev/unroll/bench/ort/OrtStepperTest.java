package dev.unroll.bench.ort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.unroll.runtime.RecurrentModel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The ONNX Runtime baseline computes what the generated code computes: the project exporter's one-step graph of
 * a grid model, stepped through {@link OrtStepper} (state carried in its pinned outputs), gives the generated
 * {@code Stepper}'s outputs and states at every step, from the same weights. No torch needed.
 */
class OrtStepperTest {
    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    @ParameterizedTest
    @CsvSource({"lstm, 32, float, 1", "gru, 32, float, 1", "lstm, 64, float, 2", "gru, 64, float, 2"})
    void oneStepGraphMatchesTheGeneratedStepper(String cell, int hidden, String precision, int threads)
            throws Exception {
        RecurrentModel<?, ?, ?, ?> model = OrtModels.model(cell, hidden, precision);
        byte[] graph = OrtModels.unrollGraph(model);
        try (OrtSession session = OrtModels.session(ENV, graph, threads);
                OrtStepper stepper = new OrtStepper(ENV, session, OrtModels.names(OrtModels.Graph.UNROLL, cell))) {
            assertFalse(stepper.float64());
            assertEquals(64, stepper.inputSize());
            assertEquals(64, stepper.outputSize());
            assertEquals(hidden, stepper.stateSize());
            // Ten steps: the state must be carried through the ping-pong of pinned outputs.
            double error = OrtModels.compare(model, stepper, OrtModels.inputs(10, 64, 11));
            double tolerance = 1e-4;
            assertTrue(error <= tolerance, cell + " " + hidden + " " + precision + ": relative difference " + error);
            // After a reset the graph starts from zero again: the same first output as a fresh stepper.
            double again = OrtModels.compare(model, stepper, OrtModels.inputs(2, 64, 11));
            assertTrue(again <= tolerance, "after reset: " + again);
            // The state is really carried: ten steps end away from the zero state.
            stepper.reset();
            double[][] xs = OrtModels.inputs(10, 64, 3);
            for (double[] x : xs) {
                if (stepper.float64()) {
                    stepper.step(x);
                } else {
                    float[] f = new float[x.length];
                    for (int i = 0; i < f.length; i++) {
                        f[i] = (float) x[i];
                    }
                    stepper.step(f);
                }
            }
            boolean nonZero = false;
            for (double v : stepper.state(0)) {
                nonZero |= v != 0;
            }
            assertTrue(nonZero, "h after ten steps");
            assertFalse(Double.isNaN(stepper.output()[0]));
        }
    }

    /**
     * Why the ONNX Runtime baseline is float only: version 1.22's CPU kernels refuse a double LSTM or GRU when run
     * (the graph itself loads). If a later version runs them, this fails, and the double grid can be added.
     */
    @ParameterizedTest
    @CsvSource({"lstm", "gru"})
    void onnxRuntimeRunsNoDoubleRecurrentNode(String cell) throws Exception {
        RecurrentModel<?, ?, ?, ?> model = OrtModels.model(cell, 32, "double");
        try (OrtSession session = OrtModels.session(ENV, OrtModels.unrollGraph(model), 1);
                OrtStepper stepper = new OrtStepper(ENV, session, OrtModels.names(OrtModels.Graph.UNROLL, cell))) {
            assertTrue(stepper.float64());
            OrtException e = assertThrows(OrtException.class, () -> stepper.step(new double[64]));
            assertTrue(e.getMessage().contains("does not support double"), e.getMessage());
        }
    }
}
