package dev.unroll.compiler.diagram;

/**
 * Estimates how wide a string is in a generic sans-serif font. The widths are those of DejaVu
 * Sans, one of the widest common sans-serif faces, so that text measured here fits in the boxes
 * whatever font the viewer picks.
 */
final class TextMetrics {
    private TextMetrics() {}

    /** Advance widths in em of the printable ASCII characters, from ' ' (32) to '~' (126). */
    private static final double[] ASCII = {
        0.318, 0.401, 0.460, 0.838, 0.636, 0.950, 0.780, 0.275, 0.390, 0.390, 0.500, 0.838, 0.318, 0.361,
        0.318, 0.337, // space ! " # $ % & ' ( ) * + , - . /
        0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, // 0-9
        0.337, 0.337, 0.838, 0.838, 0.838, 0.531, 1.000, // : ; < = > ? @
        0.684, 0.686, 0.698, 0.770, 0.632, 0.575, 0.775, 0.752, 0.295, 0.295, 0.656, 0.557, 0.863, 0.748,
        0.787, 0.603, 0.787, 0.695, 0.635, 0.611, 0.732, 0.684, 0.989, 0.685, 0.611, 0.685, // A-Z
        0.390, 0.337, 0.390, 0.838, 0.500, 0.500, // [ \ ] ^ _ `
        0.613, 0.635, 0.550, 0.635, 0.615, 0.352, 0.635, 0.634, 0.278, 0.278, 0.579, 0.278, 0.974, 0.634,
        0.612, 0.635, 0.635, 0.411, 0.521, 0.392, 0.634, 0.592, 0.818, 0.592, 0.592, 0.525, // a-z
        0.636, 0.337, 0.636, 0.838 // { | } ~
    };

    /** The estimated width in pixels of {@code text} at {@code size} pixels. */
    static double width(String text, int size, boolean bold) {
        double em = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cp >= 32 && cp <= 126) {
                em += ASCII[cp - 32];
            } else if (cp == 0x2026) { // ellipsis
                em += 1.0;
            } else if (cp == 0x2032) { // prime
                em += 0.3;
            } else {
                em += 0.84; // arrows and other symbols
            }
        }
        return em * size * (bold ? 1.1 : 1.0);
    }
}
