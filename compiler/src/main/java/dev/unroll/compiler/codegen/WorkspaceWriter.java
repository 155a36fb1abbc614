package dev.unroll.compiler.codegen;

import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import dev.unroll.compiler.plan.BufferSpec;
import dev.unroll.compiler.plan.ModelPlan;
import dev.unroll.compiler.plan.NetworkBuffers;
import dev.unroll.compiler.plan.TensorSpec;
import dev.unroll.compiler.plan.TimeSchedule;
import javax.lang.model.element.Modifier;

/**
 * Writes the nested {@code Workspace} (every buffer of the plan, sized by the spec) and the nested
 * {@code Gradients} (one buffer per tensor, a weight's as one array per row), with the model's
 * {@code storeGradients}. Zeroing, adding and storing are the runtime's {@code Rows}: they are not
 * size-specialized work.
 */
final class WorkspaceWriter {
    private final ModelPlan plan;
    private final Num num;

    WorkspaceWriter(ModelPlan plan, Num num) {
        this.plan = plan;
        this.num = num;
    }

    void addTo(TypeSpec.Builder model) {
        model.addMethod(MethodSpec.methodBuilder("newWorkspace")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .returns(RuntimeTypes.WORKSPACE)
                .addJavadoc("Returns a new workspace. Give each thread its own: a workspace holds the activations of the\n"
                        + "sequence being processed, while the model's parameters are only read during forward passes.\n")
                .addStatement("return new Workspace()")
                .build());
        model.addType(workspace());
        model.addType(gradients());
        model.addMethod(storeGradients());
    }

