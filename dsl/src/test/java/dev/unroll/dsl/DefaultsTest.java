package dev.unroll.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.unroll.dsl.model.NetworkModel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The documented defaults (docs/language.md, section 3): leaving a statement or an option out
 * must give exactly the model that writing its documented default gives.
 */
class DefaultsTest {
    private static final String BASE = "input 10; lstm 32; output 2 softmax; many_to_one steps 20;";

    private static NetworkModel model(String body) {
        CheckResult result = RnnFrontEnd.check("defaults.rnn",
                ("model M { " + body + " }").getBytes(StandardCharsets.UTF_8));
        assertFalse(result.hasErrors(), () -> body + "\n" + result.formattedDiagnostics());
        assertEquals(1, result.models().size());
        return result.models().get(0);
    }

    /** Everything but where the model is: what it computes and how it trains. */
    private static List<Object> meaning(NetworkModel m) {
        return List.of(m.packageName(), m.name(), m.input(), m.layers(), m.output(), m.topology(), m.training(),
                m.precision());
    }

    @ParameterizedTest(name = "''{0}'' means ''{1}''")
    @CsvSource(delimiter = '|', textBlock = """
            # the minimal model of section 1 and its spelled-out form
            input 10; lstm 32; output 2 softmax; many_to_one steps 20; | input 10 dense; lstm 32 forget_bias 0; output 2 softmax; many_to_one steps 20; batch any; loss cross_entropy; optimizer adam learning_rate 0.001 beta1 0.9 beta2 0.999 epsilon 1e-8 weight_decay 0; schedule constant; init pytorch recurrent pytorch; seed 0; precision float32;
            # inputs, outputs and the default loss for each activation
            input 3; rnn 4; output 2; one_to_one;                  | input 3 dense; rnn 4; output 2 linear; one_to_one; loss mse;
            input 3; rnn 4; output 2 tanh; one_to_one;             | input 3; rnn 4; output 2 tanh; one_to_one; loss mse;
            input 3; rnn 4; output 2 sigmoid; one_to_one;          | input 3; rnn 4; output 2 sigmoid; one_to_one; loss binary_cross_entropy;
            # layer options
            input 3; rnn 4; output 2; one_to_one;                  | input 3; rnn 4 tanh dropout 0; output 2; one_to_one;
            input 3; gru 4; output 2; one_to_one;                  | input 3; gru 4 reset_after dropout 0; output 2; one_to_one;
            input 3; lstm 4; output 2; one_to_one;                 | input 3; lstm 4 forget_bias 0 dropout 0; output 2; one_to_one;
            input 3; lstm 4 bidirectional; output 2; many_to_one steps 3; | input 3; lstm 4 bidirectional concat; output 2; many_to_one steps 3;
            # optimizers: each with every option at its documented default
            optimizer sgd;      | optimizer sgd learning_rate 0.01 weight_decay 0;
            optimizer momentum; | optimizer momentum learning_rate 0.01 momentum 0.9 weight_decay 0;
            optimizer adagrad;  | optimizer adagrad learning_rate 0.01 epsilon 1e-10 weight_decay 0;
            optimizer rmsprop;  | optimizer rmsprop learning_rate 0.01 alpha 0.99 epsilon 1e-8 weight_decay 0;
            optimizer adam;     | optimizer adam learning_rate 0.001 beta1 0.9 beta2 0.999 epsilon 1e-8 weight_decay 0;
            optimizer adamw;    | optimizer adamw learning_rate 0.001 beta1 0.9 beta2 0.999 epsilon 1e-8 weight_decay 0.01;
            # schedules, initialization, the rest
            schedule step every 100;      | schedule step every 100 gamma 0.1;
            schedule cosine period 1000;  | schedule cosine period 1000 min_learning_rate 0;
            init xavier;                  | init xavier recurrent xavier;
            init orthogonal;              | init orthogonal recurrent orthogonal;
            clip value 1; clip norm 2; clip per_parameter_norm 3; | clip norm 2; clip per_parameter_norm 3; clip value 1;
            """)
    void leavingOutTheDefaultMeansTheSame(String implicit, String explicit) {
        String a = implicit.contains("input ") ? implicit : BASE + " " + implicit;
        String b = explicit.contains("input ") ? explicit : BASE + " " + explicit;
        assertEquals(meaning(model(a)), meaning(model(b)));
    }
}
