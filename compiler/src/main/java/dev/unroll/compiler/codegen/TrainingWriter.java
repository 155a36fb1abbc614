package dev.unroll.compiler.codegen;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import dev.unroll.compiler.plan.LayerPlan;
import dev.unroll.compiler.plan.ModelPlan;
import dev.unroll.dsl.model.ClipSpec;
import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.dsl.model.OptimizerSpec;
import dev.unroll.dsl.model.ScheduleSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.lang.model.element.Modifier;

/**
 * Writes what a model needs to train and to persist itself: the optimizer, schedule and clipping
 * rules of the spec as constants, {@code trainStep}, and checkpoint save, load and PyTorch import.
 * The algorithms live in the runtime; the generated code only wires the spec's choices to them.
 */
final class TrainingWriter {
    private static final String OPTIM = "dev.unroll.runtime.optim";
    private static final ClassName OPTIMIZER = ClassName.get(OPTIM, "Optimizer");
    private static final ClassName OPTIMIZER_CONFIG = ClassName.get(OPTIM, "OptimizerConfig");
    private static final ClassName SCHEDULE = ClassName.get(OPTIM, "LearningRateSchedule");
    private static final ClassName CLIPPING = ClassName.get(OPTIM, "GradientClipping");
    private static final ClassName CLIP_CONFIG = ClassName.get(OPTIM, "ClipConfig");
    private static final ClassName NON_FINITE_EXCEPTION = ClassName.get("dev.unroll.runtime", "NonFiniteException");
    private static final ClassName CHECKPOINTS = ClassName.get("dev.unroll.runtime.checkpoint", "Checkpoints");
    private static final ClassName CHECKPOINT_EXCEPTION =
            ClassName.get("dev.unroll.runtime.checkpoint", "CheckpointException");
    private static final ClassName PYTORCH_IMPORT = ClassName.get("dev.unroll.runtime.checkpoint", "PyTorchImport");

    private final ModelPlan plan;
    private final NetworkModel model;
    private final TypeName batchInput;
    private final TypeName batchTarget;

    TrainingWriter(ModelPlan plan, TypeName batchInput, TypeName batchTarget) {
        this.plan = plan;
        this.model = plan.model();
        this.batchInput = batchInput;
        this.batchTarget = batchTarget;
    }

