package dev.unroll.compiler.diagram;

import dev.unroll.compiler.diagram.Diagram.Anchor;
import dev.unroll.compiler.diagram.Diagram.Element;
import dev.unroll.compiler.diagram.Diagram.Label;
import dev.unroll.compiler.diagram.Diagram.Line;
import dev.unroll.compiler.diagram.Diagram.Node;
import dev.unroll.compiler.diagram.Diagram.Point;
import dev.unroll.dsl.model.CellSpec;
import dev.unroll.dsl.model.CellType;
import dev.unroll.dsl.model.ClipSpec;
import dev.unroll.dsl.model.Direction;
import dev.unroll.dsl.model.GruVariant;
import dev.unroll.dsl.model.LayerSpec;
import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.dsl.model.OptimizerSpec;
import dev.unroll.dsl.model.OutputActivation;
import dev.unroll.dsl.model.RnnActivation;
import dev.unroll.dsl.model.Topology;
import dev.unroll.dsl.model.TopologySpec;
import java.util.ArrayList;
import java.util.List;

/**
 * Lays out the unrolled drawing of a network: inputs at the bottom, one row of hidden-state boxes
 * per layer (two for a bidirectional layer, the backward one above the forward one, then their
 * merge), outputs at the top, and one column per time step. Long sequences show their first steps,
 * an ellipsis column and the last step. Each kind of weight is labelled once, on its first arrow,
 * and the legend says that the same weights serve every step.
 *
 * <p>The layout is a pure function of the model and the number of steps to show: no fonts are
 * measured (widths are estimated by {@link TextMetrics}) and nothing depends on the platform.
 */
public final class DiagramLayout {
    /** Steps drawn when the caller does not say. */
    public static final int DEFAULT_STEPS = 4;
    /** The fewest steps a drawing may show: the first and the last. */
    public static final int MIN_STEPS = 2;
    /** The most steps a drawing may show. */
    public static final int MAX_STEPS = 32;

    private static final int MARGIN = 24;
    private static final int PITCH = 210; // width of a step column
    private static final int ELLIPSIS_W = 80; // width of the column standing for the steps not drawn
    private static final int SEPARATOR_W = 60; // extra room between encoder and decoder
    private static final int BOX_W = 120;
    private static final int BOX_H = 50;
    private static final int IO_W = 96;
    private static final int IO_H = 30;
    private static final int MERGE_W = 60;
    private static final int MERGE_H = 22;
    private static final int ROW_GAP = 50; // between layers, and between a layer and the inputs or outputs
    private static final int BIDI_GAP = 44; // between the forward and the backward row of a layer
    private static final int MERGE_GAP = 30; // between the backward row and the merge
    private static final int JUNCTION = 16; // where a bidirectional layer's input splits, below its forward row
    private static final int LANE = BOX_W / 2 + 12; // routes beside a box
    private static final int STUB = 30; // the arrow of the zero initial state
    private static final int CELL_DY = -12; // the LSTM cell-state line, from the row's centre
    private static final int HIDDEN_DY_LSTM = 6; // the hidden-state arrow of an LSTM row, from the row's centre
    private static final int LABEL_LINE = 13;
    private static final int LEGEND_LINE = 20;

    private static final String TEXT = "#1a202c";
    private static final String MUTED = "#4a5568";
    private static final String INPUT_FILL = "#ebf4ff";
    private static final String HIDDEN_FILL = "#fffaf0";
    private static final String BACKWARD_FILL = "#fdf0e6";
    private static final String DECODER_FILL = "#fefcdc";
    private static final String OUTPUT_FILL = "#f0fff4";
    private static final String FED_FILL = "#f6f0ff";
    private static final String MERGE_FILL = "#edf2f7";

    private enum Part {
        MAIN, ENCODER, DECODER
    }

    /** What a column reads. */
    private enum Input {
        NONE, DATA, FEEDBACK, ZERO
    }

    /** A step of one part, or (step 0) the steps left out. */
    private record Column(Part part, int step, int cx, Input input, boolean output) {
        boolean ellipsis() {
            return step == 0;
        }
    }

    /** The vertical positions of one layer's rows (centres); {@code bwd} and {@code merge} only when bidirectional. */
    private record Rows(int fwd, int bwd, int merge) {}

    private final NetworkModel model;
    private final TopologySpec topology;
    private final List<LayerSpec> layers;
    private final int maxSteps;
    private final List<Column> columns = new ArrayList<>();
    private final List<Rows> rows = new ArrayList<>();

    private final List<Element> background = new ArrayList<>();
    private final List<Element> wires = new ArrayList<>();
    private final List<Element> routes = new ArrayList<>();
    private final List<Element> verticals = new ArrayList<>();
    private final List<Element> nodes = new ArrayList<>();
    private final List<Element> labels = new ArrayList<>();

    private int outputY;
    private int inputY;

    private DiagramLayout(NetworkModel model, int maxSteps) {
        this.model = model;
        this.topology = model.topology();
        this.layers = model.layers();
        this.maxSteps = maxSteps;
    }

