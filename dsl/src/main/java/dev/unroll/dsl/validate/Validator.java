package dev.unroll.dsl.validate;

import dev.unroll.dsl.Diagnostics;
import dev.unroll.dsl.SourcePosition;
import dev.unroll.dsl.ast.Argument;
import dev.unroll.dsl.ast.Identifier;
import dev.unroll.dsl.ast.ModelDecl;
import dev.unroll.dsl.ast.SpecFile;
import dev.unroll.dsl.ast.Statement;
import dev.unroll.dsl.model.CellSpec;
import dev.unroll.dsl.model.CellType;
import dev.unroll.dsl.model.ClipKind;
import dev.unroll.dsl.model.ClipSpec;
import dev.unroll.dsl.model.Direction;
import dev.unroll.dsl.model.GruVariant;
import dev.unroll.dsl.model.InitSpec;
import dev.unroll.dsl.model.InputEncoding;
import dev.unroll.dsl.model.InputSpec;
import dev.unroll.dsl.model.LayerSpec;
import dev.unroll.dsl.model.LossKind;
import dev.unroll.dsl.model.ModelPositions;
import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.dsl.model.OptimizerKind;
import dev.unroll.dsl.model.OptimizerSpec;
import dev.unroll.dsl.model.OutputActivation;
import dev.unroll.dsl.model.OutputSpec;
import dev.unroll.dsl.model.Precision;
import dev.unroll.dsl.model.RnnActivation;
import dev.unroll.dsl.model.ScheduleKind;
import dev.unroll.dsl.model.ScheduleSpec;
import dev.unroll.dsl.model.StatementKind;
import dev.unroll.dsl.model.StatementPositions;
import dev.unroll.dsl.model.Topology;
import dev.unroll.dsl.model.TopologySpec;
import dev.unroll.dsl.model.TrainingSpec;
import dev.unroll.dsl.model.WeightInit;
import dev.unroll.dsl.validate.StatementArgs.Option;
import dev.unroll.dsl.validate.StatementArgs.OptionDecl;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Checks a parsed {@code .rnn} file and resolves each of its models into a {@link NetworkModel}:
 * every statement understood, every default filled in, every rule that spans statements
 * checked. All problems are reported; a model is returned only if it has none.
 *
 * <pre>{@code
 * List<NetworkModel> models = Validator.validate(tree, "char.rnn", diagnostics);
 * }</pre>
 */
public final class Validator {
    /** Largest input or output size: a generous vocabulary. */
    static final int MAX_IO_SIZE = 1 << 20;
    /**
     * Largest hidden size. It keeps the recurrent weights {@code weight_hh} ({@code 4H x H} at
     * most, 2^30 elements) within a Java array, but not every parameter: the input weights
     * {@code weight_ih} ({@code G*H x I}) and the head ({@code O x F}) also depend on the sizes
     * around the layer, so the resolved model is checked tensor by tensor against
     * {@link #MAX_TENSOR_ELEMENTS}.
     */
    static final int MAX_HIDDEN_SIZE = 1 << 14;
    /**
     * Most elements of one parameter tensor: parameters are stored in one flat Java array each,
     * and {@code Integer.MAX_VALUE - 8} is the longest array the JDK relies on allocating (its
     * own collections stop there; some JVMs refuse lengths closer to {@code Integer.MAX_VALUE}).
     */
    static final long MAX_TENSOR_ELEMENTS = Integer.MAX_VALUE - 8;
    /** Longest unrolling. */
    static final int MAX_STEPS = 1_000_000;
    /** Largest fixed batch. */
    static final int MAX_BATCH = 1 << 20;
    /** A vanilla RNN unrolled this far without clipping gets a warning. */
    static final int LONG_VANILLA_RNN_STEPS = 50;

    /** Java's reserved keywords and literals: no identifier may be one of them. */
    private static final Set<String> JAVA_KEYWORDS = Set.of(
            "abstract", "assert", "boolean", "break", "byte", "case", "catch", "char", "class", "const",
            "continue", "default", "do", "double", "else", "enum", "extends", "final", "finally", "float",
            "for", "goto", "if", "implements", "import", "instanceof", "int", "interface", "long", "native",
            "new", "package", "private", "protected", "public", "return", "short", "static", "strictfp",
            "super", "switch", "synchronized", "this", "throw", "throws", "transient", "try", "void",
            "volatile", "while", "true", "false", "null", "_");
    /** Contextual keywords that Java allows in package names but not as a class name (JLS 3.9). */
    private static final Set<String> RESTRICTED_TYPE_NAMES = Set.of("var", "yield", "record", "sealed", "permits");

    private static final List<OptionDecl> COMMON_LAYER_OPTIONS = List.of(
            OptionDecl.choice("bidirectional", "concat", "sum"), OptionDecl.number("dropout"));
    private static final Map<String, List<OptionDecl>> LAYER_OPTIONS = Map.of(
            "rnn", concat(COMMON_LAYER_OPTIONS, List.of(OptionDecl.flag("tanh"), OptionDecl.flag("relu"))),
            "lstm", concat(COMMON_LAYER_OPTIONS, List.of(OptionDecl.number("forget_bias"),
                    OptionDecl.flag("peepholes"), OptionDecl.number("cell_clip"))),
            "gru", concat(COMMON_LAYER_OPTIONS, List.of(OptionDecl.flag("reset_after"), OptionDecl.flag("cho"))));

    /** Every layer option of any cell. */
    private static final Set<String> ALL_LAYER_OPTIONS = Set.copyOf(LAYER_OPTIONS.values().stream()
            .flatMap(List::stream).map(OptionDecl::name).toList());
    /** For each cell, the options of other cells mapped to where they apply ("lstm layers"). */
    private static final Map<String, Map<String, String>> LAYER_OPTIONS_ELSEWHERE = layerOptionsElsewhere();

    private static Map<String, Map<String, String>> layerOptionsElsewhere() {
        Map<String, Map<String, String>> all = new HashMap<>();
        for (String cell : Keywords.CELLS) {
            List<String> allowed = StatementArgs.names(LAYER_OPTIONS.get(cell));
            Map<String, List<String>> owners = new LinkedHashMap<>();
            for (String other : Keywords.CELLS) {
                for (OptionDecl decl : LAYER_OPTIONS.get(other)) {
                    if (!allowed.contains(decl.name())) {
                        owners.computeIfAbsent(decl.name(), k -> new ArrayList<>()).add(other);
                    }
                }
            }
            Map<String, String> elsewhere = new HashMap<>();
            owners.forEach((option, cells) -> elsewhere.put(option, joinAnd(cells) + " layers"));
            all.put(cell, Map.copyOf(elsewhere));
        }
        return Map.copyOf(all);
    }

