package dev.unroll.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every fenced code block marked {@code ```rnn} in the language reference
 * ({@code docs/language.md}) and in the {@code README.md} must pass {@link RnnFrontEnd} (what
 * {@code unroll check} runs) without errors. A failure names the block by the line of its
 * opening fence in the Markdown file and shows the diagnostics, with lines counted inside the
 * block. A missing document is a failure, not a skipped test.
 */
class DocsTest {
    private static final List<String> DOCUMENTS = List.of("docs/language.md", "README.md");

    /** A code block: where its opening fence is, and its text. */
    record Block(String document, int fenceLine, String text) {}

    @TestFactory
    Stream<DynamicTest> everyRnnBlockInTheDocsChecksWithoutErrors() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String document : DOCUMENTS) {
            Path file = TestFiles.moduleRoot().resolve("..").resolve(document).normalize();
            if (!Files.isRegularFile(file)) {
                tests.add(DynamicTest.dynamicTest(document, () -> fail(document + " does not exist (looked for "
                        + file.toAbsolutePath() + "); its ```rnn examples cannot be checked")));
                continue;
            }
            List<Block> blocks = rnnBlocks(document, TestFiles.read(file));
            tests.add(DynamicTest.dynamicTest(document + " has rnn examples",
                    () -> assertFalse(blocks.isEmpty(), document + " has no ```rnn block; were they renamed?")));
            for (Block block : blocks) {
                tests.add(DynamicTest.dynamicTest(document + ":" + block.fenceLine(), () -> check(block)));
            }
        }
        return tests.stream();
    }

    private static void check(Block block) {
        String name = block.document() + " (```rnn block at line " + block.fenceLine() + ")";
        CheckResult result = RnnFrontEnd.check(new SourceFile(name, block.text()));
        if (result.hasErrors()) {
            fail("the ```rnn block at " + block.document() + ":" + block.fenceLine() + " does not check;"
                    + " its first line is line " + (block.fenceLine() + 1) + " of the document:\n"
                    + result.formattedDiagnostics());
        }
        assertTrue(!result.models().isEmpty() || block.text().isBlank(), name + " declares no model");
    }

    @Test
    void findsRnnBlocksAndTheLineOfTheirFence() {
        String markdown = String.join("\n",
                "# Title",                       // 1
                "```rnn",                        // 2
                "model A { }",                   // 3
                "```",                           // 4
                "````markdown",                  // 5
                "```rnn",                        // 6: inside another block, not a block
                "model Hidden { }",              // 7
                "```",                           // 8
                "````",                          // 9
                "~~~ rnn title",                 // 10
                "model B { }",                   // 11
                "~~~",                           // 12
                "```text",                       // 13
                "not rnn",                       // 14
                "```",                           // 15
                "    ```rnn",                    // 16: indented four: code, not a fence
                "```rnn",                        // 17: never closed: runs to the end
                "model C { }");                  // 18
        List<Block> blocks = rnnBlocks("x.md", markdown);
        assertEquals(List.of(new Block("x.md", 2, "model A { }\n"), new Block("x.md", 10, "model B { }\n"),
                new Block("x.md", 17, "model C { }\n")), blocks);
    }

    @Test
    void aFailingBlockIsReportedWithItsLineAndDiagnostics() {
        AssertionError error = assertThrows(AssertionError.class,
                () -> check(new Block("docs/x.md", 41, "model A {\n    lstn 128;\n}\n")));
        String message = error.getMessage();
        assertTrue(message.contains("docs/x.md:41"), message);
        assertTrue(message.contains(":2:5: error: unknown cell type 'lstn'; did you mean 'lstm'?\n    lstn 128;\n    ^"),
                message);
    }

    /**
     * Finds the fenced blocks whose info string is {@code rnn}: an opening fence of three or more
     * backticks or tildes (indented at most three spaces), closed by a fence of the same character
     * at least as long, as CommonMark has it.
     */
    static List<Block> rnnBlocks(String document, String markdown) {
        List<Block> blocks = new ArrayList<>();
        List<String> lines = markdown.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            String trimmed = line.stripLeading();
            if (line.length() - trimmed.length() > 3 || !(trimmed.startsWith("```") || trimmed.startsWith("~~~"))) {
                continue;
            }
            char fenceChar = trimmed.charAt(0);
            int fenceLength = 0;
            while (fenceLength < trimmed.length() && trimmed.charAt(fenceLength) == fenceChar) {
                fenceLength++;
            }
            String info = trimmed.substring(fenceLength).strip();
            String language = info.isEmpty() ? "" : info.split("\\s+")[0];
            StringBuilder text = new StringBuilder();
            int end = i + 1;
            for (; end < lines.size(); end++) {
                String closing = lines.get(end).strip();
                if (closing.length() >= fenceLength && closing.chars().allMatch(c -> c == fenceChar)) {
                    break;
                }
                text.append(lines.get(end)).append('\n');
            }
            if (language.equals("rnn")) {
                blocks.add(new Block(document, i + 1, text.toString()));
            }
            i = end; // skip the block, whatever its language: fences inside it are its text
        }
        return blocks;
    }
}
