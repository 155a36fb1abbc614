package dev.unroll.compiler.diagram;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.unroll.dsl.CheckResult;
import dev.unroll.dsl.RnnFrontEnd;
import dev.unroll.dsl.SourceFile;
import dev.unroll.dsl.model.NetworkModel;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Reads the SVG back with javax.xml and checks what it shows: how many inputs, hidden states and
 * outputs each topology draws, the arrows between them, the labels, and that the document is
 * standalone.
 */
class DiagramSvgTest {
    private static final String SVG_NS = "http://www.w3.org/2000/svg";

    static Document parse(String svg) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            DocumentBuilder builder = factory.newDocumentBuilder();
            builder.setErrorHandler(null);
            return builder.parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new AssertionError("the SVG is not well-formed XML: " + e.getMessage(), e);
        }
    }

    static NetworkModel model(String body) {
        CheckResult result = RnnFrontEnd.check(new SourceFile("test.rnn", "model Net {\n" + body + "\n}\n"));
        if (result.hasErrors()) {
            fail(result.formattedDiagnostics());
        }
        return result.models().get(0);
    }

    static Document draw(String body, int steps) {
        return parse(NetworkDiagram.svg(model(body), steps));
    }

    /** The elements of a given name whose class attribute has every one of the given classes. */
    static List<Element> withClasses(Document doc, String tag, String... classes) {
        List<Element> found = new ArrayList<>();
        NodeList all = doc.getElementsByTagNameNS(SVG_NS, tag);
        for (int i = 0; i < all.getLength(); i++) {
            Element element = (Element) all.item(i);
            List<String> own = Arrays.asList(element.getAttribute("class").split(" "));
            if (own.containsAll(List.of(classes))) {
                found.add(element);
            }
        }
        return found;
    }

    static int nodes(Document doc, String kind) {
        return withClasses(doc, "g", "node", kind).size();
    }

    static int arrows(Document doc, String kind) {
        return withClasses(doc, "path", "arrow", kind).size();
    }

    /** How many text elements read exactly {@code text} (sub- and superscripts run together). */
    static long texts(Document doc, String text) {
        NodeList all = doc.getElementsByTagNameNS(SVG_NS, "text");
        long count = 0;
        for (int i = 0; i < all.getLength(); i++) {
            if (all.item(i).getTextContent().equals(text)) {
                count++;
            }
        }
        return count;
    }

    private static void assertCounts(Document doc, int x, int h, int y) {
        assertEquals(x, nodes(doc, "x"), "inputs");
        assertEquals(h, nodes(doc, "h"), "hidden states");
        assertEquals(y, nodes(doc, "y"), "outputs");
    }

    @Test
    void oneToOneIsOneColumn() {
        Document doc = draw("input 4; lstm 8; gru 8; output 2 softmax; one_to_one;", 4);
        assertCounts(doc, 1, 2, 1);
        assertEquals(0, arrows(doc, "w-hh"), "no recurrence in a single step");
        assertEquals(0, arrows(doc, "init"), "no initial-state arrows");
        assertEquals(2, arrows(doc, "w-ih"));
        assertEquals(1, arrows(doc, "w-head"));
    }

    @Test
    void anEmbeddingIsDrawnAsTheRowOfEachSymbol() {
        String svg = NetworkDiagram.svg(model("input 10000 embedding 64 frozen; lstm 8; output 2 softmax;"
                + " many_to_one steps 3;"), 4);
        Document doc = parse(svg);
        assertCounts(doc, 3, 3, 1);
        assertEquals(3, withClasses(doc, "g", "node", "x", "embedded").size(), "every input reads its row");
        assertTrue(svg.contains("10000 symbols") && svg.contains("embedding 64 frozen"), "the input row's label");
        assertTrue(svg.contains("embedding.weight, 10000 × 64"), "the legend names the table");
    }

    @Test
    void oneToManyReadsOnceAndWritesEveryStep() {
        Document doc = draw("input 4; rnn 8; output 2; one_to_many steps 3;", 4);
        assertCounts(doc, 1, 3, 3);
        assertEquals(1, arrows(doc, "w-ih"), "only the first step reads an input");
        assertEquals(2, arrows(doc, "w-hh"));
        assertEquals(0, arrows(doc, "feedback"));
    }

    @Test
    void oneToManyWithFeedbackFeedsEachOutputToTheNextInput() {
        Document doc = draw("input 4; gru 8; output 4 tanh; one_to_many steps 3 feedback;", 4);
        assertCounts(doc, 3, 3, 3);
        assertEquals(2, withClasses(doc, "g", "node", "x", "feedback").size());
        assertEquals(2, arrows(doc, "feedback"));
        assertEquals(1, texts(doc, "x2 = y1"));
        assertEquals(1, texts(doc, "x3 = y2"));
    }

    @Test
    void oneToManyWithFeedbackOverAnEllipsis() {
        Document doc = draw("input 4; gru 8; output 4 tanh; one_to_many steps 50 feedback;", 4);
        assertCounts(doc, 4, 4, 4);
        // y1 -> x2, y2 -> x3, y3 -> (the steps left out), (left out) -> x50
        assertEquals(4, arrows(doc, "feedback"));
        assertEquals(1, texts(doc, "x50 = y49"));
    }

    @Test
    void manyToOneWritesOnlyAtTheLastStep() {
        Document doc = draw("input 4; lstm 8; lstm 8; output 2 softmax; many_to_one steps 3;", 4);
        assertCounts(doc, 3, 6, 1);
        assertEquals(1, texts(doc, "y3"));
        assertEquals(2 * 2, arrows(doc, "w-hh"));
        assertEquals(2 * 2, arrows(doc, "cell"), "LSTM rows pass the cell state");
    }

    @Test
    void manyToManyWithAnEllipsisShowsTheFirstStepsAndTheLast() {
        Document doc = draw("input 4; gru 8; gru 8; output 2 softmax; many_to_many steps 200;", 4);
        assertCounts(doc, 4, 8, 4);
        for (String label : List.of("x1", "x2", "x3", "x200", "y200", "h200", "t = 200")) {
            assertEquals(label.startsWith("h") ? 2 : 1, texts(doc, label), label);
        }
        assertEquals(0, texts(doc, "x4"));
        // 1->2, 2->3, 3->...->200 in each of the two layers
        assertEquals(3 * 2, arrows(doc, "w-hh"));
        assertEquals(2, withClasses(doc, "path", "arrow", "w-hh").stream()
                .filter(p -> p.hasAttribute("stroke-dasharray")).count(), "the arrow over the ellipsis is dashed");
    }

    @Test
    void stepsOptionChangesHowManyColumnsAreDrawn() {
        String body = "input 4; gru 8; output 2 softmax; many_to_many steps 10;";
        assertCounts(draw(body, 2), 2, 2, 2);
        assertCounts(draw(body, 7), 7, 7, 7);
        assertCounts(draw(body, 10), 10, 10, 10);
        assertCounts(draw(body, 32), 10, 10, 10);
    }

    @Test
    void encoderDecoderDrawsEncoderStepsThenDecoderSteps() {
        Document doc = draw("input 30 one_hot; lstm 16; lstm 16; output 40 softmax;"
                + " many_to_many input_steps 5 output_steps 3;", 4);
        // encoder x1 x2 x3 ... x5, decoder v1 = 0, v2 = y1, v3 = y2
        assertCounts(doc, 4 + 3, 2 * 7, 3);
        assertEquals(4, withClasses(doc, "g", "node", "h", "encoder").size() / 2);
        assertEquals(3, withClasses(doc, "g", "node", "h", "decoder").size() / 2);
        assertEquals(1, withClasses(doc, "g", "node", "x", "zero").size());
        assertEquals(2, arrows(doc, "feedback"));
        assertEquals(1, withClasses(doc, "path", "separator").size());
        assertEquals(1, texts(doc, "v1 = 0"));
        assertEquals(1, texts(doc, "W′hh(0)"), "the decoder's W_hh is labelled once");
        assertEquals(1, texts(doc, "Whh(0)"), "the encoder's W_hh is labelled once");
        // 1->2, 2->3, 3->...->5 in the encoder, 5 -> decoder 1, 1->2, 2->3: per layer
        assertEquals(2 * 6, arrows(doc, "w-hh"));
    }

    @Test
    void bidirectionalLayersHaveABackwardRowAndAMerge() {
        Document doc = draw("input 4; lstm 8 bidirectional; gru 8 bidirectional sum; output 2 softmax;"
                + " many_to_many steps 3;", 4);
        assertCounts(doc, 3, 2 * 2 * 3, 3);
        assertEquals(2 * 3, withClasses(doc, "g", "node", "h", "bwd").size());
        assertEquals(2 * 3, nodes(doc, "merge"));
        assertEquals(3 + 1, texts(doc, "concat"), "the merges and the row label");
        assertEquals(3 + 1, texts(doc, "sum"), "the merges and the row label");
        assertEquals(2 * 2 * 2, arrows(doc, "w-hh"), "two directions of two layers over three steps");
        assertEquals(2 * 3, withClasses(doc, "path", "arrow", "w-ih", "rev").size());
        assertEquals(1, texts(doc, "Whh(0) rev"));
        assertEquals(1, texts(doc, "Whh(1) rev"));
    }

    @Test
    void aBidirectionalTopLayerMergesOnlyWhereThereIsAnOutput() {
        Document doc = draw("input 4; gru 8 bidirectional; output 2 softmax; many_to_one steps 3;", 4);
        assertCounts(doc, 3, 6, 1);
        assertEquals(1, nodes(doc, "merge"));
    }

    @Test
    void everyWeightIsLabelledOnceInTheDrawing() {
        Document doc = draw("input 4; lstm 8; lstm 8; lstm 8; output 2 softmax; many_to_many steps 6;", 4);
        for (int l = 0; l < 3; l++) {
            assertEquals(1, texts(doc, "Wih(" + l + ")"), "W_ih of layer " + l);
            assertEquals(1, texts(doc, "Whh(" + l + ")"), "W_hh of layer " + l);
        }
        assertEquals(2, texts(doc, "Why"), "once on the drawing, once in the legend");
        assertEquals(1, texts(doc,
                "Weights are shared across time: each labelled arrow stands for one matrix, used at every step."));
    }

    @Test
    void headingNamesTheModelAndItsTraining() {
        String svg = NetworkDiagram.svg(model("input 4; lstm 8; output 2 softmax; many_to_one steps 3;"
                + " optimizer adamw learning_rate 0.0003; precision float64; clip norm 1.5;"), 4);
        Document doc = parse(svg);
        assertEquals("Net", doc.getElementsByTagNameNS(SVG_NS, "title").item(0).getTextContent());
        assertEquals(1, texts(doc, "Net"));
        assertEquals(1, texts(doc, "loss cross_entropy · optimizer adamw, learning rate 3e-4 · clip norm 1.5 · float64"));
    }

    @TestFactory
    List<DynamicTest> everyGoldenIsStandaloneSvg11() {
        return DiagramGoldenTest.specs().stream().map(spec -> DynamicTest.dynamicTest(spec.getFileName().toString(),
                () -> assertStandalone(NetworkDiagram.svg(DiagramGoldenTest.model(spec), DiagramLayout.DEFAULT_STEPS))))
                .toList();
    }

    static void assertStandalone(String svg) {
        assertTrue(svg.startsWith("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"), "XML declaration");
        Document doc = parse(svg);
        Element root = doc.getDocumentElement();
        assertEquals("svg", root.getLocalName());
        assertEquals(SVG_NS, root.getNamespaceURI());
        assertEquals("1.1", root.getAttribute("version"));
        assertTrue(root.getAttribute("viewBox").matches("0 0 \\d+ \\d+"), root.getAttribute("viewBox"));
        for (String forbidden : List.of("script", "image", "style", "foreignObject", "use", "a")) {
            assertEquals(0, doc.getElementsByTagNameNS(SVG_NS, forbidden).getLength(), "no <" + forbidden + ">");
        }
        assertFalse(svg.contains("href"), "no links to anything outside the file");
        assertFalse(svg.contains("@font-face") || svg.contains("@import"), "no external fonts");
        assertFalse(svg.contains("<!DOCTYPE"), "no DTD to fetch");
        assertTrue(svg.contains("font-family=\"sans-serif\""), "generic sans-serif text");
        assertFalse(svg.replace("url(#head-", "").contains("url("), "only local marker references");
        assertFalse(svg.contains("\r") || svg.contains("\t"), "plain newlines, no tabs");
        assertTrue(svg.endsWith("</svg>\n"));
    }

    @Test
    void theSameModelGivesTheSameBytes() {
        Path spec = DiagramGoldenTest.specs().get(0);
        String first = NetworkDiagram.svg(DiagramGoldenTest.model(spec), 4);
        String second = NetworkDiagram.svg(DiagramGoldenTest.model(spec), 4);
        assertEquals(first, second);
    }

    @Test
    void textIsEscaped() {
        Diagram diagram = new Diagram(100, 50, "a<b & \"c\"", "d>e 'f'", List.of(
                new Diagram.Label(10, 20, Diagram.Anchor.START, 12, false, "#000000",
                        RichText.plain("x < y && z > \"w\" \u0001"), false)));
        String svg = SvgWriter.write(diagram);
        Document doc = parse(svg);
        assertEquals("a<b & \"c\"", doc.getElementsByTagNameNS(SVG_NS, "title").item(0).getTextContent());
        assertEquals("d>e 'f'", doc.getElementsByTagNameNS(SVG_NS, "desc").item(0).getTextContent());
        assertEquals("x < y && z > \"w\" ", doc.getElementsByTagNameNS(SVG_NS, "text").item(0).getTextContent(),
                "a control character XML cannot hold is dropped");
    }
}
