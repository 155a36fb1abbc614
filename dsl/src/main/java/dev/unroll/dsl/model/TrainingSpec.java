package dev.unroll.dsl.model;

import java.util.List;

/**
 * Everything about training.
 *
 * @param loss the loss function
 * @param optimizer the optimizer
 * @param schedule the learning-rate schedule
 * @param init weight initialization
 * @param seed the seed of weight initialization and dropout
 * @param clipping the clipping rules, in the order they are applied: value, then
 *     per-parameter norm, then global norm
 */
public record TrainingSpec(LossKind loss, OptimizerSpec optimizer, ScheduleSpec schedule, InitSpec init,
        long seed, List<ClipSpec> clipping) {
    public TrainingSpec {
        clipping = List.copyOf(clipping);
    }
}
