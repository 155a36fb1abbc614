package dev.unroll.samples.sparkscoring;

import dev.unroll.runtime.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;

/**
 * Scores a Dataset of sensor windows with the generated {@link BurstScorer} on Spark. Trains the
 * model first (on the driver, briefly) when the checkpoint does not exist yet.
 *
 * <pre>{@code
 * SparkScoringSample [--windows N] [--partitions P] [--checkpoint FILE]
 * }</pre>
 *
 * Under {@code spark-submit} the master comes from the command line; run any other way, it is
 * {@code local[2]}.
 */
public final class SparkScoringSample {
    private SparkScoringSample() {}

    public static void main(String[] args) throws Exception {
        int windows = 20_000;
        int partitions = 4;
        Path checkpoint = Path.of(System.getProperty("sample.dir", "."), "target/burst-scorer.safetensors");
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--windows" -> windows = Integer.parseInt(require(value, args[i++]));
                case "--partitions" -> partitions = Integer.parseInt(require(value, args[i++]));
                case "--checkpoint" -> checkpoint = Path.of(require(value, args[i++]));
                default -> {
                    System.err.println("unknown option " + args[i]
                            + "; usage: SparkScoringSample [--windows N] [--partitions P] [--checkpoint FILE]");
                    System.exit(2);
                }
            }
        }
        if (!Files.exists(checkpoint)) {
            train(checkpoint);
        }

        SparkSession.Builder builder = SparkSession.builder().appName("unroll-spark-scoring");
        if (!new SparkConf().contains("spark.master")) { // spark-submit sets it as a system property
            builder.master("local[2]").config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.driver.host", "localhost");
        }
        try (SparkSession spark = builder.getOrCreate()) {
            spark.sparkContext().setLogLevel("WARN"); // Spark's INFO lines would bury the result
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            // A real job would read its Dataset (spark.read().parquet(...).as(...)); here it is made up.
            Dataset<SensorWindow> input = spark.createDataset(
                    jsc.parallelize(Windows.generate(windows, 0, 42), partitions).rdd(), Encoders.bean(SensorWindow.class));
            long start = System.nanoTime();
            Broadcast<byte[]> weights = jsc.broadcast(Files.readAllBytes(checkpoint));
            Dataset<Score> scores = SparkScoring.score(input, weights).cache();
            long right = scores.filter("(probability > 0.5) = (label = 1)").count();
            long total = scores.count();
            System.out.printf(Locale.ROOT, "scored %d windows in %d partitions in %.1f s; accuracy %.2f%%%n",
                    total, partitions, (System.nanoTime() - start) / 1e9, 100.0 * right / total);
            scores.orderBy("id").show(5);
        }
    }

    private static String require(String value, String option) {
        if (value == null) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }

    /** Trains the scorer on the driver and saves the checkpoint that the scoring broadcasts. */
    static BurstScorer train(Path checkpoint) throws Exception {
        List<SensorWindow> train = Windows.generate(4000, 1_000_000, 1);
        BurstScorer model = new BurstScorer();
        Trainer.Progress done = Trainer.train(model, Windows.batches(train, 32, 2), 300, null);
        Files.createDirectories(checkpoint.toAbsolutePath().getParent());
        model.save(checkpoint);
        System.out.printf(Locale.ROOT, "trained %d updates (loss %.4f); saved %s%n", done.update(),
                done.smoothedLoss(), checkpoint);
        return model;
    }
}
