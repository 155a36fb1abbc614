package dev.unroll.compiler.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.compiler.UnrollCompiler;
import dev.unroll.compiler.plan.BufferSpec;
import dev.unroll.compiler.plan.LayerPlan;
import dev.unroll.compiler.plan.ModelPlan;
import dev.unroll.compiler.plan.Planner;
import dev.unroll.compiler.plan.TensorSpec;
import dev.unroll.compiler.plan.TimeSchedule;
import dev.unroll.dsl.CheckResult;
import dev.unroll.dsl.RnnFrontEnd;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The plan is the single source of truth: every buffer the generated code reads is one the plan
 * declares (and every declared one is read), tensor names and fields are unique and in PyTorch's
 * {@code state_dict} order, state and carried gradients come from the cells, and the generated code
 * has no loop that runs once.
 */
class PlanStructureTest {
    private static final Pattern WORKSPACE_READ = Pattern.compile("\\bws\\.([a-zA-Z][a-zA-Z0-9]*)\\b(?!\\()");

    /** Specs covering every cell, encoding, topology, loss and head the generator supports. */
    static final List<String> SPECS = List.of(
            spec("input 5;", "rnn 6 tanh;", "output 3;", "many_to_many steps 4;", "loss mse;"),
            spec("input 5;", "rnn 1 relu;", "output 1 sigmoid;", "many_to_one steps 3;", "loss binary_cross_entropy;"),
            spec("input 9 one_hot;", "lstm 8; lstm 4;", "output 9 softmax;", "many_to_many steps 5;", "loss cross_entropy;"),
            spec("input 4;", "gru 6;", "output 3 tanh;", "one_to_many steps 5;", "loss mse;"),
            spec("input 3;", "gru 5; lstm 3;", "output 3;", "one_to_many steps 4 feedback;", "loss mse;"),
            spec("input 6 one_hot;", "lstm 7;", "output 6 softmax;", "one_to_many steps 4 feedback;",
                    "loss cross_entropy;"),
            spec("input 2;", "rnn 3 tanh;", "output 2;", "one_to_one;", "loss mse;"),
            spec("input 7 one_hot;", "gru 4;", "output 2 softmax;", "many_to_one steps 6;", "loss cross_entropy;"),
            spec("input 5;", "lstm 6 peepholes; lstm 3 cell_clip 1.5;", "output 3;", "many_to_many steps 4;",
                    "loss mse;"),
            spec("input 4;", "lstm 5 peepholes cell_clip 2;", "output 4 softmax;", "one_to_many steps 3 feedback;",
                    "loss cross_entropy;"),
            spec("input 6 one_hot;", "gru 5 cho; gru 3 cho;", "output 2 sigmoid;", "many_to_one steps 4;",
                    "loss binary_cross_entropy;"),
            spec("input 3;", "gru 7 cho;", "output 3 tanh;", "one_to_one;", "loss mse;"),
            // bidirectional: the network then runs layer by layer
            spec("input 5;", "lstm 6 bidirectional; gru 3 bidirectional sum; rnn 4 tanh;", "output 3;",
                    "many_to_many steps 4;", "loss mse;"),
            spec("input 6 one_hot;", "rnn 3 relu; gru 4 bidirectional sum;", "output 2 softmax;",
                    "many_to_one steps 5;", "loss cross_entropy;"),
            spec("input 3;", "lstm 2 bidirectional concat;", "output 2 sigmoid;", "one_to_one;",
                    "loss binary_cross_entropy;"),
            // variable_length: the loops run to each sequence's length
            spec("input 4;", "gru 5; lstm 3;", "output 2;", "many_to_many steps 5 variable_length;", "loss mse;"),
            spec("input 6 one_hot;", "lstm 4 bidirectional; rnn 3 tanh bidirectional sum;", "output 3 softmax;",
                    "many_to_one steps 4 variable_length;", "loss cross_entropy;"),
            // dropout: between layers and before the head, step by step and layer by layer
            spec("input 5;", "lstm 6 dropout 0.5; gru 3 dropout 0.25;", "output 3;", "many_to_one steps 4;",
                    "loss mse;"),
            spec("input 4;", "gru 5 dropout 0.1;", "output 4 softmax;", "one_to_many steps 3 feedback;",
                    "loss cross_entropy;"),
            spec("input 5;", "gru 4 bidirectional dropout 0.3; lstm 3 bidirectional sum dropout 0.5;", "output 3;",
                    "many_to_one steps 4;", "loss mse;"),
            spec("input 6 one_hot;", "rnn 3 relu bidirectional sum dropout 0.2; gru 4 dropout 0.4;",
                    "output 2 softmax;", "many_to_one steps 5;", "loss cross_entropy;"),
            spec("input 5;", "lstm 6 bidirectional dropout 0.5;", "output 3;", "many_to_many steps 4;", "loss mse;"),
            // encoder-decoders: the decoder reads classes, a vector of one step, or one-hot vectors of a softmax
            spec("input 5;", "lstm 4; gru 3;", "output 6 softmax;", "many_to_many input_steps 3 output_steps 4;",
                    "loss cross_entropy;"),
            spec("input 4 one_hot;", "gru 3;", "output 2 tanh;", "many_to_many input_steps 2 output_steps 1;",
                    "loss mse;"),
            spec("input 3;", "lstm 3 peepholes; rnn 2 relu;", "output 2 softmax;",
                    "many_to_many input_steps 1 output_steps 3;", "loss mse;"),
            // variable_length encoder-decoders: inputs and targets of their own lengths
            spec("input 4 one_hot;", "lstm 3; gru 2;", "output 5 softmax;",
                    "many_to_many input_steps 4 output_steps 3 variable_length;", "loss cross_entropy;"),
            spec("input 2;", "gru 3;", "output 2 linear;", "many_to_many input_steps 3 output_steps 2 variable_length;",
                    "loss mse;"));

