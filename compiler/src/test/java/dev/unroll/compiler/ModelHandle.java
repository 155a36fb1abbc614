package dev.unroll.compiler;

import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Test support: calls a generated model class through reflection, so that one test can drive
 * models whose method signatures differ by topology and precision.
 */
final class ModelHandle {
    final Object model;
    final Object workspace;
    private final Class<?> type;

    ModelHandle(Class<?> type) {
        this.type = type;
        try {
            this.model = type.getConstructor().newInstance();
            this.workspace = call("newWorkspace");
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    ParameterSet parameters() {
        return (ParameterSet) call("parameters");
    }

    /**
     * Runs {@code computeGradients} on the batch in this handle's workspace, filling {@code dx} (a buffer shaped like
     * the batch's inputs) with the input gradient unless it is null; returns the loss.
     */
    double computeGradients(TestBatch batch, Object dx) {
        return dx == null
                ? (double) call("computeGradients", workspace, batch.xs(), batch.targetsArgument())
                : (double) call("computeGradients", workspace, batch.xs(), batch.targetsArgument(), dx);
    }

    /** Returns a parameter's gradient as an array. */
    static double[] gradient(Parameter p) {
        double[] g = new double[p.size()];
        for (int i = 0; i < g.length; i++) {
            g[i] = p.grad(i);
        }
        return g;
    }

    /**
     * Gives the parameters of two models of the same network the same values, uniform in {@code [-bound, bound)} from
     * {@code random}, and tells both models so.
     */
    static void sameRandomWeights(SplittableRandom random, double bound, ModelHandle a, ModelHandle b) {
        List<Parameter> pa = a.parameters().list();
        List<Parameter> pb = b.parameters().list();
        for (int k = 0; k < pa.size(); k++) {
            for (int i = 0; i < pa.get(k).size(); i++) {
                double v = random.nextDouble(-bound, bound);
                pa.get(k).setValue(i, v);
                pb.get(k).setValue(i, v);
            }
        }
        a.call("parametersChanged");
        b.call("parametersChanged");
    }

    /** Calls the public method called {@code name} taking {@code args.length} arguments. */
    Object call(String name, Object... args) {
        for (Method m : type.getMethods()) {
            if (!m.isBridge() && m.getName().equals(name) && m.getParameterCount() == args.length && accepts(m, args)) {
                try {
                    return m.invoke(model, args);
                } catch (InvocationTargetException e) {
                    throw ModelHandle.<RuntimeException>rethrow(e.getCause());
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
            }
        }
        throw new AssertionError("no method " + name + " with " + args.length + " matching arguments on " + type);
    }

    /**
     * Resolves once the public method called {@code name} that accepts {@code args}, for tests that
     * call it in a loop ({@link #call} searches every time).
     */
    Method method(String name, Object... args) {
        for (Method m : type.getMethods()) {
            if (!m.isBridge() && m.getName().equals(name) && m.getParameterCount() == args.length && accepts(m, args)) {
                return m;
            }
        }
        throw new AssertionError("no method " + name + " with " + args.length + " matching arguments on " + type);
    }

    /** Calls a method resolved by {@link #method} on this model, rethrowing what it threw. */
    Object call(Method method, Object... args) {
        try {
            return method.invoke(model, args);
        } catch (InvocationTargetException e) {
            throw ModelHandle.<RuntimeException>rethrow(e.getCause());
        } catch (IllegalAccessException e) {
            throw new AssertionError(e);
        }
    }

    /** Rethrows what a generated method threw, checked or not, so tests can assert on it. */
    @SuppressWarnings("unchecked")
    private static <T extends Throwable> T rethrow(Throwable t) throws T {
        throw (T) t;
    }

    /** Calls a public method of any object (a stepper, a workspace) by name and argument count. */
    static Object invoke(Object target, String name, Object... args) {
        for (Method m : target.getClass().getMethods()) {
            if (!m.isBridge() && m.getName().equals(name) && m.getParameterCount() == args.length && accepts(m, args)) {
                try {
                    m.setAccessible(true);
                    return m.invoke(target, args);
                } catch (InvocationTargetException e) {
                    if (e.getCause() instanceof RuntimeException r) {
                        throw r;
                    }
                    throw new AssertionError(e.getCause());
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
            }
        }
        throw new AssertionError("no method " + name + " on " + target.getClass());
    }

    private static boolean accepts(Method m, Object[] args) {
        Class<?>[] types = m.getParameterTypes();
        for (int i = 0; i < args.length; i++) {
            if (args[i] == null) {
                continue;
            }
            Class<?> t = types[i].isPrimitive() ? box(types[i]) : types[i];
            if (!t.isInstance(args[i])) {
                return false;
            }
        }
        return true;
    }

    private static Class<?> box(Class<?> primitive) {
        return primitive == int.class ? Integer.class : primitive == double.class ? Double.class
                : primitive == float.class ? Float.class : primitive == long.class ? Long.class : Boolean.class;
    }
}
