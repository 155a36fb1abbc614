package dev.unroll.dsl.validate;

import java.util.Collection;
import java.util.Optional;

/** "Did you mean" suggestions by edit distance. */
public final class Suggestions {
    private Suggestions() {}

    /**
     * Returns the candidate closest to {@code word} when it is close enough to be a likely typo:
     * at most 2 edits, and at most a third of the word's length (but 1 edit is always allowed).
     */
    public static Optional<String> closest(String word, Collection<String> candidates) {
        int limit = Math.min(2, Math.max(1, word.length() / 3));
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : candidates) {
            int distance = distance(word.toLowerCase(java.util.Locale.ROOT), candidate);
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return bestDistance <= limit ? Optional.of(best) : Optional.empty();
    }

    /** Optimal string alignment distance: Levenshtein plus transposition of adjacent letters. */
    public static int distance(String a, String b) {
        if (Math.abs(a.length() - b.length()) > 8) {
            return Math.abs(a.length() - b.length());
        }
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    /** Formats " did you mean 'x'?" or, without a close match, "; expected one of: a, b, c". */
    public static String hint(String word, Collection<String> candidates) {
        return closest(word, candidates)
                .map(s -> "; did you mean '" + s + "'?")
                .orElseGet(() -> "; expected " + oneOf(candidates));
    }

    /** Formats {@code 'a', 'b' or 'c'}. */
    public static String oneOf(Collection<String> candidates) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        for (String candidate : candidates) {
            if (i > 0) {
                sb.append(i == candidates.size() - 1 ? " or " : ", ");
            }
            sb.append('\'').append(candidate).append('\'');
            i++;
        }
        return sb.toString();
    }
}
