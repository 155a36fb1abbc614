package dev.unroll.dsl.validate;

import dev.unroll.dsl.ast.Argument;
import dev.unroll.dsl.model.EmbeddingSpec;
import dev.unroll.dsl.model.InputEncoding;
import dev.unroll.dsl.model.InputSpec;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Reads {@code input SIZE [dense | one_hot | embedding DIM [frozen]];}. */
final class InputReader {
    static final String FROZEN = "frozen";
    private static final String EMBEDDING_EXAMPLE = "input 10000 embedding 64;";

    private InputReader() {}

    static void read(Reading r) {
        StatementArgs args = r.args("input");
        // written where the size belongs ("input embedding 64;"), these words are read as what they are after the
        // error, not taken for the missing size, which would leave the 64 unexplained
        args.knowOptions(List.of(InputEncoding.EMBEDDING.keyword(), FROZEN));
        Optional<Integer> size = args.requiredInt("size", "input size", 1, Limits.MAX_IO_SIZE, "input 65 one_hot;");
        Optional<InputEncoding> encoding = args.optionalChoice("input encoding",
                OptionTable.words(InputEncoding.values()), Set.of(FROZEN))
                .map(e -> OptionTable.valueOf(InputEncoding.class, e));
        Optional<Integer> dimension = Optional.empty();
        if (encoding.orElse(InputEncoding.DENSE) == InputEncoding.EMBEDDING) {
            dimension = args.requiredInt("embedding size", "embedding size", 1, Limits.MAX_EMBEDDING_SIZE,
                    EMBEDDING_EXAMPLE);
        }
        Optional<Argument.Word> frozen = args.takeWord(FROZEN);
        String vocabulary = size.map(String::valueOf).orElse("10000");
        if (frozen.isPresent() && encoding.orElse(InputEncoding.DENSE) != InputEncoding.EMBEDDING) {
            boolean embeddingLater = encoding.isEmpty() && args.statement().arguments().stream()
                    .anyMatch(a -> a instanceof Argument.Word w && w.text().equals("embedding"));
            r.diagnostics().error(frozen.get().position(), embeddingLater
                    ? "'frozen' goes after the embedding size, e.g. 'input " + vocabulary + " embedding 64 frozen;'"
                    : "'frozen' applies to an embedding input only, e.g. 'input " + vocabulary + " embedding 64 frozen;'");
            if (embeddingLater) {
                args.skipRest();
            }
        }
        args.noMoreArguments();
        if (size.isEmpty() || !r.clean()) {
            return;
        }
        InputEncoding e = encoding.orElse(InputEncoding.DENSE);
        Optional<EmbeddingSpec> embedding = dimension.map(d -> new EmbeddingSpec(d, frozen.isPresent()));
        if (e == InputEncoding.EMBEDDING && embedding.isEmpty()) {
            return;
        }
        r.draft().input = r.located(new InputSpec(size.get(), e, embedding), Map.of());
    }
}
