package dev.unroll.dsl.validate;

import dev.unroll.dsl.ast.Argument;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Reads {@code batch SIZE;} or {@code batch any;}. */
final class BatchReader {
    private BatchReader() {}

    static void read(Reading r) {
        StatementArgs args = r.args("batch");
        List<Argument> raw = r.statement().arguments();
        if (!raw.isEmpty() && raw.get(0) instanceof Argument.Word word && word.text().equals("any")) {
            args.optionalChoice("batch size", List.of("any"), Set.of());
            args.noMoreArguments();
            return; // the default: nothing to record
        }
        Optional<Integer> size = args.requiredInt("size", "batch size", 1, Limits.MAX_BATCH,
                "batch 32;' or 'batch any;");
        args.noMoreArguments();
        size.ifPresent(n -> r.draft().batch = r.located(n, Map.of()));
    }
}
