package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.compiler.plan.KernelStyle;
import dev.unroll.compiler.plan.Planner;
import dev.unroll.dsl.model.NetworkModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backpropagation through time with Vector API kernels against central differences of the loss, in float64, with
 * {@link FiniteDifferenceTest}'s criterion and machinery ({@link FiniteDifferenceTest#check(NetSpec, Class)}: every
 * element of every parameter's gradient and of {@code dL/dx} against the fourth-order central difference, relative
 * error below 1e-6): the vector code's backward pass is the derivative of its own forward pass, not merely close to
 * the plain code's (which {@link VectorKernelsTest} shows). The specs have hidden sizes whose gate rows leave a tail
 * past the last whole vector at 128 and at 256 bits (2 and 4 doubles) as well as ones that do not: lstm 5 (20 rows),
 * gru 5 (15), rnn 7, lstm peepholes 6 under a Cho gru 5, a bidirectional relu rnn 9 on one_hot symbols, a
 * bidirectional lstm 13 on an embedding, an lstm 6 encoder-decoder (its decoder's own weights), an lstm 5 with dropout
 * 0.5 under a gru 7 (computeGradients against differences of trainingLoss under the masks of update 0, as
 * {@link FiniteDifferenceTest} does); each at 128 and 256 bits. The 128-bit models run first only for time: in
 * one JVM, the 128-bit bidirectional LSTM run after the 256-bit models took 5 to 8 s instead of about 1.5 s.
 */
class VectorFiniteDifferenceTest {
    @TempDir
    static Path work;

    private static final int[] WIDTHS = {128, 256};
    private static final List<NetSpec> cases = new ArrayList<>();
    private static final Map<String, Class<?>> classes = new java.util.HashMap<>();
    private static final Map<String, Integer> widths = new java.util.HashMap<>();

    private static List<NetSpec> specs(String pkg) {
        NetSpec.Direction concat = NetSpec.Direction.CONCAT;
        NetSpec.Direction sum = NetSpec.Direction.SUM;
        NetSpec.Topo m2m = NetSpec.Topo.MANY_TO_MANY;
        NetSpec.Topo m2o = NetSpec.Topo.MANY_TO_ONE;
        return List.of(
                new NetSpec(pkg, "Lstm5", List.of(new NetSpec.Layer(NetSpec.Cell.LSTM, 5)), 3, false, 3,
                        NetSpec.Head.SOFTMAX_CE, m2m, 3, 2, true),
                new NetSpec(pkg, "Gru5", List.of(new NetSpec.Layer(NetSpec.Cell.GRU, 5)), 4, false, 2,
                        NetSpec.Head.SIGMOID_BCE, m2o, 3, 0, true),
                new NetSpec(pkg, "Rnn7", List.of(new NetSpec.Layer(NetSpec.Cell.RNN_TANH, 7)), 3, false, 2,
                        NetSpec.Head.LINEAR_MSE, m2m, 4, 0, true),
                new NetSpec(pkg, "Peep6Cho5", List.of(new NetSpec.Layer(NetSpec.Cell.LSTM_PEEPHOLES, 6),
                        new NetSpec.Layer(NetSpec.Cell.GRU_CHO, 5)), 3, false, 3, NetSpec.Head.TANH_MSE, m2m, 3, 2,
                        true),
                new NetSpec(pkg, "Relu9Concat", List.of(new NetSpec.Layer(NetSpec.Cell.RNN_RELU, 9, concat)), 5, true,
                        3, NetSpec.Head.SOFTMAX_MSE, m2o, 3, 0, true),
                new NetSpec(pkg, "Lstm13SumEmbedding", List.of(new NetSpec.Layer(NetSpec.Cell.LSTM, 13, sum)), 6,
                        true, 3, NetSpec.Head.SOFTMAX_CE, m2m, 3, 0, true, 3),
                new NetSpec(pkg, "EncoderDecoderLstm6", List.of(new NetSpec.Layer(NetSpec.Cell.LSTM, 6)), 3, false, 2,
                        NetSpec.Head.LINEAR_MSE, NetSpec.Topo.ENCODER_DECODER, 3, 0, true, 0, 2),
                new NetSpec(pkg, "Lstm5DropoutGru7", List.of(new NetSpec.Layer(NetSpec.Cell.LSTM, 5).withDropout(0.5),
                        new NetSpec.Layer(NetSpec.Cell.GRU, 7)), 3, false, 2, NetSpec.Head.SIGMOID_BCE, m2m, 3, 2,
                        true));
    }

    @BeforeAll
    static void generateAndCompile() {
        for (int bits : WIDTHS) {
            List<NetworkModel> models = new ArrayList<>();
            for (NetSpec spec : specs("vfd.v" + bits)) {
                cases.add(spec);
                widths.put(spec.qualifiedName(), bits);
                models.add(spec.model());
            }
            Path dir = work.resolve("v" + bits);
            classes.putAll(GeneratedCode.compile(models, dir,
                    Planner.Options.DEFAULT.withKernels(KernelStyle.vector(bits))));
            for (NetSpec spec : cases) {
                if (widths.get(spec.qualifiedName()) == bits) {
                    String source = GeneratedCode.read(dir.resolve("src")
                            .resolve(spec.qualifiedName().replace('.', '/') + ".java"));
                    assertTrue(source.contains("DoubleVector.SPECIES_" + bits) && source.contains(" mulAdd"),
                            spec + ": the model has vector kernels of " + bits + " bits");
                }
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> vectorGradientsMatchCentralDifferences() {
        assertTrue(cases.size() == 16, cases.size() + " cases");
        return cases.stream().map(spec -> DynamicTest.dynamicTest(spec + " at " + widths.get(spec.qualifiedName())
                + " bits", () -> FiniteDifferenceTest.check(spec, classes.get(spec.qualifiedName()))));
    }
}