    private static final Map<OptimizerKind, List<String>> OPTIMIZER_OPTIONS = new EnumMap<>(Map.of(
            OptimizerKind.SGD, List.of("learning_rate", "weight_decay"),
            OptimizerKind.MOMENTUM, List.of("learning_rate", "momentum", "nesterov", "weight_decay"),
            OptimizerKind.ADAGRAD, List.of("learning_rate", "epsilon", "weight_decay"),
            OptimizerKind.RMSPROP, List.of("learning_rate", "alpha", "epsilon", "weight_decay"),
            OptimizerKind.ADAM, List.of("learning_rate", "beta1", "beta2", "epsilon", "weight_decay"),
            OptimizerKind.ADAMW, List.of("learning_rate", "beta1", "beta2", "epsilon", "weight_decay")));

    private static final Map<ScheduleKind, List<OptionDecl>> SCHEDULE_OPTIONS = new EnumMap<>(Map.of(
            ScheduleKind.CONSTANT, List.of(),
            ScheduleKind.STEP, List.of(OptionDecl.number("every"), OptionDecl.number("gamma")),
            ScheduleKind.COSINE, List.of(OptionDecl.number("period"), OptionDecl.number("min_learning_rate"))));

    private static final Map<String, List<OptionDecl>> TOPOLOGY_OPTIONS = Map.of(
            "one_to_one", List.of(),
            "one_to_many", List.of(OptionDecl.number("steps"), OptionDecl.flag("feedback")),
            "many_to_one", List.of(OptionDecl.number("steps"), OptionDecl.flag("variable_length")),
            "many_to_many", List.of(OptionDecl.number("steps"), OptionDecl.number("input_steps"),
                    OptionDecl.number("output_steps"), OptionDecl.flag("variable_length")));

    /** Options users may mistake for statements, and where they belong instead. */
    private static final Map<String, String> OPTION_OWNERS = Map.of(
            "dropout", "a layer, e.g. 'lstm 128 dropout 0.2;'",
            "bidirectional", "a layer, e.g. 'lstm 128 bidirectional;'",
            "peepholes", "an lstm layer, e.g. 'lstm 128 peepholes;'",
            "forget_bias", "an lstm layer, e.g. 'lstm 128 forget_bias 1.0;'",
            "learning_rate", "the optimizer, e.g. 'optimizer adam learning_rate 0.001;'",
            "steps", "the topology, e.g. 'many_to_many steps 25;'",
            "variable_length", "the topology, e.g. 'many_to_one steps 50 variable_length;'",
            "feedback", "one_to_many, e.g. 'one_to_many steps 20 feedback;'",
            "input_steps", "the topology, e.g. 'many_to_many input_steps 20 output_steps 10;'",
            "output_steps", "the topology, e.g. 'many_to_many input_steps 20 output_steps 10;'");

    private static final List<String> INITS = List.of("pytorch", "xavier", "orthogonal");

    private final String sourceName;
    private final Diagnostics diagnostics;

    private Validator(String sourceName, Diagnostics diagnostics) {
        this.sourceName = sourceName;
        this.diagnostics = diagnostics;
    }

    /**
     * Validates every model of a file.
     *
     * @param file the syntax tree
     * @param sourceName the spec's file name, recorded in the models for generated headers
     * @param diagnostics receives every error and warning
     * @return the valid models, in source order; those with errors are left out
     */
    public static List<NetworkModel> validate(SpecFile file, String sourceName, Diagnostics diagnostics) {
        return new Validator(sourceName, diagnostics).validateFile(file);
    }

    private List<NetworkModel> validateFile(SpecFile file) {
        String packageName = "";
        if (file.packageName().isPresent()) {
            for (Identifier part : file.packageName().get().parts()) {
                checkJavaName(part, "package name part", false);
            }
            packageName = file.packageName().get().text();
        }
        List<NetworkModel> models = new ArrayList<>();
        Map<String, ModelDecl> seen = new HashMap<>();
        for (ModelDecl decl : file.models()) {
            ModelDecl first = seen.putIfAbsent(decl.name().text(), decl);
            if (first != null) {
                diagnostics.error(decl.name().position(), "model '" + Texts.shown(decl.name().text())
                        + "' is already declared at " + first.name().position());
            }
            int errorsBefore = diagnostics.errorCount();
            Optional<NetworkModel> model = new ModelValidator(decl, packageName).validate();
            if (model.isPresent() && diagnostics.errorCount() == errorsBefore) {
                models.add(model.get());
            }
        }
        if (file.models().isEmpty() && !diagnostics.hasErrors()) {
            diagnostics.warning(SourcePosition.START, "file declares no model");
        }
        return models;
    }

    private void checkJavaName(Identifier name, String what, boolean isClassName) {
        if (JAVA_KEYWORDS.contains(name.text())) {
            diagnostics.error(name.position(), "'" + name.text() + "' is a Java keyword and cannot be a " + what);
        } else if (isClassName && RESTRICTED_TYPE_NAMES.contains(name.text())) {
            diagnostics.error(name.position(), "'" + name.text() + "' cannot be a " + what
                    + ": Java does not allow it as a class name");
        }
    }

    /** Joins words as "a", "a and b", "a, b and c". */
    static String joinAnd(List<String> words) {
        if (words.size() <= 1) {
            return String.join("", words);
        }
        return String.join(", ", words.subList(0, words.size() - 1)) + " and " + words.get(words.size() - 1);
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> all = new ArrayList<>(a);
        all.addAll(b);
        return List.copyOf(all);
    }

    /** A value and the statement it came from, for messages about how statements relate. */
    private record Located<T>(T value, Statement statement) {
        SourcePosition position() {
            return statement.position();
        }
    }

    /** The statements of one model, validated one by one, then checked together. */
    private final class ModelValidator {
        private final ModelDecl decl;
        private final String packageName;
        private final Map<String, Statement> singletons = new HashMap<>();

