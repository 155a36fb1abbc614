package dev.unroll.onnx;

import dev.unroll.dsl.CheckResult;
import dev.unroll.dsl.RnnFrontEnd;
import dev.unroll.dsl.SourceFile;
import dev.unroll.onnx.ModelDescription.Precision;
import dev.unroll.onnx.ModelDescription.TensorSpec;
import dev.unroll.onnx.proto.Onnx.ModelProto;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import dev.unroll.runtime.checkpoint.CheckpointException;
import dev.unroll.runtime.checkpoint.OutputTensor;
import dev.unroll.runtime.checkpoint.SafeTensors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Imports an ONNX model of recurrent layers and a linear head: the {@code .rnn} spec that
 * describes it and its weights in Unroll's (PyTorch's) names, gate order and layout.
 *
 * <pre>{@code
 * OnnxImport.Result r = OnnxImport.read(Path.of("model.onnx"));
 * Files.writeString(Path.of("Model.rnn"), r.spec());
 * r.writeCheckpoint(Path.of("Model.safetensors"));      // what the generated model's load() reads
 * }</pre>
 *
 * <p>Accepted: what {@code torch.onnx.export} writes for {@code nn.RNN}, {@code nn.LSTM} and
 * {@code nn.GRU} (any depth, uni- or bidirectional, with or without initial states) followed by
 * {@code nn.Linear} and an optional sigmoid, tanh or softmax, read at every step or at the last;
 * and ONNX {@code RNN}/{@code LSTM}/{@code GRU} nodes as other exporters write them. Everything
 * else is refused with an {@link OnnxException} naming the node and the reason (docs/onnx.md).
 */
public final class OnnxImport {
    private OnnxImport() {}

    /**
     * What to override in the imported spec.
     *
     * @param name the model name, instead of the file's metadata or file name
     * @param steps the steps the spec unrolls, needed when the graph's sequence length is symbolic
     */
    public record Options(Optional<String> name, OptionalInt steps) {
        /** No overrides. */
        public static Options defaults() {
            return new Options(Optional.empty(), OptionalInt.empty());
        }
    }

    /**
     * An imported model.
     *
     * @param model what the spec says
     * @param tensors every parameter, by PyTorch name, in {@code state_dict} order, row-major (float32
     *     models hold float values widened exactly to double)
     * @param notes what the import decided that the spec does not show (initial-state inputs, a
     *     missing bias taken as zero, ...)
     */
    public record Result(ModelDescription model, Map<String, double[]> tensors, List<String> notes) {
        /** Copies the tensors' map (not the arrays) and the notes. */
        public Result {
            tensors = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
            notes = List.copyOf(notes);
        }

        /** Returns the {@code .rnn} spec text. */
        public String spec() {
            return model.toSpec();
        }

        /** Returns the tensors as safetensors output, F32 or F64 as the model's precision says. */
        public List<OutputTensor> outputTensors() {
            List<OutputTensor> out = new ArrayList<>();
            for (TensorSpec spec : model.parameters()) {
                double[] v = tensors.get(spec.name());
                if (model.precision() == Precision.FLOAT64) {
                    out.add(OutputTensor.of(spec.name(), v, spec.shape()));
                } else {
                    float[] f = new float[v.length];
                    for (int i = 0; i < v.length; i++) {
                        f[i] = (float) v[i];
                    }
                    out.add(OutputTensor.of(spec.name(), f, spec.shape()));
                }
            }
            return out;
        }

        /** Writes the weights as a safetensors checkpoint, atomically, that the generated model's {@code load} accepts. */
        public void writeCheckpoint(Path file) throws CheckpointException {
            SafeTensors.write(file, outputTensors(), Map.of("format", "pt", "source", "onnx import"));
        }

