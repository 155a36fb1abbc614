package dev.unroll.compiler;

import com.palantir.javapoet.JavaFile;
import dev.unroll.compiler.codegen.ModelWriter;
import dev.unroll.dsl.CheckResult;
import dev.unroll.dsl.Diagnostic;
import dev.unroll.dsl.RnnFrontEnd;
import dev.unroll.dsl.Severity;
import dev.unroll.compiler.plan.ModelPlan;
import dev.unroll.compiler.plan.KernelStyle;
import dev.unroll.compiler.plan.Planner;
import dev.unroll.compiler.plan.Refusal;
import dev.unroll.dsl.model.NetworkModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
     * in their package folders. A spec error writes nothing at all, and so does a failure to write
     * any one file: the sources are written into a staging directory and moved into place together.
     *
     * @throws WriteException if a source cannot be written; then nothing was
     * @throws IOException never otherwise (the specs are read by the front end, which reports problems as diagnostics)
     */
    public static Result compile(List<Path> specs, Path outputDirectory) throws IOException {
        return compile(specs, outputDirectory, KernelStyle.PLAIN);
    }

    /**
     * {@link #compile(List, Path)}, with the matrix products written in {@code kernels}: plain Java loops, or the
     * Vector API at a fixed width (see {@link KernelStyle}).
     *
     * @throws WriteException if a source cannot be written; then nothing was
     * @throws IOException never otherwise
     */
    public static Result compile(List<Path> specs, Path outputDirectory, KernelStyle kernels) throws IOException {
        Planner.Options options = Planner.Options.DEFAULT.withKernels(kernels);
        List<CheckResult> checks = new ArrayList<>();
        List<Diagnostic> diagnostics = new ArrayList<>();
        List<ModelPlan> plans = new ArrayList<>();
        for (Path spec : specs) {
            CheckResult check = RnnFrontEnd.check(spec);
            checks.add(check);
            diagnostics.addAll(check.diagnostics());
            for (NetworkModel model : check.models()) {
                Planner.Result planned = Planner.plan(model, options);
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
        // Every source is generated before anything is written, then all are written or none.
        Map<String, String> sources = new LinkedHashMap<>();
        for (ModelPlan plan : plans) {
            JavaFile file = ModelWriter.write(plan);
            sources.put(file.toJavaFileObject().getName(), file.toString());
        }
        try {
            return new Result(checks, SourceOutput.writeAll(outputDirectory, sources), diagnostics);
        } catch (IOException e) {
            throw new WriteException(e.getMessage(), e, checks, diagnostics);
        }
    }

    /**
     * The sources could not all be written; none was (the output directory is as it was). Carries
     * the specs' diagnostics, warnings included, so that they can still be shown.
     */
    public static final class WriteException extends IOException {
        private static final long serialVersionUID = 1L;
        private final transient List<CheckResult> checks;
        private final transient List<Diagnostic> diagnostics;

        WriteException(String message, IOException cause, List<CheckResult> checks, List<Diagnostic> diagnostics) {
            super(message, cause);
            this.checks = List.copyOf(checks);
            this.diagnostics = List.copyOf(diagnostics);
        }

        /** Returns the front end's result for each spec. */
        public List<CheckResult> checks() {
            return checks;
        }

        /** Returns the specs' diagnostics: warnings only, since a spec error writes nothing anyway. */
        public List<Diagnostic> diagnostics() {
            return diagnostics;
        }
    }

    /**
     * Lists the features of a valid model that the generator cannot emit yet, as messages for the user: the
     * planner's refusals ({@link Planner#plan}), which {@link #compile} reports at the option's position.
     */
    public static List<String> unsupportedFeatures(NetworkModel model) {
        return Planner.plan(model).refusals().stream().map(Refusal::message).toList();
    }
}
