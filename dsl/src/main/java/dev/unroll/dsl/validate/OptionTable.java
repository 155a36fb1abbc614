package dev.unroll.dsl.validate;

import dev.unroll.dsl.model.CellType;
import dev.unroll.dsl.model.Direction;
import dev.unroll.dsl.model.GruVariant;
import dev.unroll.dsl.model.Keyword;
import dev.unroll.dsl.model.OptimizerKind;
import dev.unroll.dsl.model.RnnActivation;
import dev.unroll.dsl.model.ScheduleKind;
import dev.unroll.dsl.model.StatementKind;
import dev.unroll.dsl.model.WeightInit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which options each statement takes, declared once and used by every message about options.
 * A statement kind comes in variants, named by the word that selects them: the cell of a layer
 * ({@code lstm}), the topology keyword ({@code many_to_one}), the optimizer or schedule kind
 * ({@code adam}, {@code cosine}); the other statements have one variant, {@code ""}. Words that
 * name model values (the cell types, {@code concat}/{@code sum}, {@code tanh}/{@code relu}, ...)
 * come from the model's enums through {@link Keyword}.
 *
 * <pre>{@code
 * OptionTable.options(StatementKind.LAYER, "gru")      // bidirectional, dropout, reset_after, cho
 * OptionTable.elsewhere(StatementKind.LAYER, "gru")    // peepholes -> "lstm layers", relu -> "rnn layers", ...
 * OptionTable.owner("feedback")                        // one_to_many, e.g. 'one_to_many steps 20 feedback;'
 * }</pre>
 */
final class OptionTable {
    private static final String LAYER_EXAMPLE = "lstm 128";

    private static final OptionDecl BIDIRECTIONAL = OptionDecl.choice("bidirectional",
            words(Direction.CONCAT, Direction.SUM), LAYER_EXAMPLE + " bidirectional");
    private static final OptionDecl DROPOUT = OptionDecl.number("dropout", "0.5", LAYER_EXAMPLE + " dropout 0.2");
    private static final OptionDecl FORGET_BIAS = OptionDecl.number("forget_bias", "0.5",
            LAYER_EXAMPLE + " forget_bias 1.0");
    private static final OptionDecl PEEPHOLES = OptionDecl.flag("peepholes", LAYER_EXAMPLE + " peepholes");
    private static final OptionDecl CELL_CLIP = OptionDecl.number("cell_clip", "0.5", LAYER_EXAMPLE + " cell_clip 3.0");

    private static final OptionDecl STEPS = OptionDecl.number("steps", "100", "many_to_many steps 25");
    private static final OptionDecl FEEDBACK = OptionDecl.flag("feedback", "one_to_many steps 20 feedback");
    private static final OptionDecl VARIABLE_LENGTH = OptionDecl.flag("variable_length",
            "many_to_one steps 50 variable_length");
    private static final String ENCODER_DECODER_EXAMPLE = "many_to_many input_steps 20 output_steps 10";
    private static final OptionDecl INPUT_STEPS = OptionDecl.number("input_steps", "100", ENCODER_DECODER_EXAMPLE);
    private static final OptionDecl OUTPUT_STEPS = OptionDecl.number("output_steps", "100", ENCODER_DECODER_EXAMPLE);

    private static final OptionDecl LEARNING_RATE = OptionDecl.number("learning_rate", "0.01",
            "optimizer adam learning_rate 0.001");
    private static final OptionDecl MOMENTUM = OptionDecl.number("momentum", "0.5", "optimizer momentum momentum 0.9");
    private static final OptionDecl NESTEROV = OptionDecl.flag("nesterov", "optimizer momentum nesterov");
    private static final OptionDecl BETA1 = OptionDecl.number("beta1", "0.5", "optimizer adam beta1 0.9");
    private static final OptionDecl BETA2 = OptionDecl.number("beta2", "0.5", "optimizer adam beta2 0.999");
    private static final OptionDecl EPSILON = OptionDecl.number("epsilon", "1e-8", "optimizer adam epsilon 1e-8");
    private static final OptionDecl ALPHA = OptionDecl.number("alpha", "0.5", "optimizer rmsprop alpha 0.99");
    private static final OptionDecl WEIGHT_DECAY = OptionDecl.number("weight_decay", "0.5",
            "optimizer adamw weight_decay 0.01");

    private static final String STEP_EXAMPLE = "schedule step every 1000 gamma 0.5";
    private static final OptionDecl EVERY = OptionDecl.number("every", "100", STEP_EXAMPLE);
    private static final OptionDecl GAMMA = OptionDecl.number("gamma", "0.5", STEP_EXAMPLE);
    private static final OptionDecl PERIOD = OptionDecl.number("period", "100", "schedule cosine period 10000");
    private static final OptionDecl MIN_LEARNING_RATE = OptionDecl.number("min_learning_rate", "0.5",
            "schedule cosine period 10000 min_learning_rate 0.0001");

