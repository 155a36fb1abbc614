package dev.unroll.samples.sentiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.runtime.Trainer;
import java.util.List;
import org.junit.jupiter.api.Test;

class SentimentSampleTest {
    @Test
    void twinsHaveTheSameWordCountsAndOppositeLabels() {
        List<Reviews.Review> reviews = Reviews.generate(200, 5);
        int twins = 0;
        for (int i = 0; i + 1 < reviews.size(); i++) {
            Reviews.Review a = reviews.get(i);
            Reviews.Review b = reviews.get(i + 1);
            if (a.kind().orderDecides() && a.kind() == b.kind() && a.label() != b.label()
                    && java.util.Arrays.equals(Reviews.wordCounts(a), Reviews.wordCounts(b))) {
                twins++;
                i++;
            }
        }
        long orderDecided = reviews.stream().filter(r -> r.kind().orderDecides()).count();
        assertTrue(orderDecided > 100, orderDecided + " order-decided reviews");
        assertTrue(twins * 2 >= orderDecided - 1, twins + " twin pairs among " + orderDecided);
        assertArrayEquals(new int[] {0, 0, 0, 0, 0, 1, 2, 6, 10, 18, 16, 13}, Reviews.encode("the movie was good , not bad"));
    }

    @Test
    void theGruReadsWordOrderWhereTheBagOfWordsCannot() {
        List<Reviews.Review> train = Reviews.generate(SentimentSample.TRAIN, 1);
        List<Reviews.Review> test = Reviews.generate(SentimentSample.TEST, 2);

        SentimentSample.Accuracy bow = SentimentSample.accuracy(test, BagOfWords.train(train, 600, 0.5, null)::predict);
        // A twin has the same word counts, so the same prediction, and the opposite label: exactly one
        // of the two is right.
        assertEquals(0.5, bow.byKind().get(Reviews.Kind.A_NOT_B), 0.02);
        assertEquals(0.5, bow.byKind().get(Reviews.Kind.NOT_A_BUT_B), 0.02);
        assertTrue(bow.byKind().get(Reviews.Kind.PLAIN) > 0.95, "bag of words on plain reviews: " + bow);

        Sentiment gru = new Sentiment();
        Trainer.train(gru, SentimentSample.batches(train, SentimentSample.BATCH, 7), 250, null);
        SentimentSample.Accuracy accuracy = SentimentSample.accuracy(test, SentimentSample.classifier(gru));
        System.out.println("sentiment: bag of words " + bow + ", GRU " + accuracy);
        assertTrue(accuracy.orderDecided() > 0.95, "GRU on order-decided reviews: " + accuracy);
        assertTrue(accuracy.byKind().get(Reviews.Kind.PLAIN) > 0.95, "GRU on plain reviews: " + accuracy);
    }
}
