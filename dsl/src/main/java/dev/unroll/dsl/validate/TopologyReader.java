package dev.unroll.dsl.validate;

import dev.unroll.dsl.ast.Statement;
import dev.unroll.dsl.model.StatementKind;
import dev.unroll.dsl.model.Topology;
import dev.unroll.dsl.validate.ModelDraft.TopologyDraft;
import dev.unroll.dsl.validate.StatementArgs.Option;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/** Reads a topology: {@code one_to_one;}, {@code one_to_many steps T [feedback];}, ... */
final class TopologyReader {
    private TopologyReader() {}

    static void read(Reading r) {
        String keyword = r.keyword();
        Statement st = r.statement();
        StatementArgs args = r.args(keyword);
        Map<String, Option> options = args.options(OptionTable.options(StatementKind.TOPOLOGY, keyword),
                OptionTable.elsewhere(StatementKind.TOPOLOGY, keyword));
        boolean feedback = options.containsKey("feedback");
        boolean variable = options.containsKey("variable_length");
        String example = "'" + keyword + " steps 25;'";
        switch (keyword) {
            case "one_to_one" -> r.draft().topology = r.located(
                    new TopologyDraft(Topology.ONE_TO_ONE, 1, 1, false, false), options);
            case "one_to_many", "many_to_one" -> {
                if (!options.containsKey("steps")) {
                    r.reportUnlessCaused(st.keyword().position(), keyword + " needs a number of steps, e.g. " + example);
                    return;
                }
                OptionalInt steps = r.integer(options.get("steps"), "steps", 1, Limits.MAX_STEPS);
                if (steps.isEmpty()) {
                    return;
                }
                boolean oneToMany = keyword.equals("one_to_many");
                r.draft().topology = r.located(new TopologyDraft(oneToMany ? Topology.ONE_TO_MANY : Topology.MANY_TO_ONE,
                        oneToMany ? 1 : steps.getAsInt(), oneToMany ? steps.getAsInt() : 1, feedback, variable), options);
            }
            case "many_to_many" -> manyToMany(r, options, variable);
            default -> throw new AssertionError("topology without a reader: " + keyword);
        }
    }

    private static void manyToMany(Reading r, Map<String, Option> options, boolean variable) {
        Statement st = r.statement();
        boolean aligned = options.containsKey("steps");
        boolean split = options.containsKey("input_steps") || options.containsKey("output_steps");
        if (aligned && split) {
            Option splitOption = options.containsKey("input_steps") ? options.get("input_steps")
                    : options.get("output_steps");
            Option steps = options.get("steps");
            // Reported at whichever form comes second, naming the one given first.
            boolean stepsFirst = steps.name().position().compareTo(splitOption.name().position()) < 0;
            Option first = stepsFirst ? steps : splitOption;
            Option later = stepsFirst ? splitOption : steps;
            r.diagnostics().error(later.name().position(), "many_to_many takes either 'steps N' (one output per input)"
                    + " or 'input_steps N output_steps M' (encoder-decoder), not both; '" + first.name().text()
                    + "' is given first");
            return;
        }
        if (!aligned && !split) {
            r.reportUnlessCaused(st.keyword().position(), "many_to_many needs a number of steps, e.g. "
                    + "'many_to_many steps 25;' or 'many_to_many input_steps 20 output_steps 10;'");
            return;
        }
        if (aligned) {
            OptionalInt steps = r.integer(options.get("steps"), "steps", 1, Limits.MAX_STEPS);
            if (steps.isPresent()) {
                r.draft().topology = r.located(new TopologyDraft(Topology.MANY_TO_MANY, steps.getAsInt(),
                        steps.getAsInt(), false, variable), options);
            }
            return;
        }
        for (String needed : List.of("input_steps", "output_steps")) {
            if (!options.containsKey(needed)) {
                r.reportUnlessCaused(st.keyword().position(), "encoder-decoder many_to_many needs both input_steps"
                        + " and output_steps, e.g. 'many_to_many input_steps 20 output_steps 10;'");
                return;
            }
        }
        OptionalInt in = r.integer(options.get("input_steps"), "input_steps", 1, Limits.MAX_STEPS);
        OptionalInt out = r.integer(options.get("output_steps"), "output_steps", 1, Limits.MAX_STEPS);
        if (in.isPresent() && out.isPresent()) {
            r.draft().topology = r.located(new TopologyDraft(Topology.ENCODER_DECODER, in.getAsInt(), out.getAsInt(),
                    false, variable), options);
        }
    }
}
