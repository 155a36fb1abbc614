package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.compiler.codegen.ModelWriter;
import dev.unroll.compiler.plan.KernelStyle;
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
 * Training batches run {@value ModelPlan#LOCKSTEP} sequences at a time ({@link ModelPlan#lockstep()}: the Vector API
 * kernels load each weight vector once for the four) against the same networks run one sequence at a time
 * ({@code Planner.Options.withoutLockstep()}): random stacks of the row-split cells (1 to 3 layers, hidden sizes 1 to
 * 12 so that blocks with and without a partial vector occur), many-to-many and many-to-one, dense and one-hot inputs,
 * float64 and float32, 256-bit kernels (the last four networks up to 40 wide, so that
 * blocks of rows split into pieces of several vectors), at batch sizes 1 to 9 and 33 (two threads' halves of 16 and 17).
 *
 * <p>Each sequence's forward and backward steps get the same operations in the same order either way, and each
 * sequence's layer weight gradients are added whole and in batch order, so the loss, the outputs, the input gradient
 * and every layer parameter's gradient must be the same bits. Only what is added at every step is summed in another
 * order (the four sequences' steps interleave): the head's gradient, and a one-hot input's {@code W_ih} columns; they
 * are held to 1e-12 (float64) and 1e-5 (float32) of their largest magnitude.
 * The one-at-a-time form is itself held to PyTorch ({@link VectorKernelParityTest}) and to finite differences
 * ({@link VectorFiniteDifferenceTest}).
 */
class LockstepTest {
    private static final int CASES = 16;
    private static final int[] BATCHES = {1, 3, 4, 5, 8, 9, 33};

    @TempDir
    static Path work;

    private static final List<NetSpec> SPECS = new ArrayList<>();
    private static final Map<String, Integer> LOCKSTEP = new LinkedHashMap<>();
    private static Map<String, Class<?>> classes;

    @BeforeAll
    static void generate() {
        SplittableRandom random = new SplittableRandom(4404);
        NetSpec.Cell[] cells = {NetSpec.Cell.LSTM, NetSpec.Cell.GRU, NetSpec.Cell.RNN_TANH, NetSpec.Cell.RNN_RELU};
        NetSpec.Head[] heads = NetSpec.Head.values();
        Planner.Options vector = Planner.Options.DEFAULT.withKernels(KernelStyle.vector(256));
        Map<String, String> sources = new LinkedHashMap<>();
        for (int i = 0; i < CASES; i++) {
            NetSpec.Topo topology = i % 2 == 0 ? NetSpec.Topo.MANY_TO_MANY : NetSpec.Topo.MANY_TO_ONE;
            NetSpec drawn = NetSpec.random(random, "lockstep", "Lockstep" + i, cells[i % cells.length],
                    1 + random.nextInt(3), topology, heads[random.nextInt(heads.length)], random.nextInt(3) == 0,
                    i % 4 < 2, i < CASES - 4 ? 12 : 40, 9);
            NetSpec spec = new NetSpec("lockstep", drawn.name(), drawn.layers(), drawn.inputSize(), drawn.oneHot(),
                    drawn.outputSize(), drawn.head(), drawn.topology(), drawn.steps(), 0, drawn.float64());
            SPECS.add(spec);
            ModelPlan plan = Planner.planOrThrow(spec.model(), vector);
            LOCKSTEP.put(spec.name(), plan.lockstep());
            sources.put(spec.qualifiedName(), ModelWriter.write(plan).toString());
            sources.put("alone." + spec.name(), ModelWriter.write(Planner.planOrThrow(spec.model(),
                    vector.withoutLockstep())).toString().replace("package lockstep;", "package alone;"));
        }
        classes = GeneratedCode.compileSources(sources, work);
    }

    @Test
    void everySpecRunsInLockstepAndTheOptionTurnsItOff() {
        for (NetSpec spec : SPECS) {
            assertEquals(ModelPlan.LOCKSTEP, LOCKSTEP.get(spec.name()), spec.name() + " (" + spec + ")");
            assertEquals(1, Planner.planOrThrow(spec.model(), Planner.Options.DEFAULT.withKernels(
                    KernelStyle.vector(256)).withoutLockstep()).lockstep(), spec.name());
            assertEquals(1, Planner.planOrThrow(spec.model()).lockstep(), spec.name() + ": plain kernels");
        }
    }

    @Test
    void lockstepGivesTheBitsOfOneSequenceAtATime() {
        SplittableRandom random = new SplittableRandom(77);
        int compared = 0;
        for (NetSpec spec : SPECS) {
            ModelHandle lockstep = new ModelHandle(classes.get(spec.qualifiedName()));
            ModelHandle alone = new ModelHandle(classes.get("alone." + spec.name()));
            ModelHandle.sameRandomWeights(random, 0.5, lockstep, alone);
            List<Parameter> a = lockstep.parameters().list();
            List<Parameter> b = alone.parameters().list();
            double rtol = spec.float64() ? 1e-12 : 1e-5;
            for (int size : BATCHES) {
                TestBatch batch = TestBatch.random(spec, size, random);
                String what = spec.name() + " (" + spec + "), batch " + size;
                Object dxLockstep = spec.oneHot() ? null : batch.inputGradientBuffer();
                Object dxAlone = spec.oneHot() ? null : batch.inputGradientBuffer();
                double lossLockstep = lockstep.computeGradients(batch, dxLockstep);
                double lossAlone = alone.computeGradients(batch, dxAlone);
                assertEquals(Double.doubleToRawLongBits(lossAlone), Double.doubleToRawLongBits(lossLockstep),
                        what + ": loss " + lossAlone + " against " + lossLockstep);
                for (int k = 0; k < a.size(); k++) {
                    String name = a.get(k).name();
                    if (name.startsWith("head.") || spec.oneHot() && name.endsWith("weight_ih_l0")) {
                        assertClose(ModelHandle.gradient(b.get(k)), ModelHandle.gradient(a.get(k)), rtol,
                                what + ": gradient of " + name);
                    } else {
                        assertTrue(Arrays.equals(ModelHandle.gradient(b.get(k)), ModelHandle.gradient(a.get(k))),
                                what + ": gradient of " + name
                                + " differs in its bits");
                    }
                }
                if (dxLockstep != null) {
                    assertTrue(Arrays.equals(TestBatch.flatten(dxAlone), TestBatch.flatten(dxLockstep)),
                            what + ": dL/dx differs in its bits");
                }
                compared++;
            }
        }
        assertEquals(CASES * BATCHES.length, compared);
    }

    /** Element-wise within {@code rtol} of the tensor's largest magnitude. */
    private static void assertClose(double[] expected, double[] actual, double rtol, String what) {
        double scale = Arrays.stream(expected).map(Math::abs).max().orElse(0);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], rtol * scale + 1e-300, what + " [" + i + "]");
        }
    }
}