    private TypeSpec workspace() {
        TypeSpec.Builder type = TypeSpec.classBuilder("Workspace")
                .addModifiers(Modifier.PUBLIC, Modifier.STATIC, Modifier.FINAL)
                .addJavadoc("The activations of one sequence, kept for backpropagation through time. Not thread-safe:"
                        + " use one per thread.\n");
        // a model with a Stepper has a second constructor, for the stepper's workspace: one step of every buffer laid
        // out by time (the stepper only runs step 0), so that a stream's state costs one step, not a whole sequence
        boolean oneStep = plan.hasStepper();
        MethodSpec.Builder constructor = MethodSpec.constructorBuilder().addModifiers(Modifier.PRIVATE);
        if (oneStep) {
            type.addMethod(MethodSpec.constructorBuilder()
                    .addModifiers(Modifier.PRIVATE)
                    .addJavadoc("A workspace for a whole sequence of {@code STEPS} steps.\n")
                    .addStatement("this(false)")
                    .build());
            constructor.addParameter(boolean.class, "oneStep")
                    .addJavadoc("A workspace for a whole sequence, or, when {@code oneStep}, for step 0 alone: the"
                            + " {@code Stepper}'s,\nwhose buffers laid out by time hold one step.\n");
        }
        for (BufferSpec buffer : plan.buffers()) {
            TypeName element = buffer.element() == BufferSpec.Element.SYMBOL ? TypeName.INT : num.type();
            type.addField(FieldSpec.builder(ArrayTypeName.of(element), buffer.name(), Modifier.FINAL)
                    .addJavadoc("$L\n", buffer.doc())
                    .build());
            if (oneStep && buffer.byTime()) {
                constructor.addStatement("$L = new $T[oneStep ? $L : $L]", buffer.name(), element, buffer.stepLength(),
                        buffer.length());
            } else {
                constructor.addStatement("$L = new $T[$L]", buffer.name(), element, buffer.length());
            }
        }
        if (plan.network().dx().isPresent() && plan.embedding().isEmpty()) {
            type.addField(FieldSpec.builder(boolean.class, NetworkBuffers.WANT_INPUT_GRADIENT)
                    .addJavadoc("Whether the backward pass fills {@code $L}.\n", plan.network().dx().get().name())
                    .build());
        }
        if (plan.schedule().variableLength()) {
            type.addField(FieldSpec.builder(int.class, TimeSchedule.LENGTH)
                    .addJavadoc("The loaded sequence's own length, from 1 to {@code STEPS}: the loops over time stop"
                            + " there,\nso that padded steps are neither read nor computed.\n")
                    .initializer("STEPS")
                    .build());
            if (plan.decoder().isPresent()) {
                type.addField(FieldSpec.builder(int.class, TimeSchedule.OUTPUT_LENGTH)
                        .addJavadoc("The loaded sequence's number of output steps, from 1 to {@code OUTPUT_STEPS}: the"
                                + " decoder's loops stop\nthere (the target's length in training, the decoded length"
                                + " in inference).\n")
                        .initializer("OUTPUT_STEPS")
                        .build());
            }
        }
        if (plan.hasDropout()) {
            type.addField(FieldSpec.builder(boolean.class, "dropout")
                    .addJavadoc("Whether the forward pass applies dropout (training), or passes every output"
                            + " unchanged (inference).\n")
                    .build());
            type.addField(FieldSpec.builder(long.class, "update")
                    .addJavadoc("The number of updates before the one being computed, which keys the dropout masks.\n")
                    .build());
            type.addField(FieldSpec.builder(int.class, "sequence")
                    .addJavadoc("The index in its batch of the sequence being computed, which keys its dropout masks.\n")
                    .build());
        }
        type.addField(FieldSpec.builder(RuntimeTypes.GRADIENTS, "grads")
                .addJavadoc("Gradient buffers, made by the first backward pass through this workspace.\n")
                .build());
        type.addField(FieldSpec.builder(RuntimeTypes.WORKSPACE, "partner", Modifier.PRIVATE)
                .addJavadoc("The workspace of the second half of a batch split over two threads, made when first needed.\n")
                .build());
        type.addMethod(constructor.build());
        type.addMethod(MethodSpec.methodBuilder("partner")
                .returns(RuntimeTypes.WORKSPACE)
                .addJavadoc("Returns this workspace's partner for the second half of a split batch.\n")
                .beginControlFlow("if (partner == null)")
                .addStatement("partner = new Workspace()")
                .endControlFlow()
                .addStatement("return partner")
                .build());
        if (plan.lockstep() > 1) {
            type.addField(FieldSpec.builder(com.palantir.javapoet.ArrayTypeName.of(RuntimeTypes.WORKSPACE), "lockstep",
                            Modifier.PRIVATE)
                    .addJavadoc("The workspaces of the other sequences run in lockstep with this one's, made when first"
                            + " needed.\n")
                    .build());
            MethodSpec.Builder lockstep = MethodSpec.methodBuilder("lockstep")
                    .returns(RuntimeTypes.WORKSPACE)
                    .addParameter(int.class, "s")
                    .addJavadoc("Returns the workspace of sequence {@code s} (1 to $L) of those run in lockstep with"
                            + " this one's, adding to this\nworkspace's gradients.\n", plan.lockstep() - 1)
                    .beginControlFlow("if (lockstep == null)")
                    .addStatement("lockstep = new Workspace[$L]", plan.lockstep())
                    .endControlFlow()
                    .beginControlFlow("if (lockstep[s] == null)")
                    .addStatement("lockstep[s] = new Workspace()")
                    .endControlFlow()
                    .addStatement("lockstep[s].grads = grads");
            if (plan.network().dx().isPresent() && plan.embedding().isEmpty()) {
                lockstep.addStatement("lockstep[s].$L = $L", NetworkBuffers.WANT_INPUT_GRADIENT,
                        NetworkBuffers.WANT_INPUT_GRADIENT);
            }
            type.addMethod(lockstep.addStatement("return lockstep[s]").build());
        }
        type.addMethod(MethodSpec.methodBuilder("zeroGradients")
                .addJavadoc("Makes the gradient buffers if needed and sets them to zero.\n")
                .beginControlFlow("if (grads == null)")
                .addStatement("grads = new Gradients()")
                .endControlFlow()
                .addStatement("grads.zero()")
                .build());
        return type.build();
    }

