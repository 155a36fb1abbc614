package dev.unroll.runtime.sample;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The bookkeeping of a beam search over a decoder's classes: which hypotheses are alive, their
 * symbols and their summed log-probabilities, and the choice of the best {@code width} extensions at
 * each step. What a step of the decoder computes is the generated model's; this class is not
 * size-specialized.
 *
 * <pre>{@code
 * BeamSearch search = new BeamSearch(width, steps, classes);   // one hypothesis: empty, log-probability 0
 * for (int s = 0; s < steps; s++) {
 *     for (int k = 0; k < search.size(); k++) {
 *         // run the decoder's step s from hypothesis k's state, reading search.lastSymbol(k) (s > 0)
 *         search.score(k, logits, offset);
 *     }
 *     int[] parents = search.advance();   // hypothesis k now extends the old hypothesis parents[k]
 * }
 * List<BeamSearch.Hypothesis> best = search.hypotheses();
 * }</pre>
 *
 * <p>A candidate is a hypothesis extended by one class; its score is the hypothesis's plus the
 * class's log-probability, {@code log softmax(z)}, computed in double. {@link #advance()} keeps the
 * {@code width} best candidates (all of them when there are fewer), ordered by score, highest first;
 * equal scores are ordered by the hypothesis they extend, then by class, lowest first. With width 1
 * this is greedy decoding.
 */
public final class BeamSearch {
    /**
     * One decoded sequence.
     *
     * @param symbols the class of each step
     * @param logProbability the sum over the steps of the log-probability of each class, given the ones before
     */
    public record Hypothesis(int[] symbols, double logProbability) {
        /** Copies the symbols. */
        public Hypothesis {
            symbols = symbols.clone();
        }

        /** Returns a copy of the symbols. */
        @Override
        public int[] symbols() {
            return symbols.clone();
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Hypothesis h && Arrays.equals(symbols, h.symbols)
                    && Double.compare(logProbability, h.logProbability) == 0;
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(symbols) + Double.hashCode(logProbability);
        }

        @Override
        public String toString() {
            return "Hypothesis" + Arrays.toString(symbols) + " log p = " + logProbability;
        }
    }

    private final int width;
    private final int steps;
    private final int classes;
    private int size = 1;
    private int step;
    private int[][] symbols;
    private double[] scores;
    private final double[][] candidates;
    private final boolean[] scored;

    /**
     * Starts a search with one empty hypothesis of log-probability 0.
     *
     * @param width how many hypotheses are kept, at least 1
     * @param steps how many classes each hypothesis gets
     * @param classes how many classes there are to choose from
     * @throws IllegalArgumentException if a size is below 1
     */
    public BeamSearch(int width, int steps, int classes) {
        if (width < 1) {
            throw new IllegalArgumentException("beam width must be at least 1, got " + width);
        }
        if (steps < 1 || classes < 1) {
            throw new IllegalArgumentException("steps " + steps + " and classes " + classes + " must be at least 1");
        }
        this.width = width;
        this.steps = steps;
        this.classes = classes;
        this.symbols = new int[1][steps];
        this.scores = new double[1];
        this.candidates = new double[width][classes];
        this.scored = new boolean[width];
    }

    /** Returns how many hypotheses are alive: 1 before the first step, then at most the width. */
    public int size() {
        return size;
    }

    /** Returns the step the next scores are for, from 0. */
    public int step() {
        return step;
    }

    /** Returns the class hypothesis {@code k} chose at the last step. */
    public int lastSymbol(int k) {
        checkHypothesis(k);
        if (step == 0) {
            throw new IllegalStateException("no step has been taken yet");
        }
        return symbols[k][step - 1];
    }

    /** Scores the extensions of hypothesis {@code k} from the decoder's logits of this step, of a float model. */
    public void score(int k, float[] logits, int offset) {
        checkHypothesis(k);
        double[] row = candidates[k];
        for (int o = 0; o < classes; o++) {
            row[o] = logits[offset + o];
        }
        logSoftmaxInPlace(row);
        scored[k] = true;
    }

    /** Scores the extensions of hypothesis {@code k} from the decoder's logits of this step. */
    public void score(int k, double[] logits, int offset) {
        checkHypothesis(k);
        System.arraycopy(logits, offset, candidates[k], 0, classes);
        logSoftmaxInPlace(candidates[k]);
        scored[k] = true;
    }

    /**
     * Keeps the best {@code width} extensions of the scored hypotheses and moves to the next step.
     *
     * @return for each new hypothesis {@code k}, the index of the hypothesis it extends (whose decoder state it
     *     continues from)
     * @throws IllegalStateException if a hypothesis was not scored, or every step was taken
     */
    public int[] advance() {
        if (step == steps) {
            throw new IllegalStateException("all " + steps + " steps were taken");
        }
        for (int k = 0; k < size; k++) {
            if (!scored[k]) {
                throw new IllegalStateException("hypothesis " + k + " of " + size + " was not scored at step " + step);
            }
        }
        long total = (long) size * classes;
        int kept = (int) Math.min(width, total);
        int[] parent = new int[kept];
        int[] symbol = new int[kept];
        double[] score = new double[kept];
        int n = 0;
        // candidates are visited by hypothesis, then class: on equal scores the earlier one stays ahead
        for (int k = 0; k < size; k++) {
            for (int o = 0; o < classes; o++) {
                double v = scores[k] + candidates[k][o];
                if (Double.isNaN(v)) {
                    throw new IllegalArgumentException("the log-probability of class " + o + " of hypothesis " + k
                            + " at step " + step + " is NaN");
                }
                if (n == kept && !(v > score[n - 1])) {
                    continue;
                }
                int at = n == kept ? n - 1 : n++;
                while (at > 0 && v > score[at - 1]) {
                    parent[at] = parent[at - 1];
                    symbol[at] = symbol[at - 1];
                    score[at] = score[at - 1];
                    at--;
                }
                parent[at] = k;
                symbol[at] = o;
                score[at] = v;
            }
        }
        int[][] next = new int[kept][steps];
        for (int j = 0; j < kept; j++) {
            System.arraycopy(symbols[parent[j]], 0, next[j], 0, step);
            next[j][step] = symbol[j];
        }
        symbols = next;
        scores = score;
        size = kept;
        step++;
        Arrays.fill(scored, false);
        return parent;
    }

    /** Returns the hypotheses alive, best first: after the last step, the search's result. */
    public List<Hypothesis> hypotheses() {
        List<Hypothesis> out = new ArrayList<>(size);
        for (int k = 0; k < size; k++) {
            out.add(new Hypothesis(Arrays.copyOf(symbols[k], step), scores[k]));
        }
        return List.copyOf(out);
    }

    private void checkHypothesis(int k) {
        if (k < 0 || k >= size) {
            throw new IllegalArgumentException("hypothesis " + k + " is not one of the " + size + " alive");
        }
    }

    /** {@code v = v - max - log(sum(exp(v - max)))}, in double. */
    private static void logSoftmaxInPlace(double[] v) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : v) {
            max = Math.max(max, x);
        }
        double sum = 0;
        for (double x : v) {
            sum += Math.exp(x - max);
        }
        double log = max + Math.log(sum);
        for (int i = 0; i < v.length; i++) {
            v[i] -= log;
        }
    }
}
