package dev.unroll.compiler.codegen;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeSpec;
import dev.unroll.compiler.plan.HeadPlan;
import dev.unroll.compiler.plan.ModelPlan;
import dev.unroll.compiler.plan.NetworkBuffers;
import dev.unroll.dsl.model.LossKind;
import dev.unroll.dsl.model.OutputActivation;
import java.util.Arrays;
import javax.lang.model.element.Modifier;

/**
 * Writes the output head, {@code y = act(W h_t + b)}, its loss at one output, and its backward
 * pass: the gradient of the loss through the activation to the logits, {@code W} and {@code b},
 * and {@code W^T dz} into the top layer's {@code dh}.
 */
final class HeadWriter {
    private final ModelPlan plan;
    private final HeadPlan head;
    private final NetworkBuffers net;
    private final Num num;
    private final int o;
    private final int f;

    HeadWriter(ModelPlan plan, Num num) {
        this.plan = plan;
        this.head = plan.head();
        this.net = plan.network();
        this.o = head.size();
        this.f = head.inputSize();
        this.num = num;
    }

    void addTo(TypeSpec.Builder type) {
        type.addMethod(forward());
        type.addMethod(lossAt());
        if (head.loss() == LossKind.MSE || plan.schedule().feedback()) {
            type.addMethod(activationGradient());
        }
        type.addMethod(backward());
    }

    private MethodSpec forward() {
        String t = num.keyword();
        CodeBlock.Builder b = CodeBlock.builder()
                .addStatement("final $T wT = $L", num.weightCopy(), head.weight().packedField())
                .addStatement("final $L[] h = $L", t, head.source().ref())
                .addStatement("final $L[] z = $L", t, net.logits().ref())
                .addStatement("final int ho = $L", head.sourceOffset())
                .addStatement("final int zo = s * $L", o)
                .addStatement("final $L[] acc = $L", t, net.headAcc().ref())
                .add("// summed at offset 0 of a scratch array (vectorizes), then copied to output s\n")
                .addStatement("System.arraycopy($L, 0, acc, 0, $L)", head.bias().valueRef(), o);
        Kernels.axpyColumns(b, num, "acc", "wT", "h", "ho", f, o, num.forwardLayout(head.weight()));
        b.addStatement("System.arraycopy(acc, 0, z, zo, $L)", o);
        String y = net.y().ref();
        switch (head.activation()) {
            case SOFTMAX -> b.addStatement("$T.softmax(z, zo, $L, $L, zo)", RuntimeTypes.ACTIVATIONS, o, y);
            case LINEAR -> b.addStatement("System.arraycopy(z, zo, $L, zo, $L)", y, o);
            case SIGMOID, TANH -> {
                Kernels.beginLoop(b, "o", 0, o);
                b.addStatement("$L[zo + o] = $T.$L(z[zo + o])", y, RuntimeTypes.ACTIVATIONS,
                        head.activation() == OutputActivation.SIGMOID ? "sigmoid" : "tanh");
                Kernels.endLoop(b);
            }
        }
        return MethodSpec.methodBuilder("headForward")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(int.class, "t")
                .addParameter(int.class, "s")
                .addJavadoc("Output {@code s} from the top layer's {@code h_t}: {@code y = $L(W h_t + b)}, as PyTorch's\n"
                        + "{@code nn.Linear($L, $L)}$L.\n", head.activation().keyword(), f, o, pytorchActivation())
                .addCode(b.build())
                .build();
    }

    private String pytorchActivation() {
        return switch (head.activation()) {
            case LINEAR -> "";
            case SOFTMAX -> " and {@code softmax}";
            case SIGMOID -> " and {@code sigmoid}";
            case TANH -> " and {@code tanh}";
        };
    }

