package dev.unroll.samples.support;

import java.util.ArrayList;
import java.util.List;

/** A named list of (x, y) points: one line of a chart. */
public final class Series {
    private final String name;
    private final List<double[]> points = new ArrayList<>();
    private java.awt.Color color;
    private boolean dashed;

    public Series(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** Adds a point; non-finite values are dropped (a chart cannot draw them). */
    public Series add(double x, double y) {
        if (Double.isFinite(x) && Double.isFinite(y)) {
            points.add(new double[] {x, y});
        }
        return this;
    }

    /** Draws the line in this color (XChart picks one otherwise). */
    public Series color(java.awt.Color color) {
        this.color = color;
        return this;
    }

    /** Draws a dashed line. */
    public Series dashed() {
        this.dashed = true;
        return this;
    }

    java.awt.Color color() {
        return color;
    }

    boolean isDashed() {
        return dashed;
    }

    /** A copy with another name (and the same points, color and dashes). */
    public Series renamed(String newName) {
        Series copy = new Series(newName);
        copy.points.addAll(points);
        copy.color = color;
        copy.dashed = dashed;
        return copy;
    }

    public int size() {
        return points.size();
    }

    public double lastY() {
        return points.isEmpty() ? Double.NaN : points.get(points.size() - 1)[1];
    }

    public double[] xs() {
        return points.stream().mapToDouble(p -> p[0]).toArray();
    }

    public double[] ys() {
        return points.stream().mapToDouble(p -> p[1]).toArray();
    }
}
