package dev.unroll.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's pom is the integration-test project {@code src/it/readme-pom}, which the build runs
 * with Maven 3.8 and 3.9: the two files must not drift apart, and the versions they name must be
 * the ones this build makes.
 */
class ReadmePomTest {
    private static Path property(String name) {
        String value = System.getProperty(name);
        assertTrue(value != null && !value.isBlank(), "surefire sets " + name);
        return Path.of(value);
    }

    private static String readmeSnippet() throws IOException {
        String readme = Files.readString(property("unroll.readme"));
        int section = readme.indexOf("\n## The Maven plugin\n");
        assertTrue(section >= 0, "README.md has no section 'The Maven plugin'");
        Matcher block = Pattern.compile("```xml\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertTrue(block.find(section), "no xml block in the section 'The Maven plugin'");
        return block.group(1);
    }

    @Test
    void theReadmeSnippetIsTheTestedPom() throws IOException {
        assertEquals(Files.readString(property("unroll.readmePom")), readmeSnippet(),
                "README.md's pom differs from maven-plugin/src/it/readme-pom/pom.xml; change both");
    }

    @Test
    void itNamesThisBuildsVersions() throws IOException {
        String pom = readmeSnippet();
        String version = System.getProperty("unroll.expectedVersion");
        Matcher versions = Pattern.compile("<artifactId>(unroll-[a-z-]+)</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(pom);
        int found = 0;
        while (versions.find()) {
            assertEquals(version, versions.group(2), versions.group(1) + "'s version in the README");
            found++;
        }
        assertEquals(2, found, "the runtime and the plugin, each with its version");
        assertTrue(pom.contains("<artifactId>maven-compiler-plugin</artifactId>\n        <version>"
                + System.getProperty("unroll.compilerPluginVersion") + "</version>"),
                "the README pins the compiler plugin this build uses");
    }
}