    private MethodSpec lossAt() {
        MethodSpec.Builder loss = MethodSpec.methodBuilder("lossAt")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(int.class, "s")
                .addParameter(double.class, "scale")
                .returns(double.class)
                .addJavadoc("The $L loss of output {@code s}; leaves {@code scale * dL/dz} in {@code $L}.\n",
                        head.loss().keyword(), net.dLogits().ref())
                .addStatement("final int zo = s * $L", o);
        String logits = net.logits().ref();
        String dLogits = net.dLogits().ref();
        String y = net.y().ref();
        switch (head.loss()) {
            case CROSS_ENTROPY -> loss.addStatement(
                    "return $T.crossEntropy($L, zo, $L, $L[s], $L, scale, $L, zo)", RuntimeTypes.LOSSES, logits, o,
                    net.targetSymbols().orElseThrow().ref(), y, dLogits);
            case BINARY_CROSS_ENTROPY -> loss.addStatement(
                    "return $T.binaryCrossEntropy($L, zo, $L, $L, zo, scale, $L, zo)", RuntimeTypes.LOSSES, logits, o,
                    net.targets().orElseThrow().ref(), dLogits);
            case MSE -> {
                String dy = net.dy().orElseThrow().ref();
                loss.addStatement("final double loss = $T.squaredError($L, zo, $L, $L, zo, scale, $L, 0)",
                                RuntimeTypes.LOSSES, y, o, net.targets().orElseThrow().ref(), dy)
                        .addStatement("$T.fill($L, zo, zo + $L, 0)", Arrays.class, dLogits, o)
                        .addStatement("addActivationGradient($L, zo, $L, $L)", y, dy, dLogits)
                        .addStatement("return loss");
            }
        }
        return loss.build();
    }

    /** {@code dz += J^T dy}, where J is the Jacobian of the output activation at y. */
    private MethodSpec activationGradient() {
        String t = num.keyword();
        CodeBlock.Builder b = CodeBlock.builder();
        switch (head.activation()) {
            case LINEAR -> {
                Kernels.beginLoop(b, "o", 0, o);
                b.addStatement("dz[yo + o] += dy[o]");
                Kernels.endLoop(b);
            }
            case TANH, SIGMOID -> {
                Kernels.beginLoop(b, "o", 0, o);
                b.addStatement("final $L v = y[yo + o]", t);
                b.addStatement(head.activation() == OutputActivation.TANH ? "dz[yo + o] += dy[o] * (1 - v * v)"
                        : "dz[yo + o] += dy[o] * v * (1 - v)");
                Kernels.endLoop(b);
            }
            case SOFTMAX -> {
                b.addStatement("$L dot = 0", t);
                Kernels.beginLoop(b, "o", 0, o);
                b.addStatement("dot += dy[o] * y[yo + o]");
                Kernels.endLoop(b);
                Kernels.beginLoop(b, "o", 0, o);
                b.addStatement("dz[yo + o] += y[yo + o] * (dy[o] - dot)");
                Kernels.endLoop(b);
            }
        }
        return MethodSpec.methodBuilder("addActivationGradient")
                .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                .addParameter(num.array(1), "y")
                .addParameter(int.class, "yo")
                .addParameter(num.array(1), "dy")
                .addParameter(num.array(1), "dz")
                .addJavadoc("Adds {@code J^T dy} to {@code dz} at {@code yo}, J being the Jacobian of the $L output.\n",
                        head.activation().keyword())
                .addCode(b.build())
                .build();
    }

    private MethodSpec backward() {
        String t = num.keyword();
        CodeBlock.Builder b = CodeBlock.builder().addStatement("final int zo = s * $L", o);
        net.dyFeedback().ifPresent(dy -> b
                .add("// the output was also the next step's input: add that path's gradient\n")
                .addStatement("addActivationGradient($L, zo, $L, $L)", net.y().ref(), dy.ref(), net.dLogits().ref()));
        b.addStatement("final $T w = $L", num.weightCopy(), head.weight().rowsField());
        b.addStatement("final $L[][] gw = $L", t, head.weight().gradientRef())
                .addStatement("final $L[] gb = $L", t, head.bias().gradientRef())
                .addStatement("final $L[] hs = $L", t, net.headIn().ref())
                .addStatement("final $L[] dh = $L", t, head.sourceGradient().ref())
                .addStatement("final $L[] dz = $L", t, net.dLogits().ref())
                .add("// h_t copied to offset 0, so that the loops over rows vectorize\n")
                .addStatement("System.arraycopy($L, $L, hs, 0, $L)", head.source().ref(), head.sourceOffset(), f);
        Kernels.outerProductRows(b, num, "o", o, "dz", "zo", "gw", "gb", "j", "hs", f);
        b.add("// dh_t += W^T dz: AXPYs over the rows of W, four per pass\n");
        Kernels.axpyColumns(b, num, "dh", "w", "dz", "zo", o, f, num.backwardLayout(head.weight()));
        return MethodSpec.methodBuilder("headBackward")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.WORKSPACE, "ws")
                .addParameter(int.class, "t")
                .addParameter(int.class, "s")
                .addJavadoc("Backward through the head at output {@code s}: {@code dW += dz h_t^T}, {@code db += dz},"
                        + " {@code dh_t += W^T dz}.\n")
                .addCode(b.build())
                .build();
    }
}