    void addTo(TypeSpec.Builder type) {
        OptimizerSpec o = model.training().optimizer();
        type.addField(FieldSpec.builder(OPTIMIZER, "optimizer", Modifier.PRIVATE, Modifier.FINAL)
                .addJavadoc("The spec's optimizer: $L.\n", o.kind().keyword())
                .initializer("new $T(new $T($T.Kind.$L, $L, $L, $L, $L, $L, $L, $L, $L))", OPTIMIZER, OPTIMIZER_CONFIG,
                        OPTIMIZER_CONFIG, o.kind().name(), o.learningRate(), o.momentum(), o.nesterov(), o.beta1(),
                        o.beta2(), o.epsilon(), o.alpha(), o.weightDecay())
                .build());
        type.addField(FieldSpec.builder(SCHEDULE, "schedule", Modifier.PRIVATE, Modifier.FINAL)
                .addJavadoc("The spec's learning-rate schedule: $L.\n", model.training().schedule().kind().keyword())
                .initializer(schedule())
                .build());
        type.addField(FieldSpec.builder(CLIPPING, "clipping", Modifier.PRIVATE, Modifier.FINAL)
                .addJavadoc("The spec's gradient clipping, applied in this order.\n")
                .initializer(clipping())
                .build());
        if (plan.hasDropout()) {
            type.addField(FieldSpec.builder(long.class, "DROPOUT_SEED", Modifier.PRIVATE, Modifier.STATIC,
                            Modifier.FINAL)
                    .addJavadoc("The spec's seed, which keys the dropout masks with the update count.\n")
                    .initializer("$LL", model.training().seed())
                    .build());
        }
        type.addField(FieldSpec.builder(RuntimeTypes.WORKSPACE, "trainingWorkspace", Modifier.PRIVATE, Modifier.FINAL)
                .initializer("new Workspace()")
                .build());
        type.addField(FieldSpec.builder(double.class, "lastGradientNorm", Modifier.PRIVATE).build());

        type.addMethod(plan.schedule().truncated() ? truncatedTrainStep(false) : trainStep(false));
        if (plan.schedule().variableLength()) {
            type.addMethod(plan.schedule().truncated() ? truncatedTrainStep(true) : trainStep(true));
            if (plan.decoder().isPresent()) {
                type.addMethod(encoderDecoderTrainStep());
            }
        }
        type.addMethod(MethodSpec.methodBuilder("applyGradients")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .addJavadoc("Does the update of {@link #trainStep} from the gradients already in the parameters'"
                        + " {@code grad} arrays\n(as {@code computeGradients} left them, or as a caller wrote them,"
                        + " e.g. summed over the workers of a\ndata-parallel job): a check that every gradient is finite,"
                        + " clipping, then the optimizer step. Not\nthread-safe.\n\n"
                        + "@throws $T if a gradient is NaN or infinite; the weights are left unchanged\n",
                        NON_FINITE_EXCEPTION)
                .addStatement("lastGradientNorm = clipping.checkFiniteAndClip(parameters)")
                .addStatement("optimizer.stepWithoutGradientCheck(parameters, schedule)")
                .build());
        type.addMethod(MethodSpec.methodBuilder("updates")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .returns(long.class)
                .addJavadoc("Returns the number of training updates done so far.\n")
                .addStatement("return optimizer.stepCount()")
                .build());
        type.addMethod(MethodSpec.methodBuilder("learningRate")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .returns(double.class)
                .addJavadoc("Returns the learning rate the next update will use, as the schedule gives it.\n")
                .addStatement("return schedule.learningRate(optimizer.stepCount())")
                .build());
        type.addMethod(MethodSpec.methodBuilder("lastGradientNorm")
                .addModifiers(Modifier.PUBLIC)
                .returns(double.class)
                .addJavadoc("Returns the global L2 norm of the gradients of the last update, before clipping.\n")
                .addStatement("return lastGradientNorm")
                .build());

        type.addMethod(MethodSpec.methodBuilder("save")
                .addModifiers(Modifier.PUBLIC)
                .addParameter(Path.class, "file")
                .addException(CHECKPOINT_EXCEPTION)
                .addJavadoc("Saves a training checkpoint as safetensors, atomically (a crash mid-save leaves the previous"
                        + " file intact):\nthe weights under PyTorch's names and the optimizer's state (its moments or"
                        + " accumulators under\n{@code optimizer.<parameter>.<buffer>}, and the update count), so that"
                        + " {@link #load} resumes training\nexactly. {@link #saveWeights} writes the weights alone.\n")
                .addStatement("$T.save(file, parameters, optimizer, $T.of($S, $S, $S, $S))", CHECKPOINTS, Map.class,
                        "unroll.model", model.qualifiedName(), "unroll.spec", model.sourceName())
                .build());
        type.addMethod(MethodSpec.methodBuilder("saveWeights")
                .addModifiers(Modifier.PUBLIC)
                .addParameter(Path.class, "file")
                .addException(CHECKPOINT_EXCEPTION)
                .addJavadoc("Saves the weights alone as safetensors, atomically: tensor names are PyTorch's, so the file"
                        + " loads into\nthe equivalent PyTorch module with {@code load_state_dict}.\n")
                .addStatement("$T.save(file, parameters, $T.of($S, $S, $S, $S))", CHECKPOINTS, Map.class,
                        "unroll.model", model.qualifiedName(), "unroll.spec", model.sourceName())
                .build());
        type.addMethod(MethodSpec.methodBuilder("load")
                .addModifiers(Modifier.PUBLIC)
                .addParameter(Path.class, "file")
                .returns(CHECKPOINTS.nestedClass("Loaded"))
                .addException(CHECKPOINT_EXCEPTION)
                .addJavadoc("Loads a checkpoint saved by {@link #save} (weights and optimizer state: training resumes"
                        + " where it stopped,\nbit for bit) or by {@link #saveWeights} (weights only: the optimizer"
                        + " restarts, and the result's warnings\nsay so). A corrupt, truncated or mismatched file is"
                        + " refused with a message naming the tensor and the\nexpected and found shapes, and nothing is"
                        + " changed.\n")
                .addStatement("return $T.load(file, parameters, optimizer)", CHECKPOINTS)
                .build());
        type.addMethod(MethodSpec.methodBuilder("importPyTorch")
                .addModifiers(Modifier.PUBLIC)
                .addParameter(Path.class, "file")
                .returns(ClassName.get("dev.unroll.runtime.checkpoint", "PyTorchImport", "Report"))
                .addException(CHECKPOINT_EXCEPTION)
                .addJavadoc("Imports a PyTorch {@code state_dict} saved as safetensors: the recurrent layers under one"
                        + " prefix\n($L) and an {@code nn.Linear} head under another (prefixes are detected).\n"
                        + "$LUnknown, missing or mis-shaped tensors are refused by name.\n", pytorchModules(),
                        plan.embedding().isPresent() ? "The {@code nn.Embedding}'s {@code weight} is {@code embedding.weight},"
                                + " or the one weight without a bias of its\nshape (or see"
                                + " {@code ImportOptions.withEmbeddingPrefix}). " : "")
                .addStatement("return $T.importStateDict(file, parameters)", PYTORCH_IMPORT)
                .build());
        type.addMethod(MethodSpec.methodBuilder("importPyTorch")
                .addModifiers(Modifier.PUBLIC)
                .addParameter(Path.class, "file")
                .addParameter(PYTORCH_IMPORT.nestedClass("ImportOptions"), "options")
                .returns(PYTORCH_IMPORT.nestedClass("Report"))
                .addException(CHECKPOINT_EXCEPTION)
                .addJavadoc("Like {@link #importPyTorch(Path)}, with the prefixes chosen when a file holds several"
                        + " modules, and tensors\nthat fit no parameter (optimizer state, inputs) ignored when the"
                        + " options say so.\n")
                .addStatement("return $T.importStateDict(file, parameters, options)", PYTORCH_IMPORT)
                .build());
        if (plan.decoder().isPresent()) {
            ClassName encoderDecoderImport = ClassName.get("dev.unroll.runtime.checkpoint", "EncoderDecoderImport");
            type.addMethod(MethodSpec.methodBuilder("importPyTorch")
                    .addModifiers(Modifier.PUBLIC)
                    .addParameter(Path.class, "file")
                    .addParameter(String.class, "encoderPrefix")
                    .addParameter(String.class, "decoderPrefix")
                    .addParameter(PYTORCH_IMPORT.nestedClass("ImportOptions"), "options")
                    .returns(PYTORCH_IMPORT.nestedClass("Report"))
                    .addException(CHECKPOINT_EXCEPTION)
                    .addJavadoc("Like {@link #importPyTorch(Path, $T.ImportOptions)}, with the encoder's and the"
                            + " decoder's prefixes in the file\ngiven (e.g. {@code \"enc.\"} and {@code \"dec.\"};"
                            + " null to detect one).\n", PYTORCH_IMPORT)
                    .addStatement("return $T.importStateDict(file, parameters, encoderPrefix, decoderPrefix, options)",
                            encoderDecoderImport)
                    .build());
        }
    }

