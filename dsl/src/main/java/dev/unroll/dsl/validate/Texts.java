package dev.unroll.dsl.validate;

/** How words and numbers from the spec are quoted in messages. */
final class Texts {
    /** Longest text shown as is (in code points); a 10,000-digit number or a 1 MB name is shortened. */
    private static final int MAX_SHOWN = 64;

    private Texts() {}

    /** Returns the text, shortened with "..." when it is too long to be worth repeating in full. */
    static String shown(String text) {
        if (text.codePointCount(0, text.length()) <= MAX_SHOWN) {
            return text;
        }
        return text.substring(0, text.offsetByCodePoints(0, MAX_SHOWN - 3)) + "...";
    }

    /** Returns "a" or "an", whichever goes before {@code word}. */
    static String article(String word) {
        return !word.isEmpty() && "aeiou".indexOf(Character.toLowerCase(word.charAt(0))) >= 0 ? "an" : "a";
    }

    /**
     * Returns "a" or "an" before an initialism read letter by letter, as the cell types are: "an
     * lstm", "an rnn", "a gru" (the letters whose names start with a vowel sound take "an").
     */
    static String articleForLetters(String initialism) {
        return !initialism.isEmpty() && "aefhilmnorsx".indexOf(Character.toLowerCase(initialism.charAt(0))) >= 0
                ? "an" : "a";
    }

    /** Joins words as "a", "a and b", "a, b and c". */
    static String joinAnd(java.util.List<String> words) {
        if (words.size() <= 1) {
            return String.join("", words);
        }
        return String.join(", ", words.subList(0, words.size() - 1)) + " and " + words.get(words.size() - 1);
    }
}
