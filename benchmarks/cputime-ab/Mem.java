import java.io.File;
import java.lang.reflect.Field;
import java.net.URL;
import java.net.URLClassLoader;

/** Bytes of the arrays a fresh Stepper's workspace holds (array headers 16 bytes, 8-byte aligned). */
public final class Mem {
    public static void main(String[] a) throws Exception {
        for (int v = 1; v < a.length; v++) {
            ClassLoader l = new URLClassLoader(new URL[] {new File(a[v]).toURI().toURL()}, Mem.class.getClassLoader());
            StringBuilder line = new StringBuilder(a[v]);
            for (String model : a[0].split(",")) {
                Class<?> c = Class.forName("dev.unroll.bench.models." + model, true, l);
                Object m = c.getConstructor(long.class).newInstance(7L);
                Object stepper = c.getMethod("newStepper").invoke(m);
                Field f = stepper.getClass().getDeclaredField("ws");
                f.setAccessible(true);
                Object ws = f.get(stepper);
                long bytes = 0;
                for (Field g : ws.getClass().getDeclaredFields()) {
                    g.setAccessible(true);
                    Object arr = g.get(ws);
                    if (arr instanceof float[] x) bytes += (16 + 4L * x.length + 7) / 8 * 8;
                    else if (arr instanceof double[] x) bytes += 16 + 8L * x.length;
                    else if (arr instanceof int[] x) bytes += (16 + 4L * x.length + 7) / 8 * 8;
                }
                line.append(String.format("  %s %.1f KiB", model, bytes / 1024.0));
            }
            System.out.println(line);
        }
    }
}
