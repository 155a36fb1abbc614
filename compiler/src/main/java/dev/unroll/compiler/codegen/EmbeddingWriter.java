package dev.unroll.compiler.codegen;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeSpec;
import dev.unroll.compiler.plan.EmbeddingPlan;
import dev.unroll.compiler.plan.ModelPlan;
import dev.unroll.compiler.plan.NetworkBuffers;
import javax.lang.model.element.Modifier;

/**
 * Writes the embedding of an {@code input V embedding D;} model: the lookup that copies the row of
 * each step's symbol into the dense input before the layers run, and the backward step that adds
 * each step's {@code dL/dx_t} to its symbol's row of the table's gradient, listing the row
 * ({@link dev.unroll.runtime.GradientRows}) so that nothing after it runs over all {@code V} rows.
 *
 * <pre>{@code
 * x[t * D + i] = E[symbols[t]][i]                  lookUpEmbedding, first in forwardSequence (and per window)
 * dE[symbols[t]][i] += dx[t * D + i]               embeddingBackward, last in backwardSequence (and per window)
 * }</pre>
 */
final class EmbeddingWriter {
    /** The lookup's method name. */
    static final String LOOK_UP = "lookUpEmbedding";
    /** The backward step's method name. */
    static final String BACKWARD = "embeddingBackward";

    private final ModelPlan plan;
    private final EmbeddingPlan embedding;
    private final NetworkBuffers net;
    private final Num num;

    EmbeddingWriter(ModelPlan plan, Num num) {
        this.plan = plan;
        this.embedding = plan.embedding().orElseThrow();
        this.net = plan.network();
        this.num = num;
    }

    void addTo(TypeSpec.Builder type) {
        type.addMethod(lookUp());
        if (!embedding.frozen()) {
            type.addMethod(backward());
        }
    }

    private MethodSpec lookUp() {
        int d = embedding.width();
        CodeBlock.Builder b = CodeBlock.builder()
                .addStatement("final $L[] table = $L", num.keyword(), embedding.table().valueRef());
        b.beginControlFlow("for (int t = from; t < to; t++)");
        b.addStatement("System.arraycopy(table, $L[t] * $L, $L, t * $L, $L)", net.symbols().orElseThrow().ref(), d,
                net.x().orElseThrow().ref(), d, d);
        b.endControlFlow();
        return MethodSpec.methodBuilder(LOOK_UP)
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(int.class, "from")
                .addParameter(int.class, "to")
                .addJavadoc("Copies the embedding row of the symbol of each step from {@code from} to {@code to - 1} into"
                        + " the input, as\nPyTorch's {@code nn.Embedding} ($L x $L): {@code x_t = embedding.weight[symbols[t]]}."
                        + " Padded steps\n(past a sequence's length) are not read.\n", embedding.vocabulary(), d)
                .addCode(b.build())
                .build();
    }

    private MethodSpec backward() {
        int d = embedding.width();
        CodeBlock.Builder b = CodeBlock.builder()
                .addStatement("final $L[] g = $L", num.keyword(), embedding.table().gradientRef())
                .addStatement("final $T rows = $L", RuntimeTypes.GRADIENT_ROWS, embedding.table().gradientRowsRef())
                .addStatement("final $L[] dx = $L", num.keyword(), net.dx().orElseThrow().ref());
        b.beginControlFlow("for (int t = from; t < to; t++)");
        b.addStatement("final int row = $L[t]", net.symbols().orElseThrow().ref())
                .addStatement("rows.add(row)")
                .addStatement("final int go = row * $L", d)
                .addStatement("final int xo = t * $L", d);
        Kernels.beginLoop(b, "i", 0, d);
        b.addStatement("g[go + i] += dx[xo + i]");
        Kernels.endLoop(b);
        b.endControlFlow();
        return MethodSpec.methodBuilder(BACKWARD)
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(int.class, "from")
                .addParameter(int.class, "to")
                .addJavadoc("Adds the {@code dL/dx_t} of each step from {@code from} to {@code to - 1} to the row of its"
                        + " symbol in the\nembedding's gradient, and lists the row: only the rows of the symbols read are"
                        + " ever touched.\n")
                .addCode(b.build())
                .build();
    }
}