    /**
     * Lays out {@code model} showing at most {@code maxSteps} steps of each part (the encoder and
     * the decoder of an encoder-decoder count separately).
     *
     * @throws IllegalArgumentException if maxSteps is outside [{@value #MIN_STEPS}, {@value #MAX_STEPS}]
     */
    public static Diagram layout(NetworkModel model, int maxSteps) {
        if (maxSteps < MIN_STEPS || maxSteps > MAX_STEPS) {
            throw new IllegalArgumentException("steps must be between " + MIN_STEPS + " and " + MAX_STEPS
                    + ", not " + maxSteps);
        }
        return new DiagramLayout(model, maxSteps).build();
    }

    /** The steps drawn out of {@code total}, in order; 0 stands for the steps left out. */
    static List<Integer> shownSteps(int total, int max) {
        List<Integer> steps = new ArrayList<>();
        if (total <= max) {
            for (int t = 1; t <= total; t++) {
                steps.add(t);
            }
        } else {
            for (int t = 1; t < max; t++) {
                steps.add(t);
            }
            steps.add(0);
            steps.add(total);
        }
        return steps;
    }

    private Diagram build() {
        // Left of the first column: row labels, then the zero initial states.
        int labelWidth = rowLabelWidth();
        boolean stubs = topology.unrolledSteps() > 1;
        boolean anyBidirectional = layers.stream().anyMatch(LayerSpec::isBidirectional);
        int x = MARGIN + labelWidth + 14 + (stubs ? STUB + 16 : 0);
        x = placeColumns(x);
        int diagramRight = x + (anyBidirectional ? STUB + 16 : 0) + MARGIN;

        int y = MARGIN;
        List<Label> heading = heading();
        y = heading.get(heading.size() - 1).y() + 20;
        labels.addAll(heading);
        int partHeaderY = 0;
        if (topology.kind() == Topology.ENCODER_DECODER) {
            partHeaderY = y + 12;
            y += 26;
        }
        outputY = y + IO_H / 2;
        y += IO_H;
        for (int l = layers.size() - 1; l >= 0; l--) {
            y += ROW_GAP;
            if (layers.get(l).isBidirectional()) {
                int merge = y + MERGE_H / 2;
                y += MERGE_H + MERGE_GAP;
                int bwd = y + BOX_H / 2;
                y += BOX_H + BIDI_GAP;
                int fwd = y + BOX_H / 2;
                y += BOX_H + JUNCTION;
                rows.add(0, new Rows(fwd, bwd, merge));
            } else {
                rows.add(0, new Rows(y + BOX_H / 2, 0, 0));
                y += BOX_H;
            }
        }
        y += ROW_GAP;
        inputY = y + IO_H / 2;
        y += IO_H;
        int timeY = y + 20;
        int bottom = timeY + 6;

        if (partHeaderY > 0) {
            partHeaders(partHeaderY, bottom);
        }
        rowLabels();
        inputs();
        for (int l = 0; l < layers.size(); l++) {
            layer(l);
        }
        outputs();
        feedback();
        timeLabels(timeY);

        int[] legend = legend(bottom + 30);
        int legendWidth = legend[0];
        int legendBottom = legend[1];
        int width = Math.max(diagramRight, MARGIN + Math.max(legendWidth, headingWidth(heading)) + MARGIN);
        int height = legendBottom + 8 + MARGIN;

        List<Element> elements = new ArrayList<>();
        elements.addAll(background);
        elements.addAll(wires);
        elements.addAll(routes);
        elements.addAll(verticals);
        elements.addAll(nodes);
        elements.addAll(labels);
        return new Diagram(width, height, model.name(), description(), elements);
    }

    // ---------------------------------------------------------------- columns

    private int placeColumns(int left) {
        int x = left;
        if (topology.kind() == Topology.ENCODER_DECODER) {
            x = placePart(Part.ENCODER, topology.inputSteps(), x);
            x += SEPARATOR_W;
            x = placePart(Part.DECODER, topology.outputSteps(), x);
        } else {
            x = placePart(Part.MAIN, topology.unrolledSteps(), x);
        }
        return x;
    }

    private int placePart(Part part, int total, int left) {
        int x = left;
        for (int step : shownSteps(total, maxSteps)) {
            int width = step == 0 ? ELLIPSIS_W : PITCH;
            // The columns left out all lie strictly between the first and the last step.
            int like = step == 0 ? total - 1 : step;
            columns.add(new Column(part, step, x + width / 2, inputAt(part, like), outputAt(part, like, total)));
            x += width;
        }
        return x;
    }

    private Input inputAt(Part part, int step) {
        return switch (part) {
            case ENCODER -> Input.DATA;
            case DECODER -> step == 1 ? Input.ZERO : Input.FEEDBACK;
            case MAIN -> {
                if (topology.kind() != Topology.ONE_TO_MANY || step == 1) {
                    yield Input.DATA;
                }
                yield topology.feedback() ? Input.FEEDBACK : Input.NONE;
            }
        };
    }

