package dev.unroll.dsl.validate;

import dev.unroll.dsl.model.OutputActivation;
import dev.unroll.dsl.validate.ModelDraft.OutputDraft;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Reads {@code output SIZE [linear | softmax | sigmoid | tanh];}. */
final class OutputReader {
    private OutputReader() {}

    static void read(Reading r) {
        StatementArgs args = r.args("output");
        Optional<Integer> size = args.requiredInt("size", "output size", 1, Limits.MAX_IO_SIZE, "output 65 softmax;");
        Optional<String> activation = args.optionalChoice("output activation",
                OptionTable.words(OutputActivation.values()), Set.of());
        args.noMoreArguments();
        size.filter(n -> r.clean()).ifPresent(n -> r.draft().output = r.located(new OutputDraft(n, activation
                .map(a -> OptionTable.valueOf(OutputActivation.class, a)).orElse(OutputActivation.LINEAR)), Map.of()));
    }
}
