package dev.unroll.dsl.validate;

import dev.unroll.dsl.ast.Argument;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/** Reads {@code seed N;}, N up to {@code Long.MAX_VALUE}. */
final class SeedReader {
    private SeedReader() {}

    static void read(Reading r) {
        StatementArgs args = r.args("seed");
        List<Argument> raw = r.statement().arguments();
        if (raw.isEmpty() || !(raw.get(0) instanceof Argument.NumberLiteral number)) {
            args.requiredInt("number", "seed", 0, Integer.MAX_VALUE, "seed 42;");
            args.noMoreArguments();
            return;
        }
        // Read here rather than by requiredInt, which stops at int range: a seed is a long.
        OptionalLong value = Numbers.integer(number, "seed", 0, Long.MAX_VALUE, r.diagnostics());
        if (raw.size() > 1) {
            r.diagnostics().error(raw.get(1).position(), "unexpected " + StatementArgs.describe(raw.get(1)) + " in seed");
        }
        value.ifPresent(v -> r.draft().seed = r.located(v, Map.of()));
    }
}