    private boolean outputAt(Part part, int step, int total) {
        return switch (part) {
            case ENCODER -> false;
            case DECODER -> true;
            case MAIN -> topology.kind() != Topology.MANY_TO_ONE || step == total;
        };
    }

    private List<Column> stepColumns() {
        return columns.stream().filter(c -> !c.ellipsis()).toList();
    }

    private Column first(Part part) {
        return columns.stream().filter(c -> c.part() == part).findFirst().orElseThrow();
    }

    private static String stepSymbol(Part part) {
        return part == Part.DECODER ? "s" : "t";
    }

    // ---------------------------------------------------------------- heading, labels, legend

    private List<Label> heading() {
        List<Label> heading = new ArrayList<>();
        int y = MARGIN + 18;
        Label title = new Label(MARGIN, y, Anchor.START, 20, true, TEXT, RichText.plain(model.name()), false);
        heading.add(title);
        if (!model.packageName().isEmpty()) {
            heading.add(new Label(MARGIN + title.width() + 10, y, Anchor.START, 13, false, MUTED,
                    RichText.plain("package " + model.packageName()), false));
        }
        heading.add(new Label(MARGIN, y + 22, Anchor.START, 13, false, MUTED, RichText.plain(topologyLine()), false));
        heading.add(new Label(MARGIN, y + 40, Anchor.START, 13, false, MUTED, RichText.plain(trainingLine()), false));
        return heading;
    }

    private static int headingWidth(List<Label> heading) {
        int width = 0;
        for (Label label : heading) {
            width = Math.max(width, label.left() + label.width() - MARGIN);
        }
        return width;
    }

    private String topologyLine() {
        StringBuilder line = new StringBuilder();
        switch (topology.kind()) {
            case ONE_TO_ONE -> line.append("one_to_one · a single step");
            case ONE_TO_MANY -> line.append("one_to_many · ").append(steps(topology.outputSteps()))
                    .append(topology.feedback() ? ", each output fed back as the next input" : "");
            case MANY_TO_ONE -> line.append("many_to_one · ").append(steps(topology.inputSteps()));
            case MANY_TO_MANY -> line.append("many_to_many · ").append(steps(topology.inputSteps()));
            case ENCODER_DECODER -> line.append("many_to_many encoder-decoder · ").append(topology.inputSteps())
                    .append(topology.inputSteps() == 1 ? " input step" : " input steps").append(", then ")
                    .append(steps(topology.outputSteps()).replace("step", "output step"));
        }
        if (topology.variableLength()) {
            line.append(", variable length");
        }
        line.append(" · batch ").append(topology.batchSize().isPresent()
                ? Integer.toString(topology.batchSize().getAsInt()) : "any");
        topology.bpttWindow().ifPresent(w -> line.append(" · truncated BPTT ").append(w));
        return line.toString();
    }

    private String trainingLine() {
        OptimizerSpec optimizer = model.training().optimizer();
        StringBuilder line = new StringBuilder("loss ").append(model.training().loss().keyword())
                .append(" · optimizer ").append(optimizer.kind().keyword())
                .append(", learning rate ").append(number(optimizer.learningRate()));
        for (ClipSpec clip : model.training().clipping()) {
            line.append(" · clip ").append(clip.kind().keyword()).append(' ').append(number(clip.threshold()));
        }
        line.append(" · ").append(model.precision().keyword());
        return line.toString();
    }

    private String description() {
        StringBuilder text = new StringBuilder("The network ").append(model.qualifiedName()).append(" of ")
                .append(model.sourceName()).append(", unrolled in time: ").append(topologyLine()).append("; layers:");
        for (LayerSpec layer : layers) {
            text.append(' ').append(layer.cell().type().keyword()).append(' ').append(layer.hiddenSize());
            if (layer.isBidirectional()) {
                text.append(" bidirectional ").append(layer.direction().keyword());
            }
            text.append(layer.index() == layers.size() - 1 ? ";" : ",");
        }
        return text.append(" output ").append(model.output().size()).append(' ')
                .append(model.output().activation().keyword()).append('.').toString();
    }

    private static String steps(int n) {
        return n + (n == 1 ? " step" : " steps");
    }

    /** A number as a spec would write it: {@code 0.001}, {@code 5}, {@code 1e-8}. */
    static String number(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        String text = Double.toString(value);
        int e = text.indexOf('E');
        if (e < 0) {
            return text;
        }
        String mantissa = text.substring(0, e);
        if (mantissa.endsWith(".0")) {
            mantissa = mantissa.substring(0, mantissa.length() - 2);
        }
        return mantissa + "e" + text.substring(e + 1);
    }

    /** Returns true when the inputs are symbols looked up in an embedding table. */
    private boolean embedded() {
        return model.input().embedding().isPresent();
    }

    private static String cellName(LayerSpec layer) {
        return layer.cell().type().name() + " " + layer.hiddenSize();
    }

