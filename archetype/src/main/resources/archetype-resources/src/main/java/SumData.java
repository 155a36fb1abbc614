package ${package};

import dev.unroll.runtime.Trainer;
import java.util.SplittableRandom;

/**
 * The data: sequences of 12 numbers drawn uniformly from [-1, 1], labelled 1 when their sum is
 * positive. Made from a seed, so that training and held-out sets are different but reproducible.
 */
public final class SumData {
    private SumData() {}

    /**
     * A set of labelled sequences.
     *
     * @param inputs {@code inputs[i][t][0]} is step {@code t} of sequence {@code i}
     * @param labels {@code labels[i]} is 1 when the sum of sequence {@code i} is positive, else 0
     */
    public record Examples(float[][][] inputs, int[] labels) {
        /** Returns the number of sequences. */
        public int size() {
            return labels.length;
        }
    }

    /** Makes {@code count} sequences from {@code seed}. */
    public static Examples generate(int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[][][] inputs = new float[count][SequenceClassifier.STEPS][1];
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            double sum = 0;
            for (int t = 0; t < SequenceClassifier.STEPS; t++) {
                inputs[i][t][0] = (float) random.nextDouble(-1, 1);
                sum += inputs[i][t][0];
            }
            labels[i] = sum > 0 ? 1 : 0;
        }
        return new Examples(inputs, labels);
    }

    /** Returns random batches of {@code size} examples of {@code set}, the same for the same seed. */
    public static Trainer.Batches<float[][][], int[]> batches(Examples set, int size, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        return update -> {
            float[][][] xs = new float[size][][];
            int[] ys = new int[size];
            for (int b = 0; b < size; b++) {
                int i = random.nextInt(set.size());
                xs[b] = set.inputs()[i];
                ys[b] = set.labels()[i];
            }
            return new Trainer.Batch<>(xs, ys);
        };
    }

    /** Returns the fraction of {@code set} that {@code model} classifies right. */
    public static double accuracy(SequenceClassifier model, Examples set) {
        float[][] probabilities = model.forward(model.newWorkspace(), set.inputs());
        int right = 0;
        for (int i = 0; i < set.size(); i++) {
            int predicted = probabilities[i][1] > probabilities[i][0] ? 1 : 0;
            if (predicted == set.labels()[i]) {
                right++;
            }
        }
        return (double) right / set.size();
    }
}
