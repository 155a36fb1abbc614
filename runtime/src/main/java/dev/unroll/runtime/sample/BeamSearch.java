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
 *
 * <p>With an end class ({@link #BeamSearch(int, int, int, int)}, for decoders whose sequences end
 * with an end-of-sequence class): at each step the candidates are ranked as above; a candidate that
 * ends with the end class and ranks among the {@code width} best of the step is <em>finished</em>:
 * kept aside, with the end class as its last symbol, and never extended; the {@code width} best
 * candidates that do not end are the hypotheses alive at the next step. {@link #done()} is true when
 * none is alive, after the last step, or when at least {@code width} hypotheses are finished and the
 * best alive one scores below the {@code width}-th best finished one: since every step adds a
 * log-probability {@code <= 0}, no continuation could enter the result. {@link #hypotheses()} then
 * returns the {@code width} best of the finished and the alive hypotheses by total log-probability,
 * with no normalization by length (a longer sequence has to earn every extra step); equal scores keep
 * the finished ones first, in the order they finished, then the alive ones in beam order.
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
    /** The end class, or -1 when sequences have no end and every hypothesis takes all the steps. */
    private final int end;
    /** The finished hypotheses, in the order they finished. */
    private final List<Hypothesis> finished = new ArrayList<>();

    /**
     * Starts a search with one empty hypothesis of log-probability 0.
     *
     * @param width how many hypotheses are kept, at least 1
     * @param steps how many classes each hypothesis gets
     * @param classes how many classes there are to choose from
     * @throws IllegalArgumentException if a size is below 1
     */
    public BeamSearch(int width, int steps, int classes) {
        this(width, steps, classes, -1);
    }

    /**
     * Starts a search with one empty hypothesis of log-probability 0, in which a hypothesis that emits
     * {@code endClass} is finished (see the class comment).
     *
     * @param width how many hypotheses are kept, at least 1
     * @param steps how many classes a hypothesis gets at most
     * @param classes how many classes there are to choose from
     * @param endClass the class that ends a sequence, in {@code [0, classes)}, or -1 for none
     * @throws IllegalArgumentException if a size is below 1 or the end class is not a class or -1
     */
    public BeamSearch(int width, int steps, int classes, int endClass) {
        if (width < 1) {
            throw new IllegalArgumentException("beam width must be at least 1, got " + width);
        }
        if (steps < 1 || classes < 1) {
            throw new IllegalArgumentException("steps " + steps + " and classes " + classes + " must be at least 1");
        }
        if (endClass < -1 || endClass >= classes) {
            throw new IllegalArgumentException("end class " + endClass + " is outside [0, " + classes
                    + "); -1 means none");
        }
        this.end = endClass;
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

    /**
     * Returns true when the search is over: after the last step, when no hypothesis is alive, or, with an end class,
     * when no alive hypothesis can enter the {@code width} best finished ones.
     */
    public boolean done() {
        if (step == steps || size == 0) {
            return true;
        }
        if (end < 0 || finished.size() < width) {
            return false;
        }
        return scores[0] < bestFinished().get(width - 1).logProbability();
    }

    /** Returns the finished hypotheses, best first, equal scores in the order they finished. */
    private List<Hypothesis> bestFinished() {
        List<Hypothesis> sorted = new ArrayList<>(finished);
        sorted.sort((a, b) -> Double.compare(b.logProbability(), a.logProbability()));
        return sorted;
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
        if (size == 0) {
            throw new IllegalStateException("every hypothesis has finished");
        }
        for (int k = 0; k < size; k++) {
            if (!scored[k]) {
                throw new IllegalStateException("hypothesis " + k + " of " + size + " was not scored at step " + step);
            }
        }
        if (end >= 0) {
            return advanceWithEnd();
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

    /**
     * {@link #advance()} with an end class: the candidates ranked by score, then hypothesis, then class; those ending
     * with the end class among the {@code width} best are finished, the {@code width} best others stay alive.
     */
    private int[] advanceWithEnd() {
        int total = size * classes;
        Integer[] order = new Integer[total];
        double[] value = new double[total];
        for (int k = 0; k < size; k++) {
            for (int o = 0; o < classes; o++) {
                double v = scores[k] + candidates[k][o];
                if (Double.isNaN(v)) {
                    throw new IllegalArgumentException("the log-probability of class " + o + " of hypothesis " + k
                            + " at step " + step + " is NaN");
                }
                order[k * classes + o] = k * classes + o;
                value[k * classes + o] = v;
            }
        }
        // a stable sort: equal scores stay in hypothesis, then class order
        Arrays.sort(order, (a, b) -> Double.compare(value[b], value[a]));
        int[] parent = new int[Math.min(width, total)];
        int[] symbol = new int[parent.length];
        double[] score = new double[parent.length];
        int alive = 0;
        for (int rank = 0; rank < total && (rank < width || alive < width); rank++) {
            int k = order[rank] / classes;
            int o = order[rank] % classes;
            if (o == end) {
                if (rank < width) {
                    int[] ended = Arrays.copyOf(symbols[k], step + 1);
                    ended[step] = end;
                    finished.add(new Hypothesis(ended, value[order[rank]]));
                }
            } else if (alive < width) {
                parent[alive] = k;
                symbol[alive] = o;
                score[alive] = value[order[rank]];
                alive++;
            }
        }
        int[][] next = new int[alive][steps];
        for (int j = 0; j < alive; j++) {
            System.arraycopy(symbols[parent[j]], 0, next[j], 0, step);
            next[j][step] = symbol[j];
        }
        symbols = next;
        scores = Arrays.copyOf(score, alive);
        size = alive;
        step++;
        Arrays.fill(scored, false);
        return Arrays.copyOf(parent, alive);
    }

    /**
     * Returns the search's result: without an end class, the hypotheses alive, best first (after the last step, every
     * hypothesis has all the steps); with one, the {@code width} best of the finished and the alive hypotheses.
     */
    public List<Hypothesis> hypotheses() {
        if (end >= 0) {
            List<Hypothesis> all = new ArrayList<>(finished);
            for (int k = 0; k < size; k++) {
                all.add(new Hypothesis(Arrays.copyOf(symbols[k], step), scores[k]));
            }
            // a stable sort: equal scores keep the finished first, in the order they finished
            all.sort((a, b) -> Double.compare(b.logProbability(), a.logProbability()));
            return List.copyOf(all.subList(0, Math.min(width, all.size())));
        }
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