    /** The label of each row, top line first. */
    private List<String[]> rowLabelTexts() {
        List<String[]> texts = new ArrayList<>();
        texts.add(new String[] {"output", model.output().size() + " " + model.output().activation().keyword()});
        texts.add(model.input().embedding().map(e -> new String[] {"input", model.input().size() + " symbols",
                "embedding " + e.size() + (e.frozen() ? " frozen" : "")}).orElse(
                new String[] {"input", model.input().size() + " " + model.input().encoding().keyword()}));
        for (LayerSpec layer : layers) {
            List<String> details = layerDetails(layer);
            String name = "layer " + layer.index();
            if (layer.isBidirectional()) {
                List<String> forward = new ArrayList<>(List.of(name, "forward"));
                forward.addAll(packLines(details));
                texts.add(forward.toArray(String[]::new));
                texts.add(new String[] {name, "backward"});
                texts.add(new String[] {layer.direction().keyword(), "→ " + layer.outputSize()});
            } else {
                List<String> lines = new ArrayList<>(List.of(name));
                lines.addAll(packLines(details));
                texts.add(lines.toArray(String[]::new));
            }
        }
        return texts;
    }

    private static List<String> layerDetails(LayerSpec layer) {
        List<String> details = new ArrayList<>();
        CellSpec cell = layer.cell();
        if (cell instanceof CellSpec.Rnn rnn) {
            details.add(rnn.activation() == RnnActivation.RELU ? "relu" : "tanh");
        } else if (cell instanceof CellSpec.Lstm lstm) {
            if (lstm.forgetBias() != 0) {
                details.add("forget_bias " + number(lstm.forgetBias()));
            }
            if (lstm.peepholes()) {
                details.add("peepholes");
            }
            lstm.cellClip().ifPresent(clip -> details.add("cell_clip " + number(clip)));
        } else if (cell instanceof CellSpec.Gru gru && gru.variant() == GruVariant.CHO) {
            details.add("cho");
        }
        if (layer.dropout() > 0) {
            details.add("dropout " + number(layer.dropout()));
        }
        return details;
    }

