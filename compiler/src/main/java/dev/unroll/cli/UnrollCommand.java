package dev.unroll.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code unroll} command line: {@code java -jar unroll.jar <command> ...}.
 *
 * <pre>{@code
 * java -jar compiler/target/unroll.jar check models/char.rnn
 * }</pre>
 */
@Command(
        name = "unroll",
        mixinStandardHelpOptions = true,
        versionProvider = UnrollCommand.Version.class,
        description = "Compiles .rnn network specs into size-specialized Java.",
        subcommands = {CheckCommand.class, GenerateCommand.class, DiagramCommand.class, ImportCommand.class,
            ExportCommand.class,
            CommandLine.HelpCommand.class})
public final class UnrollCommand implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams and returns the exit status; for tests and embedding. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(new UnrollCommand());
        commandLine.setOut(out);
        commandLine.setErr(err);
        return commandLine.execute(args);
    }

    @Override
    public void run() {
        // "unroll" alone: picocli's handler prints this message, then the usage (once), and exits 2.
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    /**
     * Reports the version and the commit that the build wrote into {@code version.properties}:
     * {@code unroll 0.1.0 (commit 1a2b3c4)}, with {@code plus local changes} when the working tree
     * had some; without the commit when the build ran outside a git checkout.
     */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties build = new Properties();
            try (InputStream in = UnrollCommand.class.getResourceAsStream("version.properties")) {
                if (in == null) {
                    throw new IOException("version.properties is missing from the classpath: a broken build");
                }
                build.load(in);
            }
            return new String[] {describe(build)};
        }

        /** Returns the version line for the properties the build wrote. */
        static String describe(Properties build) {
            String version = known(build.getProperty("version"));
            String commit = known(build.getProperty("commit"));
            StringBuilder line = new StringBuilder("unroll ").append(version == null ? "(unknown version)" : version);
            if (commit != null) {
                line.append(" (commit ").append(commit);
                if ("true".equals(known(build.getProperty("dirty")))) {
                    line.append(" plus local changes");
                }
                line.append(')');
            }
            return line.toString();
        }

        /** Returns the value, or null when it is empty or a placeholder that filtering left unset. */
        private static String known(String value) {
            return value == null || value.isBlank() || value.contains("${") ? null : value.trim();
        }
    }
}
