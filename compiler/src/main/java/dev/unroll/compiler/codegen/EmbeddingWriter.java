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
 *
 * <p>With {@code one_to_many ... feedback}, step {@code t > 0} reads the output fed back through the table, as a
 * {@code one_hot} input reads it through {@code W_ih}: the rows weighted by the output's probabilities, and its
 * backward step sends {@code dL/dx_t} to the output and to every row (all of them are read):
 *
 * <pre>{@code
 * x[t * D + i] = sum_v y[(t - 1) * V + v] * E[v][i]                feedBackEmbedding(ws, t)
 * dyFeedback[v] = sum_i E[v][i] * dxStep[i];  dE[v][i] += y[(t - 1) * V + v] * dxStep[i]
 *                                                                   feedBackEmbeddingBackward(ws, t)
 * }</pre>
 */
final class EmbeddingWriter {
    /** The lookup's method name. */
    static final String LOOK_UP = "lookUpEmbedding";
    /** The backward step's method name. */
    static final String BACKWARD = "embeddingBackward";
    /** The feedback's method name: the output fed back, through the table, as the next step's input. */
    static final String FEED_BACK = "feedBackEmbedding";
    /** The feedback's backward step's method name. */
    static final String FEED_BACK_BACKWARD = "feedBackEmbeddingBackward";

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
        if (plan.schedule().feedback()) {
            type.addMethod(feedBack());
            type.addMethod(feedBackBackward());
        }
    }

    private MethodSpec feedBack() {
        int d = embedding.width();
        int v = embedding.vocabulary();
        CodeBlock.Builder b = CodeBlock.builder()
                .addStatement("final $L[] table = $L", num.keyword(), embedding.table().valueRef())
                .addStatement("final $L[] y = $L", num.keyword(), net.y().ref())
                .addStatement("final $L[] x = $L", num.keyword(), net.x().orElseThrow().ref())
                .addStatement("final int yo = (t - 1) * $L", v)
                .addStatement("final int xo = t * $L", d)
                .addStatement("$T.fill(x, xo, xo + $L, 0)", java.util.Arrays.class, d);
        b.beginControlFlow("for (int v = 0; v < $L; v++)", v)
                .addStatement("final $L p = y[yo + v]", num.keyword())
                .addStatement("final int row = v * $L", d);
        Kernels.beginLoop(b, "i", 0, d);
        b.addStatement("x[xo + i] += p * table[row + i]");
        Kernels.endLoop(b);
        b.endControlFlow();
        return MethodSpec.methodBuilder(FEED_BACK)
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(int.class, "t")
                .addJavadoc("Feedback into the embedding: step {@code t}'s input is the table's rows weighted by the"
                        + " output of step\n{@code t - 1}, {@code x_t = embedding.weight^T y_{t-1}} ($L x $L), as"
                        + " a one-hot input reads the\nprobabilities fed back through {@code W_ih}.\n", v, d)
                .addCode(b.build())
                .build();
    }

    private MethodSpec feedBackBackward() {
        int d = embedding.width();
        int v = embedding.vocabulary();
        String dxStep = net.dxStep().orElseThrow().ref();
        CodeBlock.Builder b = CodeBlock.builder()
                .addStatement("final $L[] table = $L", num.keyword(), embedding.table().valueRef())
                .addStatement("final $L[] dxs = $L", num.keyword(), dxStep)
                .addStatement("final $L[] dy = $L", num.keyword(), net.dyFeedback().orElseThrow().ref());
        if (!embedding.frozen()) {
            b.addStatement("final $L[] y = $L", num.keyword(), net.y().ref())
                    .addStatement("final $L[] g = $L", num.keyword(), embedding.table().gradientRef())
                    .addStatement("final int yo = (t - 1) * $L", v)
                    .add("// every row is read, so every row gets a gradient\n")
                    .addStatement("$L.addAll()", embedding.table().gradientRowsRef());
        }
        b.beginControlFlow("for (int v = 0; v < $L; v++)", v)
                .addStatement("final int row = v * $L", d)
                .addStatement("$L s = 0", num.keyword());
        Kernels.beginLoop(b, "i", 0, d);
        b.addStatement("s += table[row + i] * dxs[i]");
        Kernels.endLoop(b);
        b.addStatement("dy[v] = s");
        if (!embedding.frozen()) {
            b.addStatement("final $L p = y[yo + v]", num.keyword());
            Kernels.beginLoop(b, "i", 0, d);
            b.addStatement("g[row + i] += p * dxs[i]");
            Kernels.endLoop(b);
        }
        b.endControlFlow();
        return MethodSpec.methodBuilder(FEED_BACK_BACKWARD)
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(int.class, "t")
                .addJavadoc("The backward step of {@link #$L}: sends {@code dL/dx_t} (in {@code $L})\nto the output"
                        + " fed back, {@code dL/dy_{t-1} = embedding.weight dL/dx_t}$L.\n", FEED_BACK, dxStep,
                        embedding.frozen() ? " (the table is frozen)"
                                : ", and adds\n{@code y_{t-1} dL/dx_t^T} to the table's gradient")
                .addCode(b.build())
                .build();
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