    /** Joins details into lines of about 150 pixels. */
    private static List<String> packLines(List<String> details) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String detail : details) {
            String candidate = line.length() == 0 ? detail : line + ", " + detail;
            if (line.length() > 0 && TextMetrics.width(candidate, 11, false) > 150) {
                lines.add(line + ",");
                line.setLength(0);
                line.append(detail);
            } else {
                line.setLength(0);
                line.append(candidate);
            }
        }
        if (line.length() > 0) {
            lines.add(line.toString());
        }
        return lines;
    }

    private int rowLabelWidth() {
        double width = 0;
        for (String[] lines : rowLabelTexts()) {
            for (int i = 0; i < lines.length; i++) {
                width = Math.max(width, TextMetrics.width(lines[i], i == 0 ? 12 : 11, i == 0));
            }
        }
        return (int) Math.ceil(width);
    }

    private void rowLabel(int centerY, String... lines) {
        int baseline = centerY + 4 - (lines.length - 1) * LABEL_LINE / 2;
        for (int i = 0; i < lines.length; i++) {
            labels.add(new Label(MARGIN, baseline + i * LABEL_LINE, Anchor.START, i == 0 ? 12 : 11, i == 0,
                    i == 0 ? TEXT : MUTED, RichText.plain(lines[i]), false));
        }
    }

    private void rowLabels() {
        List<String[]> texts = rowLabelTexts();
        rowLabel(outputY, texts.get(0));
        rowLabel(inputY, texts.get(1));
        int i = 2;
        for (int l = 0; l < layers.size(); l++) {
            Rows r = rows.get(l);
            rowLabel(r.fwd(), texts.get(i++));
            if (layers.get(l).isBidirectional()) {
                rowLabel(r.bwd(), texts.get(i++));
                rowLabel(r.merge(), texts.get(i++));
            }
        }
    }

    private void partHeaders(int baseline, int lineBottom) {
        int encoderLeft = first(Part.ENCODER).cx() - PITCH / 2;
        Column lastEncoder = columns.stream().filter(c -> c.part() == Part.ENCODER).reduce((a, b) -> b).orElseThrow();
        Column firstDecoder = first(Part.DECODER);
        int separator = (lastEncoder.cx() + firstDecoder.cx()) / 2;
        int decoderRight = columns.get(columns.size() - 1).cx() + PITCH / 2;
        background.add(new Line("separator", List.of(new Point(separator, baseline - 14), new Point(separator, lineBottom)),
                Ink.SEPARATOR, false, false));
        labels.add(new Label((encoderLeft + separator) / 2, baseline, Anchor.MIDDLE, 13, true, TEXT,
                RichText.markup("encoder: reads " + range("x", topology.inputSteps())), false));
        labels.add(new Label((separator + decoderRight) / 2, baseline, Anchor.MIDDLE, 13, true, TEXT,
                RichText.markup("decoder: writes " + range("y", topology.outputSteps())), false));
    }

    private static String range(String symbol, int steps) {
        return steps == 1 ? symbol + "_{1}" : symbol + "_{1} … " + symbol + "_{" + steps + "}";
    }

    private void timeLabels(int baseline) {
        for (Column c : columns) {
            String text = c.ellipsis() ? "…" : stepSymbol(c.part()) + " = " + c.step();
            labels.add(new Label(c.cx(), baseline, Anchor.MIDDLE, 11, false, MUTED, RichText.plain(text), false));
        }
    }

    // ---------------------------------------------------------------- inputs and outputs

    private void inputs() {
        for (Column c : columns) {
            if (c.input() == Input.NONE) {
                continue;
            }
            if (c.ellipsis()) {
                labels.add(ellipsisLabel(c.cx(), inputY));
                continue;
            }
            String t = Integer.toString(c.step());
            String previous = Integer.toString(c.step() - 1);
            switch (c.input()) {
                case DATA -> nodes.add(embedded()
                        ? ioNode("x_" + c.part().ordinal() + "_" + t, "node x embedded", c.cx(), inputY, INPUT_FILL,
                                Ink.INPUT.color(), false, "E[x_{" + t + "}]")
                        : ioNode("x_" + c.part().ordinal() + "_" + t, "node x", c.cx(), inputY, INPUT_FILL,
                                Ink.INPUT.color(), false, "x_{" + t + "}"));
                case FEEDBACK -> nodes.add(ioNode("x_" + c.part().ordinal() + "_" + t, "node x feedback", c.cx(), inputY,
                        FED_FILL, Ink.FEEDBACK.color(), true, (c.part() == Part.DECODER ? "v_{" : "x_{") + t
                                + "} = y_{" + previous + "}"));
                case ZERO -> nodes.add(ioNode("x_" + c.part().ordinal() + "_" + t, "node x zero", c.cx(), inputY,
                        FED_FILL, Ink.FEEDBACK.color(), true, "v_{" + t + "} = 0"));
                case NONE -> { }
            }
        }
    }

    private void outputs() {
        for (Column c : columns) {
            if (!c.output()) {
                continue;
            }
            if (c.ellipsis()) {
                labels.add(ellipsisLabel(c.cx(), outputY));
                continue;
            }
            String t = Integer.toString(c.step());
            nodes.add(ioNode("y_" + c.part().ordinal() + "_" + t, "node y", c.cx(), outputY, OUTPUT_FILL,
                    Ink.HEAD.color(), false, "y_{" + t + "}"));
        }
        // The head: from the top layer's output to each output.
        int top = layers.size() - 1;
        boolean labelled = false;
        for (Column c : stepColumns()) {
            if (!c.output()) {
                continue;
            }
            Point from = layerOutput(top, c);
            Point to = new Point(c.cx(), outputY + IO_H / 2);
            wire(verticals, "arrow w-head", Ink.HEAD, false, false, from, to);
            if (!labelled) {
                weightLabel(c.cx() - 7, (from.y() + to.y()) / 2 + 4, Anchor.END, Ink.HEAD, "W_{hy}");
                labelled = true;
            }
        }
    }

    private Node ioNode(String id, String classes, int cx, int cy, String fill, String stroke, boolean dashed,
            String markup) {
        RichText rich = RichText.markup(markup);
        Label text = new Label(cx, cy + 5, Anchor.MIDDLE, fit(rich, IO_W - 14, 13), false, TEXT, rich, false);
        return new Node(id, classes, cx - IO_W / 2, cy - IO_H / 2, IO_W, IO_H, fill, stroke, dashed, List.of(text));
    }

    private static Label ellipsisLabel(int cx, int cy) {
        return new Label(cx, cy + 6, Anchor.MIDDLE, 20, true, MUTED, RichText.plain("…"), false);
    }

    private void feedback() {
        for (int i = 0; i + 1 < columns.size(); i++) {
            Column from = columns.get(i);
            Column to = columns.get(i + 1);
            if (to.input() != Input.FEEDBACK || from.part() != to.part()) {
                continue;
            }
            int startX = from.ellipsis() ? from.cx() + 16 : from.cx() + IO_W / 2;
            int endX = to.ellipsis() ? to.cx() - 16 : to.cx() - IO_W / 2;
            int lane = endX - 20;
            wire(routes, "arrow feedback", Ink.FEEDBACK, false, true, new Point(startX, outputY),
                    new Point(lane, outputY), new Point(lane, inputY), new Point(endX, inputY));
        }
    }

    // ---------------------------------------------------------------- layers

    private void layer(int l) {
        LayerSpec layer = layers.get(l);
        Rows r = rows.get(l);
        boolean bidirectional = layer.isBidirectional();
        boolean lstm = layer.cell().type() == CellType.LSTM;
        for (Column c : stepColumns()) {
            String suffix = c.part().ordinal() + "_" + c.step();
            if (bidirectional) {
                nodes.add(hiddenNode("h" + l + "f_" + suffix, "node h fwd", c, r.fwd(), layer, " →", HIDDEN_FILL));
                nodes.add(hiddenNode("h" + l + "b_" + suffix, "node h bwd", c, r.bwd(), layer, " ←", BACKWARD_FILL));
            } else {
                String classes = switch (c.part()) {
                    case MAIN -> "node h";
                    case ENCODER -> "node h encoder";
                    case DECODER -> "node h decoder";
                };
                nodes.add(hiddenNode("h" + l + "_" + suffix, classes, c, r.fwd(), layer, "",
                        c.part() == Part.DECODER ? DECODER_FILL : HIDDEN_FILL));
            }
        }
        recurrence(l, r.fwd(), true, lstm);
        if (bidirectional) {
            recurrence(l, r.bwd(), false, lstm);
        }
        layerInputs(l);
        if (bidirectional) {
            merges(l);
        }
    }

    private Node hiddenNode(String id, String classes, Column c, int cy, LayerSpec layer, String arrow, String fill) {
        int top = cy - BOX_H / 2;
        String t = Integer.toString(c.step());
        String state = layer.cell().type() == CellType.LSTM ? "h_{" + t + "}   c_{" + t + "}" : "h_{" + t + "}";
        RichText name = RichText.plain(cellName(layer) + arrow);
        RichText states = RichText.markup(state);
        List<Label> text = List.of(
                new Label(c.cx(), top + 20, Anchor.MIDDLE, 12, true, TEXT, name, false),
                new Label(c.cx(), top + 39, Anchor.MIDDLE, fit(states, BOX_W - 22, 13), false, TEXT, states, false));
        return new Node(id, classes, c.cx() - BOX_W / 2, top, BOX_W, BOX_H, fill, Ink.RECURRENT.color(), false, text);
    }

    /** The horizontal arrows of one row: the state passed from step to step, and the zero initial state. */
    private void recurrence(int l, int cy, boolean forward, boolean lstm) {
        boolean bidirectional = layers.get(l).isBidirectional();
        int hiddenY = lstm ? cy + HIDDEN_DY_LSTM : cy;
        int cellY = cy + CELL_DY;
        List<Column> steps = stepColumns();
        if (steps.size() > 1) {
            // Zero initial state: before the first step forwards, after the last backwards.
            Column start = forward ? steps.get(0) : steps.get(steps.size() - 1);
            int edge = forward ? start.cx() - BOX_W / 2 : start.cx() + BOX_W / 2;
            int far = forward ? edge - STUB : edge + STUB;
            wire(wires, "arrow init", Ink.INITIAL, false, false, new Point(far, hiddenY), new Point(edge, hiddenY));
            if (lstm) {
                wire(wires, "arrow init", Ink.INITIAL, false, false, new Point(far, cellY), new Point(edge, cellY));
            }
            labels.add(new Label(forward ? far - 5 : far + 5, cy + 5, forward ? Anchor.END : Anchor.START, 13, false,
                    Ink.INITIAL.color(), RichText.plain("0"), false));
        }
        boolean[] labelled = new boolean[Part.values().length];
        boolean cellLabelled = false;
        for (int i = 0; i + 1 < columns.size(); i++) {
            Column a = columns.get(i);
            if (a.ellipsis()) {
                continue;
            }
            Column b = columns.get(i + 1);
            boolean elided = b.ellipsis();
            if (elided) {
                b = columns.get(i + 2);
            }
            int left = a.cx() + BOX_W / 2;
            int right = b.cx() - BOX_W / 2;
            Point from = new Point(forward ? left : right, hiddenY);
            Point to = new Point(forward ? right : left, hiddenY);
            wire(wires, "arrow w-hh", Ink.RECURRENT, elided, false, from, to);
            if (lstm) {
                wire(wires, "arrow cell", Ink.CELL, elided, false, new Point(from.x(), cellY), new Point(to.x(), cellY));
            }
            if (elided) {
                int middle = columns.get(i + 1).cx();
                labels.add(new Label(middle, cy + 6, Anchor.MIDDLE, 20, true, MUTED, RichText.plain("…"), true));
            }
            // Label the first arrow of each part: the decoder's arrows (including the one from the
            // encoder's last step) carry the decoder's own W_hh.
            Part owner = b.part();
            boolean firstOfOwner = !labelled[owner.ordinal()]
                    && (owner != Part.DECODER || b.step() > 1 || topology.outputSteps() == 1);
            if (firstOfOwner) {
                labelled[owner.ordinal()] = true;
                String name = weightName("hh", l, owner) + (forward ? "" : " rev");
                // In a bidirectional layer, the input of the backward row crosses the forward row beside the box.
                int labelX = bidirectional && forward ? a.cx() + LANE + 6 : left + 8;
                weightLabel(labelX, hiddenY + 15, Anchor.START, Ink.RECURRENT, name, 11);
                if (lstm && !cellLabelled) {
                    cellLabelled = true;
                    labels.add(new Label(labelX, cellY - 4, Anchor.START, 10, false, Ink.CELL.color(),
                            RichText.plain("c"), false));
                }
            }
        }
    }

    private String weightName(String kind, int l, Part part) {
        return "W" + (part == Part.DECODER ? "′" : "") + "_{" + kind + "}^{(" + l + ")}";
    }

    /** Where layer l's output leaves a column: the top of its box, or of its merge. */
    private Point layerOutput(int l, Column c) {
        Rows r = rows.get(l);
        if (layers.get(l).isBidirectional()) {
            return new Point(c.cx(), r.merge() - MERGE_H / 2);
        }
        return new Point(c.cx(), r.fwd() - BOX_H / 2);
    }

    /** The arrows into layer l at every step: from the inputs, or from the layer below. */
    private void layerInputs(int l) {
        Rows r = rows.get(l);
        boolean bidirectional = layers.get(l).isBidirectional();
        boolean[] labelled = new boolean[Part.values().length];
        for (Column c : stepColumns()) {
            Point from;
            if (l == 0) {
                if (c.input() == Input.NONE) {
                    continue;
                }
                from = new Point(c.cx(), inputY - IO_H / 2);
            } else {
                from = layerOutput(l - 1, c);
            }
            Point to = new Point(c.cx(), r.fwd() + BOX_H / 2);
            wire(verticals, "arrow w-ih", Ink.INPUT, false, false, from, to);
            int junction = r.fwd() + BOX_H / 2 + JUNCTION;
            if (!labelled[c.part().ordinal()]) {
                labelled[c.part().ordinal()] = true;
                int labelY = ((bidirectional ? junction : to.y()) + from.y()) / 2 + 4;
                weightLabel(c.cx() - 7, labelY, Anchor.END, Ink.INPUT, weightName("ih", l, c.part()));
                if (bidirectional) {
                    weightLabel(c.cx() + LANE + 5, junction + 14, Anchor.START, Ink.INPUT,
                            weightName("ih", l, c.part()) + " rev", 11);
                }
            }
            if (bidirectional) {
                int gap = r.bwd() + BOX_H / 2 + BIDI_GAP / 2;
                wire(routes, "arrow w-ih rev", Ink.INPUT, false, true, new Point(c.cx(), junction),
                        new Point(c.cx() + LANE, junction), new Point(c.cx() + LANE, gap),
                        new Point(c.cx() + 20, gap), new Point(c.cx() + 20, r.bwd() + BOX_H / 2));
            }
        }
    }

    /** A bidirectional layer's merges, at every step the layer above (or an output) reads. */
    private void merges(int l) {
        Rows r = rows.get(l);
        LayerSpec layer = layers.get(l);
        boolean top = l == layers.size() - 1;
        for (Column c : stepColumns()) {
            if (top && !c.output()) {
                continue;
            }
            String text = layer.direction() == Direction.CONCAT ? "concat" : "sum";
            Label label = new Label(c.cx(), r.merge() + 4, Anchor.MIDDLE, 11, false, TEXT, RichText.plain(text), false);
            nodes.add(new Node("m" + l + "_" + c.part().ordinal() + "_" + c.step(), "node merge",
                    c.cx() - MERGE_W / 2, r.merge() - MERGE_H / 2, MERGE_W, MERGE_H, MERGE_FILL, Ink.MERGE.color(),
                    false, List.of(label)));
            int gap = r.bwd() + BOX_H / 2 + BIDI_GAP / 2;
            wire(verticals, "arrow merge", Ink.MERGE, false, false, new Point(c.cx() + 10, r.bwd() - BOX_H / 2),
                    new Point(c.cx() + 10, r.merge() + MERGE_H / 2));
            wire(routes, "arrow merge", Ink.MERGE, false, true, new Point(c.cx() - 20, r.fwd() - BOX_H / 2),
                    new Point(c.cx() - 20, gap), new Point(c.cx() - LANE, gap), new Point(c.cx() - LANE, r.merge()),
                    new Point(c.cx() - MERGE_W / 2, r.merge()));
        }
    }

    // ---------------------------------------------------------------- legend

    /** One line of the legend: a sample of the line (or none), a symbol, what it means. */
    private record Entry(Ink ink, String symbol, String meaning) {}

    private List<Entry> legendEntries() {
        List<Entry> entries = new ArrayList<>();
        boolean steps = topology.unrolledSteps() > 1;
        boolean lstm = layers.stream().anyMatch(l -> l.cell().type() == CellType.LSTM);
        boolean bidirectional = layers.stream().anyMatch(LayerSpec::isBidirectional);
        boolean encoderDecoder = topology.kind() == Topology.ENCODER_DECODER;
        model.input().embedding().ifPresent(e -> entries.add(new Entry(null, "E[x_{t}]", "the row of symbol x_{t} in"
                + " the embedding table E (embedding.weight, " + model.input().size() + " × " + e.size() + ")"
                + (e.frozen() ? ", frozen" : ""))));
        entries.add(new Entry(Ink.INPUT, "W_{ih}^{(l)}", "input → hidden state of layer l (rnn.weight_ih_l{l})"));
        if (steps) {
            entries.add(new Entry(Ink.RECURRENT, "W_{hh}^{(l)}",
                    "hidden state of step t-1 → step t of layer l (rnn.weight_hh_l{l})"));
            entries.add(new Entry(Ink.INITIAL, "0", lstm
                    ? "every sequence starts from zero states: h_{0} = 0, c_{0} = 0"
                    : "every sequence starts from a zero state: h_{0} = 0"));
            if (lstm) {
                entries.add(new Entry(Ink.CELL, "c", "the LSTM cell state, passed to the next step without weights"));
            }
        }
        entries.add(new Entry(Ink.HEAD, "W_{hy}", "top layer → output (head.weight), then " + headActivation()));
        if (!steps) {
            entries.add(new Entry(null, "W_{hh}",
                    "not drawn: one step from the zero state, so W_{hh} multiplies h_{0} = 0 and plays no part"));
        }
        if (bidirectional) {
            entries.add(new Entry(null, "→  ←", "a bidirectional layer reads the steps forwards (t = 1 … T)"
                    + " and, in a second cell, backwards (t = T … 1)"));
            entries.add(new Entry(null, "rev", "the backward cell's own weights (rnn.weight_ih_l{l}_reverse, ...)"));
            entries.add(new Entry(Ink.MERGE, "concat, sum",
                    "the layer's output at step t: [h→; h←] or h→ + h← (no weights)"));
        }
        switch (topology.kind()) {
            case ONE_TO_ONE -> { }
            case ONE_TO_MANY -> entries.add(topology.feedback()
                    ? new Entry(Ink.FEEDBACK, "x_{t} = y_{t-1}",
                            "feedback: each output (after " + headActivationWord() + ") is the next step's input")
                    : new Entry(null, "", "steps 2 … " + topology.outputSteps() + " read a zero input (not drawn)"));
            case ENCODER_DECODER -> {
                entries.add(new Entry(Ink.FEEDBACK, "v_{s} = y_{s-1}", "the decoder reads its previous output (after "
                        + headActivationWord() + "), and zeros at s = 1"));
                entries.add(new Entry(null, "W′", "the decoder's own weights, separate from the encoder's;"
                        + " it starts from the encoder's final states"));
            }
            default -> { }
        }
        if (encoderDecoder) {
            elided(entries, topology.inputSteps(), " of the encoder", "t");
            elided(entries, topology.outputSteps(), " of the decoder", "s");
        } else {
            elided(entries, topology.unrolledSteps(), "", "t");
        }
        return entries;
    }

    private void elided(List<Entry> entries, int total, String whose, String symbol) {
        if (total > maxSteps) {
            int hidden = total - maxSteps; // steps maxSteps .. total-1
            entries.add(new Entry(null, "…", steps(hidden) + whose + " not drawn (" + symbol + " = "
                    + (maxSteps) + (hidden == 1 ? "" : " … " + (total - 1)) + ")"));
        }
    }

    /** Writes the legend from {@code top}; returns its width and its last baseline. */
    private int[] legend(int top) {
        List<Entry> entries = legendEntries();
        Label heading = new Label(MARGIN, top, Anchor.START, 13, true, TEXT, RichText.plain(
                "Weights are shared across time: each labelled arrow stands for one matrix, used at every step."), false);
        labels.add(heading);
        int symbolX = MARGIN + 46;
        int symbolWidth = 0;
        for (Entry entry : entries) {
            symbolWidth = Math.max(symbolWidth, (int) Math.ceil(RichText.markup(entry.symbol()).width(12, false)));
        }
        int meaningX = symbolX + symbolWidth + 14;
        int width = heading.width();
        int y = top + 8;
        for (Entry entry : entries) {
            y += LEGEND_LINE;
            Ink ink = entry.ink();
            if (ink != null) {
                wire(labels, "legend " + ink.id(), ink, false, false, new Point(MARGIN, y - 4),
                        new Point(MARGIN + 34, y - 4));
            }
            labels.add(new Label(symbolX, y, Anchor.START, 12, false, ink == null ? TEXT : ink.color(),
                    RichText.markup(entry.symbol()), false));
            Label meaning = new Label(meaningX, y, Anchor.START, 12, false, TEXT, RichText.markup(entry.meaning()), false);
            labels.add(meaning);
            width = Math.max(width, meaningX - MARGIN + meaning.width());
        }
        return new int[] {width, y};
    }

    private String headActivation() {
        OutputActivation activation = model.output().activation();
        return activation == OutputActivation.LINEAR ? "no activation (linear)" : activation.keyword();
    }

    private String headActivationWord() {
        OutputActivation activation = model.output().activation();
        return activation == OutputActivation.LINEAR ? "the linear head" : activation.keyword();
    }

    // ---------------------------------------------------------------- drawing helpers

    /** The largest size from {@code size} down to 9 at which the text fits {@code width}. */
    private static int fit(RichText text, int width, int size) {
        int fitted = size;
        while (fitted > 9 && text.width(fitted, false) > width) {
            fitted--;
        }
        return fitted;
    }

    private void weightLabel(int x, int y, Anchor anchor, Ink ink, String markup) {
        weightLabel(x, y, anchor, ink, markup, 12);
    }

    private void weightLabel(int x, int y, Anchor anchor, Ink ink, String markup, int size) {
        labels.add(new Label(x, y, anchor, size, false, ink.color(), RichText.markup(markup), false));
    }

    private static void wire(List<Element> into, String classes, Ink ink, boolean dashed, boolean halo, Point... points) {
        into.add(new Line(classes, List.of(points), ink, dashed, halo));
    }
}
