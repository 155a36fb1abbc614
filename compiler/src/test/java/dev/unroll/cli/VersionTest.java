package dev.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The {@code --version} line for what the build could and could not find out. */
class VersionTest {
    private static String describe(String version, String commit, String dirty) {
        Properties build = new Properties();
        build.setProperty("version", version);
        build.setProperty("commit", commit);
        build.setProperty("dirty", dirty);
        return UnrollCommand.Version.describe(build);
    }

    @Test
    void namesTheCommitAndLocalChanges() {
        assertEquals("unroll 0.1.0 (commit 1a2b3c4)", describe("0.1.0", "1a2b3c4", "false"));
        assertEquals("unroll 0.1.0 (commit 1a2b3c4 plus local changes)", describe("0.1.0", "1a2b3c4", "true"));
    }

    @Test
    void outsideAGitCheckoutTheUnfilteredPlaceholdersAreLeftOut() {
        assertEquals("unroll 0.1.0", describe("0.1.0", "${git.commit.id.abbrev}", "${git.dirty}"));
        assertEquals("unroll 0.1.0", describe("0.1.0", "", ""));
        assertEquals("unroll (unknown version)", UnrollCommand.Version.describe(new Properties()));
    }
}
