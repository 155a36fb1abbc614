package dev.unroll.compiler;

import dev.unroll.dsl.RnnFrontEnd;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Measures how long {@code RnnFrontEnd.check} takes on a typical spec once warm (docs/robustness.md):
 * 20,000 warm-up checks, then 15 rounds of 2,000, reporting the median and the fastest round in
 * thread CPU time (which a loaded machine inflates far less than wall time) and in wall time. Not
 * a test, since a timed assertion would fail on a busy machine:
 * {@code java -cp <test class path> dev.unroll.compiler.FrontEndTiming spec.rnn...}.
 */
public final class FrontEndTiming {
    private static final int WARM_UP = 20_000;
    private static final int ROUNDS = 15;
    private static final int CHECKS_PER_ROUND = 2_000;

    private FrontEndTiming() {
    }

    /** Times each spec file given; each must be valid. */
    public static void main(String[] args) throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        for (String file : args) {
            byte[] spec = Files.readAllBytes(Path.of(file));
            for (int i = 0; i < WARM_UP; i++) {
                RnnFrontEnd.check("spec.rnn", spec);
            }
            double[] wall = new double[ROUNDS];
            double[] cpu = new double[ROUNDS];
            for (int r = 0; r < ROUNDS; r++) {
                long t = System.nanoTime();
                long c = threads.getCurrentThreadCpuTime();
                for (int i = 0; i < CHECKS_PER_ROUND; i++) {
                    if (RnnFrontEnd.check("spec.rnn", spec).hasErrors()) {
                        throw new IllegalArgumentException(file + " has errors");
                    }
                }
                wall[r] = (System.nanoTime() - t) / 1e3 / CHECKS_PER_ROUND;
                cpu[r] = (threads.getCurrentThreadCpuTime() - c) / 1e3 / CHECKS_PER_ROUND;
            }
            Arrays.sort(wall);
            Arrays.sort(cpu);
            System.out.printf("%s (%d bytes): CPU median %.1f us (fastest round %.1f), wall median %.1f us (%.1f) per check%n",
                    file, spec.length, cpu[ROUNDS / 2], cpu[0], wall[ROUNDS / 2], wall[0]);
        }
    }
}
