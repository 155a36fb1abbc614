/**
 * The plan between a validated model and the writers: {@link dev.unroll.compiler.plan.Planner}
 * builds one immutable {@link dev.unroll.compiler.plan.ModelPlan} per model, which owns every
 * derived fact (shapes, layers, tensors, buffers, the time schedule). See {@code docs/generator.md}.
 */
package dev.unroll.compiler.plan;