    private static String spec(String... statements) {
        return "model M {\n    " + String.join("\n    ", statements) + "\n}\n";
    }

    private static ModelPlan plan(String spec) {
        CheckResult result = RnnFrontEnd.check("m.rnn", spec.getBytes(StandardCharsets.UTF_8));
        assertFalse(result.hasErrors(), () -> spec + result.formattedDiagnostics());
        return Planner.planOrThrow(result.models().get(0));
    }

    @TestFactory
    Stream<DynamicTest> everyWorkspaceReadIsAPlannedBufferAndEveryBufferIsRead() {
        return SPECS.stream().map(spec -> DynamicTest.dynamicTest(spec.replace('\n', ' '), () -> {
            ModelPlan plan = plan(spec);
            String source = UnrollCompiler.generate(plan.model()).toString();
            Set<String> declared = new TreeSet<>();
            for (BufferSpec buffer : plan.buffers()) {
                assertTrue(declared.add(buffer.name()), "buffer declared twice: " + buffer.name());
            }
            Set<String> read = new TreeSet<>();
            Matcher m = WORKSPACE_READ.matcher(source);
            while (m.find()) {
                read.add(m.group(1));
            }
            Set<String> fixed = new java.util.HashSet<>(Set.of("grads", "wantInputGradient", "partner"));
            if (plan.schedule().variableLength()) {
                fixed.add(TimeSchedule.LENGTH);
            }
            if (plan.schedule().variableLength() && plan.decoder().isPresent()) {
                fixed.add(TimeSchedule.OUTPUT_LENGTH);
            }
            if (plan.hasDropout()) {
                fixed.addAll(Set.of("dropout", "update", "sequence"));
            }
            Set<String> unknown = new TreeSet<>(read);
            unknown.removeAll(declared);
            unknown.removeAll(fixed);
            assertEquals(Set.of(), unknown, "read but not planned");
            Set<String> unread = new TreeSet<>(declared);
            unread.removeAll(read);
            assertEquals(Set.of(), unread, "planned but never read");
        }));
    }

    @TestFactory
    Stream<DynamicTest> noLoopRunsOnce() {
        Pattern once = Pattern.compile("for \\(int (\\w+) = (\\d+); \\1 < (\\d+); \\1\\+\\+\\)");
        return SPECS.stream().map(spec -> DynamicTest.dynamicTest(spec.replace('\n', ' '), () -> {
            String source = UnrollCompiler.generate(plan(spec).model()).toString();
            Matcher m = once.matcher(source);
            while (m.find()) {
                assertTrue(Integer.parseInt(m.group(3)) - Integer.parseInt(m.group(2)) > 1, "a loop that runs once: "
                        + m.group());
            }
            assertFalse(source.contains("i < 4; i += 4"), "a four-column pass that runs once");
        }));
    }