        private Located<InputSpec> input;
        private final List<Located<LayerDraft>> layers = new ArrayList<>();
        private Located<OutputDraft> output;
        private Located<TopologyDraft> topology;
        private Located<Integer> batch;
        private Located<Integer> bpttWindow;
        private Located<LossKind> loss;
        private Located<OptimizerSpec> optimizer;
        private Located<ScheduleSpec> schedule;
        private Located<InitSpec> init;
        private Located<Long> seed;
        private final Map<ClipKind, Located<ClipSpec>> clips = new LinkedHashMap<>();
        private Located<Precision> precision;
        /** The options each statement that takes options was read with, for the positions of their values. */
        private final Map<Statement, Map<String, Option>> optionsRead = new java.util.IdentityHashMap<>();
        /** Tells whether the statement being read reported an error; its value is then left out. */
        private java.util.function.BooleanSupplier statementHadErrors = () -> false;
        /** Set when a layer statement had errors: the layers above it would read the wrong size. */
        private boolean layerDiscarded;
        /** The min_learning_rate option of a cosine schedule, for the check against the learning rate. */
        private Option minLearningRate;
        /** The learning_rate option of the optimizer, if written, for the same check. */
        private Option learningRate;
        /** Set when a required statement was present but invalid, so it is not also reported missing. */
        private final Set<String> attempted = new java.util.HashSet<>();

        ModelValidator(ModelDecl decl, String packageName) {
            this.decl = decl;
            this.packageName = packageName;
        }

        Optional<NetworkModel> validate() {
            checkJavaName(decl.name(), "model name", true);
            for (Statement statement : decl.statements()) {
                statement(statement);
            }
            return resolve();
        }

        private void statement(Statement st) {
            String keyword = st.keyword().text();
            if (!Keywords.isStatementKeyword(keyword)) {
                unknownStatement(st);
                return;
            }
            attempted.add(Keywords.CELLS.contains(keyword) ? "layer"
                    : Keywords.TOPOLOGIES.contains(keyword) ? "topology" : keyword);
            if (!Keywords.CELLS.contains(keyword) && !firstOfItsKind(st)) {
                return;
            }
            int errorsBefore = diagnostics.errorCount();
            statementHadErrors = () -> diagnostics.errorCount() > errorsBefore;
            switch (keyword) {
                case "input" -> input(st);
                case "rnn", "lstm", "gru" -> layer(st);
                case "output" -> output(st);
                case "one_to_one", "one_to_many", "many_to_one", "many_to_many" -> topology(st);
                case "batch" -> batch(st);
                case "truncated_bptt" -> truncatedBptt(st);
                case "loss" -> loss(st);
                case "optimizer" -> optimizer(st);
                case "schedule" -> schedule(st);
                case "init" -> init(st);
                case "seed" -> seed(st);
                case "clip" -> clip(st);
                case "precision" -> precision(st);
                default -> throw new AssertionError("keyword without handler: " + keyword);
            }
            if (!clean()) {
                discard(keyword, st);
            }
        }

        /** Forgets what a statement with errors contributed, so that it causes no follow-on errors. */
        private void discard(String keyword, Statement st) {
            switch (keyword) {
                case "input" -> input = null;
                case "rnn", "lstm", "gru" -> {
                    layers.removeIf(l -> l.statement() == st);
                    layerDiscarded = true;
                }
                case "output" -> output = null;
                case "one_to_one", "one_to_many", "many_to_one", "many_to_many" -> topology = null;
                case "batch" -> batch = null;
                case "truncated_bptt" -> bpttWindow = null;
                case "loss" -> loss = null;
                case "optimizer" -> optimizer = null;
                case "schedule" -> schedule = null;
                case "init" -> init = null;
                case "seed" -> seed = null;
                case "clip" -> clips.values().removeIf(c -> c.statement() == st);
                case "precision" -> precision = null;
                default -> throw new AssertionError(keyword);
            }
        }

        private void unknownStatement(Statement st) {
            String keyword = st.keyword().text();
            String owner = OPTION_OWNERS.get(keyword);
            if (owner != null) {
                // Its statement is probably the one whose keyword went missing: not also "no layer".
                attempted.add(owner.startsWith("the topology") || owner.startsWith("one_to_many") ? "topology"
                        : owner.startsWith("the optimizer") ? "optimizer" : "layer");
                diagnostics.error(st.keyword().position(), "'" + keyword + "' is not a statement but an option of "
                        + owner);
                return;
            }
            Optional<String> suggestion = Suggestions.closest(keyword, Keywords.STATEMENTS);
            boolean looksLikeLayer = suggestion.map(Keywords.CELLS::contains).orElse(false)
                    || suggestion.isEmpty() && !st.arguments().isEmpty()
                    && st.arguments().get(0) instanceof Argument.NumberLiteral;
            // A misspelled statement is the user's attempt at that statement: it is not missing too.
            if (looksLikeLayer) {
                attempted.add("layer");
            } else {
                suggestion.ifPresent(s -> attempted.add(Keywords.TOPOLOGIES.contains(s) ? "topology" : s));
            }
            String shown = Texts.shown(keyword);
            if (looksLikeLayer) {
                diagnostics.error(st.keyword().position(), "unknown cell type '" + shown + "'"
                        + Suggestions.hint(keyword, Keywords.CELLS));
            } else {
                diagnostics.error(st.keyword().position(), "unknown statement '" + shown + "'"
                        + suggestion.map(s -> "; did you mean '" + s + "'?").orElse(""));
            }
        }

        /** Statements other than layers and clips appear once per model. */
        private boolean firstOfItsKind(Statement st) {
            String keyword = st.keyword().text();
            if (keyword.equals("clip")) {
                return true;
            }
            String kind = Keywords.TOPOLOGIES.contains(keyword) ? "topology" : keyword;
            Statement first = singletons.putIfAbsent(kind, st);
            if (first == null) {
                return true;
            }
            if (kind.equals("topology")) {
                diagnostics.error(st.position(), "a model has one topology, already declared as '"
                        + first.keyword().text() + "' at " + first.position());
            } else {
                diagnostics.error(st.position(), "duplicate '" + keyword + "' statement; the first is at "
                        + first.position());
            }
            return false;
        }

        // ---- one handler per statement -------------------------------------------------------

        private void input(Statement st) {
            StatementArgs args = new StatementArgs(st, diagnostics, "input");
            Optional<Integer> size = args.requiredInt("size", "input size", 1, MAX_IO_SIZE, "input 65 one_hot;");
            Optional<String> encoding = args.optionalChoice("input encoding", List.of("dense", "one_hot"), Set.of());
            args.noMoreArguments();
            size.filter(n -> clean()).ifPresent(n -> input = new Located<>(new InputSpec(n,
                    encoding.map(e -> InputEncoding.valueOf(e.toUpperCase(Locale.ROOT))).orElse(InputEncoding.DENSE)),
                    st));
        }

