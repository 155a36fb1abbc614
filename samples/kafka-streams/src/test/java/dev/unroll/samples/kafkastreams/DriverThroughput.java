package dev.unroll.samples.kafkastreams;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.Stores;

/**
 * Measures records per second of four paths, for the README: the stepper alone; the stepper with
 * what the processor adds per record (parse, import, export, the state's Serde both ways); and the
 * whole topology in {@link TopologyTestDriver}, with its RocksDB store and with an in-memory one.
 * Not a test: run it with
 * {@code mvn -B -q -pl samples/kafka-streams -am test-compile exec:java -DskipTests
 * -Dexec.classpathScope=test -Dexec.mainClass=dev.unroll.samples.kafkastreams.DriverThroughput}.
 */
public final class DriverThroughput {
    private DriverThroughput() {}

    /** Runs each path for a warm-up pass and a measured pass and prints records per second. */
    public static void main(String[] args) throws Exception {
        int devices = 10;
        int perDevice = 3000;
        SpikeDetector model = new SpikeDetector(); // throughput does not depend on the weights
        model.setParallel(false);
        List<String> keys = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        List<List<Sensors.Reading>> streams = new ArrayList<>();
        for (int d = 0; d < devices; d++) {
            streams.add(Sensors.stream(d, 0, perDevice, 0.02));
        }
        for (int t = 0; t < perDevice; t++) { // round robin: every record changes device
            for (int d = 0; d < devices; d++) {
                keys.add("device-" + d);
                texts.add(streams.get(d).get(t).text());
            }
        }
        int n = keys.size();
        for (int pass = 0; pass < 2; pass++) {
            String label = pass == 0 ? "warm-up " : "measured";
            long start = System.nanoTime();
            SpikeDetector.Stepper stepper = model.newStepper();
            float sink = 0;
            for (int i = 0; i < n; i++) {
                sink += stepper.step(streams.get(i % devices).get(i / devices).values())[0];
            }
            report(label, "stepper alone (one state)", n, start, sink);

            start = System.nanoTime();
            StepperStateSerde serde = new StepperStateSerde();
            java.util.Map<String, byte[]> store = new java.util.HashMap<>();
            for (int i = 0; i < n; i++) {
                byte[] bytes = store.get(keys.get(i));
                if (bytes == null) {
                    stepper.reset();
                } else {
                    stepper.importState(serde.deserialize("", bytes));
                }
                sink += stepper.step(Sensors.parse(texts.get(i)))[0];
                store.put(keys.get(i), serde.serialize("", stepper.exportState()));
            }
            report(label, "+ parse, state import/export, Serde, HashMap", n, start, sink);

            for (boolean rocksDb : new boolean[] {true, false}) {
                Path dir = Files.createTempDirectory("driver-throughput");
                Properties config = new Properties();
                config.put(StreamsConfig.APPLICATION_ID_CONFIG, "driver-throughput");
                config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
                config.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
                KeyValueBytesStoreSupplier supplier = rocksDb ? Stores.persistentKeyValueStore(SpikeScoring.STORE)
                        : Stores.inMemoryKeyValueStore(SpikeScoring.STORE);
                try (TopologyTestDriver driver = new TopologyTestDriver(
                        SpikeScoring.topology(model, SpikeScoring.Topics.defaults(), supplier), config)) {
                    TestInputTopic<String, String> in = driver.createInputTopic(
                            SpikeScoring.Topics.defaults().readings(), new StringSerializer(), new StringSerializer());
                    // RocksDB: the driver commits, so flushes the store, after every record.
                    int records = rocksDb ? n / 5 : n;
                    start = System.nanoTime();
                    for (int i = 0; i < records; i++) {
                        in.pipeInput(keys.get(i), texts.get(i));
                    }
                    report(label, "TopologyTestDriver, " + (rocksDb ? "RocksDB" : "in-memory") + " store",
                            records, start, 0);
                }
            }
        }
    }

    private static void report(String pass, String path, int records, long start, float sink) {
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "%s %-46s %,10.0f records/s (%d in %.2f s)%s%n", pass, path,
                records / seconds, records, seconds, Float.isNaN(sink) ? " NaN!" : "");
    }
}
