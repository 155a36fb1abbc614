package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No generated method may reach HotSpot's {@code HugeMethodLimit} (8000 bytes of bytecode): the
 * JIT never compiles such a method, so it would run interpreted forever. Big networks must not
 * make methods bigger, since every size is a loop bound. This compiles seven big specs (one bidirectional, one with the cell variants, one with an embedding, an encoder-decoder), reads
 * every class file (the model and its nested {@code Workspace} and {@code Stepper}) with ASM and
 * checks every method. {@link GeneratedCode} runs the same check on everything any test compiles.
 */
class BytecodeSizeTest {
    @TempDir
    Path work;

    private static final Map<String, String> BIG = new LinkedHashMap<>();

    static {
        BIG.put("big.CharLstm", """
                package big;
                /** Two LSTM layers of 1024 over 200 steps: a character language model. */
                model CharLstm {
                    input 65 one_hot;
                    lstm 1024;
                    lstm 1024;
                    output 65 softmax;
                    many_to_many steps 200;
                    clip norm 5.0;
                }
                """);
        BIG.put("big.SequenceGru", """
                package big;
                model SequenceGru {
                    input 300;
                    gru 1024;
                    gru 768;
                    output 10 sigmoid;
                    many_to_one steps 200;
                    batch 64;
                    precision float64;
                }
                """);
        BIG.put("big.ClippedPeepholeLstm", """
                package big;
                /** Two LSTM layers of 1024 with peepholes and a cell clip, then a Cho GRU, over 200 steps. */
                model ClippedPeepholeLstm {
                    input 65 one_hot;
                    lstm 1024 peepholes cell_clip 5;
                    lstm 1024 peepholes cell_clip 5;
                    gru 1024 cho;
                    output 65 softmax;
                    many_to_many steps 200;
                    clip norm 5.0;
                }
                """);
        BIG.put("big.BidirectionalLstm", """
                package big;
                /** Two bidirectional LSTM layers of 1024 over 200 steps, concat then sum: a tagger. */
                model BidirectionalLstm {
                    input 300;
                    lstm 1024 bidirectional;
                    lstm 1024 bidirectional sum;
                    output 40 softmax;
                    many_to_many steps 200;
                    clip norm 5.0;
                }
                """);
        BIG.put("big.EmbeddedGru", """
                package big;
                /** A 50,000-word vocabulary looked up in a table of 300, then two GRU layers of 1024 over 200 steps. */
                model EmbeddedGru {
                    input 50000 embedding 300;
                    gru 1024;
                    gru 1024;
                    output 50000 softmax;
                    many_to_many steps 200;
                    clip norm 5.0;
                }
                """);
        BIG.put("big.EncoderDecoderLstm", """
                package big;
                /** An encoder and a decoder of two LSTM layers of 1024, 200 steps in and 100 out, 5000 classes. */
                model EncoderDecoderLstm {
                    input 5000 one_hot;
                    lstm 1024;
                    lstm 1024;
                    output 5000 softmax;
                    many_to_many input_steps 200 output_steps 100;
                    clip norm 5.0;
                }
                """);
        BIG.put("big.RolloutRnn", """
                package big;
                model RolloutRnn {
                    input 256;
                    rnn 2048 relu;
                    rnn 1024;
                    output 256 tanh;
                    one_to_many steps 200 feedback;
                    clip norm 1.0;
                }
                """);
    }

    @Test
    void bigNetworksKeepEveryMethodBelowTheHugeMethodLimit() {
        List<dev.unroll.dsl.model.NetworkModel> models = BIG.entrySet().stream()
                .map(e -> GeneratedCode.model(e.getKey() + ".rnn", e.getValue())).toList();
        GeneratedCode.compile(models, work); // fails on a huge method
        List<MethodSizes.Method> methods = MethodSizes.methods(GeneratedCode.classesDirectory(work));
        Set<String> classNames = methods.stream().map(MethodSizes.Method::className).collect(Collectors.toSet());
        for (String model : BIG.keySet()) {
            // a bidirectional model or an encoder-decoder has no Stepper: its newStepper() throws
            Set<String> nested = model.contains("Bidirectional") || model.contains("EncoderDecoder")
                    ? Set.of(model, model + "$Workspace")
                    : Set.of(model, model + "$Workspace", model + "$Stepper");
            assertTrue(classNames.containsAll(nested), "the model class and its nested classes were all read: "
                    + classNames);
        }
        MethodSizes.Method largest = methods.stream().max(Comparator.comparingInt(MethodSizes.Method::bytecodeLength))
                .orElseThrow();
        System.out.println("BytecodeSizeTest: " + methods.size() + " methods in " + classNames.size()
                + " classes; the largest is " + largest);
        for (MethodSizes.Method m : methods) {
            assertTrue(m.bytecodeLength() < MethodSizes.HUGE_METHOD_LIMIT, m::toString);
        }
    }

    /** The helper reads exact code lengths: checked on methods whose bytecode is known. */
    @Test
    void helperMeasuresCodeLengthsExactly() {
        String source = """
                package sizes;
                public final class Known {
                    static int one() { return 1; }             // iconst_1, ireturn
                    static int add(int a, int b) { return a + b; } // iload_0, iload_1, iadd, ireturn
                    private Known() {}                          // aload_0, invokespecial #n, return
                    public static final class Inner {
                        static void nothing() {}                // return
                    }
                }
                """;
        GeneratedCode.compileSources(Map.of("sizes.Known", source), work);
        Map<String, Integer> lengths = MethodSizes.methods(GeneratedCode.classesDirectory(work)).stream()
                .collect(Collectors.toMap(m -> m.className() + "." + m.name(), MethodSizes.Method::bytecodeLength));
        assertEquals(Map.of("sizes.Known.one", 2, "sizes.Known.add", 4, "sizes.Known.<init>", 5,
                "sizes.Known$Inner.nothing", 1, "sizes.Known$Inner.<init>", 5), lengths);
    }

    /** The helper fails on a method at the limit, naming it. */
    @Test
    void helperRejectsAHugeMethod() {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 1200; i++) {
            body.append("        x = x * 31 + ").append(i).append(";\n"); // at least 7 bytes each
        }
        String source = "package sizes;\npublic final class Huge {\n    private Huge() {}\n"
                + "    static int huge(int x) {\n" + body + "        return x;\n    }\n}\n";
        AssertionError error = assertThrows(AssertionError.class,
                () -> GeneratedCode.compileSources(Map.of("sizes.Huge", source), work));
        assertTrue(error.getMessage().contains("sizes.Huge.huge(I)I"), error.getMessage());
        assertTrue(error.getMessage().contains("HugeMethodLimit"), error.getMessage());
    }
}