        private void layer(Statement st) {
            String cell = st.keyword().text();
            StatementArgs args = new StatementArgs(st, diagnostics, cell + " layer");
            args.knowOptions(ALL_LAYER_OPTIONS);
            Optional<Integer> hidden = args.requiredInt("hidden size", 1, MAX_HIDDEN_SIZE, cell + " 128;");
            Map<String, Option> options = args.options(LAYER_OPTIONS.get(cell), LAYER_OPTIONS_ELSEWHERE.get(cell));
            optionsRead.put(st, options);

            Direction direction = Direction.FORWARD;
            if (options.containsKey("bidirectional")) {
                direction = options.get("bidirectional").value()
                        .map(v -> Direction.valueOf(v.text().toUpperCase(Locale.ROOT))).orElse(Direction.CONCAT);
            }
            double dropout = number(options.get("dropout"), "dropout", v -> v >= 0 && v < 1, "must be in [0, 1)")
                    .orElse(0);
            CellSpec spec = switch (cell) {
                case "rnn" -> new CellSpec.Rnn(exclusiveFlags(options, "tanh", "relu")
                        .map(f -> RnnActivation.valueOf(f.toUpperCase(Locale.ROOT))).orElse(RnnActivation.TANH));
                case "lstm" -> new CellSpec.Lstm(
                        number(options.get("forget_bias"), "forget_bias", v -> true, "").orElse(0),
                        options.containsKey("peepholes"),
                        options.containsKey("cell_clip")
                                ? number(options.get("cell_clip"), "cell_clip", v -> v > 0, "must be > 0")
                                : OptionalDouble.empty());
                case "gru" -> new CellSpec.Gru(exclusiveFlags(options, "reset_after", "cho")
                        .map(f -> GruVariant.valueOf(f.toUpperCase(Locale.ROOT))).orElse(GruVariant.RESET_AFTER));
                default -> throw new AssertionError(cell);
            };
            if (hidden.isPresent() && clean()) {
                layers.add(new Located<>(new LayerDraft(spec, hidden.get(), direction, dropout), st));
            }
        }

        private Optional<String> exclusiveFlags(Map<String, Option> options, String a, String b) {
            if (options.containsKey(a) && options.containsKey(b)) {
                Option first = options.get(a);
                Option later = options.get(b);
                if (later.name().position().compareTo(first.name().position()) < 0) {
                    Option swap = first;
                    first = later;
                    later = swap;
                }
                diagnostics.error(later.name().position(), "'" + first.name().text() + "' and '" + later.name().text()
                        + "' exclude each other");
                return Optional.empty();
            }
            return options.containsKey(a) ? Optional.of(a) : options.containsKey(b) ? Optional.of(b) : Optional.empty();
        }

        private void output(Statement st) {
            StatementArgs args = new StatementArgs(st, diagnostics, "output");
            Optional<Integer> size = args.requiredInt("size", "output size", 1, MAX_IO_SIZE, "output 65 softmax;");
            Optional<String> activation = args.optionalChoice("output activation",
                    List.of("linear", "softmax", "sigmoid", "tanh"), Set.of());
            args.noMoreArguments();
            size.filter(n -> clean()).ifPresent(n -> output = new Located<>(new OutputDraft(n, activation
                    .map(a -> OutputActivation.valueOf(a.toUpperCase(Locale.ROOT))).orElse(OutputActivation.LINEAR)),
                    st));
        }

        private void topology(Statement st) {
            String keyword = st.keyword().text();
            StatementArgs args = new StatementArgs(st, diagnostics, keyword);
            Map<String, List<String>> owners = new LinkedHashMap<>();
            for (String other : Keywords.TOPOLOGIES) { // a fixed order: Map.of iterates in a random one
                for (OptionDecl d : TOPOLOGY_OPTIONS.get(other)) {
                    if (!StatementArgs.names(TOPOLOGY_OPTIONS.get(keyword)).contains(d.name())) {
                        owners.computeIfAbsent(d.name(), k -> new ArrayList<>()).add(other);
                    }
                }
            }
            Map<String, String> elsewhere = new HashMap<>();
            owners.forEach((option, topologies) -> elsewhere.put(option, joinAnd(topologies)));
            Map<String, Option> options = args.options(TOPOLOGY_OPTIONS.get(keyword), elsewhere);
            optionsRead.put(st, options);
            boolean feedback = options.containsKey("feedback");
            boolean variable = options.containsKey("variable_length");
            String example = "'" + keyword + " steps 25;'";
            switch (keyword) {
                case "one_to_one" -> topology = new Located<>(new TopologyDraft(Topology.ONE_TO_ONE, 1, 1, false, false), st);
                case "one_to_many", "many_to_one" -> {
                    if (!options.containsKey("steps")) {
                        reportUnlessCaused(st.keyword().position(), keyword + " needs a number of steps, e.g. " + example);
                        return;
                    }
                    OptionalInt steps = integer(options.get("steps"), "steps", 1, MAX_STEPS);
                    if (steps.isEmpty()) {
                        return;
                    }
                    boolean oneToMany = keyword.equals("one_to_many");
                    topology = new Located<>(new TopologyDraft(oneToMany ? Topology.ONE_TO_MANY : Topology.MANY_TO_ONE,
                            oneToMany ? 1 : steps.getAsInt(), oneToMany ? steps.getAsInt() : 1, feedback, variable), st);
                }
                case "many_to_many" -> manyToMany(st, options, variable);
                default -> throw new AssertionError(keyword);
            }
        }

        private void manyToMany(Statement st, Map<String, Option> options, boolean variable) {
            boolean aligned = options.containsKey("steps");
            boolean split = options.containsKey("input_steps") || options.containsKey("output_steps");
            if (aligned && split) {
                Option extra = options.containsKey("input_steps") ? options.get("input_steps") : options.get("output_steps");
                diagnostics.error(extra.name().position(), "many_to_many takes either 'steps N' (one output per input)"
                        + " or 'input_steps N output_steps M' (encoder-decoder), not both");
                return;
            }
            if (!aligned && !split) {
                reportUnlessCaused(st.keyword().position(), "many_to_many needs a number of steps, e.g. "
                        + "'many_to_many steps 25;' or 'many_to_many input_steps 20 output_steps 10;'");
                return;
            }
            if (aligned) {
                OptionalInt steps = integer(options.get("steps"), "steps", 1, MAX_STEPS);
                if (steps.isPresent()) {
                    topology = new Located<>(new TopologyDraft(Topology.MANY_TO_MANY, steps.getAsInt(), steps.getAsInt(),
                            false, variable), st);
                }
                return;
            }
            for (String needed : List.of("input_steps", "output_steps")) {
                if (!options.containsKey(needed)) {
                    reportUnlessCaused(st.keyword().position(), "encoder-decoder many_to_many needs both input_steps"
                            + " and output_steps, e.g. 'many_to_many input_steps 20 output_steps 10;'");
                    return;
                }
            }
            OptionalInt in = integer(options.get("input_steps"), "input_steps", 1, MAX_STEPS);
            OptionalInt out = integer(options.get("output_steps"), "output_steps", 1, MAX_STEPS);
            if (in.isPresent() && out.isPresent()) {
                topology = new Located<>(new TopologyDraft(Topology.ENCODER_DECODER, in.getAsInt(), out.getAsInt(),
                        false, variable), st);
            }
        }

