package dev.unroll.compiler.codegen;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeSpec;
import dev.unroll.compiler.plan.LayerPlan;
import dev.unroll.compiler.plan.ModelPlan;
import dev.unroll.compiler.plan.TensorSpec;
import dev.unroll.dsl.model.NetworkModel;
import java.util.List;
import java.util.random.RandomGenerator;
import javax.lang.model.element.Modifier;

/**
 * Writes the model's parameters from the plan's tensors: one field per tensor, the parameter set
 * in {@code state_dict} order, the constructors that initialize them, and the copies the kernels
 * read (transposed for the forward pass, by rows for the backward pass) with the version check that
 * keeps those copies in step with the parameters.
 */
final class ParameterWriter {
    private final ModelPlan plan;
    private final Num num;

    ParameterWriter(ModelPlan plan, Num num) {
        this.plan = plan;
        this.num = num;
    }

    void addTo(TypeSpec.Builder type) {
        ClassName p = num.parameterClass();
        for (TensorSpec tensor : plan.tensors()) {
            if (tensor.isTable()) {
                boolean frozen = plan.frozen(tensor);
                type.addField(FieldSpec.builder(p, tensor.field(), Modifier.PRIVATE, Modifier.FINAL)
                        .addJavadoc("{@code $L}, shape [$L]: the embedding table, PyTorch's {@code nn.Embedding($L, $L)}$L.\n",
                                tensor.name(), tensor.shapeText(), tensor.rows(), tensor.cols(),
                                frozen ? ", frozen (no gradient, never updated)" : ", with a row-sparse gradient")
                        .initializer("$T.table($S, $L, $L)", p, tensor.name(), tensor.shapeText(), frozen)
                        .build());
                continue;
            }
            type.addField(FieldSpec.builder(p, tensor.field(), Modifier.PRIVATE, Modifier.FINAL)
                    .addJavadoc("{@code $L}, shape [$L].\n", tensor.name(), tensor.shapeText())
                    .initializer("new $T($S, $L)", p, tensor.name(), tensor.shapeText())
                    .build());
        }
        type.addField(FieldSpec.builder(RuntimeTypes.PARAMETER_SET, "parameters", Modifier.PRIVATE, Modifier.FINAL)
                .build());
        addCopies(type);
        addConstructors(type);
        type.addMethod(MethodSpec.methodBuilder("parameters")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .returns(RuntimeTypes.PARAMETER_SET)
                .addJavadoc("Returns the parameters in PyTorch's {@code state_dict} order; their arrays are the model's own.\n")
                .addStatement("return parameters")
                .build());
    }

    /**
     * The forward pass reads transposed copies of the weights, one array per input element, so that its inner loops
     * are AXPYs; the backward pass reads copies by rows. Both are refreshed from the parameters whenever
     * {@link dev.unroll.runtime.ParameterSet#version()} changed since the last refresh. Transposing and copying are
     * not size-specialized work, so the runtime does them.
     */
    private void addCopies(TypeSpec.Builder type) {
        MethodSpec.Builder repack = MethodSpec.methodBuilder("repack")
                .addModifiers(Modifier.PRIVATE)
                .addJavadoc("Copies every weight, transposed, into the arrays the forward pass reads, and row by row"
                        + " into those\nthe backward pass reads.\n");
        List<TensorSpec> tensors = plan.tensors();
        for (TensorSpec tensor : tensors) {
            if (tensor.packed() && num.isVector()) {
                BlockLayout layout = num.forwardLayout(tensor);
                type.addField(FieldSpec.builder(num.array(1), tensor.packedField(), Modifier.PRIVATE, Modifier.FINAL)
                        .addJavadoc("{@code $L} in blocks of rows {@code $L}, each block column after column: the"
                                + " layout of the Vector API kernels.\n", tensor.name(), layout.startsSource())
                        .initializer("new $T[$L]", num.type(), (long) tensor.rows() * tensor.cols())
                        .build());
                String blocks = blocksConstant(type, tensor.packedField(), layout);
                repack.addStatement("$T.blocked($L, $L, $L, $L)", RuntimeTypes.ARRAYS2D, tensor.valueRef(),
                        tensor.cols(), blocks, tensor.packedField());
            } else if (tensor.packed()) {
                type.addField(FieldSpec.builder(num.array(2), tensor.packedField(), Modifier.PRIVATE, Modifier.FINAL)
                        .addJavadoc("{@code $L} transposed: {@code $L[i][k] = W[k][i]}.\n", tensor.name(),
                                tensor.packedField())
                        .initializer("new $T[$L][$L]", num.type(), tensor.cols(), tensor.rows())
                        .build());
                repack.addStatement("$T.transpose($L, $L, $L)", RuntimeTypes.ARRAYS2D, tensor.valueRef(), tensor.cols(),
                        tensor.packedField());
            }
        }
        for (TensorSpec tensor : tensors) {
            if (tensor.rowCopy() && num.isVector()) {
                BlockLayout layout = num.backwardLayout(tensor);
                type.addField(FieldSpec.builder(num.array(1), tensor.rowsField(), Modifier.PRIVATE, Modifier.FINAL)
                        .addJavadoc("{@code $L} transposed, in blocks of its columns {@code $L}, each block row after"
                                + " row: the layout of the\nVector API kernels of the backward pass.\n", tensor.name(),
                                layout.startsSource())
                        .initializer("new $T[$L]", num.type(), (long) tensor.rows() * tensor.cols())
                        .build());
                String blocks = blocksConstant(type, tensor.rowsField(), layout);
                repack.addStatement("$T.blockedTransposed($L, $L, $L, $L)", RuntimeTypes.ARRAYS2D,
                        tensor.valueRef(), tensor.cols(), blocks, tensor.rowsField());
                continue;
            }
            if (tensor.rowCopy()) {
                type.addField(FieldSpec.builder(num.array(2), tensor.rowsField(), Modifier.PRIVATE, Modifier.FINAL)
                        .addJavadoc("{@code $L}, one array per row: {@code $L[k][i] = W[k][i]}.\n", tensor.name(),
                                tensor.rowsField())
                        .initializer("new $T[$L][$L]", num.type(), tensor.rows(), tensor.cols())
                        .build());
                repack.addStatement("$T.split($L, $L)", RuntimeTypes.ARRAYS2D, tensor.valueRef(), tensor.rowsField());
            }
        }
        type.addMethod(repack.build());
        type.addField(FieldSpec.builder(long.class, "packedVersion", Modifier.PRIVATE, Modifier.VOLATILE)
                .addJavadoc("The parameters' version the packed weights were made from.\n")
                .initializer("Long.MIN_VALUE")
                .build());
        type.addMethod(MethodSpec.methodBuilder("syncPackedWeights")
                .addModifiers(Modifier.PRIVATE)
                .addJavadoc("Refreshes the packed weights if the parameters changed since they were made. Safe when"
                        + " several threads\nrun inference at once (the refresh happens once, under the lock).\n")
                .addStatement("final long version = parameters.version()")
                .beginControlFlow("if (version != packedVersion)")
                .beginControlFlow("synchronized (this)")
                .beginControlFlow("if (version != packedVersion)")
                .addStatement("repack()")
                .addStatement("packedVersion = version")
                .endControlFlow()
                .endControlFlow()
                .endControlFlow()
                .build());
        type.addMethod(MethodSpec.methodBuilder("parametersChanged")
                .addModifiers(Modifier.PUBLIC)
                .addJavadoc("Tells the model that weights were written directly, through the {@code value} arrays or"
                        + " EJML views of\n{@link #parameters()}: the next forward pass then uses them. Writes through"
                        + " {@code Parameter.setValue},\n{@code load}, {@code importPyTorch} and training are seen"
                        + " without this call.\n")
                .addStatement("parameters.markChanged()")
                .build());
    }

