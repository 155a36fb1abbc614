package dev.unroll.samples.kafkastreams;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The topology in {@link TopologyTestDriver}, no broker: each device is scored on its own history
 * alone, a restart that restores the store from its changelog continues every device bit for bit,
 * bad readings go to the dead-letter topic and leave the device's state as it was, and the
 * trained detector catches the spikes.
 */
class KafkaStreamsSampleTest {
    private static final SpikeScoring.Topics TOPICS = SpikeScoring.Topics.defaults();
    private static final String APPLICATION_ID = "spike-scoring-test";
    /** The store's changelog topic, as Kafka Streams names it. */
    private static final String CHANGELOG = APPLICATION_ID + "-" + SpikeScoring.STORE + "-changelog";

    private static SpikeDetector model;

    @TempDir
    Path dir;

    @BeforeAll
    static void train() {
        model = KafkaStreamsSample.train(500, 1);
        model.setParallel(false);
    }

    /** A driver over the topology, with its (RocksDB) state under {@code stateDir}. */
    private static TopologyTestDriver driver(SpikeDetector detector, Path stateDir) {
        Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, APPLICATION_ID);
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        config.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        return new TopologyTestDriver(SpikeScoring.topology(detector, TOPICS), config);
    }

    private static TestInputTopic<String, String> readings(TopologyTestDriver driver) {
        return driver.createInputTopic(TOPICS.readings(), new StringSerializer(), new StringSerializer());
    }

    private static TestOutputTopic<String, String> scores(TopologyTestDriver driver) {
        return driver.createOutputTopic(TOPICS.scores(), new StringDeserializer(), new StringDeserializer());
    }

    /** Readings of {@code devices} devices, interleaved in a random order that keeps each device's own order. */
    private static List<KeyValue<String, Sensors.Reading>> interleaved(int devices, int perDevice, long seed) {
        List<List<Sensors.Reading>> streams = new ArrayList<>();
        for (int d = 0; d < devices; d++) {
            streams.add(Sensors.stream(seed + d, 0, perDevice, 0.02));
        }
        int[] next = new int[devices];
        SplittableRandom random = new SplittableRandom(seed);
        List<KeyValue<String, Sensors.Reading>> records = new ArrayList<>();
        while (records.size() < devices * perDevice) {
            int d = random.nextInt(devices);
            if (next[d] < perDevice) {
                records.add(KeyValue.pair("device-" + d, streams.get(d).get(next[d]++)));
            }
        }
        return records;
    }

    /** Pipes the records in, returns the scores by device, in order. */
    private static Map<String, List<Float>> run(TopologyTestDriver driver, List<KeyValue<String, Sensors.Reading>> records) {
        TestInputTopic<String, String> in = readings(driver);
        for (KeyValue<String, Sensors.Reading> record : records) {
            in.pipeInput(record.key, record.value.text());
        }
        return byDevice(scores(driver).readKeyValuesToList());
    }

    private static Map<String, List<Float>> byDevice(List<KeyValue<String, String>> scores) {
        Map<String, List<Float>> byDevice = new LinkedHashMap<>();
        for (KeyValue<String, String> score : scores) {
            byDevice.computeIfAbsent(score.key, k -> new ArrayList<>()).add(Float.parseFloat(score.value));
        }
        return byDevice;
    }

    /** What a stepper of its own gives for each device's readings, fed alone. */
    private static Map<String, List<Float>> alone(SpikeDetector detector, List<KeyValue<String, Sensors.Reading>> records) {
        Map<String, SpikeDetector.Stepper> steppers = new HashMap<>();
        Map<String, List<Float>> byDevice = new LinkedHashMap<>();
        for (KeyValue<String, Sensors.Reading> record : records) {
            float p = steppers.computeIfAbsent(record.key, k -> detector.newStepper()).step(record.value.values())[0];
            byDevice.computeIfAbsent(record.key, k -> new ArrayList<>()).add(p);
        }
        return byDevice;
    }

    @Test
    void eachDeviceIsScoredOnItsOwnHistoryAloneBitForBit() {
        List<KeyValue<String, Sensors.Reading>> records = interleaved(4, 150, 100);
        Map<String, List<Float>> scored;
        try (TopologyTestDriver driver = driver(model, dir)) {
            scored = run(driver, records);
            KeyValueStore<String, double[][]> store = driver.getKeyValueStore(SpikeScoring.STORE);
            List<String> keys = new ArrayList<>();
            try (KeyValueIterator<String, double[][]> all = store.all()) { // a RocksDB iterator: close it
                all.forEachRemaining(entry -> keys.add(entry.key));
            }
            assertEquals(List.of("device-0", "device-1", "device-2", "device-3"), keys, "one state per device");
        }
        Map<String, List<Float>> expected = alone(model, records);
        assertEquals(expected.keySet(), scored.keySet());
        // Float.toString and parseFloat round-trip exactly, and assertEquals compares floats' bits.
        expected.forEach((device, scores) -> assertEquals(scores, scored.get(device), device));

        // The check can fail: one stepper over the interleaved stream (state not kept per key) differs.
        SpikeDetector.Stepper shared = model.newStepper();
        List<Float> sharedScores = new ArrayList<>();
        List<Float> streamScores = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (KeyValue<String, Sensors.Reading> record : records) {
            sharedScores.add(shared.step(record.value.values())[0]);
            streamScores.add(scored.get(record.key).get(seen.merge(record.key, 1, Integer::sum) - 1));
        }
        assertNotEquals(sharedScores, streamScores, "a state shared by all devices gives other scores");
    }

    @Test
    void aRestartThatRestoresTheStoreFromItsChangelogContinuesEveryDeviceBitForBit() throws Exception {
        List<KeyValue<String, Sensors.Reading>> records = interleaved(3, 120, 200);
        int cut = 170;
        Map<String, List<Float>> uninterrupted;
        try (TopologyTestDriver driver = driver(model, dir.resolve("uninterrupted"))) {
            uninterrupted = run(driver, records);
        }

        // First run: the first records, then the application stops. The new one loads the weights
        // from a checkpoint into a new model, as a restarted JVM would.
        Path checkpoint = dir.resolve("detector.safetensors");
        model.save(checkpoint);
        List<KeyValue<String, String>> scores = new ArrayList<>();
        Map<String, double[][]> changelog = new HashMap<>();
        Map<String, double[][]> storedAtStop = new HashMap<>();
        try (TopologyTestDriver first = driver(model, dir.resolve("first"))) {
            TestInputTopic<String, String> in = readings(first);
            records.subList(0, cut).forEach(r -> in.pipeInput(r.key, r.value.text()));
            scores.addAll(scores(first).readKeyValuesToList());
            for (KeyValue<String, double[][]> change : first.createOutputTopic(CHANGELOG, new StringDeserializer(),
                    new StepperStateSerde()).readKeyValuesToList()) {
                changelog.put(change.key, change.value); // the last write of each key wins, as in a compacted topic
            }
            KeyValueStore<String, double[][]> store = first.getKeyValueStore(SpikeScoring.STORE);
            try (KeyValueIterator<String, double[][]> all = store.all()) {
                all.forEachRemaining(entry -> storedAtStop.put(entry.key, entry.value));
            }
        }
        assertEquals(3, changelog.size(), "every device's state is in the changelog");
        changelog.forEach((device, state) -> assertArrayEquals(storedAtStop.get(device), state, device));

        // The restarted application: a new driver over a new state directory, whose store is
        // restored from the changelog as Kafka Streams does when the local state is gone (another
        // machine, a rebalance). TopologyTestDriver deletes its state directory on close and never
        // restores by itself, so the test replays the changelog into the store.
        SpikeDetector reloaded = new SpikeDetector(99);
        reloaded.load(checkpoint);
        try (TopologyTestDriver second = driver(reloaded, dir.resolve("second"))) {
            KeyValueStore<String, double[][]> store = second.getKeyValueStore(SpikeScoring.STORE);
            changelog.forEach(store::put);
            TestInputTopic<String, String> in = readings(second);
            records.subList(cut, records.size()).forEach(r -> in.pipeInput(r.key, r.value.text()));
            scores.addAll(scores(second).readKeyValuesToList());
        }
        Map<String, List<Float>> resumed = byDevice(scores);
        uninterrupted.forEach((device, expected) -> assertEquals(expected, resumed.get(device), device));

        // The check can fail: without the restored states, the devices start over and score differently.
        try (TopologyTestDriver amnesiac = driver(reloaded, dir.resolve("amnesiac"))) {
            TestInputTopic<String, String> in = readings(amnesiac);
            records.subList(cut, records.size()).forEach(r -> in.pipeInput(r.key, r.value.text()));
            Map<String, List<Float>> restarted = byDevice(scores(amnesiac).readKeyValuesToList());
            List<Float> tail = resumed.get("device-0");
            List<Float> fresh = restarted.get("device-0");
            assertNotEquals(tail.subList(tail.size() - fresh.size(), tail.size()), fresh);
        }
    }

    @Test
    void badReadingsGoToTheDeadLetterTopicWithTheReasonAndLeaveTheStateUnchanged() {
        List<Sensors.Reading> good = Sensors.stream(7, 0, 20, 0.0);
        String[][] bad = {
            {"device-0", "1.0,2.0"},
            {"device-0", "1.0,NaN,2.0"},
            {"device-0", "1.0,abc,2.0"},
            {"device-0", null},
            {null, "1.0,2.0,3.0"},
        };
        String[] reasons = {
            "x: expected 3 values (the input size), got 2",
            "x[1] is NaN; inputs must be finite",
            "value 1 of the reading, 'abc', is not a number",
            "the reading is null (a tombstone?); expected numbers separated by commas",
            "the record has no key; the key must be the device id",
        };
        List<KeyValue<String, String>> scored;
        List<TestRecord<String, String>> deadLetters;
        try (TopologyTestDriver driver = driver(model, dir)) {
            TestInputTopic<String, String> in = readings(driver);
            good.subList(0, 10).forEach(r -> in.pipeInput("device-0", r.text()));
            double[][] before = (double[][]) driver.getKeyValueStore(SpikeScoring.STORE).get("device-0");
            for (String[] record : bad) {
                in.pipeInput(record[0], record[1]);
            }
            double[][] after = (double[][]) driver.getKeyValueStore(SpikeScoring.STORE).get("device-0");
            assertArrayEquals(before, after, "the bad readings left the state as it was");
            good.subList(10, 20).forEach(r -> in.pipeInput("device-0", r.text()));
            scored = scores(driver).readKeyValuesToList();
            deadLetters = driver.createOutputTopic(TOPICS.deadLetters(), new StringDeserializer(),
                    new StringDeserializer()).readRecordsToList();
        }
        assertEquals(bad.length, deadLetters.size());
        for (int i = 0; i < bad.length; i++) {
            TestRecord<String, String> letter = deadLetters.get(i);
            assertEquals(bad[i][0], letter.key(), "the key as it came");
            assertEquals(bad[i][1], letter.value(), "the reading as it came");
            Header error = letter.headers().lastHeader(SpikeScoring.ERROR_HEADER);
            assertEquals(reasons[i], new String(error.value(), StandardCharsets.UTF_8));
        }
        // The scores of the 20 good readings are those of the 20 alone: the bad ones changed nothing.
        SpikeDetector.Stepper alone = model.newStepper();
        assertEquals(good.size(), scored.size());
        for (int t = 0; t < good.size(); t++) {
            assertEquals(alone.step(good.get(t).values())[0], Float.parseFloat(scored.get(t).value), "reading " + t);
        }
    }

    @Test
    void aStoredStateThatDoesNotFitTheModelFailsTheTaskNamingTheDevice() {
        try (TopologyTestDriver driver = driver(model, dir)) {
            KeyValueStore<String, double[][]> store = driver.getKeyValueStore(SpikeScoring.STORE);
            store.put("device-9", new double[][] {new double[8]}); // as a model with 8 hidden units would write it
            StreamsException failure = assertThrows(StreamsException.class,
                    () -> readings(driver).pipeInput("device-9", "0.1,0.2,0.3"));
            Throwable cause = failure;
            while (!(cause instanceof IllegalStateException) && cause.getCause() != null) {
                cause = cause.getCause();
            }
            assertTrue(cause.getMessage().startsWith("the stored state of device 'device-9' does not fit this model: "),
                    cause.getMessage());
            assertTrue(cause.getMessage().contains("h0"), cause.getMessage());
            assertTrue(scores(driver).isEmpty(), "nothing scored");
        }
    }

    @Test
    void theTrainedDetectorCatchesSpikesThroughTheTopology() {
        List<KeyValue<String, Sensors.Reading>> records = interleaved(5, 400, 300);
        Map<String, List<Float>> scored;
        try (TopologyTestDriver driver = driver(model, dir)) {
            scored = run(driver, records);
        }
        int spikes = 0;
        int caught = 0;
        int normal = 0;
        int falseAlarms = 0;
        Map<String, Integer> seen = new HashMap<>();
        for (KeyValue<String, Sensors.Reading> record : records) {
            boolean flagged = scored.get(record.key).get(seen.merge(record.key, 1, Integer::sum) - 1) > 0.5f;
            if (record.value.spike()) {
                spikes++;
                caught += flagged ? 1 : 0;
            } else {
                normal++;
                falseAlarms += flagged ? 1 : 0;
            }
        }
        System.out.printf("spikes caught: %d of %d; false alarms: %d of %d%n", caught, spikes, falseAlarms, normal);
        assertTrue(spikes >= 20, "the data has spikes: " + spikes);
        assertTrue(caught >= 0.9 * spikes, "caught " + caught + " of " + spikes + " spikes");
        assertTrue(falseAlarms <= 0.01 * normal, falseAlarms + " false alarms in " + normal + " normal readings");
    }

    @Test
    void theStateSerdeReadsBackWhatItWroteAndRefusesWhatItDidNot() {
        StepperStateSerde serde = new StepperStateSerde();
        SpikeDetector.Stepper stepper = model.newStepper();
        stepper.step(new float[] {0.5f, -1.25f, 2f});
        double[][] state = stepper.exportState();
        byte[] bytes = serde.serialize("t", state);
        assertArrayEquals(state, serde.deserialize("t", bytes));
        assertEquals(null, serde.serialize("t", null));
        assertEquals(null, serde.deserialize("t", null));

        SerializationException truncated = assertThrows(SerializationException.class,
                () -> serde.deserialize("t", Arrays.copyOf(bytes, bytes.length - 3)));
        assertTrue(truncated.getMessage().contains("vector 0 has length 16"), truncated.getMessage());
        byte[] other = bytes.clone();
        other[0] = 7;
        assertEquals("stepper state: unknown format 7, expected 1",
                assertThrows(SerializationException.class, () -> serde.deserialize("t", other)).getMessage());
        byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
        assertEquals("stepper state: 1 bytes left after 1 vectors",
                assertThrows(SerializationException.class, () -> serde.deserialize("t", longer)).getMessage());
        assertFalse(Arrays.equals(bytes, serde.serialize("t", model.newStepper().exportState())),
                "a zero state is written differently");
    }
}
