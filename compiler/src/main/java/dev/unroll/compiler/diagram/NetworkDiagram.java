package dev.unroll.compiler.diagram;

import dev.unroll.dsl.model.NetworkModel;

/**
 * Draws a validated model as an SVG picture of the network unrolled in time.
 *
 * <pre>{@code
 * for (NetworkModel model : RnnFrontEnd.check(path).models()) {
 *     Files.writeString(Path.of(model.name() + ".svg"), NetworkDiagram.svg(model, 4));
 * }
 * }</pre>
 */
public final class NetworkDiagram {
    private NetworkDiagram() {}

    /**
     * Returns a standalone SVG 1.1 document showing at most {@code maxSteps} steps of each part
     * of the unrolling (an ellipsis column stands for the others). The same model and step count
     * always give the same text.
     *
     * @throws IllegalArgumentException if maxSteps is outside [{@value DiagramLayout#MIN_STEPS},
     *     {@value DiagramLayout#MAX_STEPS}]
     */
    public static String svg(NetworkModel model, int maxSteps) {
        return SvgWriter.write(DiagramLayout.layout(model, maxSteps));
    }
}