        private void batch(Statement st) {
            StatementArgs args = new StatementArgs(st, diagnostics, "batch");
            List<Argument> raw = st.arguments();
            if (!raw.isEmpty() && raw.get(0) instanceof Argument.Word word && word.text().equals("any")) {
                args.optionalChoice("batch size", List.of("any"), Set.of());
                args.noMoreArguments();
                return;
            }
            Optional<Integer> size = args.requiredInt("size", "batch size", 1, MAX_BATCH, "batch 32;' or 'batch any;");
            args.noMoreArguments();
            size.ifPresent(n -> batch = new Located<>(n, st));
        }

        private void truncatedBptt(Statement st) {
            StatementArgs args = new StatementArgs(st, diagnostics, "truncated_bptt");
            Optional<Integer> window = args.requiredInt("window", "truncated_bptt window", 1, MAX_STEPS,
                    "truncated_bptt 20;");
            args.noMoreArguments();
            window.ifPresent(n -> bpttWindow = new Located<>(n, st));
        }

        private void loss(Statement st) {
            StatementArgs args = new StatementArgs(st, diagnostics, "loss");
            Optional<String> kind = args.requiredChoice("loss", List.of("cross_entropy", "binary_cross_entropy", "mse"));
            args.noMoreArguments();
            kind.ifPresent(k -> loss = new Located<>(LossKind.valueOf(k.toUpperCase(Locale.ROOT)), st));
        }

        private void optimizer(Statement st) {
            StatementArgs args = new StatementArgs(st, diagnostics, "optimizer");
            OPTIMIZER_OPTIONS.values().forEach(args::knowOptions);
            List<String> kinds = List.of("sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw");
            Optional<String> kindWord = args.requiredChoice("optimizer", kinds);
            if (kindWord.isEmpty()) {
                return;
            }
            OptimizerKind kind = OptimizerKind.valueOf(kindWord.get().toUpperCase(Locale.ROOT));
            String subject = "optimizer " + kindWord.get();
            args = new StatementArgs(st, diagnostics, subject);
            args.requiredChoice("optimizer", kinds);
            List<OptionDecl> allowed = new ArrayList<>();
            for (String name : OPTIMIZER_OPTIONS.get(kind)) {
                allowed.add(name.equals("nesterov") ? OptionDecl.flag(name) : OptionDecl.number(name));
            }
            Map<String, List<String>> owners = new LinkedHashMap<>();
            for (OptimizerKind other : OptimizerKind.values()) {
                for (String name : OPTIMIZER_OPTIONS.get(other)) {
                    if (!OPTIMIZER_OPTIONS.get(kind).contains(name)) {
                        owners.computeIfAbsent(name, k -> new ArrayList<>()).add(other.keyword());
                    }
                }
            }
            Map<String, String> elsewhere = new HashMap<>();
            owners.forEach((option, kinds2) -> elsewhere.put(option,
                    (kinds2.size() == 1 ? "optimizer " : "optimizers ") + joinAnd(kinds2)));
            Map<String, Option> options = args.options(allowed, elsewhere);
            optionsRead.put(st, options);
            OptimizerSpec defaults = OptimizerDefaults.of(kind);
            double lr = number(options.get("learning_rate"), "learning_rate", v -> v > 0, "must be > 0")
                    .orElse(defaults.learningRate());
            double momentum = number(options.get("momentum"), "momentum", v -> v >= 0 && v < 1, "must be in [0, 1)")
                    .orElse(defaults.momentum());
            double beta1 = number(options.get("beta1"), "beta1", v -> v >= 0 && v < 1, "must be in [0, 1)")
                    .orElse(defaults.beta1());
            double beta2 = number(options.get("beta2"), "beta2", v -> v >= 0 && v < 1, "must be in [0, 1)")
                    .orElse(defaults.beta2());
            double epsilon = number(options.get("epsilon"), "epsilon", v -> v > 0, "must be > 0")
                    .orElse(defaults.epsilon());
            double alpha = number(options.get("alpha"), "alpha", v -> v >= 0 && v < 1, "must be in [0, 1)")
                    .orElse(defaults.alpha());
            double weightDecay = number(options.get("weight_decay"), "weight_decay", v -> v >= 0, "must be >= 0")
                    .orElse(defaults.weightDecay());
            if (lr > 1 && options.containsKey("learning_rate")) {
                diagnostics.warning(options.get("learning_rate").position(), "learning_rate " + options
                        .get("learning_rate").value().get().text() + " is unusually large; training will likely diverge");
            }
            if (options.containsKey("nesterov") && momentum == 0 && options.containsKey("momentum")) {
                // PyTorch's SGD raises "Nesterov momentum requires a momentum and zero dampening".
                diagnostics.error(options.get("nesterov").name().position(), "nesterov needs a momentum above 0,"
                        + " but momentum is " + Texts.shown(options.get("momentum").value().get().text()));
            }
            optimizer = new Located<>(new OptimizerSpec(kind, lr, momentum, options.containsKey("nesterov"),
                    beta1, beta2, epsilon, alpha, weightDecay), st);
            learningRate = options.containsKey("learning_rate") ? options.get("learning_rate") : null;
        }

