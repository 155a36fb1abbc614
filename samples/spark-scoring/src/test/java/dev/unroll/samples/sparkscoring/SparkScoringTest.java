package dev.unroll.samples.sparkscoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.Trainer;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaRDD;
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
 * Spark in local mode, two worker threads (one session for both tests): scoring a Dataset through
 * mapPartitions gives exactly the scores of the same model run in one loop, with the model built
 * once for this JVM and one workspace per task; data-parallel training over uneven partitions gives
 * the weights of trainStep on one machine.
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

    /** A training row: the update whose global batch it belongs to, and the window. */
    record Row(int update, SensorWindow window) implements Serializable {}

    /** BurstTrainer's batch of windows: the readings as doubles, the label as the target. */
    static Trainer.Batch<double[][][], double[][]> batch(List<SensorWindow> windows) {
        double[][][] xs = new double[windows.size()][BurstTrainer.STEPS][BurstTrainer.INPUT_SIZE];
        double[][] ys = new double[windows.size()][1];
        for (int b = 0; b < xs.length; b++) {
            float[] readings = windows.get(b).getReadings();
            for (int t = 0; t < BurstTrainer.STEPS; t++) {
                for (int c = 0; c < BurstTrainer.INPUT_SIZE; c++) {
                    xs[b][t][c] = readings[t * BurstTrainer.INPUT_SIZE + c];
                }
            }
            ys[b][0] = windows.get(b).getLabel();
        }
        return new Trainer.Batch<>(xs, ys);
    }

    static BurstTrainer workerModel() {
        BurstTrainer model = new BurstTrainer();
        model.setParallel(false); // Spark runs a task per core already
        return model;
    }

    /**
     * Rows of {@code updates} global batches of {@code size} windows, dealt to {@code partitions}
     * partitions with unequal odds (partition p gets p + 1 shares), so every update's shares are
     * uneven and vary, and one may be empty.
     */
    static List<List<Row>> shards(int updates, int size, int partitions, long seed) {
        List<SensorWindow> windows = Windows.generate(updates * size, 0, seed);
        SplittableRandom random = new SplittableRandom(seed + 1);
        List<List<Row>> shards = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            shards.add(new ArrayList<>());
        }
        int shares = partitions * (partitions + 1) / 2;
        for (int i = 0; i < windows.size(); i++) {
            int draw = random.nextInt(shares);
            int p = 0;
            while (draw >= p + 1) {
                draw -= p + 1;
                p++;
            }
            shards.get(p).add(new Row(i / size, windows.get(i)));
        }
        return shards;
    }

    /**
     * The rows of {@link #shards}, one partition per shard. Each partition makes its own shard, as a
     * job reading its data would: rows that {@code parallelize} took from the driver would travel in
     * every task of every update, cached or not.
     */
    static JavaRDD<Row> rdd(JavaSparkContext jsc, int updates, int size, int partitions, long seed) {
        List<Integer> indices = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            indices.add(p);
        }
        return jsc.parallelize(indices, partitions)
                .flatMap(p -> shards(updates, size, partitions, seed).get(p).iterator()).cache();
    }

    static SparkTraining<SensorWindow, BurstTrainer.Workspace, double[][][], double[][]> training(
            JavaSparkContext jsc, BurstTrainer model) {
        return new SparkTraining<>(jsc, model, SparkScoringTest::workerModel, SparkScoringTest::batch);
    }

    static JavaRDD<SensorWindow> globalBatch(JavaRDD<Row> rows, int update) {
        return rows.filter(r -> r.update() == update).map(Row::window);
    }

    @Test
    void dataParallelTrainingOverUnevenPartitionsGivesTheWeightsOfTrainStepOnOneMachine() {
        int updates = 5;
        int size = 64;
        int partitions = 4;
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<List<Row>> shards = shards(updates, size, partitions, 11);
        JavaRDD<Row> rows = rdd(jsc, updates, size, partitions, 11);
        assertEquals(partitions, rows.getNumPartitions());

        BurstTrainer distributed = new BurstTrainer();
        BurstTrainer alone = new BurstTrainer();
        assertEquals(0.0, maxRelativeDifference(distributed, alone), "the same seed gives the same start");
        SparkTraining<SensorWindow, BurstTrainer.Workspace, double[][][], double[][]> training =
                training(jsc, distributed);
        for (int k = 0; k < updates; k++) {
            int update = k;
            // The global batch of update k, in partition order (its rows' order does not matter to the mean).
            List<SensorWindow> global = new ArrayList<>();
            List<Integer> counts = new ArrayList<>();
            for (List<Row> shard : shards) {
                int before = global.size();
                shard.stream().filter(r -> r.update() == update).forEach(r -> global.add(r.window()));
                counts.add(global.size() - before);
            }
            assertEquals(size, global.size());
            Trainer.Batch<double[][][], double[][]> batch = batch(global);
            double lossAlone = alone.trainStep(batch.inputs(), batch.targets());
            double lossSpark = training.update(globalBatch(rows, k));
            assertEquals(lossAlone, lossSpark, 1e-12 * Math.abs(lossAlone), "loss of update " + k);
            System.out.printf(Locale.ROOT, "update %d: shares %s, loss %.6f, max relative difference %.3g%n", k,
                    counts, lossSpark, maxRelativeDifference(distributed, alone));
        }
        assertEquals(updates, distributed.updates());
        assertEquals(updates, alone.updates());
        double difference = maxRelativeDifference(distributed, alone);
        System.out.printf(Locale.ROOT, "after %d updates on %d partitions: max relative difference %.3g%n", updates,
                partitions, difference);
        assertTrue(difference <= 1e-12, "max relative difference " + difference);
        assertTrue(maxRelativeDifference(distributed, new BurstTrainer()) > 1e-3, "the weights moved");
        rows.unpersist();

        // Scaling on this machine (printed, not asserted: the machine is shared): updates/s on 1 and 2 partitions.
        for (int p : new int[] {1, 2}) {
            int timed = 5;
            JavaRDD<Row> big = rdd(jsc, timed + 1, 2048, p, 3);
            big.count();
            SparkTraining<SensorWindow, BurstTrainer.Workspace, double[][][], double[][]> t =
                    training(jsc, new BurstTrainer());
            t.update(globalBatch(big, 0)); // warm-up
            long start = System.nanoTime();
            for (int k = 1; k <= timed; k++) {
                t.update(globalBatch(big, k));
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf(Locale.ROOT, "scaling: %d partition(s), global batch 2048: %.2f updates/s%n", p,
                    timed / seconds);
            big.unpersist();
        }
    }

    /** The largest difference of two models' weights, relative to each tensor's largest magnitude. */
    static double maxRelativeDifference(BurstTrainer a, BurstTrainer b) {
        double max = 0;
        for (Parameter p : a.parameters()) {
            Parameter q = b.parameters().get(p.name());
            double scale = 0;
            double diff = 0;
            for (int i = 0; i < p.size(); i++) {
                scale = Math.max(scale, Math.abs(q.value(i)));
                diff = Math.max(diff, Math.abs(p.value(i) - q.value(i)));
            }
            max = Math.max(max, scale == 0 ? diff : diff / scale);
        }
        return max;
    }
}
