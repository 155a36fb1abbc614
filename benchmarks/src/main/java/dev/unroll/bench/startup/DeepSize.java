package dev.unroll.bench.startup;

import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * The bytes reachable from an object, by walking its instance fields with reflection and sizing every object and
 * array as 64-bit HotSpot lays them out with compressed class pointers and oops (heaps under 32 GB, the default):
 * a 12-byte object header, fields at their natural sizes (references 4 bytes), a 16-byte array header, every
 * object rounded up to 8 bytes. Field packing is approximated (the sum of the field sizes, rounded once), which is
 * within a few bytes per object; arrays, which hold nearly all of a model's memory, are exact.
 *
 * <p>Objects of the JDK's own classes ({@code java.*}, {@code jdk.*}) are counted shallowly and not entered (their
 * fields are not accessible without {@code --add-opens}; in a generated model they are small: a {@code List.of}
 * of the parameters, which are reached through the model's own fields anyway, a random generator), and so are
 * enum constants and {@code Class} objects, shared by every instance. No JOL, no instrumentation agent.
 */
final class DeepSize {
    private DeepSize() {}

    /** The bytes reachable from {@code root}, not counting what is reachable only through {@code excluded}. */
    static long of(Object root, Object... excluded) {
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Collections.addAll(seen, excluded);
        ArrayDeque<Object> queue = new ArrayDeque<>();
        queue.add(root);
        long total = 0;
        while (!queue.isEmpty()) {
            Object o = queue.poll();
            if (o == null || !seen.add(o)) {
                continue;
            }
            Class<?> c = o.getClass();
            if (c.isArray()) {
                int n = Array.getLength(o);
                Class<?> e = c.getComponentType();
                total += align(16 + (long) n * (e.isPrimitive() ? primitiveSize(e) : 4));
                if (!e.isPrimitive()) {
                    for (Object element : (Object[]) o) {
                        queue.add(element);
                    }
                }
                continue;
            }
            if (o instanceof Class<?> || o instanceof Enum<?>) {
                continue;
            }
            long size = 12;
            boolean enter = !isJdk(c);
            for (Class<?> k = c; k != null; k = k.getSuperclass()) {
                for (Field f : k.getDeclaredFields()) {
                    if (Modifier.isStatic(f.getModifiers())) {
                        continue;
                    }
                    Class<?> t = f.getType();
                    size += t.isPrimitive() ? primitiveSize(t) : 4;
                    if (enter && !t.isPrimitive()) {
                        try {
                            f.setAccessible(true);
                            queue.add(f.get(o));
                        } catch (ReflectiveOperationException | RuntimeException e) {
                            // inaccessible (a JDK superclass's field): counted shallowly
                        }
                    }
                }
            }
            total += align(size);
        }
        return total;
    }

    private static boolean isJdk(Class<?> c) {
        String n = c.getName();
        return n.startsWith("java.") || n.startsWith("javax.") || n.startsWith("jdk.") || n.startsWith("sun.");
    }

    private static long primitiveSize(Class<?> t) {
        if (t == long.class || t == double.class) {
            return 8;
        }
        if (t == int.class || t == float.class) {
            return 4;
        }
        if (t == short.class || t == char.class) {
            return 2;
        }
        return 1;
    }

    private static long align(long bytes) {
        return (bytes + 7) & ~7L;
    }
}
