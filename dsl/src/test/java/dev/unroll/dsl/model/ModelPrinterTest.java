package dev.unroll.dsl.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.unroll.dsl.CheckResult;
import dev.unroll.dsl.RnnFrontEnd;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The printer behind the golden files: its number and string formats, and its layout. */
class ModelPrinterTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            0.1                  | 0.1
            5                    | 5.0
            -0.5                 | -0.5
            0.001                | 0.001
            0.0009               | 9.0e-4
            123456.789           | 123456.789
            9999999              | 9999999.0
            10000000             | 1.0e7
            1e-10                | 1.0e-10
            2.5e-8               | 2.5e-8
            1e-320               | 1.0e-320
            1.7976931348623157e308 | 1.7976931348623157e308
            0.30000000000000004  | 0.30000000000000004
            0.002                | 0.002
            """)
    void doublesAreShortestRoundTrip(double value, String expected) {
        assertEquals(expected, ModelPrinter.formatDouble(value));
        assertEquals(value, Double.parseDouble(expected));
    }

    @Test
    void specialDoubles() {
        assertEquals("0.0", ModelPrinter.formatDouble(0.0));
        assertEquals("-0.0", ModelPrinter.formatDouble(-0.0));
        assertEquals("NaN", ModelPrinter.formatDouble(Double.NaN));
        assertEquals("Infinity", ModelPrinter.formatDouble(Double.POSITIVE_INFINITY));
    }

    @Test
    void stringsAreQuotedWithEscapes() {
        assertEquals("\"a \\\"b\\\" \\\\ \\n\\t\\r \\u0007 é\"", ModelPrinter.quote("a \"b\" \\ \n\t\r \u0007 é"));
    }

    @Test
    void layoutIsIndentedOneValuePerLine() {
        CheckResult result = RnnFrontEnd.check("p.rnn", """
                package p;
                /** Doc "quoted"
                 * second line */
                model M { input 2; gru 3 bidirectional sum; output 2; one_to_one; clip norm 1; }
                model N { input 2; rnn 3; output 2; one_to_one; }
                """.getBytes(StandardCharsets.UTF_8));
        String printed = ModelPrinter.print(result.models());
        List<String> lines = printed.lines().toList();
        assertEquals("NetworkModel p.M", lines.get(0));
        assertEquals("  doc: \"Doc \\\"quoted\\\"\\nsecond line\"", lines.get(5));
        assertEquals(List.of("  layers:", "    [0] LayerSpec", "      index: 0", "      cell: Gru",
                "        variant: RESET_AFTER", "      inputSize: 2", "      hiddenSize: 3", "      direction: SUM",
                "      dropout: 0.0"), lines.subList(9, 18));
        assertEquals(List.of("    clipping:", "      [0] ClipSpec", "        kind: NORM", "        threshold: 1.0"),
                lines.subList(lines.indexOf("    clipping:"), lines.indexOf("    clipping:") + 4));
        assertEquals("", lines.get(lines.indexOf("NetworkModel p.N") - 1), "models are separated by an empty line");
        assertEquals(ModelPrinter.print(result.models().get(0)) + "\n" + ModelPrinter.print(result.models().get(1)),
                printed);
        assertEquals(printed, ModelPrinter.print(result.models()), "deterministic");
        assertEquals("", ModelPrinter.print(List.of()));
    }
}
