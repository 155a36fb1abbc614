package dev.unroll.samples.sparkscoring;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;

/**
 * Batch scoring of a {@code Dataset<SensorWindow>} with the generated {@link BurstScorer}:
 *
 * <ul>
 *   <li>the checkpoint's bytes are broadcast once, by the driver: executors never read the file,
 *       so it needs to exist on the driver only;
 *   <li>each executor JVM builds one model from them, the first time one of its tasks needs it, and
 *       every later task in that JVM reuses it: the forward pass only reads the weights, so
 *       concurrent tasks can share it (docs/java-api.md, "Threads");
 *   <li>each task (one partition) takes its own workspace, the activations of one sequence, and
 *       scores its rows in chunks through the batch {@code forward}.
 * </ul>
 *
 * <pre>{@code
 * Broadcast<byte[]> weights = jsc.broadcast(Files.readAllBytes(checkpoint));
 * Dataset<Score> scores = SparkScoring.score(windows, weights);
 * }</pre>
 */
public final class SparkScoring {
    /** Rows scored per batch forward call: enough to amortize the call, little memory. */
    static final int CHUNK = 256;

    /** This JVM's models, one per broadcast checkpoint. */
    private static final Map<Long, BurstScorer> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger MODELS_LOADED = new AtomicInteger();
    private static final AtomicInteger WORKSPACES = new AtomicInteger();

    private SparkScoring() {}

    /** Scores every window: one {@link Score} per row, in the rows' order within each partition. */
    public static Dataset<Score> score(Dataset<SensorWindow> windows, Broadcast<byte[]> checkpoint) {
        // The lambda captures only the broadcast handle, not the bytes: tasks fetch the value once per JVM.
        MapPartitionsFunction<SensorWindow, Score> scorePartition = rows -> scoreAll(model(checkpoint), rows);
        return windows.mapPartitions(scorePartition, Encoders.bean(Score.class));
    }

    /** Returns this JVM's model for the checkpoint, building it on first use. */
    static BurstScorer model(Broadcast<byte[]> checkpoint) {
        return MODELS.computeIfAbsent(checkpoint.id(), id -> load(checkpoint.value()));
    }

    /** Builds a model from checkpoint bytes (the runtime loads from a file, so they go through one). */
    static BurstScorer load(byte[] checkpoint) {
        try {
            Path file = Files.createTempFile("burst-scorer-", ".safetensors");
            try {
                Files.write(file, checkpoint);
                BurstScorer model = new BurstScorer();
                model.load(file);
                // Spark already runs one task per core: a second thread per batch would only contend.
                model.setParallel(false);
                MODELS_LOADED.incrementAndGet();
                return model;
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load the broadcast checkpoint", e);
        }
    }

    /** Scores a partition's rows lazily, {@link #CHUNK} at a time, with one workspace. */
    static Iterator<Score> scoreAll(BurstScorer model, Iterator<SensorWindow> rows) {
        BurstScorer.Workspace workspace = model.newWorkspace();
        WORKSPACES.incrementAndGet();
        return new Iterator<>() {
            private final List<Score> chunk = new ArrayList<>(CHUNK);
            private int next;

            @Override
            public boolean hasNext() {
                if (next < chunk.size()) {
                    return true;
                }
                chunk.clear();
                next = 0;
                List<SensorWindow> windows = new ArrayList<>(CHUNK);
                while (windows.size() < CHUNK && rows.hasNext()) {
                    windows.add(rows.next());
                }
                if (windows.isEmpty()) {
                    return false;
                }
                float[][][] xs = new float[windows.size()][][];
                for (int i = 0; i < xs.length; i++) {
                    xs[i] = windows.get(i).sequence();
                }
                float[][] probabilities = model.forward(workspace, xs);
                for (int i = 0; i < xs.length; i++) {
                    SensorWindow window = windows.get(i);
                    chunk.add(new Score(window.getId(), probabilities[i][0], window.getLabel()));
                }
                return true;
            }

            @Override
            public Score next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return chunk.get(next++);
            }
        };
    }

    /** Returns how many models this JVM has built (for the test: one per JVM and checkpoint). */
    static int modelsLoaded() {
        return MODELS_LOADED.get();
    }

    /** Returns how many workspaces this JVM has made (for the test: one per task). */
    static int workspacesCreated() {
        return WORKSPACES.get();
    }
}
