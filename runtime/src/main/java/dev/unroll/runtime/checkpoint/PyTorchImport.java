package dev.unroll.runtime.checkpoint;

import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Imports a PyTorch {@code state_dict} saved as safetensors into an Unroll model.
 *
 * <p>The source is typically written with
 * {@code safetensors.torch.save_file(model.state_dict(), "model.safetensors")} from a module
 * holding one {@code nn.RNN}, {@code nn.LSTM} or {@code nn.GRU} (under some attribute, e.g.
 * {@code rnn}, {@code lstm}, {@code encoder}, or the recurrent module itself, with no prefix) and
 * an {@code nn.Linear} head (e.g. {@code fc}, {@code head}, {@code decoder}). Its tensors are mapped
 * onto the model's canonical names:
 *
 * <pre>
 *   {recurrent prefix}weight_ih_l{k}[_reverse]  -&gt;  rnn.weight_ih_l{k}[_reverse]   (same for weight_hh, bias_ih, bias_hh,
 *                                                  and an LSTM's peepholes weight_ci, weight_cf, weight_co)
 *   {head prefix}weight / {head prefix}bias      -&gt;  head.weight / head.bias
 *   {embedding prefix}weight                     -&gt;  embedding.weight   (a model with an embedding input)
 * </pre>
 *
 * Model parameters outside {@code rnn.} and {@code head.} are matched by their exact name.
 *
 * <p>The prefixes are detected unless given: the recurrent prefix is whatever precedes the
 * {@code weight_ih_l0}-style names (all of them must share one); the head is the remaining group
 * {@code X.weight}/{@code X.bias}, chosen by the shape of {@code head.weight} when several groups
 * exist. The embedding is {@code embedding.weight} when the file has it, else the one
 * {@code X.weight} without an {@code X.bias} whose shape is the table's ({@code nn.Embedding} has no
 * bias), else the prefix {@link ImportOptions#withEmbeddingPrefix} gives. F32, F64 (and F16/BF16) sources are converted to the model's precision.
 *
 * <p>Every layer {@code _l0}, {@code _l1}, ... is mapped. The import is refused, with one message
 * listing every problem and naming the tensors, for: unknown tensors, missing tensors, tensors of
 * the wrong shape (with a hint at the cell type and hidden size the checkpoint looks like), a
 * bidirectional checkpoint ({@code _reverse} tensors) for a unidirectional model, a layer count
 * that differs from the model's, LSTM projections ({@code weight_hr}), integer or non-finite
 * tensors. A refused import leaves the model unchanged.
 *
 * <p>{@link ImportOptions} choose the prefixes when a file holds several candidates (an
 * encoder and a decoder, two heads), drop tensors by name before anything else looks at them,
 * and let tensors that fit no parameter (optimizer state, saved inputs, a second module) be
 * ignored instead of refused; the {@link Report} lists what was ignored:
 *
 * <pre>{@code
 * PyTorchImport.importStateDict(file, model.parameters(), ImportOptions.defaults()
 *         .withRecurrentPrefix("encoder.lstm.")
 *         .withHeadPrefix("fc.")
 *         .ignoringUnknown());
 * }</pre>
 */
public final class PyTorchImport {
    /** The canonical prefix of the recurrent parameters. */
    public static final String RECURRENT = "rnn.";
    /** The canonical prefix of the output head's parameters. */
    public static final String HEAD = "head.";
    /** The canonical prefix of an embedding table: {@code embedding.weight}, an {@code nn.Embedding}'s {@code weight}. */
    public static final String EMBEDDING = "embedding.";

    static final Pattern RECURRENT_NAME =
            Pattern.compile("^(.*?)((?:(?:weight|bias)_(?:ih|hh|hr)|weight_c[ifo])_l(\\d{1,9})(_reverse)?)$");
    private static final Pattern HEAD_NAME = Pattern.compile("^(|.*\\.)(weight|bias)$");

    /**
     * What an import did.
     *
     * @param recurrentPrefix the recurrent module's prefix in the source, e.g. {@code "lstm."} ({@code ""} for none)
     * @param headPrefix the head's prefix in the source, e.g. {@code "fc."}; null when the model has no head
     * @param layers the number of recurrent layers imported
     * @param bidirectional whether {@code _reverse} tensors were imported
     * @param mapping source tensor name to model parameter name, in model order
     * @param ignored source tensors left out, in file order: those the options' filter refused and,
     *     with {@link ImportOptions#ignoreUnknown()}, those that fit no parameter
     */
    public record Report(String recurrentPrefix, String headPrefix, int layers, boolean bidirectional,
                         Map<String, String> mapping, List<String> ignored) {
        /** Copies the mapping and the ignored names. */
        public Report {
            mapping = Collections.unmodifiableMap(new LinkedHashMap<>(mapping));
            ignored = List.copyOf(ignored);
        }

        /** A report of an import that ignored nothing. */
        public Report(String recurrentPrefix, String headPrefix, int layers, boolean bidirectional,
                      Map<String, String> mapping) {
            this(recurrentPrefix, headPrefix, layers, bidirectional, mapping, List.of());
        }
    }

    /**
     * How {@link #importStateDict(Path, ParameterSet, ImportOptions)} reads a file. Immutable; start
     * from {@link #defaults()} and change what you need with the {@code with...} methods.
     *
     * @param recurrentPrefix the recurrent module's prefix in the file, e.g. {@code "encoder.lstm."}
     *     ({@code ""} for none), or null to detect it (which fails when there are several)
     * @param headPrefix the output head's prefix, e.g. {@code "fc."}, or null to detect it
     * @param ignoreUnknown whether tensors that fit no parameter of the model are ignored (and listed
     *     in {@link Report#ignored()}) instead of refusing the import; tensors of the chosen recurrent
     *     module that do not fit (another layer count, another direction, projections) are refused
     *     all the same, since ignoring them would import a different network
     * @param tensorFilter which source tensors to consider at all: the others are ignored before
     *     prefixes are detected, as if the file did not hold them
     * @param embeddingPrefix the prefix of the {@code nn.Embedding} whose {@code weight} is the model's
     *     {@code embedding.weight}, e.g. {@code "emb."}, or null to detect it
     */
    public record ImportOptions(String recurrentPrefix, String headPrefix, boolean ignoreUnknown,
                                Predicate<String> tensorFilter, String embeddingPrefix) {
        private static final ImportOptions DEFAULTS = new ImportOptions(null, null, false, name -> true, null);

        /** Checks the filter is there. */
        public ImportOptions {
            Objects.requireNonNull(tensorFilter, "tensorFilter");
        }

        /** Options that detect the embedding's prefix. */
        public ImportOptions(String recurrentPrefix, String headPrefix, boolean ignoreUnknown,
                             Predicate<String> tensorFilter) {
            this(recurrentPrefix, headPrefix, ignoreUnknown, tensorFilter, null);
        }

        /** Detect both prefixes, refuse unknown tensors, consider every tensor: what {@code importStateDict(file, model)} does. */
        public static ImportOptions defaults() {
            return DEFAULTS;
        }

        /** Returns these options with the recurrent prefix given ({@code ""} for none; null to detect). */
        public ImportOptions withRecurrentPrefix(String prefix) {
            return new ImportOptions(prefix, headPrefix, ignoreUnknown, tensorFilter, embeddingPrefix);
        }

        /** Returns these options with the head prefix given (null to detect). */
        public ImportOptions withHeadPrefix(String prefix) {
            return new ImportOptions(recurrentPrefix, prefix, ignoreUnknown, tensorFilter, embeddingPrefix);
        }

        /**
         * Returns these options with the embedding's prefix given: {@code "emb."} maps {@code emb.weight} onto
         * {@code embedding.weight} (null to detect).
         */
        public ImportOptions withEmbeddingPrefix(String prefix) {
            return new ImportOptions(recurrentPrefix, headPrefix, ignoreUnknown, tensorFilter, prefix);
        }

        /** Returns these options ignoring tensors that fit no parameter, instead of refusing them. */
        public ImportOptions ignoringUnknown() {
            return new ImportOptions(recurrentPrefix, headPrefix, true, tensorFilter, embeddingPrefix);
        }

        /** Returns these options considering only the tensors whose name the filter accepts. */
        public ImportOptions onlyTensors(Predicate<String> filter) {
            return new ImportOptions(recurrentPrefix, headPrefix, ignoreUnknown, filter, embeddingPrefix);
        }

        /** Returns these options considering only the tensors whose whole name matches the regular expression. */
        public ImportOptions onlyTensorsMatching(String regex) {
            return onlyTensors(Pattern.compile(regex).asMatchPredicate());
        }
    }

    private PyTorchImport() {
    }

    /**
     * Imports a state_dict file, detecting the prefixes.
     *
     * @throws CheckpointException when the file is invalid or does not fit the model; the model is then unchanged
     */
    public static Report importStateDict(Path file, ParameterSet model) throws CheckpointException {
        return importStateDict(SafeTensors.read(file), model, null, null);
    }

    /**
     * Imports a state_dict file with the given prefixes.
     *
     * @param recurrentPrefix e.g. {@code "lstm."}, {@code ""} for none, or null to detect it
     * @param headPrefix e.g. {@code "fc."}, or null to detect it
     * @throws CheckpointException when the file is invalid or does not fit the model; the model is then unchanged
     */
    public static Report importStateDict(Path file, ParameterSet model, String recurrentPrefix, String headPrefix)
            throws CheckpointException {
        return importStateDict(SafeTensors.read(file), model, recurrentPrefix, headPrefix);
    }

    /**
     * Imports a state_dict file as the options say: which prefixes, which tensors, whether
     * tensors that fit no parameter are ignored.
     *
     * @throws CheckpointException when the file is invalid or does not fit the model; the model is then unchanged
     */
    public static Report importStateDict(Path file, ParameterSet model, ImportOptions options)
            throws CheckpointException {
        return importStateDict(SafeTensors.read(file), model, options);
    }

    /**
     * Imports an already read state_dict with the given prefixes (null to detect).
     *
     * @throws CheckpointException when the tensors do not fit the model; the model is then unchanged
     */
    public static Report importStateDict(TensorFile source, ParameterSet model, String recurrentPrefix,
                                         String headPrefix) throws CheckpointException {
        return importStateDict(source, model, ImportOptions.defaults().withRecurrentPrefix(recurrentPrefix)
                .withHeadPrefix(headPrefix));
    }

    /**
     * Imports an already read state_dict as the options say. An encoder-decoder's two recurrent modules are
     * {@link EncoderDecoderImport}'s to map.
     *
     * @throws CheckpointException when the tensors do not fit the model; the model is then unchanged
     */
    public static Report importStateDict(TensorFile file, ParameterSet model, ImportOptions options)
            throws CheckpointException {
        if (EncoderDecoderImport.appliesTo(model)) {
            return EncoderDecoderImport.importStateDict(file, model, null, null, options);
        }
        return importGeneric(file, model, options);
    }

    /** Imports a state_dict into a model of one recurrent module (or of canonical names only). */
    static Report importGeneric(TensorFile file, ParameterSet model, ImportOptions options)
            throws CheckpointException {
        Objects.requireNonNull(options, "options");
        List<String> ignored = new ArrayList<>();
        Map<String, Tensor> kept = new LinkedHashMap<>();
        for (Tensor t : file.tensors()) {
            if (options.tensorFilter().test(t.name())) {
                kept.put(t.name(), t);
            } else {
                ignored.add(t.name());
            }
        }
        TensorFile source = ignored.isEmpty() ? file : new TensorFile(file.source(), kept, file.metadata());
        String recurrentPrefix = options.recurrentPrefix();
        String headPrefix = options.headPrefix();
        String where = "PyTorch state_dict " + source.source() + ": ";
        boolean modelHasRecurrent = false;
        boolean modelHasHead = false;
        boolean modelBidirectional = false;
        TreeSet<Integer> modelLayers = new TreeSet<>();
        for (Parameter p : model) {
            if (p.name().startsWith(RECURRENT)) {
                modelHasRecurrent = true;
                Matcher m = RECURRENT_NAME.matcher(p.name().substring(RECURRENT.length()));
                if (m.matches() && m.group(1).isEmpty()) {
                    modelLayers.add(Integer.parseInt(m.group(3)));
                    modelBidirectional |= m.group(4) != null;
                }
            } else if (p.name().startsWith(HEAD)) {
                modelHasHead = true;
            }
        }

        // ---- the recurrent prefix
        String rp = recurrentPrefix;
        if (rp == null && modelHasRecurrent) {
            TreeSet<String> prefixes = new TreeSet<>();
            for (String name : source.names()) {
                Matcher m = RECURRENT_NAME.matcher(name);
                if (m.matches()) {
                    prefixes.add(m.group(1));
                }
            }
            if (prefixes.isEmpty()) {
                throw new CheckpointException(where + "no recurrent tensors (like 'lstm.weight_ih_l0') found; "
                        + "the tensors are " + describeAll(source));
            }
            if (prefixes.size() > 1) {
                throw new CheckpointException(where + "recurrent tensors under several prefixes "
                        + quoteAll(prefixes) + "; choose one with ImportOptions.withRecurrentPrefix, e.g. \""
                        + prefixes.first() + "\" (and ignoringUnknown() to leave the others out)");
            }
            rp = prefixes.first();
        }

        Map<String, String> mapping = new LinkedHashMap<>(); // source -> model
        List<String> problems = new ArrayList<>();
        TreeMap<Integer, List<String>> sourceLayers = new TreeMap<>();
        List<String> reverse = new ArrayList<>();
        List<String> projections = new ArrayList<>();
        if (rp != null) {
            for (String name : source.names()) {
                if (!name.startsWith(rp)) {
                    continue;
                }
                Matcher m = RECURRENT_NAME.matcher(name.substring(rp.length()));
                if (!m.matches() || !m.group(1).isEmpty()) {
                    continue;
                }
                if (m.group(2).contains("_hr_")) {
                    projections.add(name);
                    continue;
                }
                sourceLayers.computeIfAbsent(Integer.parseInt(m.group(3)), k -> new ArrayList<>()).add(name);
                if (m.group(4) != null) {
                    reverse.add(name);
                }
                mapping.put(name, RECURRENT + m.group(2));
            }
        }
        if (!projections.isEmpty()) {
            problems.add("LSTM projections (proj_size) are not supported: tensors " + projections);
        }
        if (!reverse.isEmpty() && !modelBidirectional) {
            problems.add("the checkpoint is bidirectional but the model is not: tensors " + reverse);
        }
        if (modelHasRecurrent && !sourceLayers.isEmpty() && !sourceLayers.keySet().equals(modelLayers)) {
            problems.add("layer count mismatch: '" + rp + "' has " + describeLayers(sourceLayers.keySet())
                    + ", the model has " + describeLayers(modelLayers));
        }

        // ---- the embedding, before the head: an nn.Embedding's weight looks like a head without its bias
        String ep = null;
        if (model.contains(EMBEDDING + "weight")) {
            ep = options.embeddingPrefix() != null ? options.embeddingPrefix()
                    : detectEmbedding(source, mapping, model.get(EMBEDDING + "weight"));
            if (ep != null && source.contains(ep + "weight") && !mapping.containsKey(ep + "weight")) {
                mapping.put(ep + "weight", EMBEDDING + "weight");
            }
        }

        // ---- the head prefix
        String hp = headPrefix;
        if (hp == null && modelHasHead) {
            hp = detectHead(where, source, mapping, model);
        }
        if (hp != null) {
            for (String kind : List.of("weight", "bias")) {
                if (source.contains(hp + kind) && !mapping.containsKey(hp + kind)) {
                    mapping.put(hp + kind, HEAD + kind);
                }
            }
        }

        // ---- everything else by exact name
        for (String name : source.names()) {
            if (!mapping.containsKey(name) && model.contains(name)
                    && !name.startsWith(RECURRENT) && !name.startsWith(HEAD)) {
                mapping.put(name, name);
            }
        }

        // ---- unknown, missing, mis-shaped
        boolean layersReported = problems.stream().anyMatch(s -> s.startsWith("layer count"));
        List<String> unknown = new ArrayList<>();
        for (String name : source.names()) {
            String target = mapping.get(name);
            if (projections.contains(name) || reverse.contains(name) && !modelBidirectional) {
                continue; // reported above
            }
            String description = null;
            if (target == null) {
                description = name + " " + Arrays.toString(source.tensor(name).shape());
            } else if (!model.contains(target) && !(layersReported && !modelLayers.contains(layerOf(target)))) {
                description = name + " " + Arrays.toString(source.tensor(name).shape()) + " (would be '" + target + "')";
            }
            if (description != null && options.ignoreUnknown()) {
                ignored.add(name);
                mapping.remove(name);
            } else if (description != null) {
                unknown.add(description);
            }
        }
        if (!unknown.isEmpty()) {
            problems.add("unknown tensors " + unknown + " (ImportOptions.ignoringUnknown() would ignore them)");
        }
        Map<String, String> inverse = new LinkedHashMap<>();
        mapping.forEach((s, t) -> inverse.put(t, s));
        List<String> missing = new ArrayList<>();
        Map<Parameter, Tensor> sources = new LinkedHashMap<>();
        Map<String, String> used = new LinkedHashMap<>();
        for (Parameter p : model) {
            String s = inverse.get(p.name());
            if (s == null) {
                if (!(layersReported && !sourceLayers.containsKey(layerOf(p.name())))) {
                    missing.add(p.name() + " " + Arrays.toString(p.shape()) + expectedSourceName(p.name(), rp, hp, ep));
                }
                continue;
            }
            Tensor t = source.tensor(s);
            String problem = Checkpoints.checkTensor(t, "tensor '" + s + "' (for '" + p.name() + "')", p,
                    Checkpoints.DtypePolicy.CONVERT);
            if (problem != null) {
                problems.add(problem + cellHint(source, rp, model, p.name()));
            } else {
                sources.put(p, t);
                used.put(s, p.name());
            }
        }
        if (!missing.isEmpty()) {
            problems.add("missing tensors " + missing);
        }
        if (!problems.isEmpty()) {
            throw new CheckpointException(where + Checkpoints.joinProblems(problems) + "; the model was not changed");
        }
        Checkpoints.copyAll(sources);
        Set<String> ignoredSet = new HashSet<>(ignored);
        return new Report(rp == null ? "" : rp, modelHasHead ? hp : null, modelLayers.size(), modelBidirectional, used,
                file.names().stream().filter(ignoredSet::contains).toList());
    }

    /** Returns the layer index of a canonical recurrent name ({@code rnn.weight_ih_l3} gives 3), or -1. */
    private static int layerOf(String modelName) {
        if (!modelName.startsWith(RECURRENT)) {
            return -1;
        }
        Matcher m = RECURRENT_NAME.matcher(modelName.substring(RECURRENT.length()));
        return m.matches() && m.group(1).isEmpty() ? Integer.parseInt(m.group(3)) : -1;
    }

    /**
     * The prefix of the source's embedding: {@code embedding.} when it has {@code embedding.weight}, else that of the
     * one {@code X.weight} with no {@code X.bias}, not recurrent, of the table's shape; null when there is no such one.
     */
    private static String detectEmbedding(TensorFile source, Map<String, String> recurrentMapping, Parameter table) {
        if (source.contains(EMBEDDING + "weight")) {
            return EMBEDDING;
        }
        List<String> candidates = new ArrayList<>();
        for (String name : source.names()) {
            Matcher m = HEAD_NAME.matcher(name);
            if (recurrentMapping.containsKey(name) || RECURRENT_NAME.matcher(name).matches() || !m.matches()
                    || !m.group(2).equals("weight") || source.contains(m.group(1) + "bias")) {
                continue;
            }
            if (Arrays.equals(source.tensor(name).shape(), table.shape())) {
                candidates.add(m.group(1));
            }
        }
        return candidates.size() == 1 ? candidates.get(0) : null;
    }

    private static String detectHead(String where, TensorFile source, Map<String, String> recurrentMapping,
                                     ParameterSet model) throws CheckpointException {
        TreeMap<String, List<String>> groups = new TreeMap<>();
        for (String name : source.names()) {
            if (recurrentMapping.containsKey(name) || RECURRENT_NAME.matcher(name).matches()) {
                continue;
            }
            Matcher m = HEAD_NAME.matcher(name);
            if (m.matches() && (name.startsWith(HEAD) || !model.contains(name))) {
                groups.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(name);
            }
        }
        if (groups.isEmpty()) {
            return null; // reported as missing head tensors
        }
        if (groups.size() == 1) {
            return groups.firstKey();
        }
        int[] expected = model.contains(HEAD + "weight") ? model.get(HEAD + "weight").shape() : null;
        List<String> fitting = new ArrayList<>();
        for (String prefix : groups.keySet()) {
            if (expected != null && source.find(prefix + "weight")
                    .map(t -> Arrays.equals(t.shape(), expected)).orElse(false)) {
                fitting.add(prefix);
            }
        }
        if (fitting.size() == 1) {
            return fitting.get(0);
        }
        throw new CheckpointException(where + "cannot tell which module is the output head: candidates "
                + quoteAll(groups.keySet()) + (expected == null ? "" : ", " + fitting.size() + " with a weight of shape "
                + Arrays.toString(expected)) + "; choose one with ImportOptions.withHeadPrefix");
    }

    /** For a missing model parameter, names the source tensor that was looked for. */
    private static String expectedSourceName(String modelName, String rp, String hp, String ep) {
        if (modelName.startsWith(EMBEDDING)) {
            return ep != null ? " (looked for '" + ep + "weight')"
                    : " (no 'X.weight' without bias of that shape; name it with ImportOptions.withEmbeddingPrefix)";
        }
        if (modelName.startsWith(RECURRENT) && rp != null) {
            return " (looked for '" + rp + modelName.substring(RECURRENT.length()) + "')";
        }
        if (modelName.startsWith(HEAD) && hp != null) {
            return " (looked for '" + hp + modelName.substring(HEAD.length()) + "')";
        }
        return "";
    }

    /** When a recurrent shape is wrong, says what cell and hidden size both sides look like. */
    private static String cellHint(TensorFile source, String rp, ParameterSet model, String modelName) {
        if (rp == null || !modelName.startsWith(RECURRENT)) {
            return "";
        }
        Matcher m = RECURRENT_NAME.matcher(modelName.substring(RECURRENT.length()));
        if (!m.matches()) {
            return "";
        }
        String hh = "weight_hh_l" + m.group(3) + (m.group(4) == null ? "" : "_reverse");
        int[] theirs = source.find(rp + hh).map(Tensor::shape).orElse(null);
        int[] ours = model.contains(RECURRENT + hh) ? model.get(RECURRENT + hh).shape() : null;
        if (theirs == null || ours == null || theirs.length != 2 || ours.length != 2) {
            return "";
        }
        String a = cellGuess(theirs);
        String b = cellGuess(ours);
        return a.equals(b) ? "" : " (the checkpoint looks like " + a + ", the model is " + b + ")";
    }

    private static String cellGuess(int[] weightHh) {
        int h = weightHh[1];
        if (h == 0 || weightHh[0] % h != 0) {
            return "hidden size ?";
        }
        String cell = switch (weightHh[0] / h) {
            case 1 -> "an RNN";
            case 3 -> "a GRU";
            case 4 -> "an LSTM";
            default -> "a cell with " + weightHh[0] / h + " gates";
        };
        return cell + " with hidden size " + h;
    }

    private static String describeLayers(Set<Integer> layers) {
        if (layers.isEmpty()) {
            return "no layers";
        }
        boolean contiguous = layers.contains(0) && Collections.max(layers) == layers.size() - 1;
        return layers.size() + (layers.size() == 1 ? " layer" : " layers")
                + (contiguous ? " (l0-l" + (layers.size() - 1) + ")" : " " + layers.stream().map(k -> "l" + k).toList());
    }

    private static String describeAll(TensorFile source) {
        List<String> all = new ArrayList<>();
        for (Tensor t : source.tensors()) {
            all.add(t.name() + " " + Arrays.toString(t.shape()));
        }
        return all.toString();
    }

    private static String quoteAll(Collection<String> prefixes) {
        List<String> out = new ArrayList<>();
        for (String p : prefixes) {
            out.add("'" + Objects.toString(p) + "'");
        }
        return out.toString();
    }
}
