package dev.unroll.dsl.validate;

import java.util.Map;
import java.util.Optional;

/** Reads {@code truncated_bptt WINDOW;}. */
final class TruncatedBpttReader {
    private TruncatedBpttReader() {}

    static void read(Reading r) {
        StatementArgs args = r.args("truncated_bptt");
        Optional<Integer> window = args.requiredInt("window", "truncated_bptt window", 1, Limits.MAX_STEPS,
                "truncated_bptt 20;");
        args.noMoreArguments();
        window.ifPresent(n -> r.draft().bpttWindow = r.located(n, Map.of()));
    }
}
