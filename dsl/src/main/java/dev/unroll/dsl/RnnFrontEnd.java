package dev.unroll.dsl;

import dev.unroll.dsl.ast.SpecFile;
import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.dsl.parse.SpecParser;
import dev.unroll.dsl.validate.Keywords;
import dev.unroll.dsl.validate.Validator;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The front end of Unroll: reads a {@code .rnn} file, parses it, validates it, and returns the
 * resolved models with every diagnostic. This is the one entry point the command line, the
 * Maven plugin and the tests use.
 *
 * <pre>{@code
 * CheckResult result = RnnFrontEnd.check(Path.of("src/main/rnn/char.rnn"));
 * if (result.hasErrors()) {
 *     System.err.println(result.formattedDiagnostics());
 * } else {
 *     for (NetworkModel model : result.models()) { ... }
 * }
 * }</pre>
 *
 * <p>It never throws for any input, and never prints: every problem, including an unreadable
 * file, comes back as a {@link Diagnostic}.
 */
public final class RnnFrontEnd {
    /** Larger files are refused rather than parsed; no sensible spec comes near this. */
    public static final int MAX_FILE_BYTES = 16 << 20;

    private RnnFrontEnd() {}

    /** Reads and checks a file; the path is reported as given. */
    public static CheckResult check(Path file) {
        String path = file.toString();
        Diagnostics diagnostics = new Diagnostics(path);
        byte[] bytes;
        try {
            if (Files.isDirectory(file)) {
                diagnostics.fileError("is a directory, not a .rnn file");
                return new CheckResult(path, Optional.empty(), List.of(), diagnostics.toList());
            }
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                diagnostics.fileError("file is too large: " + size + " bytes (the limit is " + MAX_FILE_BYTES + ")");
                return new CheckResult(path, Optional.empty(), List.of(), diagnostics.toList());
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            diagnostics.fileError("no such file");
            return new CheckResult(path, Optional.empty(), List.of(), diagnostics.toList());
        } catch (IOException | SecurityException e) {
            diagnostics.fileError("cannot read file: " + e.getMessage());
            return new CheckResult(path, Optional.empty(), List.of(), diagnostics.toList());
        }
        return check(path, bytes);
    }

    /** Checks the bytes of a file, which must be UTF-8. */
    public static CheckResult check(String path, byte[] bytes) {
        Diagnostics diagnostics = new Diagnostics(path);
        Optional<String> text = decodeUtf8(bytes, path, diagnostics);
        if (text.isEmpty()) {
            // Shown with its line and caret like any other error: the file as read with the bad
            // bytes replaced (U+FFFD), line ends normalized as the position was computed.
            String lossy = normalize(new String(bytes, StandardCharsets.UTF_8));
            return new CheckResult(path, Optional.of(new SourceFile(path, lossy)), List.of(), diagnostics.toList());
        }
        return check(new SourceFile(path, text.get()));
    }

    /** Checks text already in memory. Line ends are normalized to {@code \n} first. */
    public static CheckResult check(SourceFile source) {
        String text = normalize(source.text());
        SourceFile normalized = text.equals(source.text()) ? source : new SourceFile(source.path(), text);
        Diagnostics diagnostics = new Diagnostics(source.path());
        List<NetworkModel> models;
        Optional<Throwable> internalError = Optional.empty();
        try {
            SpecFile tree = SpecParser.parse(normalized, diagnostics, Keywords::isStatementKeyword);
            models = Validator.validate(tree, fileName(source.path()), diagnostics);
        } catch (StackOverflowError | RuntimeException e) {
            // No input should get here; if one does, the user still gets a diagnostic, not a trace.
            diagnostics.fileError("internal error while checking this file (" + e + "); please report it");
            models = List.of();
            internalError = Optional.of(e);
        }
        return new CheckResult(source.path(), Optional.of(normalized),
                diagnostics.hasErrors() ? List.of() : models, diagnostics.toList(), internalError);
    }

    private static String normalize(String text) {
        String t = text.startsWith("\uFEFF") ? text.substring(1) : text;
        return t.indexOf('\r') < 0 ? t : t.replace("\r\n", "\n").replace('\r', '\n');
    }

    private static String fileName(String path) {
        int slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
        return path.substring(slash + 1);
    }

    /** Decodes strictly, reporting the line and column of the first byte that is not UTF-8. */
    private static Optional<String> decodeUtf8(byte[] bytes, String path, Diagnostics diagnostics) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length + 1);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            decoder.flush(out);
            out.flip();
            return Optional.of(out.toString());
        }
        out.flip();
        String before = normalize(out.toString());
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < before.length(); i++) {
            if (before.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        int column = before.codePointCount(lineStart, before.length()) + 1;
        diagnostics.error(new SourcePosition(line, column), String.format(
                "file is not valid UTF-8: byte 0x%02X at offset %d; save the spec as UTF-8",
                bytes[in.position()] & 0xff, in.position()));
        return Optional.empty();
    }
}
