package dev.unroll.dsl.validate;

import dev.unroll.dsl.Diagnostic;
import dev.unroll.dsl.Diagnostics;
import dev.unroll.dsl.SourcePosition;
import dev.unroll.dsl.model.CellType;
import dev.unroll.dsl.model.Direction;
import dev.unroll.dsl.model.InputEncoding;
import dev.unroll.dsl.model.InputSpec;
import dev.unroll.dsl.model.LayerSpec;
import dev.unroll.dsl.model.LossKind;
import dev.unroll.dsl.model.OptimizerKind;
import dev.unroll.dsl.model.OptimizerSpec;
import dev.unroll.dsl.model.OutputActivation;
import dev.unroll.dsl.model.ScheduleKind;
import dev.unroll.dsl.model.StatementKind;
import dev.unroll.dsl.model.Topology;
import dev.unroll.dsl.validate.ModelDraft.LayerDraft;
import dev.unroll.dsl.validate.ModelDraft.OutputDraft;
import dev.unroll.dsl.validate.ModelDraft.TopologyDraft;
import java.math.BigDecimal;
import java.util.List;

/**
 * The rules between statements (docs/language.md, section 7): each statement was valid on its
 * own, but together they must make one trainable network. Each rule runs when the statements it
 * relates were read without errors, whatever else is missing or broken, so that a syntax error
 * in one statement does not hide a conflict between two others.
 */
final class ModelRules {
    private final ModelDraft draft;
    private final Diagnostics diagnostics;

    ModelRules(ModelDraft draft, Diagnostics diagnostics) {
        this.draft = draft;
        this.diagnostics = diagnostics;
    }

    /**
     * Checks every rule whose statements are there and returns the loss, written or defaulted
     * from the output activation (mse without an output).
     *
     * @param layers the layers with their sizes resolved, input side first; empty without an input
     */
    LossKind check(List<LayerSpec> layers) {
        TopologyDraft t = draft.topology == null ? null : draft.topology.value();
        OutputDraft out = draft.output == null ? null : draft.output.value();
        if (t != null && out != null && draft.input != null) {
            checkFeedback(t, out);
        }
        LossKind loss = out != null ? checkLoss(out) : draft.loss != null ? draft.loss.value() : LossKind.MSE;
        if (draft.input != null) {
            checkEmbedding();
        }
        if (t != null) {
            checkBidirectional(t);
            checkBpttWindow(t);
            checkLongVanillaRnn(t);
        }
        if (out != null && out.activation() == OutputActivation.SOFTMAX && out.size() == 1) {
            diagnostics.warning(draft.output.word("softmax"), "softmax over a single output is always 1; use sigmoid");
        }
        // Only with every size known: a layer set aside would leave the wrong sizes between the others.
        if (t != null && out != null && !layers.isEmpty() && !draft.layerDiscarded) {
            checkTensorSizes(layers, out, t);
        }
        checkMinLearningRate();
        return loss;
    }

    /**
     * Every parameter is one flat Java array, so no tensor may have more elements than an
     * array can hold: per layer {@code weight_ih} ({@code G*H x I}) and {@code weight_hh}
     * ({@code G*H x H}), the biases being smaller; {@code head.weight} ({@code O x F}); and in
     * an encoder-decoder the decoder's first {@code weight_ih}, which reads the outputs.
     */
    private void checkTensorSizes(List<LayerSpec> layers, OutputDraft out, TopologyDraft t) {
        for (int k = 0; k < layers.size(); k++) {
            LayerSpec layer = layers.get(k);
            SourcePosition at = draft.layers.get(k).argument(0); // the hidden size
            long rows = (long) layer.cell().gateCount() * layer.hiddenSize();
            checkTensorSize(at, "rnn.weight_ih_l" + k, rows, layer.inputSize(), "");
            checkTensorSize(at, "rnn.weight_hh_l" + k, rows, layer.hiddenSize(), "");
            if (k == 0 && t.kind() == Topology.ENCODER_DECODER) {
                checkTensorSize(at, "the decoder's weight_ih_l0", rows, out.size(),
                        " (the decoder's first layer reads the " + out.size() + " outputs)");
            }
        }
        int topWidth = layers.get(layers.size() - 1).outputSize();
        checkTensorSize(draft.output.argument(0), "head.weight", out.size(), topWidth, "");
    }

