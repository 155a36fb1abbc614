package dev.unroll.samples.sparkscoring;

import java.io.Serializable;

/**
 * One row of the input Dataset: a window of {@link BurstScorer#STEPS} readings of
 * {@link BurstScorer#INPUT_SIZE} channels, flattened step by step, and its true label. A Java bean,
 * so that {@code Encoders.bean} maps it to columns {@code id}, {@code readings} (array of float)
 * and {@code label}.
 */
public class SensorWindow implements Serializable {
    private static final long serialVersionUID = 1L;

    private long id;
    private float[] readings;
    private int label;

    /** For Spark's bean encoder. */
    public SensorWindow() {}

    /** A window with its id, its readings ({@code STEPS * INPUT_SIZE}, step-major) and its label. */
    public SensorWindow(long id, float[] readings, int label) {
        this.id = id;
        this.readings = readings;
        this.label = label;
    }

    /** Returns the window's id. */
    public long getId() {
        return id;
    }

    /** Sets the window's id. */
    public void setId(long id) {
        this.id = id;
    }

    /** Returns the readings, step-major: step {@code t}, channel {@code c} at {@code t * INPUT_SIZE + c}. */
    public float[] getReadings() {
        return readings;
    }

    /** Sets the readings. */
    public void setReadings(float[] readings) {
        this.readings = readings;
    }

    /** Returns 1 when the window holds a burst, else 0. */
    public int getLabel() {
        return label;
    }

    /** Sets the label. */
    public void setLabel(int label) {
        this.label = label;
    }

    /** Returns the readings as the model's input, {@code [step][channel]}. */
    public float[][] sequence() {
        float[][] x = new float[BurstScorer.STEPS][BurstScorer.INPUT_SIZE];
        for (int t = 0; t < BurstScorer.STEPS; t++) {
            System.arraycopy(readings, t * BurstScorer.INPUT_SIZE, x[t], 0, BurstScorer.INPUT_SIZE);
        }
        return x;
    }
}