        private void schedule(Statement st) {
            StatementArgs args = new StatementArgs(st, diagnostics, "schedule");
            SCHEDULE_OPTIONS.values().forEach(decls -> args.knowOptions(StatementArgs.names(decls)));
            Optional<String> kindWord = args.requiredChoice("schedule", List.of("constant", "step", "cosine"));
            if (kindWord.isEmpty()) {
                return;
            }
            ScheduleKind kind = ScheduleKind.valueOf(kindWord.get().toUpperCase(Locale.ROOT));
            List<OptionDecl> allowed = SCHEDULE_OPTIONS.get(kind);
            Map<String, String> elsewhere = new HashMap<>();
            for (ScheduleKind other : ScheduleKind.values()) {
                for (OptionDecl d : SCHEDULE_OPTIONS.get(other)) {
                    if (!allowed.contains(d)) {
                        elsewhere.put(d.name(), "schedule " + other.keyword());
                    }
                }
            }
            StatementArgs named = new StatementArgs(st, diagnostics, "schedule " + kindWord.get());
            named.requiredChoice("schedule", List.of(kindWord.get()));
            Map<String, Option> options = named.options(allowed, elsewhere);
            optionsRead.put(st, options);
            switch (kind) {
                case CONSTANT -> schedule = new Located<>(new ScheduleSpec(kind, 0, 1, 0, 0), st);
                case STEP -> {
                    if (!options.containsKey("every")) {
                        reportUnlessCaused(st.keyword().position(), "schedule step needs 'every N', e.g. "
                                + "'schedule step every 1000 gamma 0.5;'");
                        return;
                    }
                    OptionalInt every = integer(options.get("every"), "every", 1, Integer.MAX_VALUE);
                    OptionalDouble gamma = number(options.get("gamma"), "gamma", v -> v > 0 && v <= 1, "must be in (0, 1]");
                    if (every.isPresent()) {
                        schedule = new Located<>(new ScheduleSpec(kind, every.getAsInt(), gamma.orElse(0.1), 0, 0), st);
                    }
                }
                case COSINE -> {
                    if (!options.containsKey("period")) {
                        reportUnlessCaused(st.keyword().position(), "schedule cosine needs 'period N', e.g. "
                                + "'schedule cosine period 10000;'");
                        return;
                    }
                    OptionalInt period = integer(options.get("period"), "period", 1, Integer.MAX_VALUE);
                    OptionalDouble min = number(options.get("min_learning_rate"), "min_learning_rate", v -> v >= 0,
                            "must be >= 0");
                    if (period.isPresent()) {
                        schedule = new Located<>(new ScheduleSpec(kind, 0, 1, period.getAsInt(), min.orElse(0)), st);
                        minLearningRate = min.isPresent() ? options.get("min_learning_rate") : null;
                    }
                }
                default -> throw new AssertionError(kind);
            }
        }

        private void init(Statement st) {
            StatementArgs args = new StatementArgs(st, diagnostics, "init");
            args.knowOptions(List.of("recurrent"));
            Optional<String> weights = args.requiredChoice("initialization", INITS);
            Map<String, Option> options = args.options(List.of(OptionDecl.choice("recurrent", INITS.toArray(String[]::new))),
                    Map.of());
            optionsRead.put(st, options);
            Optional<String> recurrent = Optional.empty();
            if (options.containsKey("recurrent")) {
                Option option = options.get("recurrent");
                if (option.value().isEmpty()) {
                    diagnostics.error(option.name().position(), "option 'recurrent' needs an initialization: "
                            + Suggestions.oneOf(INITS));
                    return;
                }
                recurrent = Optional.of(option.value().get().text());
            }
            if (weights.isPresent()) {
                WeightInit w = WeightInit.valueOf(weights.get().toUpperCase(Locale.ROOT));
                WeightInit r = recurrent.map(s -> WeightInit.valueOf(s.toUpperCase(Locale.ROOT))).orElse(w);
                init = new Located<>(new InitSpec(w, r), st);
            }
        }

        private void seed(Statement st) {
            StatementArgs args = new StatementArgs(st, diagnostics, "seed");
            List<Argument> raw = st.arguments();
            if (raw.isEmpty() || !(raw.get(0) instanceof Argument.NumberLiteral number)) {
                args.requiredInt("number", "seed", 0, Integer.MAX_VALUE, "seed 42;");
                args.noMoreArguments();
                return;
            }
            java.util.OptionalLong value = Numbers.integer(number, "seed", 0, Long.MAX_VALUE, diagnostics);
            if (raw.size() > 1) {
                diagnostics.error(raw.get(1).position(), "unexpected " + StatementArgs.describe(raw.get(1)) + " in seed");
            }
            value.ifPresent(v -> seed = new Located<>(v, st));
        }

        private void clip(Statement st) {
            StatementArgs args = new StatementArgs(st, diagnostics, "clip");
            Optional<String> kindWord = args.requiredChoice("clipping mode", List.of("value", "norm", "per_parameter_norm"));
            if (kindWord.isEmpty()) {
                return;
            }
            ClipKind kind = ClipKind.valueOf(kindWord.get().toUpperCase(Locale.ROOT));
            StatementArgs thresholdArgs = new StatementArgs(st, diagnostics, "clip " + kindWord.get());
            thresholdArgs.requiredChoice("clipping mode", List.of(kindWord.get()));
            OptionalDouble threshold = thresholdArgs.requiredNumber("threshold", "clip " + kindWord.get() + " 5.0;",
                    "clip " + kindWord.get() + " threshold", v -> v > 0, "must be > 0");
            thresholdArgs.noMoreArguments();
            if (threshold.isEmpty()) {
                return;
            }
            Located<ClipSpec> first = clips.putIfAbsent(kind, new Located<>(new ClipSpec(kind, threshold.getAsDouble()), st));
            if (first != null) {
                diagnostics.error(st.position(), "duplicate 'clip " + kindWord.get() + "'; the first is at "
                        + first.position());
            }
        }

        private void precision(Statement st) {
            StatementArgs args = new StatementArgs(st, diagnostics, "precision");
            Optional<String> p = args.requiredChoice("precision", List.of("float32", "float64"));
            args.noMoreArguments();
            p.ifPresent(v -> precision = new Located<>(v.equals("float32") ? Precision.FLOAT32 : Precision.FLOAT64, st));
        }

        /**
         * Reports that a statement lacks something, unless the statement already reported an error
         * (a stray number where 'steps 25' belonged explains the missing steps already).
         */
        private void reportUnlessCaused(SourcePosition position, String message) {
            if (clean()) {
                diagnostics.error(position, message);
            }
        }

        /** True when the statement being read has reported no error so far. */
        private boolean clean() {
            return !statementHadErrors.getAsBoolean();
        }

        // ---- option values -------------------------------------------------------------------

        private OptionalDouble number(Option option, String name, java.util.function.DoublePredicate valid,
                String requirement) {
            if (option == null || option.value().isEmpty()) {
                return OptionalDouble.empty();
            }
            Argument.NumberLiteral literal = (Argument.NumberLiteral) option.value().get();
            return Numbers.real(literal, name, valid, requirement, diagnostics);
        }

