package dev.unroll.samples.sentiment;

import dev.unroll.samples.support.Series;
import java.util.List;

/**
 * The baseline: logistic regression on word counts, trained by full-batch gradient descent with a
 * little L2 regularization. It sees which words a review holds and how often, not their order.
 */
public final class BagOfWords {
    private final double[] weights = new double[Reviews.WORDS.size()];
    private double bias;

    /** Trains for {@code iterations} steps; records the mean cross-entropy in {@code curve} (may be null). */
    public static BagOfWords train(List<Reviews.Review> reviews, int iterations, double learningRate, Series curve) {
        BagOfWords model = new BagOfWords();
        double[][] features = reviews.stream().map(Reviews::wordCounts).toArray(double[][]::new);
        double lambda = 1e-4;
        for (int it = 0; it < iterations; it++) {
            double[] gradient = new double[model.weights.length];
            double gradientBias = 0;
            double loss = 0;
            for (int i = 0; i < features.length; i++) {
                double p = model.probability(features[i]);
                int y = reviews.get(i).label();
                loss -= y == 1 ? Math.log(Math.max(p, 1e-12)) : Math.log(Math.max(1 - p, 1e-12));
                double error = p - y;
                for (int j = 0; j < gradient.length; j++) {
                    gradient[j] += error * features[i][j];
                }
                gradientBias += error;
            }
            for (int j = 0; j < gradient.length; j++) {
                model.weights[j] -= learningRate * (gradient[j] / features.length + lambda * model.weights[j]);
            }
            model.bias -= learningRate * gradientBias / features.length;
            if (curve != null) {
                curve.add(it + 1, loss / features.length);
            }
        }
        return model;
    }

    /** The probability that the review is positive. */
    public double probability(double[] counts) {
        double z = bias;
        for (int j = 0; j < counts.length; j++) {
            z += weights[j] * counts[j];
        }
        return 1 / (1 + Math.exp(-z));
    }

    public int predict(Reviews.Review review) {
        return probability(Reviews.wordCounts(review)) > 0.5 ? 1 : 0;
    }
}