    /**
     * The table {@code embedding.weight} ({@code V x D}) must fit in a Java array; a dimension at
     * least the vocabulary adds parameters but no capacity over a one-hot input, and gets a warning.
     */
    private void checkEmbedding() {
        InputSpec input = draft.input.value();
        input.embedding().ifPresent(e -> {
            SourcePosition at = draft.input.argument(2); // the embedding size
            checkTensorSize(at, "embedding.weight", input.size(), e.size(), "");
            if (e.size() >= input.size()) {
                diagnostics.warning(at, "embedding " + e.size() + " is not smaller than the vocabulary of "
                        + input.size() + " symbols: the table adds parameters but no capacity over 'input "
                        + input.size() + " one_hot;'");
            }
        });
    }

    private void checkTensorSize(SourcePosition at, String tensor, long rows, long columns, String why) {
        long elements = rows * columns; // at most 2^16 * 2^20: no overflow
        if (elements > Limits.MAX_TENSOR_ELEMENTS) {
            diagnostics.error(at, tensor + " would have " + rows + " x " + columns + " = " + elements
                    + " elements" + why + ", more than a Java array can hold (" + Limits.MAX_TENSOR_ELEMENTS + ")");
        }
    }

    /**
     * A cosine schedule falls from the learning rate to min_learning_rate: a minimum above the
     * rate would make it rise instead. The rate is the optimizer's, or its default.
     */
    private void checkMinLearningRate() {
        if (draft.schedule == null || draft.schedule.value().kind() != ScheduleKind.COSINE
                || draft.schedule.option("min_learning_rate").isEmpty()
                || draft.optimizer == null && draft.attempted.contains(StatementKind.OPTIMIZER)) {
            return; // no cosine minimum, or an optimizer statement with errors: its rate is unknown
        }
        StatementArgs.Option minimum = draft.schedule.option("min_learning_rate").get();
        double min = draft.schedule.value().minLearningRate();
        OptimizerSpec spec = draft.optimizer == null ? OptimizerDefaults.of(OptimizerKind.ADAM) : draft.optimizer.value();
        if (min <= spec.learningRate()) {
            return;
        }
        String rate = draft.optimizer != null && draft.optimizer.option("learning_rate").isPresent()
                ? Texts.shown(draft.optimizer.option("learning_rate").get().value().get().text())
                : BigDecimal.valueOf(spec.learningRate()).stripTrailingZeros().toPlainString()
                        + " (the default of optimizer " + spec.kind().keyword() + ")";
        List<Diagnostic.Note> notes = draft.optimizer != null && draft.optimizer.option("learning_rate").isPresent()
                ? List.of(new Diagnostic.Note(draft.optimizer.option("learning_rate").get().position(),
                        "learning rate declared here"))
                : List.of();
        diagnostics.error(minimum.name().position(), "min_learning_rate "
                + Texts.shown(minimum.value().get().text()) + " is above the learning rate " + rate, notes);
    }

    private void checkFeedback(TopologyDraft t, OutputDraft out) {
        if (!t.feedback()) {
            return;
        }
        int inputSize = draft.input.value().size();
        SourcePosition at = draft.topology.word("feedback");
        if (out.size() != inputSize) {
            diagnostics.error(at, "one_to_many with feedback needs output size " + out.size()
                    + " to equal input size " + inputSize, List.of(
                            new Diagnostic.Note(draft.output.argument(0), "output size declared here"),
                            new Diagnostic.Note(draft.input.argument(0), "input size declared here")));
        } else if (draft.input.value().encoding() == InputEncoding.ONE_HOT
                && out.activation() != OutputActivation.SOFTMAX) {
            diagnostics.error(at, "one_to_many with feedback into a one_hot input needs a"
                    + " softmax output, whose probabilities are fed back as the next input, got "
                    + out.activation().keyword(), List.of(outputNote()));
        } else if (draft.input.value().encoding() == InputEncoding.EMBEDDING
                && out.activation() != OutputActivation.SOFTMAX) {
            diagnostics.error(at, "one_to_many with feedback into an embedding input needs a"
                    + " softmax output, whose probabilities weight the embedding's rows as the next input, got "
                    + out.activation().keyword(), List.of(outputNote()));
        }
    }

