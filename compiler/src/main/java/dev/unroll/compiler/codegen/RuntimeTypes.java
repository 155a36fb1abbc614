package dev.unroll.compiler.codegen;

import com.palantir.javapoet.ClassName;

/** The classes of the runtime library and of the generated class that generated code refers to. */
public final class RuntimeTypes {
    /** The generated model's nested workspace class. */
    public static final ClassName WORKSPACE = ClassName.get("", "Workspace");
    /** The generated model's nested gradient buffers. */
    public static final ClassName GRADIENTS = ClassName.get("", "Gradients");
    /** The generated model's nested stepper. */
    public static final ClassName STEPPER = ClassName.get("", "Stepper");
    /** Vectorizable activation functions. */
    public static final ClassName ACTIVATIONS = ClassName.get("dev.unroll.runtime", "Activations");
    /** Loss functions and their gradients. */
    public static final ClassName LOSSES = ClassName.get("dev.unroll.runtime", "Losses");
    /** Argument checks with messages that say what and where. */
    public static final ClassName CHECKS = ClassName.get("dev.unroll.runtime", "Checks");
    /** A model's parameters in {@code state_dict} order. */
    public static final ClassName PARAMETER_SET = ClassName.get("dev.unroll.runtime", "ParameterSet");
    /** The rows of a row-sparse gradient. */
    public static final ClassName GRADIENT_ROWS = ClassName.get("dev.unroll.runtime", "GradientRows");
    /** Weight initialization. */
    public static final ClassName INITIALIZERS = ClassName.get("dev.unroll.runtime.init", "Initializers");
    /** Size-independent array work: transposition, row copies, gradient rows. */
    public static final ClassName ARRAYS2D = ClassName.get("dev.unroll.runtime", "Rows");
    /** Counter-based dropout masks. */
    public static final ClassName DROPOUT = ClassName.get("dev.unroll.runtime", "Dropout");
    /** How a batch is split over two threads. */
    public static final ClassName BATCH_SPLIT = ClassName.get("dev.unroll.runtime", "BatchSplit");

    /** The common interface of generated models. */
    public static final ClassName RECURRENT_MODEL = ClassName.get("dev.unroll.runtime", "RecurrentModel");
    /** The second thread of a two-thread stepper. */
    public static final ClassName STEP_PARTNER = ClassName.get("dev.unroll.runtime", "StepPartner");
    /** What a two-thread stepper's second thread runs. */
    public static final ClassName STEP_PARTNER_HALF = STEP_PARTNER.nestedClass("Half");
    /** The common interface of generated steppers. */
    public static final ClassName SEQUENCE_STEPPER = ClassName.get("dev.unroll.runtime", "SequenceStepper");
    /** Stepper state export and restore. */
    public static final ClassName STEPPER_STATES = ClassName.get("dev.unroll.runtime", "StepperStates");
    /** A model's sizes and structure, for generic code. */
    public static final ClassName MODEL_SHAPE = ClassName.get("dev.unroll.runtime", "ModelShape");

    private RuntimeTypes() {}
}
