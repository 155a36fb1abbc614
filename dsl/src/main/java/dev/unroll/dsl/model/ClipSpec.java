package dev.unroll.dsl.model;

/**
 * One gradient clipping rule.
 *
 * @param kind element-wise value, global norm or per-parameter norm
 * @param threshold the limit, always positive
 */
public record ClipSpec(ClipKind kind, double threshold) {}