    /**
     * The nested {@code Gradients} class: the backward pass accumulates into one array per weight row (loops over
     * them vectorize, unlike loops over {@code grad[k * cols + i]}), owned by a workspace so that sequences can be
     * back-propagated on several threads at once.
     */
    private TypeSpec gradients() {
        TypeSpec.Builder type = TypeSpec.classBuilder("Gradients")
                .addModifiers(Modifier.STATIC, Modifier.FINAL)
                .addJavadoc("Gradient buffers of one workspace, laid out for the backward pass: a weight's gradient as one"
                        + " array per row.\n");
        MethodSpec.Builder zero = MethodSpec.methodBuilder("zero").addJavadoc("Sets every gradient to zero.\n");
        MethodSpec.Builder add = MethodSpec.methodBuilder("add")
                .addParameter(RuntimeTypes.GRADIENTS, "other")
                .addJavadoc("Adds {@code other}'s gradients to these.\n");
        for (TensorSpec tensor : plan.tensors()) {
            if (plan.frozen(tensor)) {
                continue;
            }
            if (tensor.isTable()) {
                // a table's gradient: flat, row-major, and the rows the backward pass touched
                type.addField(FieldSpec.builder(num.array(1), tensor.field(), Modifier.FINAL)
                        .addJavadoc("{@code $L}, flat and row-major: only the rows listed in {@code $LRows} can be"
                                + " non-zero.\n", tensor.name(), tensor.field())
                        .initializer("new $T[$L]", num.type(), tensor.size())
                        .build());
                type.addField(FieldSpec.builder(RuntimeTypes.GRADIENT_ROWS, tensor.field() + "Rows", Modifier.FINAL)
                        .addJavadoc("The rows of {@code $L} the backward pass added to.\n", tensor.field())
                        .initializer("new $T($L, $L)", RuntimeTypes.GRADIENT_ROWS, tensor.rows(), tensor.cols())
                        .build());
                zero.addStatement("$LRows.zero($L)", tensor.field(), tensor.field());
                add.addStatement("$LRows.addRows($L, other.$LRows, other.$L)", tensor.field(), tensor.field(),
                        tensor.field(), tensor.field());
                continue;
            }
            if (tensor.isMatrix()) {
                type.addField(FieldSpec.builder(num.array(2), tensor.field(), Modifier.FINAL)
                        .addJavadoc("{@code $L}: {@code $L[k][i]} is the gradient of {@code W[k][i]}.\n", tensor.name(),
                                tensor.field())
                        .initializer("new $T[$L][$L]", num.type(), tensor.rows(), tensor.cols())
                        .build());
                zero.addStatement("$T.zero($L)", RuntimeTypes.ARRAYS2D, tensor.field());
            } else {
                type.addField(FieldSpec.builder(num.array(1), tensor.field(), Modifier.FINAL)
                        .addJavadoc("{@code $L}.\n", tensor.name())
                        .initializer("new $T[$L]", num.type(), tensor.rows())
                        .build());
                zero.addStatement("$T.fill($L, 0)", java.util.Arrays.class, tensor.field());
            }
            add.addStatement("$T.add($L, other.$L)", RuntimeTypes.ARRAYS2D, tensor.field(), tensor.field());
        }
        return type.addMethod(zero.build()).addMethod(add.build()).build();
    }

    /** The model's {@code storeGradients}: copies a workspace's gradient buffers into the parameters' grad arrays. */
    private MethodSpec storeGradients() {
        MethodSpec.Builder m = MethodSpec.methodBuilder("storeGradients")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(RuntimeTypes.GRADIENTS, "g")
                .addJavadoc("Sets every parameter's {@code grad} array to the gradients in {@code g}.\n");
        for (TensorSpec tensor : plan.tensors()) {
            if (plan.frozen(tensor)) {
                continue;
            }
            if (tensor.isTable()) {
                m.addStatement("$L.gradientRows().store($L.grad, g.$LRows, g.$L)", tensor.field(), tensor.field(),
                        tensor.field(), tensor.field());
                continue;
            }
            if (tensor.isMatrix()) {
                m.addStatement("$T.join(g.$L, $L.grad)", RuntimeTypes.ARRAYS2D, tensor.field(), tensor.field());
            } else {
                m.addStatement("System.arraycopy(g.$L, 0, $L.grad, 0, $L)", tensor.field(), tensor.field(), tensor.rows());
            }
        }
        return m.build();
    }
}
