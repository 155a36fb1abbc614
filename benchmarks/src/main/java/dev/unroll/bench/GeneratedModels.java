package dev.unroll.bench;

import dev.unroll.bench.models.*;
import dev.unroll.runtime.ParameterSet;
import dev.unroll.runtime.Trainable;

/**
 * The generated benchmark models behind a few small interfaces, created by class name with a
 * plain {@code switch}: no reflection, and each call site that the benchmarks time sees a single
 * model class in a JMH fork, so HotSpot inlines straight into the generated code.
 *
 * <p>Grid models are named {@code <Cell>H<hidden>F<bits>T<steps>}, e.g. {@code LstmH128F32T100}
 * (specs in {@code src/main/rnn}); {@link #name} builds the name from the parameters.
 */
public final class GeneratedModels {
    private GeneratedModels() {}

    /** The cells of the grid, as the benchmarks' {@code cell} parameter spells them. */
    public static final String[] CELLS = {"rnn", "lstm", "gru"};

    /** The hidden sizes of the grid. */
    public static final int[] HIDDEN = {32, 64, 128, 512};

    /** The sequence lengths of the grid. */
    public static final int[] STEPS = {25, 100};

    /** Returns the class name of a grid model, e.g. {@code name("lstm", 128, "float", 100)} is {@code LstmH128F32T100}. */
    public static String name(String cell, int hidden, String precision, int steps) {
        String bits = switch (precision) {
            case "float" -> "32";
            case "double" -> "64";
            default -> throw new IllegalArgumentException("precision must be float or double: " + precision);
        };
        return Character.toUpperCase(cell.charAt(0)) + cell.substring(1) + "H" + hidden + "F" + bits + "T" + steps;
    }

    /** One streaming step of a float model's {@code Stepper}. */
    @FunctionalInterface
    public interface StepF32 {
        float[] step(float[] x);
    }

    /** A float model's allocation-free step, {@code Stepper.step(x, y)}. */
    @FunctionalInterface
    public interface StepIntoF32 {
        float[] step(float[] x, float[] y);
    }

    /** A double model's allocation-free step, {@code Stepper.step(x, y)}. */
    @FunctionalInterface
    public interface StepIntoF64 {
        double[] step(double[] x, double[] y);
    }

    /** The output size of every grid model. */
    private static final int GRID_OUTPUTS = 64;

    /**
     * The step the benchmarks time: {@code step(x, y)} into an output array the stepper's user keeps, as ONNX Runtime
     * runs into preallocated outputs and RTNeural returns a pointer to its own; {@code step(x)}'s new array per step
     * was 7-9% of a float LSTM-32 or GRU-32 step (CPU time, by subtraction).
     */
    static StepF32 into32(StepIntoF32 stepper) {
        float[] y = new float[GRID_OUTPUTS];
        return x -> stepper.step(x, y);
    }

    /** The double form of {@link #into32}. */
    static StepF64 into64(StepIntoF64 stepper) {
        double[] y = new double[GRID_OUTPUTS];
        return x -> stepper.step(x, y);
    }

    /** A float model's forward pass over one sequence, on a workspace of its own. */
    @FunctionalInterface
    public interface ForwardF32 {
        float[][] forward(float[][] x);
    }

    /** A float model's {@code computeGradients}, on a workspace of its own. */
    @FunctionalInterface
    public interface GradientsF32 {
        double computeGradients(float[][][] xs, float[][][] targets);
    }

    /** One streaming step of a double model's {@code Stepper}. */
    @FunctionalInterface
    public interface StepF64 {
        double[] step(double[] x);
    }

    /** A double model's forward pass over one sequence, on a workspace of its own. */
    @FunctionalInterface
    public interface ForwardF64 {
        double[][] forward(double[][] x);
    }

    /** A double model's {@code computeGradients}, on a workspace of its own. */
    @FunctionalInterface
    public interface GradientsF64 {
        double computeGradients(double[][][] xs, double[][][] targets);
    }

