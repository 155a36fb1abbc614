package dev.unroll.maven;

import java.io.File;
import javax.inject.Inject;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.sonatype.plexus.build.incremental.BuildContext;

/**
 * Generates Java sources from the {@code .rnn} specs of {@code src/main/rnn} and adds them to the
 * main sources. Each model becomes one class in its spec's package; only specs changed since the
 * last build are generated again, and the outputs of deleted specs are removed.
 *
 * <pre>{@code
 * <plugin>
 *   <groupId>dev.unroll</groupId>
 *   <artifactId>unroll-maven-plugin</artifactId>
 *   <executions>
 *     <execution>
 *       <goals><goal>generate</goal></goals>
 *     </execution>
 *   </executions>
 * </plugin>
 * }</pre>
 */
@Mojo(name = "generate", defaultPhase = LifecyclePhase.GENERATE_SOURCES, threadSafe = true)
public class GenerateMojo extends AbstractGenerateMojo {
    /** The directory holding the specs; sub-folders are scanned too. */
    @Parameter(defaultValue = "${basedir}/src/main/rnn", required = true)
    private File sourceDirectory;

    /** The directory the Java sources are generated into, added as a compile source root. */
    @Parameter(defaultValue = "${project.build.directory}/generated-sources/rnn", required = true)
    private File outputDirectory;

    @Inject
    public GenerateMojo(BuildContext buildContext) {
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
        project.addCompileSourceRoot(directory);
    }
}
