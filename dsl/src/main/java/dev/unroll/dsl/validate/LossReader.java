package dev.unroll.dsl.validate;

import dev.unroll.dsl.model.LossKind;
import java.util.Map;
import java.util.Optional;

/** Reads {@code loss cross_entropy | binary_cross_entropy | mse;}. */
final class LossReader {
    private LossReader() {}

    static void read(Reading r) {
        StatementArgs args = r.args("loss");
        Optional<String> kind = args.requiredChoice("loss", OptionTable.words(LossKind.values()));
        args.noMoreArguments();
        kind.ifPresent(k -> r.draft().loss = r.located(OptionTable.valueOf(LossKind.class, k), Map.of()));
    }
}