    /** A float grid model: dense inputs, linear head, mse. */
    public record Dense32(Trainable<float[][][], float[][][]> model, StepF32 stepper, ForwardF32 forward,
            GradientsF32 gradients) {
        public ParameterSet parameters() {
            return model.parameters();
        }
    }

    /** A double grid model: dense inputs, linear head, mse. */
    public record Dense64(Trainable<double[][][], double[][][]> model, StepF64 stepper, ForwardF64 forward,
            GradientsF64 gradients) {
        public ParameterSet parameters() {
            return model.parameters();
        }
    }

    /**
     * Creates the float grid model of {@code cell} and {@code hidden} (25 steps) generated with the Vector API
     * kernels (benchmarks/src/main/rnn-vector), with its default weights: the same initial weights as the plain
     * model's, since both draw them from the same seed.
     */
    public static Dense32 vectorDense32(String cell, int hidden) {
        String name = "V" + Character.toUpperCase(cell.charAt(0)) + cell.substring(1) + "H" + hidden + "F32T25";
        return switch (name) {
            case "VLstmH32F32T25" -> {
                var m = new dev.unroll.bench.vector.VLstmH32F32T25();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "VLstmH64F32T25" -> {
                var m = new dev.unroll.bench.vector.VLstmH64F32T25();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "VLstmH128F32T25" -> {
                var m = new dev.unroll.bench.vector.VLstmH128F32T25();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "VLstmH512F32T25" -> {
                var m = new dev.unroll.bench.vector.VLstmH512F32T25();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "VGruH32F32T25" -> {
                var m = new dev.unroll.bench.vector.VGruH32F32T25();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "VGruH64F32T25" -> {
                var m = new dev.unroll.bench.vector.VGruH64F32T25();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "VGruH128F32T25" -> {
                var m = new dev.unroll.bench.vector.VGruH128F32T25();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "VGruH512F32T25" -> {
                var m = new dev.unroll.bench.vector.VGruH512F32T25();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            default -> throw new IllegalArgumentException("no Vector API model " + name);
        };
    }

    /** Creates the float grid model called {@code name} with its default weights. */
    public static Dense32 dense32(String name) {
        return switch (name) {
            case "RnnH32F32T25" -> {
                var m = new RnnH32F32T25();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "RnnH32F32T100" -> {
                var m = new RnnH32F32T100();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "RnnH64F32T25" -> {
                var m = new RnnH64F32T25();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "RnnH64F32T100" -> {
                var m = new RnnH64F32T100();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "RnnH128F32T25" -> {
                var m = new RnnH128F32T25();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "RnnH128F32T100" -> {
                var m = new RnnH128F32T100();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "RnnH512F32T25" -> {
                var m = new RnnH512F32T25();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "RnnH512F32T100" -> {
                var m = new RnnH512F32T100();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "LstmH32F32T25" -> {
                var m = new LstmH32F32T25();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "LstmH32F32T100" -> {
                var m = new LstmH32F32T100();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "LstmH64F32T25" -> {
                var m = new LstmH64F32T25();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "LstmH64F32T100" -> {
                var m = new LstmH64F32T100();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "LstmH128F32T25" -> {
                var m = new LstmH128F32T25();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "LstmH128F32T100" -> {
                var m = new LstmH128F32T100();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "LstmH512F32T25" -> {
                var m = new LstmH512F32T25();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "LstmH512F32T100" -> {
                var m = new LstmH512F32T100();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "GruH32F32T25" -> {
                var m = new GruH32F32T25();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "GruH32F32T100" -> {
                var m = new GruH32F32T100();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "GruH64F32T25" -> {
                var m = new GruH64F32T25();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "GruH64F32T100" -> {
                var m = new GruH64F32T100();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "GruH128F32T25" -> {
                var m = new GruH128F32T25();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "GruH128F32T100" -> {
                var m = new GruH128F32T100();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "GruH512F32T25" -> {
                var m = new GruH512F32T25();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "GruH512F32T100" -> {
                var m = new GruH512F32T100();
                var w = m.newWorkspace();
                yield new Dense32(m, into32(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            default -> throw new IllegalArgumentException("no float grid model " + name);
        };
    }

    /** Creates the double grid model called {@code name} with its default weights. */
    public static Dense64 dense64(String name) {
        return switch (name) {
            case "RnnH32F64T25" -> {
                var m = new RnnH32F64T25();
                var w = m.newWorkspace();
                yield new Dense64(m, into64(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "RnnH32F64T100" -> {
                var m = new RnnH32F64T100();
                var w = m.newWorkspace();
                yield new Dense64(m, into64(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "RnnH64F64T25" -> {
                var m = new RnnH64F64T25();
                var w = m.newWorkspace();
                yield new Dense64(m, into64(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "RnnH64F64T100" -> {
                var m = new RnnH64F64T100();
                var w = m.newWorkspace();
                yield new Dense64(m, into64(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "RnnH128F64T25" -> {
                var m = new RnnH128F64T25();
                var w = m.newWorkspace();
                yield new Dense64(m, into64(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "RnnH128F64T100" -> {
                var m = new RnnH128F64T100();
                var w = m.newWorkspace();
                yield new Dense64(m, into64(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "RnnH512F64T25" -> {
                var m = new RnnH512F64T25();
                var w = m.newWorkspace();
                yield new Dense64(m, into64(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "RnnH512F64T100" -> {
                var m = new RnnH512F64T100();
                var w = m.newWorkspace();
                yield new Dense64(m, into64(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "LstmH32F64T25" -> {
                var m = new LstmH32F64T25();
                var w = m.newWorkspace();
                yield new Dense64(m, into64(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "LstmH32F64T100" -> {
                var m = new LstmH32F64T100();
                var w = m.newWorkspace();
                yield new Dense64(m, into64(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "LstmH64F64T25" -> {
                var m = new LstmH64F64T25();
                var w = m.newWorkspace();
                yield new Dense64(m, into64(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "LstmH64F64T100" -> {
                var m = new LstmH64F64T100();
                var w = m.newWorkspace();
                yield new Dense64(m, into64(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "LstmH128F64T25" -> {
                var m = new LstmH128F64T25();
                var w = m.newWorkspace();
                yield new Dense64(m, into64(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "LstmH128F64T100" -> {
                var m = new LstmH128F64T100();
                var w = m.newWorkspace();
                yield new Dense64(m, into64(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "LstmH512F64T25" -> {
                var m = new LstmH512F64T25();
                var w = m.newWorkspace();
                yield new Dense64(m, into64(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "LstmH512F64T100" -> {
                var m = new LstmH512F64T100();
                var w = m.newWorkspace();
                yield new Dense64(m, into64(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "GruH32F64T25" -> {
                var m = new GruH32F64T25();
                var w = m.newWorkspace();
                yield new Dense64(m, into64(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "GruH32F64T100" -> {
                var m = new GruH32F64T100();
                var w = m.newWorkspace();
                yield new Dense64(m, into64(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "GruH64F64T25" -> {
                var m = new GruH64F64T25();
                var w = m.newWorkspace();
                yield new Dense64(m, into64(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "GruH64F64T100" -> {
                var m = new GruH64F64T100();
                var w = m.newWorkspace();
                yield new Dense64(m, into64(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "GruH128F64T25" -> {
                var m = new GruH128F64T25();
                var w = m.newWorkspace();
                yield new Dense64(m, into64(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "GruH128F64T100" -> {
                var m = new GruH128F64T100();
                var w = m.newWorkspace();
                yield new Dense64(m, into64(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "GruH512F64T25" -> {
                var m = new GruH512F64T25();
                var w = m.newWorkspace();
                yield new Dense64(m, into64(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            case "GruH512F64T100" -> {
                var m = new GruH512F64T100();
                var w = m.newWorkspace();
                yield new Dense64(m, into64(m.newStepper()::step), x -> m.forward(w, x), (xs, ys) -> m.computeGradients(w, xs, ys));
            }
            default -> throw new IllegalArgumentException("no double grid model " + name);
        };
    }
}
