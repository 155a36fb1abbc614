import java.io.File;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * CPU-time A/B of {@code Stepper.step} (see README.md): {@code java Harness MODEL INPUT float|double ROUNDS DIR...},
 * each DIR the compiled grid models of one compiler version plus {@code abdrv.Driver}.
 */
public final class Harness {
    public static void main(String[] a) throws Exception {
        String model = a[0];
        int input = Integer.parseInt(a[1]);
        boolean isFloat = a[2].equals("float");
        int rounds = Integer.parseInt(a[3]);
        int nv = a.length - 4;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Object[] drivers = new Object[nv];
        Method[] runs = new Method[nv];
        for (int v = 0; v < nv; v++) {
            ClassLoader l = new URLClassLoader(new URL[] {new File(a[4 + v]).toURI().toURL()}, Harness.class.getClassLoader());
            Class<?> d = Class.forName("abdrv.Driver", true, l);
            drivers[v] = d.getConstructor(String.class, int.class, boolean.class).newInstance(model, input, isFloat);
            runs[v] = d.getMethod("run", int.class);
            Object p = d.getMethod("probe").invoke(drivers[v]);
            System.out.println(new File(a[4 + v]).getName() + " probe " + (p instanceof float[] f ? Arrays.toString(Arrays.copyOf(f, 4)) : Arrays.toString(Arrays.copyOf((double[]) p, 4))));
        }
        // warm up, then size a round to about 100 ms
        int n = 1000;
        for (int w = 0; w < 30; w++) for (int v = 0; v < nv; v++) runs[v].invoke(drivers[v], n);
        long t0 = System.nanoTime();
        runs[0].invoke(drivers[0], n);
        long dt = System.nanoTime() - t0;
        n = (int) Math.max(1000, Math.min(5_000_000, n * 1e8 / Math.max(dt, 1)));
        for (int w = 0; w < 5; w++) for (int v = 0; v < nv; v++) runs[v].invoke(drivers[v], n);
        double[][] cpu = new double[nv][rounds];
        double[][] wall = new double[nv][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int v0 = 0; v0 < nv; v0++) {
                int v = (v0 + r) % nv;
                long c0 = mx.getCurrentThreadCpuTime();
                long w0 = System.nanoTime();
                runs[v].invoke(drivers[v], n);
                wall[v][r] = (System.nanoTime() - w0) / (double) n;
                cpu[v][r] = (mx.getCurrentThreadCpuTime() - c0) / (double) n;
            }
        }
        double base = 0;
        for (int v = 0; v < nv; v++) {
            double[] c = cpu[v].clone(); Arrays.sort(c);
            double[] w = wall[v].clone(); Arrays.sort(w);
            double mc = c[rounds / 2], mw = w[rounds / 2];
            if (v == 0) base = mc;
            System.out.printf("%-14s %-40s cpu median %8.1f ns (p10 %8.1f)  wall median %8.1f ns  cpu ratio %.3f%n",
                    model, new File(a[4 + v]).getName(), mc, c[rounds / 10], mw, mc / base);
        }
    }
}
