package dev.unroll.compiler.codegen.cell;

import com.palantir.javapoet.CodeBlock;
import dev.unroll.compiler.codegen.LayerCode;

/**
 * A cell whose forward step is its pre-activations, row by row independent ({@code b + W_ih x_t + W_hh h_{t-1}}
 * over the {@code G * H} gate rows: all but a few percent of a step's work), then elementwise code that needs all of
 * them. Such a step can be cut by rows: two threads each fill a range of the rows, then one finishes the step
 * ({@code Stepper} with two threads). Each row is computed by the same operations in the same order whatever the
 * range, so a cut step gives the same bits as a whole one.
 *
 * <p>A cell whose pre-activations are not all known before its elementwise code (the Cho GRU, whose {@code W_hn}
 * reads {@code r * h_{t-1}}) is not one.
 */
public sealed interface RowSplitCell extends CellEmitter permits ElmanCell, LstmCell, PeepholeLstmCell, GruCell {
    /** Emits the declarations of the arrays the pre-activations are formed in, as the locals the other parts use. */
    void declareAccumulators(CodeBlock.Builder b, LayerCode code);

    /**
     * Emits the pre-activations of the gate rows {@code [from, to)}: their biases, then {@link
     * LayerCode#inputProjection} and {@link LayerCode#recurrentProjection} over those rows.
     */
    void preActivations(CodeBlock.Builder b, LayerCode code, int from, int to);

    /**
     * Emits the rest of the step once every pre-activation is formed: the activations and the new state, stored at
     * {@code out}, and what the backward step keeps.
     */
    void activate(CodeBlock.Builder b, LayerCode code);

    /** The whole step: the accumulators, every row's pre-activation, then the rest. */
    @Override
    default void forward(CodeBlock.Builder b, LayerCode code) {
        declareAccumulators(b, code);
        preActivations(b, code, 0, code.gateRows());
        activate(b, code);
    }
}
