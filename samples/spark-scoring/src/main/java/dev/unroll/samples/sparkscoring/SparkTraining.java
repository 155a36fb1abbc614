package dev.unroll.samples.sparkscoring;

import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.RecurrentModel;
import dev.unroll.runtime.Trainer;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * Synchronous data-parallel training of any generated model on Spark, through the common interface
 * ({@link RecurrentModel#computeGradients} and {@link RecurrentModel#applyGradients}). One update:
 *
 * <ol>
 *   <li>the driver broadcasts the model's weights, flattened into one {@code double[]};
 *   <li>each partition builds a model from them and computes the gradient of the mean loss of its
 *       rows, its share {@code n_p} of the global batch of {@code N} rows;
 *   <li>{@code treeAggregate} sums {@code n_p * grad_p} and {@code n_p}; the driver divides by
 *       {@code N}, which gives {@code sum_p (n_p / N) grad_p}, the gradient of the global batch's
 *       mean loss;
 *   <li>the driver writes it into its model's {@code grad} arrays and calls {@code applyGradients()}:
 *       one finiteness check, clip and optimizer step, with the optimizer's state on the driver only.
 * </ol>
 *
 * So each update equals one {@code trainStep} on the whole global batch on one machine, but for the
 * order of the sums (the test holds it to 1e-12 in float64).
 *
 * @param <R> a row of the data
 * @param <W> the model's workspace
 * @param <X> a batch of inputs
 * @param <Y> a batch of targets
 */
public final class SparkTraining<R, W, X, Y> {
    /** Makes a worker's model; serializable, since it travels to the executors in the task. */
    @FunctionalInterface
    public interface ModelFactory<W, X, Y> extends Serializable {
        RecurrentModel<W, X, Y, ?> create();
    }

    /** Turns a partition's rows into a batch for the model. */
    @FunctionalInterface
    public interface BatchMaker<R, X, Y> extends Serializable {
        Trainer.Batch<X, Y> batch(List<R> rows);
    }

    /** A partial sum: rows, their summed loss and their summed gradient, flat. */
    static final class Partial implements Serializable {
        private static final long serialVersionUID = 1L;
        long rows;
        double loss;
        final double[] grad;

        Partial(int parameters) {
            grad = new double[parameters];
        }

        /** Adds {@code other} into this one and returns this (treeAggregate allows it). */
        Partial add(Partial other) {
            rows += other.rows;
            loss += other.loss;
            for (int i = 0; i < grad.length; i++) {
                grad[i] += other.grad[i];
            }
            return this;
        }
    }

    private final JavaSparkContext jsc;
    private final RecurrentModel<W, X, Y, ?> model;
    private final ModelFactory<W, X, Y> factory;
    private final BatchMaker<R, X, Y> batches;
    private final int size;

    /**
     * Trains {@code model} (on the driver, where its optimizer state stays) with workers' models
     * from {@code factory}, of the same spec, on batches made by {@code batches}.
     */
    public SparkTraining(JavaSparkContext jsc, RecurrentModel<W, X, Y, ?> model, ModelFactory<W, X, Y> factory,
            BatchMaker<R, X, Y> batches) {
        this.jsc = jsc;
        this.model = model;
        this.factory = factory;
        this.batches = batches;
        this.size = Math.toIntExact(model.parameters().elementCount());
    }

    /**
     * Does one update on the global batch {@code batch}: every partition contributes its rows (an
     * empty partition contributes nothing). Returns the global batch's mean loss before the update.
     */
    public double update(JavaRDD<R> batch) {
        Broadcast<double[]> weights = jsc.broadcast(values(model));
        // Locals, so that the task captures these and not this object (the driver's model).
        ModelFactory<W, X, Y> factory = this.factory;
        BatchMaker<R, X, Y> batches = this.batches;
        int size = this.size;
        Partial sum = batch.mapPartitions((Iterator<R> rows) -> {
            List<R> list = new ArrayList<>();
            rows.forEachRemaining(list::add);
            if (list.isEmpty()) {
                return Collections.<Partial>emptyIterator();
            }
            return List.of(partial(factory, batches, weights.value(), list)).iterator();
        }).treeAggregate(new Partial(size), Partial::add, Partial::add);
        weights.destroy();
        if (sum.rows == 0) {
            throw new IllegalArgumentException("the global batch is empty");
        }
        int i = 0;
        for (Parameter p : model.parameters()) {
            for (int k = 0; k < p.size(); k++) {
                p.setGrad(k, sum.grad[i++] / sum.rows);
            }
        }
        model.applyGradients();
        return sum.loss / sum.rows;
    }

    /** On a worker: the gradient of {@code rows}' mean loss at {@code weights}, times their number. */
    static <R, W, X, Y> Partial partial(ModelFactory<W, X, Y> factory, BatchMaker<R, X, Y> batches, double[] weights,
            List<R> rows) {
        // A model per task: tasks run concurrently and computeGradients writes the model's grad arrays.
        RecurrentModel<W, X, Y, ?> worker = factory.create();
        setValues(worker, weights);
        Trainer.Batch<X, Y> batch = batches.batch(rows);
        double loss = worker.computeGradients(worker.newWorkspace(), batch.inputs(), batch.targets());
        Partial partial = new Partial(weights.length);
        partial.rows = rows.size();
        partial.loss = loss * rows.size();
        int i = 0;
        for (Parameter p : worker.parameters()) {
            for (int k = 0; k < p.size(); k++) {
                partial.grad[i++] = p.grad(k) * rows.size();
            }
        }
        return partial;
    }

    /** Returns every parameter's values, in order, in one array. */
    static double[] values(RecurrentModel<?, ?, ?, ?> model) {
        double[] values = new double[Math.toIntExact(model.parameters().elementCount())];
        int i = 0;
        for (Parameter p : model.parameters()) {
            for (int k = 0; k < p.size(); k++) {
                values[i++] = p.value(k);
            }
        }
        return values;
    }

    /** Sets every parameter's values from {@link #values}' layout. */
    static void setValues(RecurrentModel<?, ?, ?, ?> model, double[] values) {
        int i = 0;
        for (Parameter p : model.parameters()) {
            for (int k = 0; k < p.size(); k++) {
                p.setValue(k, values[i++]);
            }
        }
    }
}
