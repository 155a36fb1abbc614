package abdrv;

import dev.unroll.runtime.SequenceStepper;
import java.util.Random;

/** One model's stepper, timed in batches; one copy per class loader so each call site is monomorphic. */
public final class Driver {
    private final SequenceStepper<Object, Object> stepper;
    private final Object[] xs = new Object[1024];
    private int next;
    public double sink;

    @SuppressWarnings("unchecked")
    public Driver(String model, int inputSize, boolean isFloat) throws Exception {
        Class<?> c = Class.forName("dev.unroll.bench.models." + model);
        Object m = c.getConstructor(long.class).newInstance(7L);
        stepper = (SequenceStepper<Object, Object>) c.getMethod("newStepper").invoke(m);
        Random r = new Random(42);
        for (int p = 0; p < xs.length; p++) {
            if (isFloat) {
                float[] x = new float[inputSize];
                for (int i = 0; i < inputSize; i++) x[i] = (float) (r.nextGaussian());
                xs[p] = x;
            } else {
                double[] x = new double[inputSize];
                for (int i = 0; i < inputSize; i++) x[i] = r.nextGaussian();
                xs[p] = x;
            }
        }
    }

    /** Runs n steps; returns nothing, keeps the outputs alive through sink. */
    public void run(int n) {
        double s = 0;
        for (int k = 0; k < n; k++) {
            Object y = stepper.step(xs[next++ & 1023]);
            s += y instanceof float[] f ? f[0] : ((double[]) y)[0];
        }
        sink += s;
    }

    /** Output of one fixed input after a reset, for checking that variants agree. */
    public Object probe() {
        stepper.reset();
        Object y = null;
        for (int k = 0; k < 10; k++) y = stepper.step(xs[k]);
        stepper.reset();
        return y;
    }
}