        private OptionalInt integer(Option option, String name, int min, int max) {
            if (option == null || option.value().isEmpty()) {
                return OptionalInt.empty(); // written without its number: reported already
            }
            Argument.NumberLiteral literal = (Argument.NumberLiteral) option.value().get();
            java.util.OptionalLong value = Numbers.integer(literal, name, min, max, diagnostics);
            return value.isPresent() ? OptionalInt.of((int) value.getAsLong()) : OptionalInt.empty();
        }

        // ---- the model as a whole ------------------------------------------------------------

        private Optional<NetworkModel> resolve() {
            SourcePosition at = decl.name().position();
            String name = decl.name().text();
            String shownName = Texts.shown(name);
            if (!decl.complete()) {
                // Syntax errors set part of the body aside: what looks missing may be in that part.
                attempted.addAll(List.of("input", "layer", "output", "topology", "clip"));
            }
            if (decl.complete() && decl.statements().isEmpty()) {
                diagnostics.error(at, "model " + shownName + " is empty; it needs an input, a recurrent layer, an output"
                        + " and a topology, e.g. 'input 65 one_hot; lstm 128; output 65 softmax; many_to_many steps 25;'");
                return Optional.empty();
            }
            if (input == null && !attempted.contains("input")) {
                diagnostics.error(at, "model " + shownName + " has no input; add e.g. 'input 65 one_hot;'");
            }
            if (layers.isEmpty() && !attempted.contains("layer")) {
                diagnostics.error(at, "model " + shownName + " has no recurrent layer; add e.g. 'lstm 128;'");
            }
            if (output == null && !attempted.contains("output")) {
                diagnostics.error(at, "model " + shownName + " has no output; add e.g. 'output 65 softmax;'");
            }
            if (topology == null && !attempted.contains("topology")) {
                diagnostics.error(at, "model " + shownName + " has no topology; add e.g. 'many_to_many steps 25;'");
            }
            if (input == null || layers.isEmpty() || output == null || topology == null) {
                return Optional.empty();
            }
            TopologyDraft t = topology.value();
            OutputDraft out = output.value();
            checkFeedback(t, out);
            LossKind lossKind = checkLoss(out);
            checkBidirectional(t);
            checkBpttWindow(t);
            checkLongVanillaRnn(t);
            if (out.activation() == OutputActivation.SOFTMAX && out.size() == 1) {
                diagnostics.warning(output.position(), "softmax over a single output is always 1; use sigmoid");
            }

            List<LayerSpec> resolved = new ArrayList<>();
            int width = input.value().size();
            for (Located<LayerDraft> draft : layers) {
                LayerDraft l = draft.value();
                LayerSpec layer = new LayerSpec(resolved.size(), l.cell(), width, l.hidden(), l.direction(), l.dropout());
                resolved.add(layer);
                width = layer.outputSize();
            }
            if (!layerDiscarded) { // else the sizes between the layers left are not the ones written
                checkTensorSizes(resolved, width, out, t);
            }
            checkMinLearningRate();
            TopologySpec topologySpec = new TopologySpec(t.kind(), t.inputSteps(), t.outputSteps(), t.feedback(),
                    t.variableLength(), batch == null ? OptionalInt.empty() : OptionalInt.of(batch.value()),
                    bpttWindow == null ? OptionalInt.empty() : OptionalInt.of(bpttWindow.value()));
            List<ClipSpec> clipping = new ArrayList<>();
            for (ClipKind kind : List.of(ClipKind.VALUE, ClipKind.PER_PARAMETER_NORM, ClipKind.NORM)) {
                if (clips.containsKey(kind)) {
                    clipping.add(clips.get(kind).value());
                }
            }
            TrainingSpec training = new TrainingSpec(lossKind,
                    optimizer == null ? OptimizerDefaults.of(OptimizerKind.ADAM) : optimizer.value(),
                    schedule == null ? new ScheduleSpec(ScheduleKind.CONSTANT, 0, 1, 0, 0) : schedule.value(),
                    init == null ? new InitSpec(WeightInit.PYTORCH, WeightInit.PYTORCH) : init.value(),
                    seed == null ? 0L : seed.value(), clipping);
            return Optional.of(new NetworkModel(sourceName, decl.position(), packageName, name, decl.doc(),
                    input.value(), resolved, new OutputSpec(width, out.size(), out.activation()), topologySpec,
                    training, precision == null ? Precision.FLOAT32 : precision.value(), positions()));
        }

        /** Where every statement of the (valid) model and each of its words were written. */
        private ModelPositions positions() {
            Map<StatementKind, StatementPositions> statements = new EnumMap<>(StatementKind.class);
            List<Located<?>> singles = java.util.Arrays.asList(input, output, topology, batch, bpttWindow, loss,
                    optimizer, schedule, init, seed, precision);
            for (Located<?> located : singles) {
                if (located != null) {
                    Statement st = located.statement();
                    statements.put(StatementKind.ofKeyword(st.keyword().text()).orElseThrow(), positionsOf(st));
                }
            }
            List<StatementPositions> layerPositions = layers.stream().map(l -> positionsOf(l.statement())).toList();
            Map<ClipKind, StatementPositions> clipPositions = new EnumMap<>(ClipKind.class);
            clips.forEach((kind, clip) -> clipPositions.put(kind, positionsOf(clip.statement())));
            return new ModelPositions(decl.position(), decl.name().position(), statements, layerPositions,
                    clipPositions);
        }

        private StatementPositions positionsOf(Statement st) {
            return Positions.of(st, optionsRead.getOrDefault(st, Map.of()));
        }

        /**
         * Every parameter is one flat Java array, so no tensor may have more elements than an
         * array can hold: per layer {@code weight_ih} ({@code G*H x I}) and {@code weight_hh}
         * ({@code G*H x H}), the biases being smaller; {@code head.weight} ({@code O x F}); and in
         * an encoder-decoder the decoder's first {@code weight_ih}, which reads the outputs.
         */
        private void checkTensorSizes(List<LayerSpec> resolved, int topWidth, OutputDraft out, TopologyDraft t) {
            for (int k = 0; k < resolved.size(); k++) {
                LayerSpec layer = resolved.get(k);
                SourcePosition at = layers.get(k).position();
                long rows = (long) layer.cell().gateCount() * layer.hiddenSize();
                checkTensorSize(at, "rnn.weight_ih_l" + k, rows, layer.inputSize(), "");
                checkTensorSize(at, "rnn.weight_hh_l" + k, rows, layer.hiddenSize(), "");
                if (k == 0 && t.kind() == Topology.ENCODER_DECODER) {
                    checkTensorSize(at, "the decoder's weight_ih_l0", rows, out.size(),
                            " (the decoder's first layer reads the " + out.size() + " outputs)");
                }
            }
            checkTensorSize(output.position(), "head.weight", out.size(), topWidth, "");
        }

