package dev.unroll.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How diagnostics read: {@code path:line:col: severity: message}, then the source line, then a
 * caret under the column; and how the front end treats the bytes of a file (line endings, BOM,
 * encoding) and files it cannot read.
 */
class DiagnosticFormatTest {
    private static final String VALID = """
            model A {
                input 65 one_hot;
                lstm 128;
                output 65 softmax;
                many_to_many steps 25;
            }
            """;

    @TempDir
    Path temp;

    private static CheckResult check(String path, String text) {
        return RnnFrontEnd.check(path, text.getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> summaries(CheckResult result) {
        return result.diagnostics().stream().map(Diagnostic::summary).collect(Collectors.toList());
    }

    @Test
    void errorIsFormattedWithSourceLineAndCaret() {
        CheckResult result = check("models/char.rnn", VALID.replace("lstm 128", "lstn 128"));
        assertEquals("""
                models/char.rnn:3:5: error: unknown cell type 'lstn'; did you mean 'lstm'?
                    lstn 128;
                    ^""", result.formattedDiagnostics());
        Diagnostic d = result.diagnostics().get(0);
        assertEquals("models/char.rnn:3:5: error: unknown cell type 'lstn'; did you mean 'lstm'?", d.summary());
        assertEquals(d.summary(), d.toString());
        assertEquals(Severity.ERROR, d.severity());
        assertTrue(d.isError());
    }

    @Test
    void warningIsLabelledWarning() {
        CheckResult result = check("w.rnn", VALID.replace("many_to_many steps 25;", "many_to_many steps 25; loss mse;"));
        assertFalse(result.hasErrors());
        assertEquals(1, result.models().size(), "warnings do not prevent a model");
        assertEquals("""
                w.rnn:5:33: warning: loss mse on a softmax output learns slowly; cross_entropy is the usual loss for softmax
                    many_to_many steps 25; loss mse;
                                                ^
                w.rnn:4:15: note: output declared here
                    output 65 softmax;
                              ^""", result.formattedDiagnostics());
    }

    @Test
    void notesFollowTheirDiagnosticInTheSameForm() {
        SourceFile source = new SourceFile("n.rnn", "model M {\n\tinput 3;\n  loss mse;\n}\n");
        Diagnostic d = new Diagnostic(Severity.ERROR, "n.rnn", Optional.of(new SourcePosition(3, 8)), "main",
                List.of(new Diagnostic.Note(new SourcePosition(2, 2), "first note"),
                        new Diagnostic.Note(new SourcePosition(1, 7), "second note")));
        assertEquals("""
                n.rnn:3:8: error: main
                  loss mse;
                       ^
                n.rnn:2:2: note: first note
                \tinput 3;
                \t^
                n.rnn:1:7: note: second note
                model M {
                      ^""", d.format(source));
        assertEquals("n.rnn:3:8: error: main", d.summary(), "the summary stays one line");
    }

    @Test
    void severalDiagnosticsAreSeparatedByLineBreaks() {
        CheckResult result = check("two.rnn", VALID.replace("input 65", "input 0").replace("lstm 128", "lstm 0"));
        assertEquals("""
                two.rnn:2:11: error: input size must be a positive integer, got 0
                    input 0 one_hot;
                          ^
                two.rnn:3:10: error: hidden size must be a positive integer, got 0
                    lstm 0;
                         ^""", result.formattedDiagnostics());
    }

    @Test
    void tabsAreKeptInTheCaretLineSoTheCaretLinesUp() {
        CheckResult result = check("tabs.rnn", "model A {\n\tinput 65 one_hot;\n\t\tlstm\t128\n\toutput 65 softmax;\n"
                + "\tmany_to_many steps 25;\n}\n");
        assertEquals("tabs.rnn:3:11: error: expected ';' after '128'\n"
                + "\t\tlstm\t128\n"
                + "\t\t    \t   ^", result.formattedDiagnostics());
    }

    @Test
    void caretCanPointJustPastTheEndOfTheLine() {
        CheckResult result = check("eol.rnn", "model A {\n    input 65 one_hot");
        assertEquals("""
                eol.rnn:2:21: error: expected ';' after 'one_hot'
                    input 65 one_hot
                                    ^
                eol.rnn:2:21: error: expected '}' to close model A
                    input 65 one_hot
                                    ^""", result.formattedDiagnostics());
    }

    @Test
    void columnsCountCodePointsNotUtf16Units() {
        // U+1F600 is two UTF-16 units but one character: 'lstn' starts at column 9, not 10.
        CheckResult result = check("emoji.rnn", VALID.replace("    lstm 128;", "/* \uD83D\uDE00 */ lstn 128;"));
        assertEquals(List.of("emoji.rnn:3:9: error: unknown cell type 'lstn'; did you mean 'lstm'?"), summaries(result));
        assertEquals("emoji.rnn:3:9: error: unknown cell type 'lstn'; did you mean 'lstm'?\n"
                + "/* \uD83D\uDE00 */ lstn 128;\n"
                + "        ^", result.formattedDiagnostics());
    }

    @Test
    void controlCharactersInTheSourceLineAreShownAsQuestionMarks() {
        CheckResult result = check("bell.rnn", VALID.replace("lstm 128;", "lstm 128;\u0007"));
        assertEquals("""
                bell.rnn:3:14: error: unexpected character U+0007
                    lstm 128;?
                             ^""", result.formattedDiagnostics());
    }

    @Test
    void fileLevelDiagnosticHasNoPositionAndNoSourceLine() {
        Path missing = temp.resolve("nowhere/missing.rnn");
        CheckResult result = RnnFrontEnd.check(missing);
        assertEquals(List.of(missing + ": error: no such file"), summaries(result));
        assertEquals(missing + ": error: no such file", result.formattedDiagnostics());
        assertEquals(Optional.empty(), result.diagnostics().get(0).position());
        assertEquals(Optional.empty(), result.source());
        assertTrue(result.hasErrors());
        assertTrue(result.models().isEmpty());
    }

    @Test
    void pathIsReportedAsGiven() throws IOException {
        Path file = Files.writeString(temp.resolve("given.rnn"), VALID.replace("lstm 128", "lstm 0"));
        Path relative = Path.of("").toAbsolutePath().relativize(file);
        CheckResult result = RnnFrontEnd.check(relative);
        assertEquals(relative.toString(), result.path());
        assertEquals(List.of(relative + ":3:10: error: hidden size must be a positive integer, got 0"),
                summaries(result));
    }

    @Test
    void directoryIsNotAFile() {
        CheckResult result = RnnFrontEnd.check(temp);
        assertEquals(List.of(temp + ": error: is a directory, not a .rnn file"), summaries(result));
        assertTrue(result.models().isEmpty());
    }

    @Test
    void tooLargeFileIsRefusedUnread() throws IOException {
        Path big = temp.resolve("big.rnn");
        try (RandomAccessFile file = new RandomAccessFile(big.toFile(), "rw")) {
            file.setLength(RnnFrontEnd.MAX_FILE_BYTES + 1L); // sparse: costs no disk space
        }
        CheckResult result = RnnFrontEnd.check(big);
        assertEquals(List.of(big + ": error: file is too large: " + (RnnFrontEnd.MAX_FILE_BYTES + 1L)
                + " bytes (the limit is " + RnnFrontEnd.MAX_FILE_BYTES + ")"), summaries(result));
    }

    @Test
    void validFileFromDiskYieldsItsModel() throws IOException {
        Path file = Files.writeString(temp.resolve("ok.rnn"), VALID);
        CheckResult result = RnnFrontEnd.check(file);
        assertEquals(List.of(), result.diagnostics());
        assertEquals("", result.formattedDiagnostics());
        assertEquals(1, result.models().size());
        assertEquals("ok.rnn", result.models().get(0).sourceName());
    }

    @Test
    void crlfLineEndingsGiveTheSamePositionsAndCleanSourceLines() {
        String text = VALID.replace("lstm 128", "lstn 128");
        CheckResult lf = check("f.rnn", text);
        CheckResult crlf = check("f.rnn", text.replace("\n", "\r\n"));
        assertEquals(summaries(lf), summaries(crlf));
        assertEquals(lf.formattedDiagnostics(), crlf.formattedDiagnostics());
        assertFalse(crlf.formattedDiagnostics().contains("\r"));
    }

    @Test
    void loneCarriageReturnsEndLinesToo() {
        String text = VALID.replace("lstm 128", "lstn 128");
        CheckResult lf = check("f.rnn", text);
        CheckResult cr = check("f.rnn", text.replace("\n", "\r"));
        assertEquals(summaries(lf), summaries(cr));
        assertEquals(lf.formattedDiagnostics(), cr.formattedDiagnostics());
        CheckResult mixed = check("f.rnn", "model A {\r\n    input 65 one_hot;\r    lstn 128;\n"
                + "    output 65 softmax;\r\n    many_to_many steps 25;\r}\r\n");
        assertEquals(summaries(lf), summaries(mixed));
    }

    @Test
    void validSpecWithCrlfOrCrIsValid() {
        assertEquals(List.of(), check("f.rnn", VALID.replace("\n", "\r\n")).diagnostics());
        assertEquals(List.of(), check("f.rnn", VALID.replace("\n", "\r")).diagnostics());
        assertEquals(1, check("f.rnn", VALID.replace("\n", "\r")).models().size());
    }

    @Test
    void byteOrderMarkIsIgnoredAndDoesNotShiftColumns() {
        String text = "\uFEFF" + "lstm 128;\n" + VALID;
        CheckResult result = check("bom.rnn", text);
        assertEquals("""
                bom.rnn:1:1: error: 'lstm' outside a model; statements go inside 'model Name { ... }'
                lstm 128;
                ^""", result.formattedDiagnostics());
        assertEquals(List.of(), check("bom.rnn", "\uFEFF" + VALID).diagnostics());
        assertEquals(1, check("bom.rnn", "\uFEFF" + VALID).models().size());
        assertEquals(List.of(), check("bom.rnn", "\uFEFF" + VALID.replace("\n", "\r\n")).diagnostics());
    }

    @Test
    void bytesThatAreNotUtf8AreAnErrorAtTheirPosition() {
        byte[] latin1 = "model Caf\u00e9 {}\n".getBytes(StandardCharsets.ISO_8859_1);
        CheckResult result = RnnFrontEnd.check("latin1.rnn", latin1);
        assertEquals(List.of("latin1.rnn:1:10: error: file is not valid UTF-8: byte 0xE9 at offset 9;"
                + " save the spec as UTF-8"), summaries(result));
        // Shown like any other error (issue 15), the bad byte as U+FFFD.
        assertEquals(summaries(result).get(0) + "\nmodel Caf\ufffd {}\n         ^", result.formattedDiagnostics());
        assertTrue(result.models().isEmpty());
    }

    @Test
    void utf8ErrorPositionCountsLinesOfAnyEndingAndCharactersNotBytes() {
        // Line 3 (after CRLF and a lone CR), after "é€" (2 characters, 5 bytes): column 3.
        byte[] head = "a\r\nb\r\u00e9\u20ac".getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[head.length + 2];
        System.arraycopy(head, 0, bytes, 0, head.length);
        bytes[head.length] = (byte) 0xC3; // a lead byte followed by one that cannot continue it
        bytes[head.length + 1] = '(';
        assertEquals(List.of("x.rnn:3:3: error: file is not valid UTF-8: byte 0xC3 at offset " + head.length
                + "; save the spec as UTF-8"), summaries(RnnFrontEnd.check("x.rnn", bytes)));
    }

    @Test
    void truncatedUtf8SequenceAtEndOfFileAndBomPlusBadByte() {
        byte[] truncated = {'m', 'o', 'd', 'e', 'l', ' ', (byte) 0xE2, (byte) 0x82};
        assertEquals(List.of("t.rnn:1:7: error: file is not valid UTF-8: byte 0xE2 at offset 6; save the spec as UTF-8"),
                summaries(RnnFrontEnd.check("t.rnn", truncated)));
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, 'a', (byte) 0xFF};
        assertEquals(List.of("b.rnn:1:2: error: file is not valid UTF-8: byte 0xFF at offset 4; save the spec as UTF-8"),
                summaries(RnnFrontEnd.check("b.rnn", bom)));
        byte[] surrogate = {'a', (byte) 0xED, (byte) 0xA0, (byte) 0x80}; // an encoded UTF-16 surrogate
        assertEquals(List.of("s.rnn:1:2: error: file is not valid UTF-8: byte 0xED at offset 1; save the spec as UTF-8"),
                summaries(RnnFrontEnd.check("s.rnn", surrogate)));
    }

    @Test
    void emptyFileOnlyWarns() {
        CheckResult result = RnnFrontEnd.check("empty.rnn", new byte[0]);
        // About the file as a whole (issue 15): no line or caret under nothing.
        assertEquals("empty.rnn: warning: file declares no model", result.formattedDiagnostics());
        assertFalse(result.hasErrors());
    }

    @Test
    void diagnosticsAreOrderedByPositionWithFileLevelOnesFirst() {
        Diagnostics diagnostics = new Diagnostics("o.rnn");
        diagnostics.error(new SourcePosition(3, 1), "c");
        diagnostics.warning(new SourcePosition(1, 5), "b");
        diagnostics.error(new SourcePosition(1, 2), "a");
        diagnostics.fileError("file");
        diagnostics.error(new SourcePosition(3, 1), "c2");
        assertEquals(List.of("o.rnn: error: file", "o.rnn:1:2: error: a", "o.rnn:1:5: warning: b", "o.rnn:3:1: error: c",
                "o.rnn:3:1: error: c2"), diagnostics.toList().stream().map(Diagnostic::summary).collect(Collectors.toList()));
    }

    @Test
    void theSameDiagnosticTwiceIsReportedOnce() {
        Diagnostics diagnostics = new Diagnostics("d.rnn");
        diagnostics.error(new SourcePosition(1, 1), "same");
        diagnostics.error(new SourcePosition(1, 1), "same");
        assertEquals(1, diagnostics.toList().size());
        assertEquals(1, diagnostics.errorCount());
    }

    @Test
    void errorsBeyondTheCapAreCountedButNotListed() {
        Diagnostics diagnostics = new Diagnostics("cap.rnn");
        for (int i = 1; i <= Diagnostics.MAX_ERRORS + 10; i++) {
            diagnostics.error(new SourcePosition(i, 1), "e" + i);
        }
        diagnostics.warning(new SourcePosition(Diagnostics.MAX_ERRORS + 5, 2), "after the cut: dropped");
        List<Diagnostic> list = diagnostics.toList();
        assertEquals(Diagnostics.MAX_ERRORS + 1, list.size());
        assertEquals("cap.rnn:50:1: error: e50", list.get(list.size() - 2).summary());
        assertEquals("cap.rnn: error: too many errors; stopped after 50", list.get(list.size() - 1).summary());
        assertEquals(Diagnostics.MAX_ERRORS + 10, diagnostics.errorCount(), "so that callers still see new errors");
    }

    @Test
    void theCapKeepsTheFirstErrorsInTheFileNotTheFirstFound() {
        Diagnostics diagnostics = new Diagnostics("order.rnn");
        for (int i = 100; i > 0; i--) { // found from the end of the file backwards, as the validator
            diagnostics.error(new SourcePosition(i, 1), "e" + i); // may find them after the parser's
        }
        List<Diagnostic> list = diagnostics.toList();
        assertEquals("order.rnn:1:1: error: e1", list.get(0).summary());
        assertEquals("order.rnn:50:1: error: e50", list.get(49).summary());
        assertEquals("order.rnn: error: too many errors; stopped after 50", list.get(50).summary());
    }

    @Test
    void exactlyFiftyErrorsAreAllShownWithoutANote() {
        Diagnostics diagnostics = new Diagnostics("fifty.rnn");
        for (int i = 1; i <= Diagnostics.MAX_ERRORS; i++) {
            diagnostics.error(new SourcePosition(i, 1), "e" + i);
        }
        assertEquals(Diagnostics.MAX_ERRORS, diagnostics.toList().size());
    }

    @Test
    void warningsHaveACapOfTheirOwn() {
        Diagnostics diagnostics = new Diagnostics("w.rnn");
        for (int i = 1; i <= Diagnostics.MAX_WARNINGS + 5; i++) {
            diagnostics.warning(new SourcePosition(i, 1), "w" + i);
        }
        List<Diagnostic> list = diagnostics.toList();
        assertEquals(Diagnostics.MAX_WARNINGS + 1, list.size());
        assertEquals("w.rnn: warning: too many warnings; stopped after 50", list.get(list.size() - 1).summary());
        assertFalse(diagnostics.hasErrors());
    }
}
