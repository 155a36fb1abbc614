package dev.unroll.maven;

import dev.unroll.compiler.plan.KernelStyle;
import dev.unroll.dsl.SourcePosition;
import dev.unroll.maven.IncrementalGenerator.Generated;
import dev.unroll.maven.IncrementalGenerator.Problem;
import dev.unroll.maven.IncrementalGenerator.Report;
import dev.unroll.maven.Staleness.Spec;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.maven.artifact.Artifact;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecution;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.descriptor.PluginDescriptor;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;
import org.codehaus.plexus.util.Scanner;
import org.sonatype.plexus.build.incremental.BuildContext;
import org.sonatype.plexus.build.incremental.DefaultBuildContext;

/**
 * What the two goals share: selects specs with {@code includes} and {@code excludes}, lets
 * {@link IncrementalGenerator} regenerate the stale ones, reports in the build log and, in an IDE,
 * through {@link BuildContext} markers, and registers the output directory as a source root.
 */
public abstract class AbstractGenerateMojo extends AbstractMojo {
    private static final String DEFAULT_INCLUDE = "**/*.rnn";

    /** The project the sources are generated for. */
    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    protected MavenProject project;

    @Parameter(defaultValue = "${mojoExecution}", readonly = true, required = true)
    private MojoExecution mojoExecution;

    @Parameter(defaultValue = "${plugin}", readonly = true, required = true)
    private PluginDescriptor plugin;

    @Parameter(defaultValue = "${project.build.directory}", readonly = true, required = true)
    private File buildDirectory;

    /**
     * Ant-style patterns, relative to the source directory, of the specs to compile. When empty,
     * every {@code .rnn} file in the source directory and its sub-folders.
     */
    @Parameter
    private Set<String> includes = new HashSet<>();

    /** Ant-style patterns, relative to the source directory, of files to leave out. */
    @Parameter
    private Set<String> excludes = new HashSet<>();

    /**
     * Writes the generated matrix products with {@code jdk.incubator.vector} at this width: 128, 256 or 512 bits
     * (choose the width of the processors the models run on: 256 for AVX2, 512 for AVX-512, 128 for NEON). The
     * generated sources then need {@code --add-modules jdk.incubator.vector} to compile and to run, and javac warns
     * that they use an incubating module. 0, the default, writes plain Java loops that need nothing.
     */
    @Parameter(property = "unroll.vectorBits", defaultValue = "0")
    private int vectorBits;

    /** Skips generation altogether. */
    @Parameter(property = "unroll.skip", defaultValue = "false")
    private boolean skip;

    /**
     * Fails the build when a spec has a warning, as {@code unroll check --Werror} does; nothing is
     * generated then. Warnings of up-to-date specs, recorded when they were generated, count too.
     */
    @Parameter(property = "unroll.failOnWarning", defaultValue = "false")
    private boolean failOnWarning;

    private final BuildContext buildContext;

    protected AbstractGenerateMojo(BuildContext buildContext) {
        this.buildContext = buildContext;
    }

    /** Returns the directory holding the specs. */
    protected abstract File sourceDirectory();

    /** Returns the directory the sources are generated into. */
    protected abstract File outputDirectory();

    /** Registers the output directory with the project as a main or a test source root. */
    protected abstract void addSourceRoot(String directory);

    /** Returns the reason to skip this goal besides {@code unroll.skip}, or null. */
    protected String skipReason() {
        return null;
    }

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        String skipReason = skip ? "unroll.skip is true" : skipReason();
        if (skipReason != null) {
            getLog().info("Skipping .rnn generation: " + skipReason);
            return;
        }
        KernelStyle kernels;
        try {
            kernels = new KernelStyle(vectorBits);
        } catch (IllegalArgumentException e) {
            throw new MojoExecutionException("vectorBits: " + e.getMessage());
        }
        IncrementalGenerator generator = new IncrementalGenerator(sourceDirectory().toPath(),
                outputDirectory().toPath(), stateFile(), generatorVersion(), failOnWarning, kernels);
        Path sources = generator.sourceDirectory();
        Path outputs = generator.outputDirectory();
        addSourceRoot(outputs.toString());

        if (buildContext.isIncremental() && generator.hasState() && !buildContext.hasDelta(sources.toFile())) {
            getLog().debug("No change under " + sources + "; nothing to generate");
            return;
        }
        List<Spec> specs = scan(sources);
        Report report;
        try {
            report = generator.run(specs);
        } catch (IOException e) {
            throw new MojoExecutionException("Cannot generate sources from " + sources + " into " + outputs
                    + ": " + e, e);
        } catch (RuntimeException e) { // a bug in the compiler: still a clear build error, nothing moved
            throw new MojoExecutionException("Internal error while generating sources from " + sources
                    + "; please report it: " + e, e);
        }

        report.plan().stale().forEach((spec, why) -> {
            getLog().debug(spec + " is stale: " + why);
            buildContext.removeMessages(sources.resolve(spec).toFile());
        });
        for (Problem problem : report.problems()) {
            report(problem);
        }
        for (String conflict : report.conflicts()) {
            getLog().error(conflict);
        }
        if (report.failed()) {
            long errors = report.errorCount();
            long warnings = report.warningCount();
            String counted = errors == 0 ? plural(warnings, "warning")
                    : warnings == 0 || !failOnWarning ? plural(errors, "error")
                    : plural(errors, "error") + " and " + plural(warnings, "warning");
            throw new MojoFailureException(counted + " in .rnn specs under " + sources
                    + (failOnWarning && warnings > 0 ? " (failOnWarning is set)" : "") + "; nothing was generated");
        }

