package dev.unroll.compiler.diagram;

import dev.unroll.compiler.diagram.Diagram.Element;
import dev.unroll.compiler.diagram.Diagram.Label;
import dev.unroll.compiler.diagram.Diagram.Line;
import dev.unroll.compiler.diagram.Diagram.Node;
import dev.unroll.compiler.diagram.Diagram.Point;
import java.util.EnumSet;
import java.util.Set;

/**
 * Writes a {@link Diagram} as a standalone SVG 1.1 document: no scripts, no external fonts or
 * images, text in the generic {@code sans-serif} family, presentation attributes rather than CSS.
 * The output depends only on the diagram, so the same model always gives the same bytes.
 */
public final class SvgWriter {
    private static final String TEXT_COLOR = "#1a202c";

    private final StringBuilder out = new StringBuilder(16_384);

    private SvgWriter() {}

    /** Returns the SVG document, ending in a newline. */
    public static String write(Diagram diagram) {
        SvgWriter writer = new SvgWriter();
        writer.document(diagram);
        return writer.out.toString();
    }

    private void document(Diagram diagram) {
        out.append("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n");
        out.append("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"").append(diagram.width())
                .append("\" height=\"").append(diagram.height()).append("\" viewBox=\"0 0 ")
                .append(diagram.width()).append(' ').append(diagram.height()).append("\">\n");
        out.append("<title>").append(escape(diagram.title())).append("</title>\n");
        out.append("<desc>").append(escape(diagram.description())).append("</desc>\n");
        markers(diagram);
        out.append("<rect x=\"0\" y=\"0\" width=\"").append(diagram.width()).append("\" height=\"")
                .append(diagram.height()).append("\" fill=\"#ffffff\"/>\n");
        out.append("<g font-family=\"sans-serif\" fill=\"").append(TEXT_COLOR).append("\">\n");
        for (Element element : diagram.elements()) {
            if (element instanceof Line line) {
                line(line);
            } else if (element instanceof Node node) {
                node(node);
            } else if (element instanceof Label label) {
                label(label, "");
            }
        }
        out.append("</g>\n</svg>\n");
    }

    /** One arrowhead per ink that is used, in the ink's colour (SVG 1.1 markers cannot inherit it). */
    private void markers(Diagram diagram) {
        Set<Ink> inks = EnumSet.noneOf(Ink.class);
        for (Element element : diagram.elements()) {
            if (element instanceof Line line && line.ink().arrowHead()) {
                inks.add(line.ink());
            }
        }
        if (inks.isEmpty()) {
            return;
        }
        out.append("<defs>\n");
        for (Ink ink : inks) {
            int size = ink.width() >= 1.5 ? 9 : 8;
            out.append("<marker id=\"head-").append(ink.id()).append("\" viewBox=\"0 0 10 10\" refX=\"8\" refY=\"5\"")
                    .append(" markerUnits=\"userSpaceOnUse\" markerWidth=\"").append(size).append("\" markerHeight=\"")
                    .append(size).append("\" orient=\"auto\">")
                    .append("<path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"").append(ink.color()).append("\"/></marker>\n");
        }
        out.append("</defs>\n");
    }

    private void line(Line line) {
        StringBuilder d = new StringBuilder();
        for (Point p : line.points()) {
            d.append(d.length() == 0 ? "M " : " L ").append(p.x()).append(' ').append(p.y());
        }
        if (line.halo()) {
            out.append("<path d=\"").append(d).append("\" fill=\"none\" stroke=\"#ffffff\" stroke-width=\"7\"/>\n");
        }
        out.append("<path class=\"").append(escape(line.classes())).append("\" d=\"").append(d)
                .append("\" fill=\"none\" stroke=\"").append(line.ink().color()).append("\" stroke-width=\"")
                .append(number(line.ink().width())).append('"');
        if (line.dashed()) {
            out.append(" stroke-dasharray=\"5 4\"");
        }
        if (line.ink().arrowHead()) {
            out.append(" marker-end=\"url(#head-").append(line.ink().id()).append(")\"");
        }
        out.append("/>\n");
    }

    private void node(Node node) {
        out.append("<g id=\"").append(escape(node.id())).append("\" class=\"").append(escape(node.classes()))
                .append("\">\n");
        out.append("  <rect x=\"").append(node.x()).append("\" y=\"").append(node.y()).append("\" width=\"")
                .append(node.width()).append("\" height=\"").append(node.height())
                .append("\" rx=\"6\" ry=\"6\" fill=\"").append(node.fill()).append("\" stroke=\"")
                .append(node.stroke()).append("\" stroke-width=\"1.4\"");
        if (node.dashed()) {
            out.append(" stroke-dasharray=\"4 3\"");
        }
        out.append("/>\n");
        for (Label label : node.labels()) {
            label(label, "  ");
        }
        out.append("</g>\n");
    }

    private void label(Label label, String indent) {
        if (label.backdrop()) {
            out.append(indent).append("<rect x=\"").append(label.left() - 3).append("\" y=\"")
                    .append(label.y() - label.size()).append("\" width=\"").append(label.width() + 6)
                    .append("\" height=\"").append(label.size() + 5).append("\" fill=\"#ffffff\"/>\n");
        }
        out.append(indent).append("<text xml:space=\"preserve\" x=\"").append(label.x()).append("\" y=\"")
                .append(label.y()).append('"');
        switch (label.anchor()) {
            case START -> { }
            case MIDDLE -> out.append(" text-anchor=\"middle\"");
            case END -> out.append(" text-anchor=\"end\"");
        }
        out.append(" font-size=\"").append(label.size()).append('"');
        if (label.bold()) {
            out.append(" font-weight=\"bold\"");
        }
        if (!label.color().equals(TEXT_COLOR)) {
            out.append(" fill=\"").append(label.color()).append('"');
        }
        out.append('>');
        int small = RichText.shiftedSize(label.size());
        int offset = 0; // how far the current baseline is below the label's baseline
        for (RichText.Run run : label.text().runs()) {
            int target = switch (run.shift()) {
                case NONE -> 0;
                case SUB -> Math.round(label.size() * 0.3f);
                case SUPER -> -Math.round(label.size() * 0.4f);
            };
            if (target == offset && run.shift() == RichText.Shift.NONE) {
                out.append(escape(run.text()));
                continue;
            }
            out.append("<tspan");
            if (target != offset) {
                out.append(" dy=\"").append(target - offset).append('"');
            }
            if (run.shift() != RichText.Shift.NONE) {
                out.append(" font-size=\"").append(small).append('"');
            }
            out.append('>').append(escape(run.text())).append("</tspan>");
            offset = target;
        }
        out.append("</text>\n");
    }

    private static String number(double value) {
        long whole = Math.round(value);
        if (Math.abs(value - whole) < 1e-9) {
            return Long.toString(whole);
        }
        return Double.toString(Math.round(value * 100) / 100.0);
    }

    /** Escapes text and attribute values; drops characters XML 1.0 cannot hold. */
    static String escape(String text) {
        StringBuilder escaped = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            switch (cp) {
                case '&' -> escaped.append("&amp;");
                case '<' -> escaped.append("&lt;");
                case '>' -> escaped.append("&gt;");
                case '"' -> escaped.append("&quot;");
                case '\'' -> escaped.append("&apos;");
                default -> {
                    boolean legal = cp == 0x9 || cp == 0xA || cp == 0xD || cp >= 0x20 && cp <= 0xD7FF
                            || cp >= 0xE000 && cp <= 0xFFFD || cp >= 0x10000 && cp <= 0x10FFFF;
                    if (legal) {
                        escaped.appendCodePoint(cp);
                    }
                }
            }
        }
        return escaped.toString();
    }
}
