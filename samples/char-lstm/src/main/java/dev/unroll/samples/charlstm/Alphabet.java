package dev.unroll.samples.charlstm;

/** The 63 characters the model reads and writes, and their indices. */
public final class Alphabet {
    /** Every symbol, in index order. */
    public static final String CHARS = "\n !\"',-.:;?" + "abcdefghijklmnopqrstuvwxyz" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    private static final int[] INDEX = new int[128];

    static {
        if (CHARS.length() != CharLstm.INPUT_SIZE) {
            throw new AssertionError("the alphabet has " + CHARS.length() + " characters, the model reads "
                    + CharLstm.INPUT_SIZE);
        }
        java.util.Arrays.fill(INDEX, -1);
        for (int i = 0; i < CHARS.length(); i++) {
            INDEX[CHARS.charAt(i)] = i;
        }
    }

    private Alphabet() {}

    /** The index of {@code c}, or -1 if it is not in the alphabet. */
    public static int indexOf(char c) {
        return c < 128 ? INDEX[c] : -1;
    }

    public static char charAt(int index) {
        return CHARS.charAt(index);
    }

    /** Encodes text; characters outside the alphabet become spaces (tabs, digits, accents...). */
    public static int[] encode(CharSequence text) {
        int[] symbols = new int[text.length()];
        for (int i = 0; i < symbols.length; i++) {
            int index = indexOf(text.charAt(i));
            symbols[i] = index >= 0 ? index : indexOf(' ');
        }
        return symbols;
    }
}
