package dev.unroll.dsl.model;

/**
 * The learning-rate schedule, as a function of the number of updates done so far.
 *
 * @param kind constant, step or cosine
 * @param every step: updates between decays
 * @param gamma step: the factor applied at each decay
 * @param period cosine: updates over which the rate falls to its minimum
 * @param minLearningRate cosine: the final learning rate
 */
public record ScheduleSpec(ScheduleKind kind, int every, double gamma, int period, double minLearningRate) {}