    /** The model's {@code trainStep}, over a batch of full sequences or, {@code withLengths}, of padded ones. */
    /** A {@code variable_length} encoder-decoder's {@code trainStep} with the inputs' and the targets' lengths. */
    private MethodSpec encoderDecoderTrainStep() {
        MethodSpec.Builder m = MethodSpec.methodBuilder("trainStep")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .addParameter(batchInput, "xs")
                .addParameter(batchTarget, "targets")
                .addParameter(int[].class, "inputLengths")
                .addParameter(int[].class, "targetLengths")
                .returns(double.class)
                .addJavadoc("Does one training update on a padded batch with teacher forcing, sequence {@code b}"
                        + " having\n{@code inputLengths[b]} real input steps and {@code targetLengths[b]} real target"
                        + " steps: gradients by BPTT over\nthe real steps, a check that the loss and every gradient"
                        + " are finite, clipping, then the optimizer step.\nNot thread-safe.\n\n"
                        + "@return the batch's mean loss before the update\n"
                        + "@throws $T if the loss or a gradient is NaN or infinite; the weights are left unchanged\n",
                        NON_FINITE_EXCEPTION);
        return updateFromGradients(m, ", inputLengths, targetLengths");
    }

    private MethodSpec trainStep(boolean withLengths) {
        MethodSpec.Builder m = MethodSpec.methodBuilder("trainStep")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .addParameter(batchInput, "xs")
                .addParameter(batchTarget, "targets");
        if (withLengths) {
            m.addParameter(int[].class, "lengths")
                    .addJavadoc("Does one training update on a batch padded to {@code STEPS}, sequence {@code b} having"
                            + " {@code lengths[b]} real\nsteps: gradients by BPTT over the real steps, a check that the"
                            + " loss and every gradient are finite,\nclipping, then the optimizer step. Not"
                            + " thread-safe.\n\n");
        } else {
            m.addJavadoc("Does one training update on a batch: gradients by BPTT, a check that the loss and every"
                    + " gradient are\nfinite, clipping, then the optimizer step. Not thread-safe.\n\n");
        }
        if (plan.hasDropout()) {
            m.addJavadoc("The forward and backward passes share the dropout masks of this update.\n\n");
        }
        m.returns(double.class)
                .addJavadoc("@return the batch's mean loss before the update\n"
                        + "@throws $T if the loss or a gradient is NaN or infinite; the weights are left unchanged\n",
                        NON_FINITE_EXCEPTION);
        return updateFromGradients(m, withLengths ? ", lengths" : "");
    }

