package dev.unroll.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every benchmark configuration can be created, and each kind of subject runs (without timing anything). */
class SubjectsTest {

    @Test
    void everyGridModelIsInTheFactory() {
        int count = 0;
        for (String cell : GeneratedModels.CELLS) {
            for (int hidden : GeneratedModels.HIDDEN) {
                for (int steps : GeneratedModels.STEPS) {
                    String f32 = GeneratedModels.name(cell, hidden, "float", steps);
                    String f64 = GeneratedModels.name(cell, hidden, "double", steps);
                    assertEquals(hidden * (cell.equals("rnn") ? 1 : cell.equals("lstm") ? 4 : 3) * 64,
                            GeneratedModels.dense32(f32).parameters().get("rnn.weight_ih_l0").size(), f32);
                    assertNotNull(GeneratedModels.dense64(f64).parameters(), f64);
                    count += 2;
                }
            }
        }
        assertEquals(48, count);
        assertEquals("LstmH128F32T100", GeneratedModels.name("lstm", 128, "float", 100));
    }

    @ParameterizedTest
    @ValueSource(strings = {"unroll", "ejml"})
    void everyKindOfSubjectRuns(String impl) {
        for (String cell : GeneratedModels.CELLS) {
            for (String precision : new String[] {"float", "double"}) {
                Subject subject = Subjects.grid(impl, cell, 32, precision, 25, 2);
                assertNotNull(subject.step());
                assertNotNull(subject.forward());
                double first = subject.train();
                assertTrue(Double.isFinite(first) && first > 0, cell + " " + precision + ": loss " + first);
                double second = subject.train();
                assertTrue(Double.isFinite(second), "second loss " + second);
            }
        }
        Subject chars = Subjects.charLstm(impl, 2);
        assertNotNull(chars.step());
        assertNotNull(chars.forward());
        double loss = chars.train();
        assertEquals(Math.log(65), loss, 0.5, "the first loss of a fresh char model is close to log(65)");
    }
}