    private static final OptionDecl RECURRENT = OptionDecl.choice("recurrent", words(WeightInit.values()),
            "init xavier recurrent orthogonal");

    /** Every variant of every statement that takes options, with its options in the order messages list them. */
    private static final Map<StatementKind, Map<String, List<OptionDecl>>> TABLE = table();

    private OptionTable() {}

    private static Map<StatementKind, Map<String, List<OptionDecl>>> table() {
        Map<StatementKind, Map<String, List<OptionDecl>>> table = new LinkedHashMap<>();
        Map<String, List<OptionDecl>> layers = new LinkedHashMap<>();
        for (CellType cell : CellType.values()) {
            List<OptionDecl> options = new ArrayList<>(List.of(BIDIRECTIONAL, DROPOUT));
            switch (cell) {
                case RNN -> Arrays.stream(RnnActivation.values())
                        .forEach(a -> options.add(OptionDecl.flag(a.keyword(), "rnn 128 " + a.keyword())));
                case LSTM -> options.addAll(List.of(FORGET_BIAS, PEEPHOLES, CELL_CLIP));
                case GRU -> Arrays.stream(GruVariant.values())
                        .forEach(v -> options.add(OptionDecl.flag(v.keyword(), "gru 128 " + v.keyword())));
            }
            layers.put(cell.keyword(), List.copyOf(options));
        }
        table.put(StatementKind.LAYER, layers);

        Map<String, List<OptionDecl>> topologies = new LinkedHashMap<>();
        for (String keyword : StatementKind.TOPOLOGY.keywords()) {
            topologies.put(keyword, switch (keyword) {
                case "one_to_one" -> List.of();
                case "one_to_many" -> List.of(STEPS, FEEDBACK);
                case "many_to_one" -> List.of(STEPS, VARIABLE_LENGTH);
                case "many_to_many" -> List.of(STEPS, INPUT_STEPS, OUTPUT_STEPS, VARIABLE_LENGTH);
                default -> throw new AssertionError("topology without options declared: " + keyword);
            });
        }
        table.put(StatementKind.TOPOLOGY, topologies);

        Map<String, List<OptionDecl>> optimizers = new LinkedHashMap<>();
        for (OptimizerKind kind : OptimizerKind.values()) {
            optimizers.put(kind.keyword(), switch (kind) {
                case SGD -> List.of(LEARNING_RATE, WEIGHT_DECAY);
                case MOMENTUM -> List.of(LEARNING_RATE, MOMENTUM, NESTEROV, WEIGHT_DECAY);
                case ADAGRAD -> List.of(LEARNING_RATE, EPSILON, WEIGHT_DECAY);
                case RMSPROP -> List.of(LEARNING_RATE, ALPHA, EPSILON, WEIGHT_DECAY);
                case ADAM, ADAMW -> List.of(LEARNING_RATE, BETA1, BETA2, EPSILON, WEIGHT_DECAY);
            });
        }
        table.put(StatementKind.OPTIMIZER, optimizers);

        Map<String, List<OptionDecl>> schedules = new LinkedHashMap<>();
        for (ScheduleKind kind : ScheduleKind.values()) {
            schedules.put(kind.keyword(), switch (kind) {
                case CONSTANT -> List.of();
                case STEP -> List.of(EVERY, GAMMA);
                case COSINE -> List.of(PERIOD, MIN_LEARNING_RATE);
            });
        }
        table.put(StatementKind.SCHEDULE, schedules);
        table.put(StatementKind.INIT, Map.of("", List.of(RECURRENT)));
        return table;
    }

    /** Returns the options of one variant of a statement (empty for a statement that takes none). */
    static List<OptionDecl> options(StatementKind kind, String variant) {
        return TABLE.getOrDefault(kind, Map.of()).getOrDefault(variant, List.of());
    }

    /** Returns the names of the options of every variant of a statement. */
    static Set<String> names(StatementKind kind) {
        Set<String> names = new LinkedHashSet<>();
        TABLE.getOrDefault(kind, Map.of()).values().forEach(decls -> decls.forEach(d -> names.add(d.name())));
        return names;
    }