    /**
     * Ends a {@code trainStep}, the same with and without lengths: the batch's gradients (the arguments after
     * {@code targets} given), a check that the loss is finite, clipping (which proves every gradient finite), the
     * optimizer step.
     */
    private static MethodSpec updateFromGradients(MethodSpec.Builder m, String lengthArguments) {
        return m.addStatement("final double loss = computeGradients(trainingWorkspace, xs, targets$L)", lengthArguments)
                .beginControlFlow("if (!Double.isFinite(loss))")
                .addStatement("throw new $T($S + loss + $S + optimizer.stepCount() + $S)", NON_FINITE_EXCEPTION,
                        "loss is ", " at update ", "; nothing was updated")
                .endControlFlow()
                .addComment("one pass: a finite sum of squares proves every gradient finite; else it throws")
                .addStatement("lastGradientNorm = clipping.checkFiniteAndClip(parameters)")
                .addStatement("optimizer.stepWithoutGradientCheck(parameters, schedule)")
                .addStatement("return loss")
                .build();
    }

    /** The PyTorch modules of the layers, e.g. "an nn.LSTM with num_layers=2", or each layer's for a mixed stack. */
    private String pytorchModules() {
        if (plan.decoder().isPresent()) {
            return "two of them: the encoder's, mapped onto {@code encoder.*}, and the decoder's, onto {@code decoder.*},"
                    + " told apart\nby their first layer's input size or their names; each "
                    + stackModules();
        }
        return stackModules();
    }

    private String stackModules() {
        List<LayerPlan> layers = plan.layers();
        String first = layers.get(0).pytorchModule();
        String module = first.substring(0, first.indexOf('('));
        boolean same = layers.stream().allMatch(l -> l.cell().pytorchModule().startsWith(module + "(")
                && l.cell().description().equals(layers.get(0).cell().description())
                && l.merge().isEmpty());
        if (same) {
            return "{@code " + module + "} with {@code num_layers=" + layers.size() + "}";
        }
        if (layers.stream().allMatch(l -> l.cell().description().equals(layers.get(0).cell().description())
                && l.merge().isPresent() && !l.merge().get().sum())) {
            return "{@code " + module + "} with {@code num_layers=" + layers.size() + ", bidirectional=True}";
        }
        List<String> modules = layers.stream().map(l -> "{@code " + l.pytorchModule() + "}").toList();
        return "a mixed stack, layer by layer " + String.join(", ", modules) + ", each under its {@code _l<k>} names";
    }

