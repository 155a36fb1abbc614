package dev.unroll.dsl;

import dev.unroll.dsl.model.NetworkModel;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What the front end made of one file.
 *
 * @param path the file as the user named it
 * @param source the decoded file (bytes that are not UTF-8 replaced by U+FFFD), or empty when it could not
 *     be read
 * @param models the valid models; empty whenever there is an error
 * @param diagnostics every error and warning, ordered by position
 * @param internalError the exception when the front end itself failed on this file (a bug, reported to the user
 *     as an error asking for a report); empty otherwise. Tests and fuzzers check this, not the message text,
 *     which may quote the file.
 */
public record CheckResult(String path, Optional<SourceFile> source, List<NetworkModel> models,
        List<Diagnostic> diagnostics, Optional<Throwable> internalError) {

    public CheckResult {
        models = List.copyOf(models);
        diagnostics = List.copyOf(diagnostics);
        java.util.Objects.requireNonNull(internalError, "internalError");
    }

    /** A result of a front end that did not fail. */
    public CheckResult(String path, Optional<SourceFile> source, List<NetworkModel> models,
            List<Diagnostic> diagnostics) {
        this(path, source, models, diagnostics, Optional.empty());
    }

    /** Returns true when there is at least one error. */
    public boolean hasErrors() {
        return diagnostics.stream().anyMatch(Diagnostic::isError);
    }

    /** Returns every diagnostic formatted with its source line and caret, one after another. */
    public String formattedDiagnostics() {
        return diagnostics.stream()
                .map(d -> d.format(source.orElse(null)))
                .collect(Collectors.joining("\n"));
    }
}
