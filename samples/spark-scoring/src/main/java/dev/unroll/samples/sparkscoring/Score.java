package dev.unroll.samples.sparkscoring;

import java.io.Serializable;

/** One row of the output Dataset: a window's id, its burst probability and its true label. */
public class Score implements Serializable {
    private static final long serialVersionUID = 1L;

    private long id;
    private float probability;
    private int label;

    /** For Spark's bean encoder. */
    public Score() {}

    /** A scored window. */
    public Score(long id, float probability, int label) {
        this.id = id;
        this.probability = probability;
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

    /** Returns the model's probability that the window holds a burst. */
    public float getProbability() {
        return probability;
    }

    /** Sets the probability. */
    public void setProbability(float probability) {
        this.probability = probability;
    }

    /** Returns the window's true label. */
    public int getLabel() {
        return label;
    }

    /** Sets the label. */
    public void setLabel(int label) {
        this.label = label;
    }
}
