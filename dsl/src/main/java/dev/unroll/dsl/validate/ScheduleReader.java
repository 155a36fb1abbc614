package dev.unroll.dsl.validate;

import dev.unroll.dsl.ast.Statement;
import dev.unroll.dsl.model.ScheduleKind;
import dev.unroll.dsl.model.ScheduleSpec;
import dev.unroll.dsl.model.StatementKind;
import dev.unroll.dsl.validate.StatementArgs.Option;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/** Reads {@code schedule constant;}, {@code schedule step every N [gamma X];}, {@code schedule cosine period N [min_learning_rate X];}. */
final class ScheduleReader {
    private ScheduleReader() {}

    static void read(Reading r) {
        Statement st = r.statement();
        Optional<String> kindWord = r.args("schedule").requiredChoice("schedule",
                OptionTable.words(ScheduleKind.values()));
        if (kindWord.isEmpty()) {
            return;
        }
        ScheduleKind kind = OptionTable.valueOf(ScheduleKind.class, kindWord.get());
        StatementArgs named = r.args("schedule " + kindWord.get());
        named.requiredChoice("schedule", List.of(kindWord.get()));
        Map<String, Option> options = named.options(OptionTable.options(StatementKind.SCHEDULE, kindWord.get()),
                OptionTable.elsewhere(StatementKind.SCHEDULE, kindWord.get()));
        switch (kind) {
            case CONSTANT -> r.draft().schedule = r.located(new ScheduleSpec(kind, 0, 1, 0, 0), options);
            case STEP -> {
                if (!options.containsKey("every")) {
                    r.reportUnlessCaused(st.keyword().position(), "schedule step needs 'every N', e.g. "
                            + "'schedule step every 1000 gamma 0.5;'");
                    return;
                }
                OptionalInt every = r.integer(options.get("every"), "every", 1, Integer.MAX_VALUE);
                OptionalDouble gamma = r.number(options.get("gamma"), "gamma", v -> v > 0 && v <= 1, "must be in (0, 1]");
                if (every.isPresent()) {
                    r.draft().schedule = r.located(new ScheduleSpec(kind, every.getAsInt(), gamma.orElse(0.1), 0, 0),
                            options);
                }
            }
            case COSINE -> {
                if (!options.containsKey("period")) {
                    r.reportUnlessCaused(st.keyword().position(), "schedule cosine needs 'period N', e.g. "
                            + "'schedule cosine period 10000;'");
                    return;
                }
                OptionalInt period = r.integer(options.get("period"), "period", 1, Integer.MAX_VALUE);
                OptionalDouble min = r.number(options.get("min_learning_rate"), "min_learning_rate", v -> v >= 0,
                        "must be >= 0");
                if (period.isPresent()) {
                    r.draft().schedule = r.located(new ScheduleSpec(kind, 0, 1, period.getAsInt(), min.orElse(0)),
                            options);
                }
            }
        }
    }
}
