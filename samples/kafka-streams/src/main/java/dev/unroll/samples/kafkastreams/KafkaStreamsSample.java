package dev.unroll.samples.kafkastreams;

import dev.unroll.runtime.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Runs the spike-scoring topology against a Kafka cluster. Trains the detector first (briefly, a
 * few seconds) when the checkpoint does not exist yet, creates the three topics if they are
 * missing, and, with {@code --simulate N}, also produces readings of N simulated devices.
 *
 * <pre>{@code
 * KafkaStreamsSample --bootstrap-servers HOST:PORT [--application-id ID] [--state-dir DIR]
 *     [--checkpoint FILE] [--partitions P] [--simulate DEVICES] [--at-least-once]
 * }</pre>
 */
public final class KafkaStreamsSample {
    private static final String USAGE = "usage: KafkaStreamsSample --bootstrap-servers HOST:PORT"
            + " [--application-id ID] [--state-dir DIR] [--checkpoint FILE] [--partitions P]"
            + " [--simulate DEVICES] [--at-least-once]";

    private KafkaStreamsSample() {}

    /**
     * Starts the application and runs until the JVM is stopped (Ctrl-C), then closes Kafka Streams,
     * which commits and flushes the state stores.
     */
    public static void main(String[] args) throws Exception {
        Path target = Path.of(System.getProperty("sample.dir", "."), "target");
        String servers = null;
        String applicationId = "unroll-spike-scoring";
        Path stateDir = target.resolve("kafka-streams-state");
        Path checkpoint = target.resolve("spike-detector.safetensors");
        int partitions = 2;
        int simulate = 0;
        boolean exactlyOnce = true;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--bootstrap-servers" -> servers = require(value, args[i++]);
                case "--application-id" -> applicationId = require(value, args[i++]);
                case "--state-dir" -> stateDir = Path.of(require(value, args[i++]));
                case "--checkpoint" -> checkpoint = Path.of(require(value, args[i++]));
                case "--partitions" -> partitions = Integer.parseInt(require(value, args[i++]));
                case "--simulate" -> simulate = Integer.parseInt(require(value, args[i++]));
                case "--at-least-once" -> exactlyOnce = false;
                case "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> fail("unknown option " + args[i]);
            }
        }
        if (servers == null) {
            fail("--bootstrap-servers is required (the tests run the topology without a broker: mvn verify)");
        }

        SpikeDetector model = new SpikeDetector();
        if (Files.exists(checkpoint)) {
            model.load(checkpoint);
        } else {
            model = train(500, 1);
            Files.createDirectories(checkpoint.toAbsolutePath().getParent());
            model.save(checkpoint);
            System.out.println("saved " + checkpoint);
        }
        model.setParallel(false); // a stepper never splits work; and Kafka Streams has its own threads

        SpikeScoring.Topics topics = SpikeScoring.Topics.defaults();
        createTopics(servers, topics, partitions);

        Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        config.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        // Exactly-once commits the store's changelog, the output and the input offsets together:
        // after a crash every device resumes from the state of its last committed reading. Under
        // at-least-once the readings since the last commit are scored again on top of a state that
        // may already include them.
        config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
                exactlyOnce ? StreamsConfig.EXACTLY_ONCE_V2 : StreamsConfig.AT_LEAST_ONCE);
        KafkaStreams streams = new KafkaStreams(SpikeScoring.topology(model, topics), config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close();
            stopped.countDown();
        }));
        streams.start();
        System.out.printf(Locale.ROOT, "scoring %s into %s (bad readings to %s), %s; Ctrl-C stops%n",
                topics.readings(), topics.scores(), topics.deadLetters(),
                exactlyOnce ? "exactly once" : "at least once");
        if (simulate > 0) {
            simulate(servers, topics.readings(), simulate);
        }
        stopped.await();
    }

    /**
     * Trains a detector from its spec's seed: {@code updates} batches of 32 windows of simulated
     * devices. 500 updates take a few seconds and catch nearly every spike.
     */
    public static SpikeDetector train(int updates, long dataSeed) {
        SpikeDetector model = new SpikeDetector();
        Trainer.Progress done = Trainer.train(model, Sensors.batches(32, dataSeed), updates, null);
        System.out.printf(Locale.ROOT, "trained the detector: %d updates, loss %.4f%n", done.update(),
                done.smoothedLoss());
        return model;
    }

    /**
     * Creates the topics that do not exist yet (replication factor 1: a development cluster). This
     * is also where an unreachable broker shows: the program stops after 20 s with a message,
     * rather than let Kafka Streams retry for ever.
     */
    private static void createTopics(String servers, SpikeScoring.Topics topics, int partitions) throws Exception {
        Properties config = new Properties();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000);
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        try (Admin admin = Admin.create(config)) {
            for (String topic : List.of(topics.readings(), topics.scores(), topics.deadLetters())) {
                try {
                    admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
                    System.out.println("created topic " + topic);
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof TimeoutException) {
                        System.err.println("no Kafka broker answered at " + servers + " within 20 s ("
                                + e.getCause().getMessage() + ")");
                        System.exit(1);
                    }
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        }
    }

    /**
     * Produces one reading per device every 100 ms, keyed by device id ({@code device-0}, ...), so
     * that each device's readings stay in one partition, in order.
     */
    private static void simulate(String servers, String topic, int devices) throws InterruptedException {
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(),
                new StringSerializer())) {
            List<List<Sensors.Reading>> streams = new ArrayList<>();
            for (int d = 0; d < devices; d++) {
                streams.add(Sensors.stream(1000 + d, 0, 100_000, 0.02));
            }
            System.out.printf(Locale.ROOT, "producing readings of %d simulated devices to %s%n", devices, topic);
            for (int t = 0; t < 100_000; t++) {
                for (int d = 0; d < devices; d++) {
                    producer.send(new ProducerRecord<>(topic, "device-" + d, streams.get(d).get(t).text()));
                }
                Thread.sleep(100);
            }
        }
    }

    private static String require(String value, String option) {
        if (value == null) {
            fail(option + " needs a value");
        }
        return value;
    }

    private static void fail(String message) {
        System.err.println(message);
        System.err.println(USAGE);
        System.exit(2);
    }
}
