package dev.unroll.compiler.diagram;

import java.util.List;

/**
 * A laid-out drawing: every element with absolute pixel coordinates, drawn in list order (later
 * elements on top). {@link DiagramLayout} makes one from a model; {@link SvgWriter} writes it.
 *
 * @param width the canvas width in pixels
 * @param height the canvas height in pixels
 * @param title the drawing's title (the SVG {@code <title>})
 * @param description a one-line description (the SVG {@code <desc>})
 * @param elements what to draw, back to front
 */
public record Diagram(int width, int height, String title, String description, List<Element> elements) {

    public Diagram {
        elements = List.copyOf(elements);
    }

    /** Something drawn. */
    public sealed interface Element permits Node, Line, Label {}

    /** A point in pixels. */
    public record Point(int x, int y) {}

    /** Where a label's x coordinate is: its start, middle or end. */
    public enum Anchor {
        START, MIDDLE, END
    }

    /**
     * A rounded box with text in it: an input, a hidden state, an output, a merge.
     *
     * @param id a unique XML id
     * @param classes space-separated classes: {@code node} and the kind ({@code x}, {@code h},
     *     {@code y}, {@code merge}), then details ({@code fwd}, {@code bwd}, {@code feedback}...)
     * @param x left edge
     * @param y top edge
     * @param width width
     * @param height height
     * @param fill fill colour
     * @param stroke border colour
     * @param dashed whether the border is dashed
     * @param labels the text inside
     */
    public record Node(String id, String classes, int x, int y, int width, int height, String fill, String stroke,
            boolean dashed, List<Label> labels) implements Element {
        public Node {
            labels = List.copyOf(labels);
        }

        /** Horizontal centre. */
        public int centerX() {
            return x + width / 2;
        }

        /** Vertical centre. */
        public int centerY() {
            return y + height / 2;
        }
    }

    /**
     * A polyline, with an arrowhead at its end when its ink has one.
     *
     * @param classes space-separated classes, e.g. {@code arrow w-hh}
     * @param points the corners, from start to end
     * @param ink colour, width and head
     * @param dashed whether the line is dashed (always, for an ink that is dashed)
     * @param halo whether a white band is drawn under it, so lines it crosses show a gap
     */
    public record Line(String classes, List<Point> points, Ink ink, boolean dashed, boolean halo)
            implements Element {
        public Line {
            points = List.copyOf(points);
            dashed |= ink.dashed();
        }
    }

    /**
     * A line of text.
     *
     * @param x the anchor's x
     * @param y the baseline
     * @param anchor which part of the text is at x
     * @param size font size in pixels
     * @param bold whether the text is bold
     * @param color text colour
     * @param text the text
     * @param backdrop whether a white box is drawn behind it (for text over lines)
     */
    public record Label(int x, int y, Anchor anchor, int size, boolean bold, String color, RichText text,
            boolean backdrop) implements Element {

        /** The estimated width in pixels. */
        public int width() {
            return (int) Math.ceil(text.width(size, bold));
        }

        /** The estimated left edge. */
        public int left() {
            return switch (anchor) {
                case START -> x;
                case MIDDLE -> x - width() / 2;
                case END -> x - width();
            };
        }
    }
}
