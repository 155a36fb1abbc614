package dev.unroll.dsl.validate;

import dev.unroll.dsl.model.InputEncoding;
import dev.unroll.dsl.model.InputSpec;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Reads {@code input SIZE [dense | one_hot];}. */
final class InputReader {
    private InputReader() {}

    static void read(Reading r) {
        StatementArgs args = r.args("input");
        Optional<Integer> size = args.requiredInt("size", "input size", 1, Limits.MAX_IO_SIZE, "input 65 one_hot;");
        Optional<String> encoding = args.optionalChoice("input encoding",
                OptionTable.words(InputEncoding.values()), Set.of());
        args.noMoreArguments();
        size.filter(n -> r.clean()).ifPresent(n -> r.draft().input = r.located(new InputSpec(n,
                encoding.map(e -> OptionTable.valueOf(InputEncoding.class, e)).orElse(InputEncoding.DENSE)), Map.of()));
    }
}
