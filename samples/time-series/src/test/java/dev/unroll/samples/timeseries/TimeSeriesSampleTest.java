package dev.unroll.samples.timeseries;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.runtime.Trainer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TimeSeriesSampleTest {
    @Test
    void theGruBeatsRepeatingTheLastValue() {
        Trainer.Batch<float[][][], float[][][]> test = Signal.batch(200, new SplittableRandom(99));
        double naive = Signal.repeatLastMse(test);
        NextValue model = new NextValue();
        TimeSeriesSample.train(model, 300, null);
        double mse = model.loss(model.newWorkspace(), test.inputs(), test.targets());
        System.out.printf("time-series: GRU test mse %.5f, repeating the last value %.5f (must be < half)%n", mse, naive);
        assertTrue(mse < 0.5 * naive, "GRU " + mse + ", repeating the last value " + naive);
        assertTrue(mse > Signal.NOISE * Signal.NOISE, "below the noise floor: " + mse);
    }
}
