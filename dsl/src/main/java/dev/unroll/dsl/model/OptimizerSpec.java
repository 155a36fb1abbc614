package dev.unroll.dsl.model;

/**
 * The optimizer and its hyper-parameters, with PyTorch's names and defaults. Parameters that the
 * chosen optimizer does not use keep their defaults and are ignored.
 *
 * @param kind the update rule
 * @param learningRate the base step size (before any schedule)
 * @param momentum momentum factor (momentum optimizer)
 * @param nesterov whether momentum is Nesterov's
 * @param beta1 first-moment decay (Adam, AdamW)
 * @param beta2 second-moment decay (Adam, AdamW)
 * @param epsilon the term added to denominators (Adagrad, RMSProp, Adam, AdamW)
 * @param alpha the squared-gradient decay of RMSProp
 * @param weightDecay L2 penalty added to the gradient, or decoupled decay for AdamW
 */
public record OptimizerSpec(OptimizerKind kind, double learningRate, double momentum, boolean nesterov,
        double beta1, double beta2, double epsilon, double alpha, double weightDecay) {}