        for (Generated generated : report.generated()) {
            getLog().info(generated.spec() + ": " + (generated.outputs().isEmpty()
                    ? "declares no model, nothing generated"
                    : "generated " + String.join(", ", generated.outputs())));
            generated.outputs().forEach(output -> buildContext.refresh(outputs.resolve(output).toFile()));
        }
        for (String removed : report.removed()) {
            getLog().info("Removed " + removed + ": no spec generates it any more");
            buildContext.refresh(outputs.resolve(removed).toFile());
        }
        int upToDate = report.plan().upToDate().size();
        if (specs.isEmpty()) {
            getLog().info("No .rnn specs in " + sources);
        } else if (report.generated().isEmpty()) {
            getLog().info("Nothing to generate: " + count(upToDate) + " in " + sources + " up to date");
        } else if (upToDate > 0) {
            getLog().info(count(upToDate) + " up to date");
        }
    }

    private static String count(int specs) {
        return specs + (specs == 1 ? " .rnn spec" : " .rnn specs");
    }

    private static String plural(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    /**
     * Logs a diagnostic. A warning goes to the warning level, except where that level is hidden
     * ({@code mvn -q} shows errors only) or where it fails the build ({@code failOnWarning}): then it
     * goes to the error level, its text still saying "warning:". The README's commands all use
     * {@code -q}, and a spec warning (softmax over one output, a learning rate far off) usually
     * means a model that will not learn, so it must not vanish; the whole text, with its position,
     * is more use than a count.
     */
    private void report(Problem problem) {
        SourcePosition position = problem.diagnostic().position().orElse(null);
        boolean error = problem.diagnostic().isError();
        if (error || failOnWarning || !getLog().isWarnEnabled()) {
            getLog().error(problem.formatted());
        } else {
            getLog().warn(problem.formatted());
        }
        if (buildContext instanceof DefaultBuildContext) {
            return; // the command line's context only logs messages, and they were just logged
        }
        if (problem.replayed()) {
            return; // an IDE keeps the marker from the build that generated the spec
        }
        buildContext.addMessage(problem.file().toFile(),
                position == null ? 0 : position.line(),
                position == null ? 0 : position.column(),
                problem.diagnostic().message(),
                error ? BuildContext.SEVERITY_ERROR : BuildContext.SEVERITY_WARNING,
                null);
    }

    /** Lists the selected specs, with their modification times, in path order. */
    private List<Spec> scan(Path sources) throws MojoExecutionException {
        if (!Files.isDirectory(sources)) {
            return List.of();
        }
        Scanner scanner = buildContext.newScanner(sources.toFile(), true);
        scanner.setIncludes(includes.isEmpty() ? new String[] {DEFAULT_INCLUDE} : includes.toArray(String[]::new));
        scanner.setExcludes(excludes.toArray(String[]::new));
        scanner.addDefaultExcludes();
        scanner.scan();
        List<Spec> specs = new ArrayList<>();
        for (String included : scanner.getIncludedFiles()) {
            Path spec = sources.resolve(included);
            try {
                specs.add(new Spec(included.replace(File.separatorChar, '/'),
                        Files.getLastModifiedTime(spec).toMillis()));
            } catch (IOException e) {
                throw new MojoExecutionException("Cannot read " + spec + ": " + e.getMessage(), e);
            }
        }
        specs.sort(Comparator.comparing(Spec::path));
        return specs;
    }

    /** Returns this execution's state file: one per goal and execution, as each has its own directories. */
    private Path stateFile() {
        String name = mojoExecution.getMojoDescriptor().getGoal() + "-" + mojoExecution.getExecutionId();
        return buildDirectory.toPath().resolve("unroll-maven-plugin")
                .resolve(name.replaceAll("[^A-Za-z0-9._-]", "_") + ".state");
    }

    /**
     * Returns the version that the outputs depend on: the plugin's. A snapshot's code changes under
     * one version, so for a snapshot the size and time of the plugin's own artifacts are added.
     */
    private String generatorVersion() {
        String version = plugin.getVersion();
        if (!version.endsWith("-SNAPSHOT")) {
            return version;
        }
        Map<File, String> files = new LinkedHashMap<>();
        List<Artifact> artifacts = new ArrayList<>();
        if (plugin.getPluginArtifact() != null) {
            artifacts.add(plugin.getPluginArtifact());
        }
        if (plugin.getArtifacts() != null) {
            artifacts.addAll(plugin.getArtifacts());
        }
        for (Artifact artifact : artifacts) {
            if (artifact.getGroupId().equals(plugin.getGroupId()) && artifact.getFile() != null) {
                files.putIfAbsent(artifact.getFile(), artifact.getArtifactId() + "@" + fingerprint(artifact.getFile()));
            }
        }
        return files.isEmpty() ? version : version + " " + String.join(" ", files.values());
    }

    /** Returns size and time of a jar, or of the newest file in a classes directory. */
    private static String fingerprint(File file) {
        if (!file.isDirectory()) {
            return file.length() + "-" + file.lastModified();
        }
        try (Stream<Path> paths = Files.walk(file.toPath())) {
            return "dir-" + paths.mapToLong(p -> p.toFile().lastModified()).max().orElse(0);
        } catch (IOException e) {
            return "dir-unreadable";
        }
    }
}
