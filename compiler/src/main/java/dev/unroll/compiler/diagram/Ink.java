package dev.unroll.compiler.diagram;

/** How each kind of line is drawn. Arrows of one kind stand for one kind of weight matrix. */
public enum Ink {
    /** Input to hidden: {@code W_ih}. */
    INPUT("w-ih", "#2b6cb0", 1.6, false, true),
    /** Hidden to hidden across time: {@code W_hh}. */
    RECURRENT("w-hh", "#c05621", 1.6, false, true),
    /** The zero initial state entering the first step. */
    INITIAL("init", "#c05621", 1.2, true, true),
    /** An LSTM's cell state carried to the next step (no weights). */
    CELL("cell", "#718096", 1.2, false, true),
    /** Top layer to output: the head's {@code W}. */
    HEAD("w-head", "#2f855a", 1.6, false, true),
    /** An output fed back as the next input. */
    FEEDBACK("feedback", "#805ad5", 1.4, true, true),
    /** Into or out of a bidirectional merge (no weights). */
    MERGE("merge", "#4a5568", 1.2, false, true),
    /** The boundary between encoder and decoder. */
    SEPARATOR("separator", "#a0aec0", 1.0, true, false);

    private final String id;
    private final String color;
    private final double width;
    private final boolean dashed;
    private final boolean arrowHead;

    Ink(String id, String color, double width, boolean dashed, boolean arrowHead) {
        this.id = id;
        this.color = color;
        this.width = width;
        this.dashed = dashed;
        this.arrowHead = arrowHead;
    }

    /** A name usable in XML ids and classes. */
    public String id() {
        return id;
    }

    /** The stroke colour. */
    public String color() {
        return color;
    }

    /** The stroke width in pixels. */
    public double width() {
        return width;
    }

    /** Whether the line is dashed. */
    public boolean dashed() {
        return dashed;
    }

    /** Whether the line ends in an arrowhead. */
    public boolean arrowHead() {
        return arrowHead;
    }
}
