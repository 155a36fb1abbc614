package dev.unroll.runtime.checkpoint;

import dev.unroll.runtime.ParameterSet;
import dev.unroll.runtime.testing.Models;
import java.nio.file.Path;
import java.util.Map;

/**
 * The child JVM of {@link CheckpointFaultInjectionTest}: saves checkpoints to one file in an
 * endless loop, alternating between two models that differ in every value, until it is killed.
 * It prints {@code saved} after its first save, so the parent knows the file exists.
 */
public final class CrashingSaver {
    /** The two contents: the same shapes, different seeds. */
    static ParameterSet content(int which) {
        // an LSTM of hidden size 96 on 64 inputs: 62k float32 values, a quarter of a megabyte,
        // so that one save takes long enough to be killed in the middle of it
        return Models.randomize(Models.recurrent(4, 64, 96, 1, 10, false), which == 0 ? 11 : 22);
    }

    private CrashingSaver() {
    }

    /** Saves to {@code args[0]} until killed. */
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        ParameterSet[] contents = {content(0), content(1)};
        for (long i = 0; ; i++) {
            Checkpoints.save(file, contents[(int) (i % 2)], Map.of("which", Long.toString(i % 2)));
            if (i == 0) {
                System.out.println("saved");
                System.out.flush();
            }
        }
    }
}
