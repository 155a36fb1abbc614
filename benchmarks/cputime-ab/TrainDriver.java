package abdrv;

import java.lang.reflect.Method;
import java.util.Random;

/**
 * One model's training update ({@code trainStep}) on a fixed random batch, one copy per class loader. The batch's
 * halves run on the calling thread ({@code setParallel(false)}): the harness measures the calling thread's CPU
 * time, which would miss the other half's work on a second thread.
 */
public final class TrainDriver {
    private final Object model;
    private final Method trainStep;
    private final Object xs;
    private final Object targets;
    public double sink;

    public TrainDriver(String name, int batch) throws Exception {
        Class<?> c = Class.forName("dev.unroll.bench.models." + name);
        model = c.getConstructor(long.class).newInstance(7L);
        c.getMethod("setParallel", boolean.class).invoke(model, false);
        int steps = (int) c.getField("STEPS").get(null);
        int in = (int) c.getField("INPUT_SIZE").get(null);
        int out = (int) c.getField("OUTPUT_SIZE").get(null);
        Random r = new Random(42);
        if (name.equals("CharLstm")) {
            int[][] x = new int[batch][steps];
            int[][] y = new int[batch][steps];
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < steps; t++) {
                    x[b][t] = r.nextInt(in);
                    y[b][t] = r.nextInt(out);
                }
            }
            xs = x;
            targets = y;
            trainStep = c.getMethod("trainStep", int[][].class, int[][].class);
        } else {
            float[][][] x = new float[batch][steps][in];
            float[][][] y = new float[batch][steps][out];
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < steps; t++) {
                    for (int i = 0; i < in; i++) x[b][t][i] = (float) r.nextGaussian();
                    for (int o = 0; o < out; o++) y[b][t][o] = (float) (0.5 * r.nextGaussian());
                }
            }
            xs = x;
            targets = y;
            trainStep = c.getMethod("trainStep", float[][][].class, float[][][].class);
        }
    }

    /** Runs n updates. */
    public void run(int n) throws Exception {
        double s = 0;
        for (int k = 0; k < n; k++) {
            s += (double) trainStep.invoke(model, xs, targets);
        }
        sink += s;
    }

    /** The loss of the first update from the initial weights, for checking that variants agree. */
    public double probe() throws Exception {
        return (double) trainStep.invoke(model, xs, targets);
    }
}