    /**
     * Returns the options that other variants of the same statement take and this one does not,
     * each mapped to where it applies, for "option 'peepholes' does not apply to gru layer (only
     * to lstm layers)".
     */
    static Map<String, String> elsewhere(StatementKind kind, String variant) {
        Map<String, List<String>> owners = new LinkedHashMap<>();
        Set<String> here = new LinkedHashSet<>();
        options(kind, variant).forEach(d -> here.add(d.name()));
        TABLE.getOrDefault(kind, Map.of()).forEach((other, decls) -> {
            for (OptionDecl decl : decls) {
                if (!here.contains(decl.name())) {
                    owners.computeIfAbsent(decl.name(), k -> new ArrayList<>()).add(other);
                }
            }
        });
        Map<String, String> elsewhere = new LinkedHashMap<>();
        owners.forEach((option, variants) -> elsewhere.put(option, variantsPhrase(kind, variants)));
        return elsewhere;
    }

    /** Names variants of a statement: "lstm layers", "many_to_one and many_to_many", "optimizer momentum". */
    private static String variantsPhrase(StatementKind kind, List<String> variants) {
        String joined = Texts.joinAnd(variants);
        return switch (kind) {
            case LAYER -> joined + " layers";
            case OPTIMIZER -> (variants.size() == 1 ? "optimizer " : "optimizers ") + joined;
            case SCHEDULE -> (variants.size() == 1 ? "schedule " : "schedules ") + joined;
            default -> joined;
        };
    }

    /**
     * Where an option belongs, for a statement whose keyword is an option name.
     *
     * @param statement the statement it belongs to
     * @param phrase how to name it: "a layer", "an lstm layer", "the optimizer"
     * @param example a statement using it, without its {@code ;}
     */
    record Owner(StatementKind statement, String phrase, String example) {}

    /** Returns where {@code option} belongs, if it is an option of any statement. */
    static Optional<Owner> owner(String option) {
        for (Map.Entry<StatementKind, Map<String, List<OptionDecl>>> statement : TABLE.entrySet()) {
            List<String> variants = new ArrayList<>();
            OptionDecl found = null;
            for (Map.Entry<String, List<OptionDecl>> variant : statement.getValue().entrySet()) {
                for (OptionDecl decl : variant.getValue()) {
                    if (decl.name().equals(option)) {
                        variants.add(variant.getKey());
                        found = decl;
                    }
                }
            }
            if (found != null) {
                StatementKind kind = statement.getKey();
                return Optional.of(new Owner(kind, ownerPhrase(kind, variants, found), found.example()));
            }
        }
        return Optional.empty();
    }

    private static String ownerPhrase(StatementKind kind, List<String> variants, OptionDecl decl) {
        boolean all = variants.size() == TABLE.get(kind).size();
        return switch (kind) {
            case LAYER -> all ? "a layer" : Texts.articleForLetters(variants.get(0)) + " " + String.join(" or ", variants) + " layer";
            // A flag that one topology alone takes is named with it (feedback: one_to_many); the
            // step counts size whichever topology is written, so they are the topology's.
            case TOPOLOGY -> variants.size() == 1 && decl.kind() == OptionDecl.Kind.FLAG ? variants.get(0)
                    : "the topology";
            case OPTIMIZER -> "the optimizer";
            case SCHEDULE -> "schedule " + String.join(" or ", variants);
            default -> kind.keywords().get(0);
        };
    }

    /**
     * Returns where an option applies, for an option written in a statement of another kind:
     * "layers", "lstm layers", "one_to_many", "the optimizer", "schedule step", "init".
     */
    static Optional<String> appliesTo(String option) {
        for (Map.Entry<StatementKind, Map<String, List<OptionDecl>>> statement : TABLE.entrySet()) {
            List<String> variants = new ArrayList<>();
            statement.getValue().forEach((variant, decls) -> {
                if (decls.stream().anyMatch(d -> d.name().equals(option))) {
                    variants.add(variant);
                }
            });
            if (!variants.isEmpty()) {
                StatementKind kind = statement.getKey();
                boolean all = variants.size() == statement.getValue().size();
                return Optional.of(switch (kind) {
                    case LAYER -> all ? "layers" : variantsPhrase(kind, variants);
                    case OPTIMIZER -> all ? "the optimizer" : variantsPhrase(kind, variants);
                    case INIT -> "init";
                    default -> variantsPhrase(kind, variants);
                });
            }
        }
        return Optional.empty();
    }

    /** Returns the words naming the given values, in the order given. */
    @SafeVarargs
    static <E extends Enum<E> & Keyword> List<String> words(E... values) {
        return Arrays.stream(values).map(Keyword::keyword).toList();
    }

    /** Returns the value of {@code type} that {@code word} names. */
    static <E extends Enum<E> & Keyword> E valueOf(Class<E> type, String word) {
        for (E value : type.getEnumConstants()) {
            if (value.keyword().equals(word)) {
                return value;
            }
        }
        throw new IllegalArgumentException("no " + type.getSimpleName() + " named '" + word + "'");
    }
}
