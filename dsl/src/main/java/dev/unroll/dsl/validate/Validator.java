package dev.unroll.dsl.validate;

import dev.unroll.dsl.Diagnostics;
import dev.unroll.dsl.ast.Identifier;
import dev.unroll.dsl.ast.ModelDecl;
import dev.unroll.dsl.ast.SpecFile;
import dev.unroll.dsl.model.NetworkModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks a parsed {@code .rnn} file and resolves each of its models into a {@link NetworkModel}:
 * every statement understood, every default filled in, every rule that spans statements
 * checked. All problems are reported; a model is returned only if it has none.
 *
 * <pre>{@code
 * List<NetworkModel> models = Validator.validate(tree, "char.rnn", diagnostics);
 * }</pre>
 *
 * <p>The work is split by what it checks: this class the file (package, model names), a
 * {@link ModelValidator} each model, one reader per statement ({@code InputReader},
 * {@code LayerReader}, ...) with the options of each in {@link OptionTable}, and the rules
 * between statements in {@link ModelRules}.
 */
public final class Validator {
    private Validator() {}

    /**
     * Validates every model of a file.
     *
     * @param file the syntax tree
     * @param sourceName the spec's file name, recorded in the models for generated headers
     * @param diagnostics receives every error and warning
     * @return the valid models, in source order; those with errors are left out
     */
    public static List<NetworkModel> validate(SpecFile file, String sourceName, Diagnostics diagnostics) {
        String packageName = "";
        if (file.packageName().isPresent()) {
            for (Identifier part : file.packageName().get().parts()) {
                JavaNames.checkPackagePart(part, diagnostics);
            }
            packageName = file.packageName().get().text();
        }
        List<NetworkModel> models = new ArrayList<>();
        Map<String, ModelDecl> seen = new HashMap<>();
        for (ModelDecl decl : file.models()) {
            ModelDecl first = seen.putIfAbsent(decl.name().text(), decl);
            if (first != null) {
                diagnostics.error(decl.name().position(), "model '" + Texts.shown(decl.name().text())
                        + "' is already declared at " + first.name().position());
            }
            int errorsBefore = diagnostics.errorCount();
            Optional<NetworkModel> model = new ModelValidator(decl, packageName, sourceName, diagnostics).validate();
            if (model.isPresent() && diagnostics.errorCount() == errorsBefore) {
                models.add(model.get());
            }
        }
        if (file.models().isEmpty() && !diagnostics.hasErrors()) {
            diagnostics.fileWarning("file declares no model"); // about the file as a whole: no word to point at
        }
        return models;
    }
}
