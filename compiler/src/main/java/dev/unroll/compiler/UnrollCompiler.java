package dev.unroll.compiler;

import com.palantir.javapoet.JavaFile;
import dev.unroll.compiler.codegen.ModelWriter;
import dev.unroll.dsl.CheckResult;
import dev.unroll.dsl.Diagnostic;
import dev.unroll.dsl.RnnFrontEnd;
import dev.unroll.dsl.Severity;
import dev.unroll.compiler.plan.ModelPlan;
import dev.unroll.compiler.plan.Planner;
import dev.unroll.compiler.plan.Refusal;
import dev.unroll.dsl.model.NetworkModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The compiler's one entry point, shared by the command line and the Maven plugin: checks specs
 * with the front end, then writes one Java source per model.
 *
 * <pre>{@code
 * UnrollCompiler.Result result = UnrollCompiler.compile(List.of(Path.of("char.rnn")), Path.of("out"));
 * result.diagnostics().forEach(d -> System.err.println(d.summary()));
 * }</pre>
 */
public final class UnrollCompiler {
    private UnrollCompiler() {}

    /**
     * What a compilation produced.
     *
     * @param checks the front end's result for each spec, with its diagnostics
     * @param written the source files written, in spec and model order
     * @param diagnostics every diagnostic, front end and generator
     */
    public record Result(List<CheckResult> checks, List<Path> written, List<Diagnostic> diagnostics) {
        /** Returns true when some spec has an error; then nothing was written. */
        public boolean hasErrors() {
            return diagnostics.stream().anyMatch(Diagnostic::isError);
        }
    }

    /**
     * Generates the source files for a model in memory.
     *
     * @throws IllegalArgumentException if the model uses a feature the generator does not support yet
     */
    public static JavaFile generate(NetworkModel model) {
        return ModelWriter.write(Planner.planOrThrow(model));
    }

    /**
     * Checks every spec; when none has an error, writes the generated sources under {@code outputDirectory}
     * in their package folders. A spec error writes nothing at all.
     */
    public static Result compile(List<Path> specs, Path outputDirectory) throws IOException {
        List<CheckResult> checks = new ArrayList<>();
        List<Diagnostic> diagnostics = new ArrayList<>();
        List<ModelPlan> plans = new ArrayList<>();
        for (Path spec : specs) {
            CheckResult check = RnnFrontEnd.check(spec);
            checks.add(check);
            diagnostics.addAll(check.diagnostics());
            for (NetworkModel model : check.models()) {
                Planner.Result planned = Planner.plan(model);
                for (Refusal refusal : planned.refusals()) {
                    diagnostics.add(new Diagnostic(Severity.ERROR, check.path(), Optional.of(refusal.position()),
                            refusal.message()));
                }
                planned.plan().ifPresent(plans::add);
            }
        }
        if (diagnostics.stream().anyMatch(Diagnostic::isError)) {
            return new Result(checks, List.of(), diagnostics);
        }
        List<Path> written = new ArrayList<>();
        for (ModelPlan plan : plans) {
            JavaFile file = ModelWriter.write(plan);
            Path target = outputDirectory.resolve(file.toJavaFileObject().getName());
            Files.createDirectories(target.getParent());
            Files.writeString(target, file.toString(), StandardCharsets.UTF_8);
            written.add(target);
        }
        return new Result(checks, written, diagnostics);
    }
}
