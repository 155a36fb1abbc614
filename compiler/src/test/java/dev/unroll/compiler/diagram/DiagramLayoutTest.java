package dev.unroll.compiler.diagram;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.compiler.diagram.Diagram.Element;
import dev.unroll.compiler.diagram.Diagram.Label;
import dev.unroll.compiler.diagram.Diagram.Line;
import dev.unroll.compiler.diagram.Diagram.Node;
import dev.unroll.compiler.diagram.Diagram.Point;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** The layout: which steps are drawn, and that nothing overlaps or leaves the canvas. */
class DiagramLayoutTest {

    @Test
    void shortSequencesAreDrawnWhole() {
        assertEquals(List.of(1), DiagramLayout.shownSteps(1, 4));
        assertEquals(List.of(1, 2, 3, 4), DiagramLayout.shownSteps(4, 4));
    }

    @Test
    void longSequencesShowTheFirstStepsAnEllipsisAndTheLast() {
        assertEquals(List.of(1, 2, 3, 0, 5), DiagramLayout.shownSteps(5, 4));
        assertEquals(List.of(1, 2, 3, 0, 200), DiagramLayout.shownSteps(200, 4));
        assertEquals(List.of(1, 0, 200), DiagramLayout.shownSteps(200, 2));
    }

    @Test
    void stepsOutsideTheRangeAreRefused() {
        var model = DiagramSvgTest.model("input 4; gru 8; output 2; many_to_many steps 9;");
        assertThrows(IllegalArgumentException.class, () -> DiagramLayout.layout(model, 1));
        assertThrows(IllegalArgumentException.class, () -> DiagramLayout.layout(model, DiagramLayout.MAX_STEPS + 1));
    }

    @Test
    void numbersAreWrittenAsInASpec() {
        assertEquals("5", DiagramLayout.number(5.0));
        assertEquals("0.001", DiagramLayout.number(0.001));
        assertEquals("1e-8", DiagramLayout.number(1e-8));
        assertEquals("2.5e-5", DiagramLayout.number(2.5e-5));
        assertEquals("0.3", DiagramLayout.number(0.3));
    }

    @Test
    void markupMakesSubscriptsAndSuperscripts() {
        RichText text = RichText.markup("W_{ih}^{(0)} rev");
        assertEquals(List.of(new RichText.Run("W", RichText.Shift.NONE), new RichText.Run("ih", RichText.Shift.SUB),
                new RichText.Run("(0)", RichText.Shift.SUPER), new RichText.Run(" rev", RichText.Shift.NONE)),
                text.runs());
        assertEquals("rnn.weight_ih_l0", RichText.markup("rnn.weight_ih_l0").text(), "a bare underscore is literal");
        assertEquals(1, RichText.plain("a_{b}").runs().size(), "plain text is not parsed");
    }

    /** Every corpus spec, and a few extremes, at several step counts. */
    @TestFactory
    List<DynamicTest> nothingOverlapsAndEverythingIsOnTheCanvas() {
        List<DynamicTest> tests = new ArrayList<>();
        for (var spec : DiagramGoldenTest.specs()) {
            for (int steps : new int[] {2, 4, 7}) {
                tests.add(DynamicTest.dynamicTest(spec.getFileName() + " steps " + steps,
                        () -> assertClean(DiagramLayout.layout(DiagramGoldenTest.model(spec), steps))));
            }
        }
        for (String body : List.of(
                "input 1048576 one_hot; lstm 16384 bidirectional peepholes cell_clip 1000 forget_bias 1.5 dropout 0.999;"
                        + " output 1048576 softmax; many_to_many steps 1000000; clip value 0.00001;",
                "input 4; lstm 16384; output 4; one_to_many steps 1000000 feedback;",
                "input 4; gru 8; output 4; many_to_many input_steps 1000000 output_steps 999999;",
                "input 4; gru 8; output 4; many_to_many input_steps 1 output_steps 1;",
                "input 4; rnn 8 bidirectional sum; output 2 softmax; many_to_many steps 1;")) {
            tests.add(DynamicTest.dynamicTest(body, () -> {
                assertClean(DiagramLayout.layout(DiagramSvgTest.model(body), 4));
                assertClean(DiagramLayout.layout(DiagramSvgTest.model(body), 2));
            }));
        }
        return tests;
    }