    @Test
    void tensorsAreUniqueAndInStateDictOrder() {
        ModelPlan plan = plan(SPECS.get(4));
        List<String> names = plan.tensors().stream().map(TensorSpec::name).toList();
        assertEquals(List.of("rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
                "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1", "head.weight", "head.bias"),
                names);
        Set<String> fields = new HashSet<>();
        for (TensorSpec t : plan.tensors()) {
            assertTrue(fields.add(t.field()), t.field());
        }
        LayerPlan gru = plan.layers().get(0);
        assertEquals(3 * 5, gru.weightIh().rows());
        assertEquals(3, gru.weightIh().cols());
        assertEquals(3, gru.weightIh().gateBlocks());
        assertEquals(4 * 3, plan.layers().get(1).weightHh().rows());
    }

    @Test
    void peepholesFollowTheirLayersFourTensorsAndAreInitializedLikeBiases() {
        ModelPlan plan = plan(SPECS.get(8));
        assertEquals(List.of("rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
                "rnn.weight_ci_l0", "rnn.weight_cf_l0", "rnn.weight_co_l0", "rnn.weight_ih_l1", "rnn.weight_hh_l1",
                "rnn.bias_ih_l1", "rnn.bias_hh_l1", "head.weight", "head.bias"),
                plan.tensors().stream().map(TensorSpec::name).toList());
        for (TensorSpec peephole : plan.layers().get(0).cell().extraTensors()) {
            assertEquals(6, peephole.rows());
            assertFalse(peephole.isMatrix());
            assertEquals(new TensorSpec.Init(TensorSpec.Init.Kind.BIAS, 6), peephole.init());
        }
        assertEquals(List.of(), plan.layers().get(1).cell().extraTensors(), "cell_clip alone adds no tensor");
    }

    @Test
    void stateAndCarriedGradientsComeFromTheCell() {
        ModelPlan plan = plan(SPECS.get(4));
        assertEquals(List.of("h0"), plan.layers().get(0).state().stream().map(BufferSpec::name).toList());
        assertEquals(List.of("h1", "c1"), plan.layers().get(1).state().stream().map(BufferSpec::name).toList());
        assertEquals(List.of("dh1", "dc1"),
                plan.layers().get(1).carriedGradients().stream().map(BufferSpec::name).toList());
    }

    @Test
    void aBidirectionalLayerHasAReversePassWithPyTorchNamesAndItsOwnBuffers() {
        ModelPlan plan = plan(SPECS.get(12));
        assertTrue(plan.layerByLayer());
        assertEquals(List.of("rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
                "rnn.weight_ih_l0_reverse", "rnn.weight_hh_l0_reverse", "rnn.bias_ih_l0_reverse",
                "rnn.bias_hh_l0_reverse", "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1",
                "rnn.weight_ih_l1_reverse", "rnn.weight_hh_l1_reverse", "rnn.bias_ih_l1_reverse",
                "rnn.bias_hh_l1_reverse", "rnn.weight_ih_l2", "rnn.weight_hh_l2", "rnn.bias_ih_l2", "rnn.bias_hh_l2",
                "head.weight", "head.bias"), plan.tensors().stream().map(TensorSpec::name).toList());
        LayerPlan lstm = plan.layers().get(0);
        LayerPlan reverse = lstm.reverse().orElseThrow();
        assertEquals(List.of("h0Reverse", "c0Reverse"), reverse.state().stream().map(BufferSpec::name).toList());
        assertEquals(12, lstm.outputSize(), "concat: 2H");
        assertEquals(12, plan.layers().get(1).shape().inputSize());
        assertEquals(3, plan.layers().get(1).outputSize(), "sum: H");
        assertEquals("out0", plan.layers().get(1).source().orElseThrow().name());
        assertEquals("(t + 1) * 12", plan.layers().get(1).sourceOffset());
        assertEquals("(4 - t) * 12", plan.layers().get(1).reverse().orElseThrow().sourceOffset(),
                "the reverse pass's step t reads time T - 1 - t, at (T - 1 - t + 1) * 12");
        assertEquals("(3 - t) * 5", reverse.sourceOffset());
        assertEquals(6, reverse.pass().outputGradient().orElseThrow().offset(), "concat: the reverse half");
        assertEquals(0, plan.layers().get(1).reverse().orElseThrow().pass().outputGradient().orElseThrow().offset(),
                "sum: both passes read the whole gradient");
        assertEquals("nn.LSTM(5, 6, bidirectional=True)", lstm.pytorchModule());
        ModelPlan manyToOne = plan(SPECS.get(13));
        LayerPlan top = manyToOne.top();
        assertTrue(top.merge().orElseThrow().finalOnly(), "many_to_one reads h_n");
        assertEquals("hN1", manyToOne.head().source().name());
        assertEquals("0", manyToOne.head().sourceOffset());
        assertTrue(top.pass().outputGradient().isEmpty(), "the head's gradient starts the top layer's BPTT");
        assertFalse(plan(SPECS.get(0)).layerByLayer());
    }

