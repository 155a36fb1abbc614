package dev.unroll.maven;

import java.io.File;
import javax.inject.Inject;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.sonatype.plexus.build.incremental.BuildContext;

/**
 * Generates Java sources from the {@code .rnn} specs of {@code src/test/rnn} and adds them to the
 * test sources, incrementally like {@code generate}. Skipped with {@code maven.test.skip}, which
 * skips compiling the tests too.
 */
@Mojo(name = "generate-test", defaultPhase = LifecyclePhase.GENERATE_TEST_SOURCES, threadSafe = true)
public class GenerateTestMojo extends AbstractGenerateMojo {
    /** The directory holding the test specs; sub-folders are scanned too. */
    @Parameter(defaultValue = "${basedir}/src/test/rnn", required = true)
    private File sourceDirectory;

    /** The directory the Java sources are generated into, added as a test compile source root. */
    @Parameter(defaultValue = "${project.build.directory}/generated-test-sources/rnn", required = true)
    private File outputDirectory;

    /** Set by {@code -Dmaven.test.skip=true}: the tests are not compiled, so not generated either. */
    @Parameter(property = "maven.test.skip", defaultValue = "false")
    private boolean skipTests;

    @Inject
    public GenerateTestMojo(BuildContext buildContext) {
        super(buildContext);
    }

    @Override
    protected File sourceDirectory() {
        return sourceDirectory;
    }

    @Override
    protected File outputDirectory() {
        return outputDirectory;
    }

    @Override
    protected void addSourceRoot(String directory) {
        project.addTestCompileSourceRoot(directory);
    }

    @Override
    protected String skipReason() {
        return skipTests ? "maven.test.skip is true" : null;
    }
}
