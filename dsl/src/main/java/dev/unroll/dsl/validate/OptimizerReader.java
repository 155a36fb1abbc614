package dev.unroll.dsl.validate;

import dev.unroll.dsl.model.OptimizerKind;
import dev.unroll.dsl.model.OptimizerSpec;
import dev.unroll.dsl.model.StatementKind;
import dev.unroll.dsl.validate.StatementArgs.Option;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads {@code optimizer KIND [NAME VALUE]... [nesterov];}. */
final class OptimizerReader {
    private OptimizerReader() {}

    static void read(Reading r) {
        List<String> kinds = OptionTable.words(OptimizerKind.values());
        Optional<String> kindWord = r.args("optimizer").requiredChoice("optimizer", kinds);
        if (kindWord.isEmpty()) {
            return;
        }
        OptimizerKind kind = OptionTable.valueOf(OptimizerKind.class, kindWord.get());
        // Read again, now that messages can name the optimizer: "unknown option 'beta3' for optimizer adam".
        StatementArgs args = r.args("optimizer " + kindWord.get());
        args.requiredChoice("optimizer", kinds);
        Map<String, Option> options = args.options(OptionTable.options(StatementKind.OPTIMIZER, kindWord.get()),
                OptionTable.elsewhere(StatementKind.OPTIMIZER, kindWord.get()));
        OptimizerSpec defaults = OptimizerDefaults.of(kind);
        double lr = r.number(options.get("learning_rate"), "learning_rate", v -> v > 0, "must be > 0")
                .orElse(defaults.learningRate());
        double momentum = r.number(options.get("momentum"), "momentum", v -> v >= 0 && v < 1, "must be in [0, 1)")
                .orElse(defaults.momentum());
        double beta1 = r.number(options.get("beta1"), "beta1", v -> v >= 0 && v < 1, "must be in [0, 1)")
                .orElse(defaults.beta1());
        double beta2 = r.number(options.get("beta2"), "beta2", v -> v >= 0 && v < 1, "must be in [0, 1)")
                .orElse(defaults.beta2());
        double epsilon = r.number(options.get("epsilon"), "epsilon", v -> v > 0, "must be > 0")
                .orElse(defaults.epsilon());
        double alpha = r.number(options.get("alpha"), "alpha", v -> v >= 0 && v < 1, "must be in [0, 1)")
                .orElse(defaults.alpha());
        double weightDecay = r.number(options.get("weight_decay"), "weight_decay", v -> v >= 0, "must be >= 0")
                .orElse(defaults.weightDecay());
        if (lr > 1 && options.containsKey("learning_rate")) {
            r.diagnostics().warning(options.get("learning_rate").position(), "learning_rate " + options
                    .get("learning_rate").value().get().text() + " is unusually large; training will likely diverge");
        }
        if (options.containsKey("nesterov") && momentum == 0 && options.containsKey("momentum")) {
            // PyTorch's SGD raises "Nesterov momentum requires a momentum and zero dampening".
            r.diagnostics().error(options.get("nesterov").name().position(), "nesterov needs a momentum above 0,"
                    + " but momentum is " + Texts.shown(options.get("momentum").value().get().text()));
        }
        r.draft().optimizer = r.located(new OptimizerSpec(kind, lr, momentum, options.containsKey("nesterov"),
                beta1, beta2, epsilon, alpha, weightDecay), options);
    }
}
