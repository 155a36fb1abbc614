package dev.unroll.dsl.model;

import dev.unroll.dsl.SourcePosition;
import java.util.List;
import java.util.Optional;

/**
 * A validated network: every default filled in, every size resolved, every cross-statement rule
 * checked. This is what code generators consume; it holds no syntax.
 *
 * @param sourceName the file name of the spec it came from, e.g. {@code char.rnn}
 * @param position where the model is declared
 * @param packageName the Java package, or "" for the unnamed package
 * @param name the model name, used as the Java class name
 * @param doc the doc comment, if any
 * @param input the input
 * @param layers the recurrent stack, input side first
 * @param output the output head
 * @param topology unrolling and batching
 * @param training loss, optimizer, schedule, initialization, clipping
 * @param precision float or double
 * @param positions where each statement and option was written, for messages about the model
 *     after validation (not part of what the model means: {@link ModelPrinter} leaves it out)
 */
public record NetworkModel(String sourceName, SourcePosition position, String packageName, String name,
        Optional<String> doc, InputSpec input, List<LayerSpec> layers, OutputSpec output, TopologySpec topology,
        TrainingSpec training, Precision precision, ModelPositions positions) {

    public NetworkModel {
        layers = List.copyOf(layers);
        java.util.Objects.requireNonNull(positions, "positions");
    }

    /**
     * Creates a model whose positions are all {@code position}, for models built by hand (the
     * validator records every statement's).
     */
    public NetworkModel(String sourceName, SourcePosition position, String packageName, String name,
            Optional<String> doc, InputSpec input, List<LayerSpec> layers, OutputSpec output, TopologySpec topology,
            TrainingSpec training, Precision precision) {
        this(sourceName, position, packageName, name, doc, input, layers, output, topology, training, precision,
                ModelPositions.unknown(position));
    }

    /** Returns the fully qualified Java name of the model class. */
    public String qualifiedName() {
        return packageName.isEmpty() ? name : packageName + "." + name;
    }
}
