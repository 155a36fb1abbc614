package dev.unroll.runtime.checkpoint;

import dev.unroll.runtime.DoubleParameter;
import dev.unroll.runtime.FloatParameter;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import dev.unroll.runtime.optim.Optimizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Saves a model's parameters to a safetensors checkpoint and loads them back.
 *
 * <p>A checkpoint holds one tensor per parameter, under the parameter's (PyTorch) name, with its
 * shape, as {@link DType#F64} for a {@link DoubleParameter} and {@link DType#F32} for a
 * {@link FloatParameter}; so a checkpoint of an Unroll model is also a valid PyTorch
 * {@code state_dict} for {@code safetensors.torch.load_file}.
 *
 * <p>Saving is atomic (see {@link SafeTensors#write}). Loading validates the whole file against
 * the whole model before it changes anything: a load that throws leaves every parameter as it
 * was.
 *
 * <p><b>Precision.</b> By default ({@link DtypePolicy#EXACT}) the tensor types must match the
 * parameters: F64 for float64 parameters, F32 for float32 ones. Loading a float64 checkpoint into
 * a float32 model is refused rather than silently rounded; pass {@link DtypePolicy#CONVERT} to
 * accept any floating-point tensor type and convert (rounding to nearest float for float32
 * parameters; widening is exact). Integer tensors are always refused.
 *
 * <p><b>Values.</b> Saving refuses parameters holding NaN or infinity (so a diverged model never
 * replaces the last good checkpoint), and loading refuses such tensors as corrupt.
 */
public final class Checkpoints {

    /** How {@link #load(Path, ParameterSet, DtypePolicy)} treats tensor types that differ from the parameters'. */
    public enum DtypePolicy {
        /** F64 tensors for float64 parameters, F32 for float32; anything else is refused. */
        EXACT,
        /** Any floating-point tensor type is accepted and converted to the parameter's precision. */
        CONVERT
    }

    private Checkpoints() {
    }

    /**
     * Saves every parameter's values, atomically replacing {@code file}.
     *
     * @param file the checkpoint, conventionally {@code *.safetensors}
     * @param parameters the parameters, written in their order
     * @param metadata string metadata stored in the header (e.g. the step count), may be empty
     * @throws CheckpointException when a parameter holds NaN or infinity (naming it and the index) or
     *     the file cannot be written; the previous file is then unchanged
     */
    public static void save(Path file, ParameterSet parameters, Map<String, String> metadata) throws CheckpointException {
        SafeTensors.write(file, finiteParameters(file, parameters), metadata);
    }

    /** Returns the parameters as tensors to write, after checking that every value is finite. */
    private static List<OutputTensor> finiteParameters(Path file, ParameterSet parameters) throws CheckpointException {
        List<OutputTensor> tensors = new ArrayList<>(parameters.size());
        for (Parameter p : parameters) {
            for (int i = 0; i < p.size(); i++) {
                double v = p.value(i);
                if (!Double.isFinite(v)) {
                    throw new CheckpointException("checkpoint " + file + ": not saved, parameter '" + p.name() + "' holds "
                            + v + " at " + position(p.shape(), i) + "; the previous file (if any) is unchanged");
                }
            }
            tensors.add(OutputTensor.of(p));
        }
        return tensors;
    }

    /**
     * Saves the parameters and the optimizer's state, atomically replacing {@code file}: a training checkpoint that
     * {@link #load(Path, ParameterSet, Optimizer)} resumes from exactly. The optimizer's tensors are named
     * {@code optimizer.<parameter>.<buffer>}; a PyTorch {@code load_state_dict} of such a file needs them filtered
     * out (or the weights saved alone with {@link #save(Path, ParameterSet, Map)}).
     *
     * @throws CheckpointException as {@link #save(Path, ParameterSet, Map)}
     */
    public static void save(Path file, ParameterSet parameters, Optimizer optimizer, Map<String, String> metadata)
            throws CheckpointException {
        List<OutputTensor> tensors = new ArrayList<>(finiteParameters(file, parameters));
        tensors.addAll(optimizer.stateTensors(parameters));
        Map<String, String> all = new LinkedHashMap<>(metadata);
        all.putAll(optimizer.stateMetadata());
        SafeTensors.write(file, tensors, all);
    }

    /**
     * What loading a training checkpoint did.
     *
     * @param metadata the checkpoint's metadata
     * @param optimizerRestored whether the optimizer's state was restored (false for a checkpoint of weights only,
     *     or of another optimizer: the optimizer then restarts from no state and update 0)
     * @param warnings what the caller should tell the user, e.g. that the optimizer restarts
     */
    public record Loaded(Map<String, String> metadata, boolean optimizerRestored, List<String> warnings) {
        public Loaded {
            metadata = Map.copyOf(metadata);
            warnings = List.copyOf(warnings);
        }
    }

    /**
     * Loads a training checkpoint: the weights as {@link #load(Path, ParameterSet)} does and, when the file holds
     * the state of this optimizer's kind, the optimizer's state (moments, accumulators, step counts, hence the
     * schedule's position), so that N updates, save, load, M updates equal N + M updates straight, bit for bit.
     * A checkpoint of weights only still loads: the optimizer is then reset, and the result says so in a warning
     * (also logged at WARNING through {@link System.Logger}). Everything is validated before anything changes.
     *
     * @throws CheckpointException when the file is corrupt, does not match the model, or holds optimizer state that
     *     does not match it; nothing is changed then
     */
    public static Loaded load(Path file, ParameterSet parameters, Optimizer optimizer) throws CheckpointException {
        TensorFile tf = SafeTensors.read(file);
        List<String> problems = new ArrayList<>();
        Optimizer.Restore restore = optimizer.prepareRestore(tf, parameters, problems);
        if (!problems.isEmpty()) {
            throw new CheckpointException("checkpoint " + file + ": " + joinProblems(problems)
                    + "; no parameter was changed");
        }
        Map<String, String> metadata = load(tf, file, parameters, DtypePolicy.EXACT);
        List<String> warnings = new ArrayList<>();
        if (restore != null) {
            restore.apply();
        } else {
            optimizer.reset();
            String kind = metadata.get(Optimizer.KIND_KEY);
            String warning = "checkpoint " + file + " holds " + (kind == null ? "no optimizer state (weights only)"
                    : "the state of another optimizer (" + kind + ")") + ": the optimizer restarts from update 0";
            warnings.add(warning);
            System.getLogger("dev.unroll.runtime.checkpoint").log(System.Logger.Level.WARNING, warning);
        }
        return new Loaded(metadata, restore != null, warnings);
    }

    /**
     * Loads a checkpoint into the parameters, requiring exact dtypes ({@link DtypePolicy#EXACT}).
     *
     * @return the checkpoint's metadata
     * @throws CheckpointException see {@link #load(Path, ParameterSet, DtypePolicy)}
     */
    public static Map<String, String> load(Path file, ParameterSet parameters) throws CheckpointException {
        return load(file, parameters, DtypePolicy.EXACT);
    }

    /**
     * Loads a checkpoint into the existing parameters.
     *
     * <p>Everything is validated first: the file itself (see {@link SafeTensors#read}), then that its
     * tensors are exactly the parameters (no missing, no unexpected ones), with the same shapes,
     * acceptable dtypes, and finite values. Every problem found is reported in one message, e.g.
     * {@code checkpoint model.safetensors: tensor 'rnn.weight_ih_l0' has shape [512, 64], expected
     * [512, 65]}. Only then are the values copied.
     *
     * @param file the checkpoint
     * @param parameters the model's parameters, overwritten on success and unchanged on failure
     * @param policy how tensor dtypes may differ from the parameters'
     * @return the checkpoint's metadata
     * @throws CheckpointException when the file is corrupt, truncated or does not match the model
     */
    public static Map<String, String> load(Path file, ParameterSet parameters, DtypePolicy policy)
            throws CheckpointException {
        return load(SafeTensors.read(file), file, parameters, policy);
    }

    private static Map<String, String> load(TensorFile tf, Path file, ParameterSet parameters, DtypePolicy policy)
            throws CheckpointException {
        String where = "checkpoint " + file;
        List<String> problems = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (Parameter p : parameters) {
            if (!tf.contains(p.name())) {
                missing.add(p.name());
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (String name : tf.names()) {
            // a training checkpoint's optimizer state is not a parameter, and loading weights alone ignores it
            if (!parameters.contains(name) && !name.startsWith(Optimizer.TENSOR_PREFIX)) {
                unexpected.add(name + " " + Arrays.toString(tf.tensor(name).shape()));
            }
        }
        if (!missing.isEmpty()) {
            problems.add("missing tensors " + missing);
        }
        if (!unexpected.isEmpty()) {
            problems.add("unexpected tensors " + unexpected);
        }
        Map<Parameter, Tensor> sources = new LinkedHashMap<>();
        for (Parameter p : parameters) {
            tf.find(p.name()).ifPresent(t -> {
                String problem = checkTensor(t, "tensor '" + t.name() + "'", p, policy);
                if (problem != null) {
                    problems.add(problem);
                } else {
                    sources.put(p, t);
                }
            });
        }
        if (!problems.isEmpty()) {
            throw new CheckpointException(where + ": " + joinProblems(problems) + "; no parameter was changed");
        }
        copyAll(sources);
        return tf.metadata();
    }

    /**
     * Checks that a tensor can be loaded into a parameter; returns a problem description or null.
     * Package-private: shared with {@link PyTorchImport}.
     */
    static String checkTensor(Tensor t, String what, Parameter p, DtypePolicy policy) {
        if (!Arrays.equals(t.shape(), p.shape())) {
            return what + " has shape " + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(p.shape());
        }
        DType expected = p instanceof DoubleParameter ? DType.F64 : DType.F32;
        if (!t.dtype().isFloatingPoint()) {
            return what + " has dtype " + t.dtype() + "; parameters need a floating-point type (" + expected + ")";
        }
        if (policy == DtypePolicy.EXACT && t.dtype() != expected) {
            return what + " has dtype " + t.dtype() + ", expected " + expected + " for a "
                    + (expected == DType.F64 ? "float64" : "float32") + " model (load with DtypePolicy.CONVERT to convert)";
        }
        for (int i = 0; i < t.elementCount(); i++) {
            double v = t.getDouble(i);
            if (!Double.isFinite(v)) {
                return what + " holds " + v + " at " + position(t.shape(), i);
            }
        }
        return null;
    }

    /** Copies the tensors into their parameters; call only after everything was validated. */
    static void copyAll(Map<Parameter, Tensor> sources) {
        for (Map.Entry<Parameter, Tensor> e : sources.entrySet()) {
            Parameter p = e.getKey();
            Tensor t = e.getValue();
            if (p instanceof DoubleParameter d) {
                double[] v = t.toDoubleArray();
                System.arraycopy(v, 0, d.value, 0, v.length);
            } else {
                float[] v = t.toFloatArray();
                System.arraycopy(v, 0, ((FloatParameter) p).value, 0, v.length);
            }
            p.markChanged();
        }
    }

    /** Joins problems: one is shown as is, several are counted and separated by semicolons. */
    static String joinProblems(List<String> problems) {
        return problems.size() == 1 ? problems.get(0) : problems.size() + " problems: " + String.join("; ", problems);
    }

    /** Returns "index 7 [row 1, col 3]" for a flat index into a tensor of the given shape. */
    static String position(int[] shape, int index) {
        if (shape.length == 2) {
            return "index " + index + " [row " + index / shape[1] + ", col " + index % shape[1] + "]";
        }
        return "index " + index;
    }
}
