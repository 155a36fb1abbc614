package dev.unroll.onnx;

import dev.unroll.runtime.ModelShape;
import dev.unroll.runtime.RecurrentModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX export and import for any generated model, through the interface every generated class
 * implements ({@link RecurrentModel}): no reflection, and the generated code itself needs nothing
 * of this module, so a model that never meets ONNX carries no protobuf dependency.
 *
 * <pre>{@code
 * CharTagger model = new CharTagger();
 * ... train ...
 * OnnxModels.exportOnnx(model, Path.of("tagger.onnx"));     // runs in ONNX Runtime, OpenVINO, ...
 * CharTagger other = new CharTagger();
 * OnnxModels.importOnnx(Path.of("tagger.onnx"), other);       // the same weights, bit for bit
 * }</pre>
 */
public final class OnnxModels {
    private OnnxModels() {}

    /**
     * Writes a model, with its current weights, as an ONNX graph (see {@link OnnxExport}), atomically.
     *
     * @throws OnnxException when the model uses what ONNX cannot express (one_to_many, cell_clip, ...), naming it,
     *     or the file cannot be written
     */
    public static void exportOnnx(RecurrentModel<?, ?, ?, ?> model, Path file) throws OnnxException {
        OnnxExport.write(describe(model.shape()), model.parameters(), file);
    }

    /**
     * Loads the weights of an ONNX file (as {@link OnnxImport} reads it: PyTorch's or another exporter's graph)
     * into a model of the same structure; the next forward pass uses them.
     *
     * @return what the import found, with its notes
     * @throws OnnxException when the file cannot be imported or does not match the model; the weights are then
     *     unchanged
     */
    public static OnnxImport.Result importOnnx(Path file, RecurrentModel<?, ?, ?, ?> model) throws OnnxException {
        return OnnxImport.loadInto(file, model.parameters());
    }

    /**
     * Returns the export description of a generated model's shape: what {@link ModelDescription#from} gives for
     * its spec.
     *
     * @throws OnnxException for what ONNX export does not express, naming it
     */
    public static ModelDescription describe(ModelShape shape) throws OnnxException {
        String name = shape.name().substring(shape.name().lastIndexOf('.') + 1);
        String where = "model " + name + ": ";
        ModelDescription.Topology topology = switch (shape.topology()) {
            case "one_to_one" -> ModelDescription.Topology.ONE_TO_ONE;
            case "many_to_one" -> ModelDescription.Topology.MANY_TO_ONE;
            case "many_to_many" -> ModelDescription.Topology.MANY_TO_MANY;
            case "encoder_decoder" -> throw new OnnxException(where + "an encoder-decoder is not exported to ONNX yet:"
                    + " its decoder has weights of its own, starts from the encoder's final states and reads its own"
                    + " previous output, which one ONNX recurrent node cannot express");
            default -> throw new OnnxException(where + shape.topology() + " is not exported to ONNX yet: its later "
                    + "steps read zeros or the fed-back output, which an ONNX recurrent node cannot express");
        };
        if (shape.variableLength()) {
            throw new OnnxException(where + "variable_length is not exported to ONNX yet (it would map to sequence_lens)");
        }
        List<ModelDescription.Layer> layers = new ArrayList<>();
        for (int i = 0; i < shape.layers().size(); i++) {
            ModelShape.Layer layer = shape.layers().get(i);
            ModelDescription.Direction direction = switch (layer.direction()) {
                case "forward" -> ModelDescription.Direction.FORWARD;
                case "concat" -> ModelDescription.Direction.CONCAT;
                case "sum" -> ModelDescription.Direction.SUM;
                default -> throw new OnnxException(where + "layer " + i + ": direction " + layer.direction());
            };
            for (String option : layer.options()) {
                if (option.startsWith("cell_clip")) {
                    throw new OnnxException(where + "layer " + i + ": cell_clip has no ONNX equivalent (ONNX's LSTM "
                            + "'clip' clips the gates' pre-activations, not the cell state)");
                }
            }
            ModelDescription.Cell cell = switch (layer.cell()) {
                case "rnn" -> ModelDescription.Cell.RNN;
                case "lstm" -> ModelDescription.Cell.LSTM;
                case "gru" -> ModelDescription.Cell.GRU;
                default -> throw new OnnxException(where + "layer " + i + ": cell " + layer.cell()
                        + " has no ONNX node");
            };
            layers.add(new ModelDescription.Layer(cell, layer.hiddenSize(), direction, layer.options().contains("relu"),
                    layer.options().contains("cho"), layer.options().contains("peepholes")));
        }
        ModelDescription.Activation activation = switch (shape.outputActivation()) {
            case "linear" -> ModelDescription.Activation.LINEAR;
            case "softmax" -> ModelDescription.Activation.SOFTMAX;
            case "sigmoid" -> ModelDescription.Activation.SIGMOID;
            case "tanh" -> ModelDescription.Activation.TANH;
            default -> throw new OnnxException(where + "output activation " + shape.outputActivation());
        };
        return new ModelDescription(name, shape.inputSize(), shape.symbolInput(), layers, shape.outputSize(), activation,
                topology, topology == ModelDescription.Topology.ONE_TO_ONE ? 1 : shape.steps(),
                shape.float32() ? ModelDescription.Precision.FLOAT32 : ModelDescription.Precision.FLOAT64);
    }
}