        private void checkTensorSize(SourcePosition at, String tensor, long rows, long columns, String why) {
            long elements = rows * columns; // at most 2^16 * 2^20: no overflow
            if (elements > MAX_TENSOR_ELEMENTS) {
                diagnostics.error(at, tensor + " would have " + rows + " x " + columns + " = " + elements
                        + " elements" + why + ", more than a Java array can hold (" + MAX_TENSOR_ELEMENTS + ")");
            }
        }

        /**
         * A cosine schedule falls from the learning rate to min_learning_rate: a minimum above the
         * rate would make it rise instead. The rate is the optimizer's, or its default.
         */
        private void checkMinLearningRate() {
            if (minLearningRate == null || schedule == null || schedule.value().kind() != ScheduleKind.COSINE
                    || optimizer == null && attempted.contains("optimizer")) {
                return; // no cosine minimum, or an optimizer statement with errors: its rate is unknown
            }
            double min = schedule.value().minLearningRate();
            OptimizerSpec spec = optimizer == null ? OptimizerDefaults.of(OptimizerKind.ADAM) : optimizer.value();
            if (min <= spec.learningRate()) {
                return;
            }
            String rate = learningRate != null ? Texts.shown(learningRate.value().get().text())
                    : java.math.BigDecimal.valueOf(spec.learningRate()).stripTrailingZeros().toPlainString()
                            + " (the default of optimizer " + spec.kind().keyword() + ")";
            diagnostics.error(minLearningRate.name().position(), "min_learning_rate "
                    + Texts.shown(minLearningRate.value().get().text()) + " is above the learning rate " + rate);
        }

        private void checkFeedback(TopologyDraft t, OutputDraft out) {
            if (!t.feedback()) {
                return;
            }
            int inputSize = input.value().size();
            if (out.size() != inputSize) {
                diagnostics.error(topology.position(), "one_to_many with feedback needs output size " + out.size()
                        + " to equal input size " + inputSize);
            } else if (input.value().encoding() == InputEncoding.ONE_HOT && out.activation() != OutputActivation.SOFTMAX) {
                diagnostics.error(topology.position(), "one_to_many with feedback into a one_hot input needs a softmax"
                        + " output, whose probabilities are fed back as the next input, got "
                        + out.activation().keyword());
            }
        }

        private LossKind checkLoss(OutputDraft out) {
            if (loss == null) {
                return switch (out.activation()) {
                    case SOFTMAX -> LossKind.CROSS_ENTROPY;
                    case SIGMOID -> LossKind.BINARY_CROSS_ENTROPY;
                    default -> LossKind.MSE;
                };
            }
            LossKind kind = loss.value();
            if (kind == LossKind.CROSS_ENTROPY && out.activation() != OutputActivation.SOFTMAX) {
                diagnostics.error(loss.position(), "loss cross_entropy needs a softmax output, but the output is "
                        + out.activation().keyword());
            } else if (kind == LossKind.BINARY_CROSS_ENTROPY && out.activation() != OutputActivation.SIGMOID) {
                diagnostics.error(loss.position(), "loss binary_cross_entropy needs a sigmoid output, but the output is "
                        + out.activation().keyword());
            } else if (kind == LossKind.MSE && out.activation() == OutputActivation.SOFTMAX) {
                diagnostics.warning(loss.position(), "loss mse on a softmax output learns slowly; cross_entropy is"
                        + " the usual loss for softmax");
            }
            return kind;
        }

        private void checkBidirectional(TopologyDraft t) {
            for (Located<LayerDraft> layer : layers) {
                if (layer.value().direction() == Direction.FORWARD) {
                    continue;
                }
                if (t.kind() == Topology.ONE_TO_MANY) {
                    diagnostics.error(layer.position(), "bidirectional layers need a whole input sequence, but"
                            + " one_to_many reads a single input");
                } else if (t.kind() == Topology.ENCODER_DECODER) {
                    diagnostics.error(layer.position(), "bidirectional layers are not supported in an encoder-decoder"
                            + " (its decoder runs forwards only)");
                } else if (bpttWindow != null) {
                    diagnostics.error(layer.position(), "bidirectional layers cannot be trained with truncated_bptt"
                            + " (the backward direction needs the whole sequence)");
                }
            }
        }

        private void checkBpttWindow(TopologyDraft t) {
            if (bpttWindow == null) {
                return;
            }
            int steps = t.kind() == Topology.ENCODER_DECODER ? t.inputSteps() + t.outputSteps()
                    : Math.max(t.inputSteps(), t.outputSteps());
            int window = bpttWindow.value();
            if (t.kind() == Topology.ONE_TO_ONE) {
                diagnostics.error(bpttWindow.position(), "truncated_bptt needs more than one step, but one_to_one has one");
            } else if (window > steps) {
                diagnostics.error(bpttWindow.position(), "truncated_bptt window " + window + " is longer than the "
                        + steps + " steps unrolled");
            } else if (window == steps) {
                diagnostics.warning(bpttWindow.position(), "truncated_bptt window " + window
                        + " equals the number of steps, so it has no effect");
            }
        }

        private void checkLongVanillaRnn(TopologyDraft t) {
            int steps = t.kind() == Topology.ENCODER_DECODER ? t.inputSteps() + t.outputSteps()
                    : Math.max(t.inputSteps(), t.outputSteps());
            if (steps < LONG_VANILLA_RNN_STEPS || !clips.isEmpty() || attempted.contains("clip")) {
                return;
            }
            for (Located<LayerDraft> layer : layers) {
                if (layer.value().cell().type() == CellType.RNN) {
                    diagnostics.warning(layer.position(), "vanilla rnn unrolled over " + steps + " steps without"
                            + " gradient clipping: gradients will likely explode or vanish; add 'clip norm 1.0;'"
                            + " or use lstm or gru");
                    return;
                }
            }
        }
    }

    private record LayerDraft(CellSpec cell, int hidden, Direction direction, double dropout) {}

    private record OutputDraft(int size, OutputActivation activation) {}

    private record TopologyDraft(Topology kind, int inputSteps, int outputSteps, boolean feedback,
            boolean variableLength) {}
}
