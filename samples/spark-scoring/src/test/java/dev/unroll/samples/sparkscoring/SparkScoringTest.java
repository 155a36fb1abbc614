package dev.unroll.samples.sparkscoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spark in local mode, two worker threads: scoring a Dataset through mapPartitions gives exactly
 * the scores of the same model run in one loop, with the model built once for this JVM and one
 * workspace per task.
 */
class SparkScoringTest {
    private static SparkSession spark;

    @TempDir
    static Path dir;

    @BeforeAll
    static void startSpark() {
        spark = SparkSession.builder().appName("SparkScoringTest").master("local[2]")
                .config("spark.ui.enabled", "false")
                // local mode talks to itself only: keep it on the loopback interface
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.driver.host", "localhost")
                .getOrCreate();
    }

    @AfterAll
    static void stopSpark() {
        if (spark != null) {
            spark.stop();
        }
    }

    @Test
    void scoresEveryRowAsTheModelDoesAloneWithOneModelPerJvmAndOneWorkspacePerTask() throws Exception {
        Path checkpoint = dir.resolve("scorer.safetensors");
        BurstScorer trained = SparkScoringSample.train(checkpoint);
        List<SensorWindow> windows = Windows.generate(3000, 0, 42);
        int partitions = 6;
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        // parallelize: six partitions without the shuffle that repartition would cost
        Dataset<SensorWindow> input = spark.createDataset(jsc.parallelize(windows, partitions).rdd(),
                Encoders.bean(SensorWindow.class));
        int modelsBefore = SparkScoring.modelsLoaded();
        int workspacesBefore = SparkScoring.workspacesCreated();

        Broadcast<byte[]> weights = jsc.broadcast(Files.readAllBytes(checkpoint));
        List<Score> scores = SparkScoring.score(input, weights).collectAsList();

        assertEquals(windows.size(), scores.size());
        Map<Long, Float> byId = new HashMap<>();
        scores.forEach(s -> byId.put(s.getId(), s.getProbability()));
        assertEquals(windows.size(), byId.size(), "every id exactly once");
        BurstScorer.Workspace ws = trained.newWorkspace();
        int right = 0;
        for (SensorWindow window : windows) {
            float alone = trained.forward(ws, window.sequence())[0];
            assertEquals(alone, byId.get(window.getId()), 0f, "window " + window.getId());
            if ((alone > 0.5f) == (window.getLabel() == 1)) {
                right++;
            }
        }
        assertTrue(right > 0.9 * windows.size(), "the scorer learned: " + right + " of " + windows.size());
        // local[2]: the executor is this JVM, so one model for all six tasks, and six workspaces.
        assertEquals(1, SparkScoring.modelsLoaded() - modelsBefore, "models built in this JVM");
        assertEquals(partitions, SparkScoring.workspacesCreated() - workspacesBefore, "workspaces: one per task");

        // A second job with the same broadcast reuses the model.
        assertEquals(windows.size(), SparkScoring.score(input, weights).count());
        assertEquals(1, SparkScoring.modelsLoaded() - modelsBefore, "the model is built once per JVM");
    }
}