        /**
         * Copies the weights into a generated model's parameters (its {@code importOnnx}), after
         * checking that every name and shape matches; on a mismatch nothing is changed.
         *
         * @throws OnnxException naming every missing, unexpected or mis-shaped tensor
         */
        public void loadInto(ParameterSet parameters, String source) throws OnnxException {
            List<String> problems = new ArrayList<>();
            Map<String, int[]> shapes = new LinkedHashMap<>();
            for (TensorSpec spec : model.parameters()) {
                shapes.put(spec.name(), spec.shape());
            }
            for (Parameter p : parameters) {
                int[] shape = shapes.get(p.name());
                if (shape == null) {
                    problems.add("the model has '" + p.name() + "', which the ONNX file does not");
                } else if (!Arrays.equals(shape, p.shape())) {
                    problems.add("tensor '" + p.name() + "' has shape " + Arrays.toString(shape) + ", expected "
                            + Arrays.toString(p.shape()));
                }
            }
            for (String name : shapes.keySet()) {
                if (!parameters.contains(name)) {
                    problems.add("the ONNX file has '" + name + "', which the model does not");
                }
            }
            if (!problems.isEmpty()) {
                throw new OnnxException(source + ": does not match the model (it is " + spec().replace('\n', ' ')
                        + "): " + String.join("; ", problems));
            }
            for (Parameter p : parameters) {
                double[] v = tensors.get(p.name());
                for (int i = 0; i < v.length; i++) {
                    p.setValue(i, v[i]);
                }
            }
            parameters.markChanged();
        }
    }

    /**
     * Imports an ONNX file's weights into a generated model's parameters: what the generated
     * {@code importOnnx(path)} calls. The graph must describe the model's network (cell, sizes,
     * layers, directions, head); names and shapes are checked before anything is written.
     *
     * <pre>{@code
     * OnnxImport.loadInto(Path.of("model.onnx"), model.parameters());
     * }</pre>
     *
     * @return the import, whose {@link Result#spec()} and {@link Result#notes()} say what the file held
     * @throws OnnxException when the file cannot be imported or does not match the parameters; they
     *     are then unchanged
     */
    public static Result loadInto(Path file, ParameterSet parameters) throws OnnxException {
        Result r = read(file);
        r.loadInto(parameters, file.toString());
        return r;
    }

    /** Reads an ONNX file with no overrides. */
    public static Result read(Path file) throws OnnxException {
        return read(file, Options.defaults());
    }

    /**
     * Reads an ONNX file.
     *
     * @throws OnnxException when the file is not a readable ONNX model, or its graph is not one Unroll
     *     can express; the message names the file and the node, tensor or attribute
     */
    public static Result read(Path file, Options options) throws OnnxException {
        ModelProto model = OnnxFiles.read(file);
        return read(model, file.toString(), options);
    }

    /** Reads a parsed model; {@code source} names it in messages and, without other names, gives the model's name. */
    public static Result read(ModelProto model, String source, Options options) throws OnnxException {
        Result result = GraphReader.read(source, model, options.name(), options.steps());
        // The spec is checked by Unroll's own front end, so import never writes one that 'unroll check' refuses.
        CheckResult check = RnnFrontEnd.check(new SourceFile(result.model().name() + ".rnn", result.spec()));
        if (check.hasErrors()) {
            throw new OnnxException(source + ": the imported spec is not valid:\n" + check.formattedDiagnostics());
        }
        return result;
    }

    /**
     * Imports an ONNX file into a directory: {@code <Name>.rnn} and {@code <Name>.safetensors}.
     *
     * @return the two files written
     */
    public static List<Path> importTo(Path file, Path directory, Options options) throws IOException {
        return write(read(file, options), directory);
    }

    /**
     * Writes an imported model into a directory: {@code <Name>.rnn} and {@code <Name>.safetensors}.
     *
     * @return the two files written
     */
    public static List<Path> write(Result r, Path directory) throws IOException {
        Path spec = directory.resolve(r.model().name() + ".rnn");
        Path weights = directory.resolve(r.model().name() + ".safetensors");
        Files.createDirectories(directory);
        r.writeCheckpoint(weights);
        OnnxFiles.writeAtomically(spec, r.spec().getBytes(StandardCharsets.UTF_8));
        return List.of(spec, weights);
    }
}
