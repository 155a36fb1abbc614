package dev.unroll.dsl.validate;

import dev.unroll.dsl.model.InitSpec;
import dev.unroll.dsl.model.StatementKind;
import dev.unroll.dsl.model.WeightInit;
import dev.unroll.dsl.validate.StatementArgs.Option;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads {@code init SCHEME [recurrent SCHEME];}. */
final class InitReader {
    private InitReader() {}

    static void read(Reading r) {
        List<String> schemes = OptionTable.words(WeightInit.values());
        StatementArgs args = r.args("init");
        Optional<String> weights = args.requiredChoice("initialization", schemes);
        Map<String, Option> options = args.options(OptionTable.options(StatementKind.INIT, ""),
                OptionTable.elsewhere(StatementKind.INIT, ""));
        Optional<String> recurrent = Optional.empty();
        if (options.containsKey("recurrent")) {
            Option option = options.get("recurrent");
            if (option.value().isEmpty()) {
                r.diagnostics().error(option.name().position(), "option 'recurrent' needs an initialization: "
                        + Suggestions.oneOf(schemes));
                return;
            }
            recurrent = Optional.of(option.value().get().text());
        }
        if (weights.isPresent()) {
            WeightInit w = OptionTable.valueOf(WeightInit.class, weights.get());
            WeightInit rec = recurrent.map(s -> OptionTable.valueOf(WeightInit.class, s)).orElse(w);
            r.draft().init = r.located(new InitSpec(w, rec), options);
        }
    }
}
