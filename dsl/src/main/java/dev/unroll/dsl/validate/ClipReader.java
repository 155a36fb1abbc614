package dev.unroll.dsl.validate;

import dev.unroll.dsl.model.ClipKind;
import dev.unroll.dsl.model.ClipSpec;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/** Reads {@code clip value|norm|per_parameter_norm X;}, once per mode. */
final class ClipReader {
    private ClipReader() {}

    static void read(Reading r) {
        Optional<String> kindWord = r.args("clip").requiredChoice("clipping mode",
                OptionTable.words(ClipKind.values()));
        if (kindWord.isEmpty()) {
            return;
        }
        ClipKind kind = OptionTable.valueOf(ClipKind.class, kindWord.get());
        StatementArgs thresholdArgs = r.args("clip " + kindWord.get());
        thresholdArgs.requiredChoice("clipping mode", List.of(kindWord.get()));
        OptionalDouble threshold = thresholdArgs.requiredNumber("threshold", "clip " + kindWord.get() + " 5.0;",
                "clip " + kindWord.get() + " threshold", v -> v > 0, "must be > 0");
        thresholdArgs.noMoreArguments();
        if (threshold.isEmpty()) {
            return;
        }
        Located<ClipSpec> first = r.draft().clips.putIfAbsent(kind,
                r.located(new ClipSpec(kind, threshold.getAsDouble()), Map.of()));
        if (first != null) {
            r.diagnostics().error(r.statement().position(), "duplicate 'clip " + kindWord.get() + "'; the first is at "
                    + first.position());
        }
    }
}