    /**
     * Declares the block starts of the copy {@code field} as a constant of the class, {@code FIELD_BLOCKS}, and returns
     * its name: made once, not at every repack (which runs after every training update).
     */
    private static String blocksConstant(TypeSpec.Builder type, String field, BlockLayout layout) {
        String name = field.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(java.util.Locale.ROOT) + "_BLOCKS";
        type.addField(FieldSpec.builder(int[].class, name, Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                .addJavadoc("The first row of each block of {@code $L}, then its rows.\n", field)
                .initializer("$L", layout.startsSource())
                .build());
        return name;
    }

    private void addConstructors(TypeSpec.Builder type) {
        NetworkModel model = plan.model();
        String fields = String.join(", ", plan.tensors().stream().map(TensorSpec::field).toList());
        type.addMethod(MethodSpec.constructorBuilder()
                .addModifiers(Modifier.PUBLIC)
                .addJavadoc("Creates the model with weights initialized as the spec says, from its seed $L.\n",
                        model.training().seed())
                .addStatement("this($LL)", model.training().seed())
                .build());
        ClassName scheme = RuntimeTypes.INITIALIZERS.nestedClass("Scheme");
        String weights = model.training().init().weights().name();
        String recurrent = model.training().init().recurrent().name();
        CodeBlock.Builder init = CodeBlock.builder()
                .addStatement("parameters = new $T($T.of($L))", RuntimeTypes.PARAMETER_SET, List.class, fields)
                .add("// init $L, recurrent $L: every tensor in state_dict order, from one random sequence\n",
                        model.training().init().weights().keyword(), model.training().init().recurrent().keyword())
                .addStatement("final $T random = $T.random(seed)", RandomGenerator.class, RuntimeTypes.INITIALIZERS);
        for (TensorSpec tensor : plan.tensors()) {
            TensorSpec.Init rule = tensor.init();
            switch (rule.kind()) {
                case WEIGHT, RECURRENT_WEIGHT -> init.addStatement("$T.weight($L, $T.$L, $L, $L, random)",
                        RuntimeTypes.INITIALIZERS, tensor.field(), scheme,
                        rule.kind() == TensorSpec.Init.Kind.WEIGHT ? weights : recurrent, tensor.gateBlocks(), rule.fan());
                case BIAS -> init.addStatement("$T.bias($L, $T.$L, $L, random)", RuntimeTypes.INITIALIZERS,
                        tensor.field(), scheme, weights, rule.fan());
                case EMBEDDING -> init.addStatement("$T.normal($L, random)", RuntimeTypes.INITIALIZERS,
                        tensor.field());
            }
        }
        for (LayerPlan layer : plan.allLayers()) {
            for (LayerPlan pass : layer.passes()) {
                pass.cell().initialize(init, pass);
            }
        }
        type.addMethod(MethodSpec.constructorBuilder()
                .addModifiers(Modifier.PUBLIC)
                .addParameter(long.class, "seed")
                .addJavadoc("Creates the model with weights initialized as the spec says, from {@code seed}.\n")
                .addCode(init.build())
                .build());
    }
}
