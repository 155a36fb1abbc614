package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.compiler.codegen.ModelWriter;
import dev.unroll.compiler.plan.LayerPlan;
import dev.unroll.compiler.plan.ModelPlan;
import dev.unroll.compiler.plan.Planner;
import dev.unroll.runtime.Parameter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Weight gradients formed once per sequence, four steps per pass ({@link LayerPlan.WeightGradients}), against the
 * same networks generated with them formed at every step ({@code Planner.Options(false)}): random float64 stacks of
 * every cell (1 to 3 layers, hidden sizes 1 to 9, 2 to 11 steps so that every remainder of the blocks of four
 * occurs), every topology of one stack, every head, dense, one-hot and embedded inputs, at batch sizes 1, 3, 5 and
 * 33. The two forms sum the same terms in another order, so loss, every parameter gradient and the input gradient
 * must agree to 1e-12 of each tensor's largest magnitude; the per-step form is itself held to PyTorch and to finite
 * differences by {@link PyTorchParityTest} and {@link FiniteDifferenceTest}.
 */
class DeferredWeightGradientTest {
    private static final int CASES = 36;
    private static final int[] BATCHES = {1, 3, 5, 33};
    private static final double RTOL = 1e-12;

    @TempDir
    static Path work;

    private static final List<NetSpec> SPECS = new ArrayList<>();
    private static final Map<String, Boolean> DEFERRED = new LinkedHashMap<>();
    private static Map<String, Class<?>> classes;

    @BeforeAll
    static void generate() {
        SplittableRandom random = new SplittableRandom(1313);
        NetSpec.Cell[] cells = NetSpec.Cell.values();
        List<NetSpec.Topo> topologies = NetSpec.Topo.oneStack();
        NetSpec.Head[] heads = NetSpec.Head.values();
        Map<String, String> sources = new LinkedHashMap<>();
        for (int i = 0; i < CASES; i++) {
            NetSpec.Cell cell = cells[i % cells.length];
            // many_to_many and many_to_one, the shapes of training, twice as often as the others
            NetSpec.Topo topology = i % 3 == 0 ? topologies.get(random.nextInt(topologies.size()))
                    : i % 3 == 1 ? NetSpec.Topo.MANY_TO_MANY : NetSpec.Topo.MANY_TO_ONE;
            boolean oneHot = random.nextInt(3) == 0 && !topology.feedback();
            NetSpec drawn = NetSpec.random(random, "deferred", "Deferred" + i, cell, 1 + random.nextInt(3), topology,
                    heads[random.nextInt(heads.length)], oneHot, true, 9, 11);
            // no fixed batch: the test runs several batch sizes
            NetSpec spec = new NetSpec("deferred", drawn.name(), drawn.layers(), drawn.inputSize(), drawn.oneHot(),
                    drawn.outputSize(), drawn.head(), drawn.topology(), drawn.steps(), 0, true);
            if (oneHot && random.nextBoolean()) {
                spec = spec.withEmbedding(1 + random.nextInt(5));
            }
            SPECS.add(spec);
            ModelPlan deferred = Planner.planOrThrow(spec.model());
            DEFERRED.put(spec.name(), deferred.layers().stream().anyMatch(l -> l.weightGradients().isDeferred()));
            sources.put(spec.qualifiedName(), ModelWriter.write(deferred).toString());
            String perStep = ModelWriter.write(Planner.planOrThrow(spec.model(), new Planner.Options(false)))
                    .toString().replace("package deferred;", "package perstep;");
            sources.put("perstep." + spec.name(), perStep);
        }
        classes = GeneratedCode.compileSources(sources, work);
    }

    @Test
    void theSpecsExerciseBothForms() {
        long deferred = DEFERRED.values().stream().filter(d -> d).count();
        assertTrue(deferred >= CASES / 2, deferred + " of " + CASES + " networks defer their weight gradients");
        assertTrue(deferred < CASES, "some networks keep per-step gradients (one step, Cho GRU)");
    }

    @Test
    void deferredGradientsEqualPerStepGradients() {
        SplittableRandom random = new SplittableRandom(2024);
        for (NetSpec spec : SPECS) {
            ModelHandle deferred = new ModelHandle(classes.get(spec.qualifiedName()));
            ModelHandle perStep = new ModelHandle(classes.get("perstep." + spec.name()));
            ModelHandle.sameRandomWeights(random, 0.5, deferred, perStep);
            List<Parameter> a = deferred.parameters().list();
            List<Parameter> b = perStep.parameters().list();
            for (int size : BATCHES) {
                TestBatch batch = TestBatch.random(spec, size, random);
                String what = spec.name() + " (" + spec + "), batch " + size;
                Object dxDeferred = spec.oneHot() ? null : batch.inputGradientBuffer();
                Object dxPerStep = spec.oneHot() ? null : batch.inputGradientBuffer();
                double lossDeferred = deferred.computeGradients(batch, dxDeferred);
                double lossPerStep = perStep.computeGradients(batch, dxPerStep);
                assertEquals(lossPerStep, lossDeferred, RTOL * Math.abs(lossPerStep), what + ": loss");
                for (int k = 0; k < a.size(); k++) {
                    assertClose(ModelHandle.gradient(b.get(k)), ModelHandle.gradient(a.get(k)),
                            what + ": gradient of " + a.get(k).name());
                }
                if (dxDeferred != null) {
                    assertClose(TestBatch.flatten(dxPerStep), TestBatch.flatten(dxDeferred), what + ": dL/dx");
                }
            }
        }
    }

    /** Element-wise within {@value #RTOL} of the tensor's largest magnitude. */
    private static void assertClose(double[] expected, double[] actual, String what) {
        double scale = Arrays.stream(expected).map(Math::abs).max().orElse(0);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], RTOL * scale + 1e-300, what + " [" + i + "]");
        }
    }
}
