package dev.unroll.samples.kafkastreams;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The topology: readings in, one spike probability per reading out, bad readings to a dead-letter
 * topic. Keys are device ids; every device's recurrent state lives in the state store
 * {@value #STORE}, so that each device is scored on its own history alone, and resumes where it
 * stopped after a restart or a rebalance.
 *
 * <pre>
 * readings ──▶ [score: SpikeProcessor] ──▶ scores
 *                      │    ▲        └───▶ dead letters (bad readings, the error in a header)
 *                      ▼    │
 *        device-states (persistent key-value store: device id ─▶ stepper state)
 * </pre>
 */
public final class SpikeScoring {
    /** The state store: device id to the detector's {@code exportState()}. */
    public static final String STORE = "device-states";
    /** The header of a dead-letter record that holds why the reading was refused. */
    public static final String ERROR_HEADER = "error";

    private static final String SCORES_SINK = "scores";
    private static final String DEAD_LETTER_SINK = "dead-letters";

    private SpikeScoring() {}

    /**
     * The topics the topology reads and writes.
     *
     * @param readings input: key the device id, value a reading as {@link Sensors#text} writes it
     * @param scores output: key the device id, value the reading's spike probability as {@link Float#toString} writes it
     * @param deadLetters the readings that could not be scored, as they came, with an {@value #ERROR_HEADER} header
     */
    public record Topics(String readings, String scores, String deadLetters) {
        /** The sample's topic names: {@code sensor-readings}, {@code spike-scores}, {@code sensor-readings-dead-letter}. */
        public static Topics defaults() {
            return new Topics("sensor-readings", "spike-scores", "sensor-readings-dead-letter");
        }
    }

    /**
     * Builds the topology. {@code model} is shared by every stream thread (a forward pass only
     * reads the weights); each processor instance makes its own stepper.
     */
    public static Topology topology(SpikeDetector model, Topics topics) {
        return topology(model, topics, Stores.persistentKeyValueStore(STORE));
    }

    /**
     * Builds the topology over another kind of store named {@value #STORE}, such as
     * {@code Stores.inMemoryKeyValueStore(STORE)}: restored from its changelog at every start,
     * rather than from local RocksDB files and the changelog's tail.
     */
    public static Topology topology(SpikeDetector model, Topics topics, KeyValueBytesStoreSupplier storeSupplier) {
        if (!STORE.equals(storeSupplier.name())) {
            throw new IllegalArgumentException("the store must be named " + STORE + ", not " + storeSupplier.name());
        }
        StoreBuilder<KeyValueStore<String, double[][]>> store = Stores.keyValueStoreBuilder(
                storeSupplier, Serdes.String(), new StepperStateSerde());
        ProcessorSupplier<String, String, String, String> score = new ProcessorSupplier<>() {
            @Override
            public Processor<String, String, String, String> get() {
                return new SpikeProcessor(model);
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return Set.of(store);
            }
        };
        Topology topology = new Topology();
        topology.addSource("readings", new StringDeserializer(), new StringDeserializer(), topics.readings());
        topology.addProcessor("score", score, "readings");
        topology.addSink(SCORES_SINK, topics.scores(), new StringSerializer(), new StringSerializer(), "score");
        topology.addSink(DEAD_LETTER_SINK, topics.deadLetters(), new StringSerializer(), new StringSerializer(),
                "score");
        return topology;
    }

    /**
     * Scores one reading with the device's state: loads the state from the store, steps, stores the
     * new state. Kafka Streams makes one instance per task and calls it from one thread at a time,
     * so one stepper per instance is safe; a stepper is not thread-safe, and it holds no device's
     * state between records: the store does, so the state survives a restart and moves with the
     * task's partition on a rebalance (through the store's changelog topic).
     */
    static final class SpikeProcessor implements Processor<String, String, String, String> {
        private final SpikeDetector.Stepper stepper;
        private ProcessorContext<String, String> context;
        private KeyValueStore<String, double[][]> states;

        SpikeProcessor(SpikeDetector model) {
            this.stepper = model.newStepper();
        }

        @Override
        public void init(ProcessorContext<String, String> context) {
            this.context = context;
            this.states = context.getStateStore(STORE);
        }

        @Override
        public void process(Record<String, String> record) {
            String device = record.key();
            if (device == null) {
                deadLetter(record, "the record has no key; the key must be the device id");
                return;
            }
            double[][] state = states.get(device);
            if (state == null) {
                stepper.reset(); // a device not seen before starts from the zero state
            } else {
                try {
                    stepper.importState(state);
                } catch (IllegalArgumentException e) {
                    // A state that does not fit (the spec changed under a running application) is
                    // not a bad reading: fail the task, saying whose state and why, rather than
                    // silently start the device over.
                    throw new IllegalStateException("the stored state of device '" + device
                            + "' does not fit this model: " + e.getMessage()
                            + "; a new model needs fresh state (a new application.id)", e);
                }
            }
            float[] probability;
            try {
                probability = stepper.step(Sensors.parse(record.value()));
            } catch (IllegalArgumentException e) {
                // The stepper leaves its state unchanged when it refuses an input, and nothing is
                // stored: the device's next reading continues from its last good one.
                deadLetter(record, e.getMessage());
                return;
            }
            states.put(device, stepper.exportState());
            context.forward(record.withValue(Float.toString(probability[0])), SCORES_SINK);
        }

        private void deadLetter(Record<String, String> record, String error) {
            // A copy of the headers: the record's own belong to the input, which must not change.
            RecordHeaders headers = new RecordHeaders(record.headers().toArray());
            headers.add(ERROR_HEADER, error.getBytes(StandardCharsets.UTF_8));
            context.forward(record.withHeaders(headers), DEAD_LETTER_SINK);
        }
    }
}
