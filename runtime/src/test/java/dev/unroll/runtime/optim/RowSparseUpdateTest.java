package dev.unroll.runtime.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.runtime.DoubleParameter;
import dev.unroll.runtime.FloatParameter;
import dev.unroll.runtime.GradientRows;
import dev.unroll.runtime.Parameter;
import dev.unroll.runtime.ParameterSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A row-sparse table ({@link GradientRows}) against the same table as a dense parameter, through clipping and every
 * optimizer, with and without weight decay, in both precisions: the values must be bit-identical after every step,
 * while the sparse one's gradient lists only the rows written. The rows written move from step to step, so that
 * rows read earlier have state but no gradient, which momentum, RMSprop, Adam and AdamW must keep applying (as
 * {@code torch.optim} does for {@code nn.Embedding}'s dense gradient).
 */
class RowSparseUpdateTest {
    private static final int ROWS = 9;
    private static final int WIDTH = 3;

    @Test
    void aRowSparseTableIsUpdatedExactlyAsTheDenseOne() {
        for (OptimizerConfig.Kind kind : OptimizerConfig.Kind.values()) {
            everyDecayAndPrecision(kind);
        }
    }

    private static void everyDecayAndPrecision(OptimizerConfig.Kind kind) {
        for (double weightDecay : new double[] {0, 0.01}) {
            for (boolean f64 : new boolean[] {false, true}) {
                OptimizerConfig config = new OptimizerConfig(kind, 0.05, momentum(kind), kind == OptimizerConfig.Kind.MOMENTUM,
                        0.9, 0.999, 1e-8, 0.99, weightDecay);
                check(config, f64);
            }
        }
    }

    /** A momentum where the kind takes one (RMSprop's too, whose buffer keeps moving a row). */
    private static double momentum(OptimizerConfig.Kind kind) {
        return kind == OptimizerConfig.Kind.MOMENTUM || kind == OptimizerConfig.Kind.RMSPROP ? 0.9 : 0;
    }

    private static void check(OptimizerConfig config, boolean f64) {
        Parameter dense = f64 ? new DoubleParameter("embedding.weight", ROWS, WIDTH)
                : new FloatParameter("embedding.weight", ROWS, WIDTH);
        Parameter sparse = f64 ? DoubleParameter.table("embedding.weight", ROWS, WIDTH, false)
                : FloatParameter.table("embedding.weight", ROWS, WIDTH, false);
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < dense.size(); i++) {
            double v = random.nextDouble(-1, 1);
            dense.setValue(i, v);
            sparse.setValue(i, v);
        }
        Optimizer a = new Optimizer(config);
        Optimizer b = new Optimizer(config);
        GradientClipping clipping = GradientClipping.of(ClipConfig.value(0.3), ClipConfig.globalNorm(0.5));
        ParameterSet denseSet = new ParameterSet(List.of(dense));
        ParameterSet sparseSet = new ParameterSet(List.of(sparse));
        for (int step = 0; step < 6; step++) {
            dense.zeroGrad();
            sparse.zeroGrad();
            for (int q = 0; q < 2; q++) { // two rows a step, moving
                int r = (2 * step + q) % ROWS;
                for (int j = 0; j < WIDTH; j++) {
                    double g = random.nextDouble(-1, 1);
                    dense.setGrad(r * WIDTH + j, g);
                    sparse.setGrad(r * WIDTH + j, g);
                }
            }
            assertEquals(2, sparse.gradientRows().count(), "rows listed");
            assertEquals(clipping.checkFiniteAndClip(denseSet), clipping.checkFiniteAndClip(sparseSet), 1e-15,
                    "the norm over the listed rows is the norm");
            a.step(denseSet, config.learningRate());
            b.step(sparseSet, config.learningRate());
            double[] expected = new double[dense.size()];
            double[] actual = new double[dense.size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = dense.value(i);
                actual[i] = sparse.value(i);
            }
            assertArrayEquals(expected, actual, 0.0, config + (f64 ? " float64" : " float32") + ", step " + step);
        }
    }

    @Test
    void aFrozenTableIsNeitherClippedNorUpdated() {
        for (OptimizerConfig.Kind kind : OptimizerConfig.Kind.values()) {
            frozen(kind);
        }
    }

    private static void frozen(OptimizerConfig.Kind kind) {
        FloatParameter table = FloatParameter.table("embedding.weight", ROWS, WIDTH, true);
        FloatParameter other = new FloatParameter("head.bias", 2);
        table.setValue(4, 0.5);
        other.setGrad(0, 1.0);
        ParameterSet set = new ParameterSet(List.of(table, other));
        Optimizer optimizer = new Optimizer(new OptimizerConfig(kind, 0.1, momentum(kind), false, 0.9, 0.999, 1e-8, 0.99, 0.01));
        GradientClipping.of(ClipConfig.value(0.1)).checkFiniteAndClip(set);
        optimizer.step(set, 0.1);
        assertEquals(0.5, table.value(4), 0.0);
        assertFalse(table.requiresGrad());
        assertTrue(optimizer.stateTensors(set).stream().noneMatch(t -> t.name().contains("embedding")),
                "no state for a frozen table");
        assertTrue(optimizer.stateMetadata().keySet().stream().noneMatch(k -> k.contains("embedding")));
    }
}