    /** A box in pixels. */
    private record Box(String what, double left, double top, double right, double bottom) {
        boolean overlaps(Box other) {
            return left < other.right && other.left < right && top < other.bottom && other.top < bottom;
        }
    }

    private static Box box(Label label, String what) {
        // The text sits on its baseline: ascenders above, a little room for subscripts below.
        return new Box(what + " '" + label.text().text() + "'", label.left(), label.y() - label.size() * 0.8,
                label.left() + label.width(), label.y() + label.size() * 0.3);
    }

    static void assertClean(Diagram diagram) {
        List<Box> nodes = new ArrayList<>();
        List<Box> texts = new ArrayList<>();
        List<Line> lines = new ArrayList<>();
        for (Element element : diagram.elements()) {
            if (element instanceof Node node) {
                Box outline = new Box("node " + node.id(), node.x(), node.y(), node.x() + node.width(),
                        node.y() + node.height());
                nodes.add(outline);
                for (Label label : node.labels()) {
                    Box inside = box(label, "text of " + node.id());
                    assertTrue(inside.left() >= outline.left() + 2 && inside.right() <= outline.right() - 2,
                            inside + " does not fit in " + outline);
                }
            } else if (element instanceof Label label) {
                if (!label.backdrop()) { // a label with a backdrop is meant to sit on a line
                    texts.add(box(label, "label"));
                }
            } else if (element instanceof Line line) {
                lines.add(line);
                for (Point p : line.points()) {
                    assertTrue(p.x() >= 0 && p.x() <= diagram.width() && p.y() >= 0 && p.y() <= diagram.height(),
                            "line point " + p + " off the canvas");
                }
            }
        }
        for (Box b : concat(nodes, texts)) {
            assertTrue(b.left() >= 0 && b.right() <= diagram.width() && b.top() >= 0 && b.bottom() <= diagram.height(),
                    b + " is off the " + diagram.width() + "x" + diagram.height() + " canvas");
        }
        for (int i = 0; i < nodes.size(); i++) {
            for (int j = i + 1; j < nodes.size(); j++) {
                assertTrue(!nodes.get(i).overlaps(nodes.get(j)), nodes.get(i) + " overlaps " + nodes.get(j));
            }
        }
        for (int i = 0; i < texts.size(); i++) {
            for (Box node : nodes) {
                assertTrue(!texts.get(i).overlaps(node), texts.get(i) + " overlaps " + node);
            }
            for (int j = i + 1; j < texts.size(); j++) {
                assertTrue(!texts.get(i).overlaps(texts.get(j)), texts.get(i) + " overlaps " + texts.get(j));
            }
            for (Line line : lines) {
                assertTrue(!crosses(line, texts.get(i)), texts.get(i) + " is crossed by a line " + line.classes()
                        + " " + line.points());
            }
        }
    }

    /** Whether any point of the polyline, walked pixel by pixel, is inside the box. */
    private static boolean crosses(Line line, Box box) {
        for (int k = 0; k + 1 < line.points().size(); k++) {
            Point a = line.points().get(k);
            Point b = line.points().get(k + 1);
            int n = Math.max(Math.abs(b.x() - a.x()), Math.abs(b.y() - a.y()));
            for (int s = 0; s <= n; s++) {
                double x = a.x() + (b.x() - a.x()) * (n == 0 ? 0 : (double) s / n);
                double y = a.y() + (b.y() - a.y()) * (n == 0 ? 0 : (double) s / n);
                if (x > box.left() && x < box.right() && y > box.top() && y < box.bottom()) {
                    return true;
                }
            }
        }
        return false;
    }

    private static List<Box> concat(List<Box> a, List<Box> b) {
        List<Box> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
