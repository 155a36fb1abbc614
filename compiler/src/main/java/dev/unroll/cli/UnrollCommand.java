package dev.unroll.cli;

import java.io.PrintWriter;
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
        // "unroll" alone: show what there is to do.
        spec.commandLine().usage(spec.commandLine().getErr());
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    /** Reports the version from the jar manifest, or "development" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = UnrollCommand.class.getPackage().getImplementationVersion();
            return new String[] {"unroll " + (version == null ? "(development build)" : version)};
        }
    }
}