    private LossKind checkLoss(OutputDraft out) {
        if (draft.loss == null) {
            return switch (out.activation()) {
                case SOFTMAX -> LossKind.CROSS_ENTROPY;
                case SIGMOID -> LossKind.BINARY_CROSS_ENTROPY;
                default -> LossKind.MSE;
            };
        }
        LossKind kind = draft.loss.value();
        SourcePosition at = draft.loss.argument(0); // the loss's word
        if (kind == LossKind.CROSS_ENTROPY && out.activation() != OutputActivation.SOFTMAX) {
            diagnostics.error(at, "loss cross_entropy needs a softmax output, but the output is "
                    + out.activation().keyword(), List.of(outputNote()));
        } else if (kind == LossKind.BINARY_CROSS_ENTROPY && out.activation() != OutputActivation.SIGMOID) {
            diagnostics.error(at, "loss binary_cross_entropy needs a sigmoid output, but the output is "
                    + out.activation().keyword(), List.of(outputNote()));
        } else if (kind == LossKind.MSE && out.activation() == OutputActivation.SOFTMAX) {
            diagnostics.warning(at, "loss mse on a softmax output learns slowly; cross_entropy is"
                    + " the usual loss for softmax", List.of(outputNote()));
        }
        return kind;
    }

    /** A note at the output's activation word, or at its keyword when the activation is the default. */
    private Diagnostic.Note outputNote() {
        return new Diagnostic.Note(draft.output.word(draft.output.value().activation().keyword()), "output declared here");
    }

    private void checkBidirectional(TopologyDraft t) {
        for (Located<LayerDraft> layer : draft.layers) {
            if (layer.value().direction() == Direction.FORWARD) {
                continue;
            }
            SourcePosition at = layer.word("bidirectional");
            if (t.kind() == Topology.ONE_TO_MANY) {
                diagnostics.error(at, "bidirectional layers need a whole input sequence, but"
                        + " one_to_many reads a single input", List.of(draft.topology.declaredHere()));
            } else if (t.kind() == Topology.ENCODER_DECODER) {
                diagnostics.error(at, "bidirectional layers are not supported in an encoder-decoder"
                        + " (its decoder runs forwards only)", List.of(draft.topology.declaredHere()));
            } else if (draft.bpttWindow != null) {
                diagnostics.error(at, "bidirectional layers cannot be trained with truncated_bptt"
                        + " (the backward direction needs the whole sequence)", List.of(draft.bpttWindow.declaredHere()));
            }
        }
    }

    private void checkBpttWindow(TopologyDraft t) {
        if (draft.bpttWindow == null) {
            return;
        }
        int steps = t.unrolledSteps();
        int window = draft.bpttWindow.value();
        SourcePosition at = draft.bpttWindow.argument(0); // the window
        List<Diagnostic.Note> topology = List.of(draft.topology.declaredHere());
        if (t.kind() == Topology.ONE_TO_ONE) {
            diagnostics.error(draft.bpttWindow.position(), "truncated_bptt needs more than one step, but one_to_one"
                    + " has one", topology);
        } else if (window > steps) {
            diagnostics.error(at, "truncated_bptt window " + window + " is longer than the " + steps
                    + " steps unrolled", topology);
        } else if (window == steps) {
            diagnostics.warning(at, "truncated_bptt window " + window + " equals the number of steps, so it has no"
                    + " effect", topology);
        }
    }

    private void checkLongVanillaRnn(TopologyDraft t) {
        int steps = t.unrolledSteps();
        if (steps < Limits.LONG_VANILLA_RNN_STEPS || !draft.clips.isEmpty()
                || draft.attempted.contains(StatementKind.CLIP)) {
            return;
        }
        for (Located<LayerDraft> layer : draft.layers) {
            if (layer.value().cell().type() == CellType.RNN) {
                diagnostics.warning(layer.position(), "vanilla rnn unrolled over " + steps + " steps without"
                        + " gradient clipping: gradients will likely explode or vanish; add 'clip norm 1.0;'"
                        + " or use lstm or gru");
                return;
            }
        }
    }
}
