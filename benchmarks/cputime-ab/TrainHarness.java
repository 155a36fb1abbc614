import java.io.File;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Arrays;

/**
 * CPU-time A/B of a training update ({@code trainStep}, see README.md): {@code java TrainHarness MODEL BATCH ROUNDS
 * DIR...}, each DIR the compiled models of one compiler version plus {@code abdrv.TrainDriver}. Variants alternate
 * in rounds of about 200 ms of the calling thread; medians of the rounds.
 */
public final class TrainHarness {
    public static void main(String[] a) throws Exception {
        String model = a[0];
        int batch = Integer.parseInt(a[1]);
        int rounds = Integer.parseInt(a[2]);
        int nv = a.length - 3;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Object[] drivers = new Object[nv];
        Method[] runs = new Method[nv];
        for (int v = 0; v < nv; v++) {
            ClassLoader l = new URLClassLoader(new URL[] {new File(a[3 + v]).toURI().toURL()},
                    TrainHarness.class.getClassLoader());
            Class<?> d = Class.forName("abdrv.TrainDriver", true, l);
            drivers[v] = d.getConstructor(String.class, int.class).newInstance(model, batch);
            runs[v] = d.getMethod("run", int.class);
            System.out.println(new File(a[3 + v]).getName() + " first loss " + d.getMethod("probe").invoke(drivers[v]));
        }
        // warm up (about 2 s of updates per variant), then size a round to about 200 ms
        long t0 = mx.getCurrentThreadCpuTime();
        runs[0].invoke(drivers[0], 1);
        long dt = Math.max(1, mx.getCurrentThreadCpuTime() - t0);
        int n = (int) Math.max(1, Math.min(100_000, 2e8 / dt));
        for (int w = 0; w < 10; w++) for (int v = 0; v < nv; v++) runs[v].invoke(drivers[v], n);
        t0 = mx.getCurrentThreadCpuTime();
        runs[0].invoke(drivers[0], n);
        dt = Math.max(1, mx.getCurrentThreadCpuTime() - t0);
        n = (int) Math.max(1, Math.min(100_000, n * 2e8 / dt));
        double[][] cpu = new double[nv][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int v0 = 0; v0 < nv; v0++) {
                int v = (v0 + r) % nv;
                long c0 = mx.getCurrentThreadCpuTime();
                runs[v].invoke(drivers[v], n);
                cpu[v][r] = (mx.getCurrentThreadCpuTime() - c0) / (double) n;
            }
        }
        double base = 0;
        for (int v = 0; v < nv; v++) {
            double[] c = cpu[v].clone();
            Arrays.sort(c);
            double mc = c[rounds / 2];
            if (v == 0) base = mc;
            System.out.printf("%-14s batch %-3d %-10s cpu median %10.1f us per update (p10 %10.1f, p90 %10.1f)  ratio %.3f%n",
                    model, batch, new File(a[3 + v]).getName(), mc / 1e3, c[rounds / 10] / 1e3,
                    c[rounds - 1 - rounds / 10] / 1e3, mc / base);
        }
    }
}
