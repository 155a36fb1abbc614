package dev.unroll.dsl.validate;

import dev.unroll.dsl.model.Precision;
import java.util.Map;
import java.util.Optional;

/** Reads {@code precision float32 | float64;}. */
final class PrecisionReader {
    private PrecisionReader() {}

    static void read(Reading r) {
        StatementArgs args = r.args("precision");
        Optional<String> p = args.requiredChoice("precision", OptionTable.words(Precision.values()));
        args.noMoreArguments();
        p.ifPresent(v -> r.draft().precision = r.located(OptionTable.valueOf(Precision.class, v), Map.of()));
    }
}