    /**
     * {@code trainStep} of a model with {@code truncated_bptt}: one update per window ({@link WindowWriter}); with
     * {@code withLengths}, over a padded batch of a {@code variable_length} model.
     */
    private MethodSpec truncatedTrainStep(boolean withLengths) {
        int window = plan.schedule().bpttWindow().getAsInt();
        int steps = plan.schedule().steps();
        MethodSpec.Builder m = MethodSpec.methodBuilder("trainStep")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .addParameter(batchInput, "xs")
                .addParameter(batchTarget, "targets");
        if (withLengths) {
            return m.addParameter(int[].class, "lengths")
                    .returns(double.class)
                    .addJavadoc("Trains on a batch padded to {@code STEPS}, sequence {@code b} having {@code lengths[b]}"
                            + " real steps, by\ntruncated BPTT: windows of {@link #BPTT_WINDOW} ($L) steps over the"
                            + " padded length, each sequence\ncarrying its state through its own real steps only; each"
                            + " window that scores an output is one update\n(gradients of the mean loss over the"
                            + " outputs it scores, back-propagated to the window's first step, a\ncheck that they"
                            + " are finite, clipping, the optimizer step). The outputs a window scores are\n$L. A"
                            + " window in which a sequence has no real step does nothing for it. Not\nthread-safe.\n\n"
                            + "@return the mean over the windows that made an update of each one's mean loss, measured"
                            + " before its update\n@throws IllegalArgumentException if there is not one length per"
                            + " sequence, a length is not in\n{@code [1, STEPS]}, or a sequence or target is bad in its"
                            + " real steps; nothing is updated\n"
                            + "@throws $T if a window's loss or gradient is NaN or infinite; that window makes no update,"
                            + "\nthe windows before it have made theirs\n", window, plan.schedule().everyStep()
                                    ? "the real steps in it of every sequence"
                                    : "the sequences whose last real step is in it", NON_FINITE_EXCEPTION)
                    .addStatement("$T.notNull(lengths, $S)", RuntimeTypes.CHECKS, "lengths")
                    .addStatement("return trainWindows(xs, targets, lengths)")
                    .build();
        }
        return m
                .returns(double.class)
                .addJavadoc("Trains on a batch by truncated BPTT: the $L steps are cut into windows of {@link"
                        + " #BPTT_WINDOW} ($L) steps,\nand each window that holds an output is one update (gradients"
                        + " of its mean loss, back-propagated to its\nfirst step, a check that they are finite,"
                        + " clipping, the optimizer step), as a PyTorch loop with\n{@code h.detach()} between chunks"
                        + " does. Each sequence's state is carried from window to window. Not\nthread-safe. ({@link"
                        + " #computeGradients} instead gives the gradient of the whole batch, every window's\n"
                        + "truncated gradient summed with the weights fixed, for callers that make one update"
                        + " of it.)\n\n"
                        + "@return the mean over the windows of each window's mean loss, measured before its update\n"
                        + "@throws $T if a window's loss or gradient is NaN or infinite; that window makes no update,"
                        + "\nthe windows before it have made theirs\n", steps, window, NON_FINITE_EXCEPTION)
                .addStatement(plan.schedule().variableLength() ? "return trainWindows(xs, targets, null)"
                        : "return trainWindows(xs, targets)")
                .build();
    }

    private CodeBlock schedule() {
        ScheduleSpec s = model.training().schedule();
        double lr = model.training().optimizer().learningRate();
        return switch (s.kind()) {
            case CONSTANT -> CodeBlock.of("$T.constant($L)", SCHEDULE, lr);
            case STEP -> CodeBlock.of("$T.step($L, $L, $LL)", SCHEDULE, lr, s.gamma(), s.every());
            case COSINE -> CodeBlock.of("$T.cosine($L, $L, $LL)", SCHEDULE, lr, s.minLearningRate(), s.period());
        };
    }

    private CodeBlock clipping() {
        List<CodeBlock> rules = new ArrayList<>();
        for (ClipSpec clip : model.training().clipping()) {
            String factory = switch (clip.kind()) {
                case VALUE -> "value";
                case PER_PARAMETER_NORM -> "perParameterNorm";
                case NORM -> "globalNorm";
            };
            rules.add(CodeBlock.of("$T.$L($L)", CLIP_CONFIG, factory, clip.threshold()));
        }
        if (rules.isEmpty()) {
            return CodeBlock.of("$T.none()", CLIPPING);
        }
        return CodeBlock.of("$T.of($L)", CLIPPING, CodeBlock.join(rules, ", "));
    }
}
