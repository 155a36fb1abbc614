/**
 * One emitter per recurrent cell: what is particular to the cell (its buffers, state, step code,
 * equations and PyTorch module), written around by {@link dev.unroll.compiler.codegen.LayerCode}.
 * Adding a cell is one class here and one case in {@link dev.unroll.compiler.plan.Planner}; see
 * {@code docs/generator.md}.
 */
package dev.unroll.compiler.codegen.cell;