    @Test
    void aOneHotInputHasNoRowCopyOfItsInputWeight() {
        ModelPlan oneHot = plan(SPECS.get(2));
        assertFalse(oneHot.layers().get(0).weightIh().rowCopy(), "never read: W_ih^T dz of a one-hot input");
        assertTrue(oneHot.layers().get(1).weightIh().rowCopy());
        ModelPlan feedback = plan(SPECS.get(5));
        assertTrue(feedback.layers().get(0).weightIh().rowCopy(), "the fed-back outputs are dense");
    }

    @Test
    void truncatedBpttWithVariableLengthIsPlanned() {
        CheckResult result = RnnFrontEnd.check("m.rnn", spec("input 5;", "lstm 6 dropout 0.5; lstm 6;", "output 3;",
                "many_to_many steps 4 variable_length;", "loss mse;", "truncated_bptt 2;")
                .getBytes(StandardCharsets.UTF_8));
        assertFalse(result.hasErrors(), result::formattedDiagnostics);
        Planner.Result planned = Planner.plan(result.models().get(0));
        assertEquals(List.of(), planned.refusals().stream().map(r -> r.message()).toList());
        TimeSchedule schedule = planned.plan().orElseThrow().schedule();
        assertTrue(schedule.variableLength() && schedule.truncated());
    }

    @Test
    void feedbackIntoAnEmbeddingReadsTheFedBackOutputThroughTheTable() {
        CheckResult result = RnnFrontEnd.check("m.rnn", spec("input 5 embedding 3 frozen;", "gru 6;",
                "output 5 softmax;", "one_to_many steps 4 feedback;", "loss cross_entropy;")
                .getBytes(StandardCharsets.UTF_8));
        assertFalse(result.hasErrors(), result::formattedDiagnostics);
        ModelPlan plan = Planner.planOrThrow(result.models().get(0));
        assertEquals(dev.unroll.compiler.plan.InputMode.EMBEDDED_THEN_FED_BACK, plan.layers().get(0).inputMode());
        assertEquals(3, plan.network().dxStep().orElseThrow().length(),
                "dL/dx_t, for the output fed back, even though the table is frozen");
        assertTrue(plan.network().dx().isEmpty(), "a frozen table needs no dx");
        assertEquals(5, plan.network().dyFeedback().orElseThrow().length());
    }

    @Test
    void feedbackIntoAnEmbeddingNeedsASoftmax() {
        CheckResult result = RnnFrontEnd.check("m.rnn", spec("input 5 embedding 3;", "gru 6;", "output 5 sigmoid;",
                "one_to_many steps 4 feedback;").getBytes(StandardCharsets.UTF_8));
        assertTrue(result.formattedDiagnostics().contains("one_to_many with feedback into an embedding input needs a"
                + " softmax output, whose probabilities weight the embedding's rows as the next input, got sigmoid"),
                result::formattedDiagnostics);
    }

    @Test
    void anEmbeddingIsATableFirstInStateDictOrderReadByTheFirstLayerAsDenseInput() {
        CheckResult result = RnnFrontEnd.check("m.rnn", spec("input 11 embedding 4;", "lstm 6 bidirectional; gru 5;",
                "output 2 softmax;", "many_to_one steps 3;", "loss cross_entropy;").getBytes(StandardCharsets.UTF_8));
        ModelPlan plan = Planner.planOrThrow(result.models().get(0));
        TensorSpec table = plan.tensors().get(0);
        assertEquals("embedding.weight", table.name());
        assertTrue(table.isTable());
        assertFalse(table.packed() || table.rowCopy(), "read by rows as it is");
        assertEquals(11 * 4, table.size());
        assertEquals(4, plan.featureSize());
        assertEquals(4, plan.layers().get(0).weightIh().cols());
        assertTrue(plan.symbolInput());
        assertEquals(11, plan.input().size());
        assertEquals(3 * 4, plan.network().dx().orElseThrow().length(), "dx, for the table's gradient");
        assertEquals(dev.unroll.compiler.plan.InputMode.EMBEDDED, plan.layers().get(0).inputMode());
    }
}
