package it.testspecs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ProbeTest {
    @Test
    void theGeneratedTestModelRuns() {
        Probe model = new Probe();
        float[] y = model.forward(model.newWorkspace(), new float[][] {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}});
        assertEquals(2, y.length);
        assertEquals(1.0, y[0] + y[1], 1e-5);
    }
}
