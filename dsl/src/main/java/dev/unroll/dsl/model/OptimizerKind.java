package dev.unroll.dsl.model;

/** The update rule applied after each backward pass. Each matches its PyTorch namesake. */
public enum OptimizerKind implements Keyword {
    /** Plain stochastic gradient descent. */
    SGD,
    /** SGD with (optionally Nesterov) momentum. */
    MOMENTUM,
    /** Adagrad. */
    ADAGRAD,
    /** RMSProp. */
    RMSPROP,
    /** Adam. */
    ADAM,
    /** Adam with decoupled weight decay. */
    ADAMW;

    @Override
    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
