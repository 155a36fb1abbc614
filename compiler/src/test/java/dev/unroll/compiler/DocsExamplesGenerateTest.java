package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.compiler.plan.Planner;
import dev.unroll.compiler.plan.Refusal;
import dev.unroll.dsl.CheckResult;
import dev.unroll.dsl.RnnFrontEnd;
import dev.unroll.dsl.SourceFile;
import dev.unroll.dsl.model.NetworkModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every model of the {@code ```rnn} examples in {@code docs/language.md} generates, compiles and
 * constructs (its initialization runs), unless the planner refuses it for a feature still in
 * {@link #NOT_GENERATED_YET}; remove a feature from that list when it is generated, and its
 * examples are held to this too. (The dsl module's {@code DocsTest} checks that every example
 * passes {@code unroll check}.)
 */
class DocsExamplesGenerateTest {
    private static final Path DOC = Path.of(System.getProperty("unroll.docsDir", "../docs"), "language.md");

    /** The words of the refusals that may still stop an example (the planner's messages name them). */
    static final List<String> NOT_GENERATED_YET = List.of("bidirectional", "dropout",
            "variable_length", "truncated_bptt");

    @TempDir
    Path work;

    @Test
    void everyExampleGeneratesUnlessRefusedForAFeatureNotGeneratedYet() throws Exception {
        String doc = Files.readString(DOC, StandardCharsets.UTF_8);
        Matcher block = Pattern.compile("(?m)^```rnn\\n(.*?)^```", Pattern.DOTALL).matcher(doc);
        List<List<NetworkModel>> rounds = new ArrayList<>(); // a model goes to the first round without its name
        List<Set<String>> names = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        int blocks = 0;
        while (block.find()) {
            int line = (int) doc.substring(0, block.start()).chars().filter(c -> c == '\n').count() + 1;
            blocks++;
            CheckResult result = RnnFrontEnd.check(new SourceFile("language.md:" + line, block.group(1)));
            assertFalse(result.hasErrors(), result::formattedDiagnostics);
            for (NetworkModel model : result.models()) {
                Planner.Result planned = Planner.plan(model);
                for (Refusal refusal : planned.refusals()) {
                    if (NOT_GENERATED_YET.stream().noneMatch(refusal.message()::contains)) {
                        problems.add("language.md:" + line + " " + model.name() + ": " + refusal.message());
                    }
                }
                if (planned.plan().isPresent()) {
                    int round = 0;
                    while (round < rounds.size() && names.get(round).contains(model.qualifiedName())) {
                        round++;
                    }
                    if (round == rounds.size()) {
                        rounds.add(new ArrayList<>());
                        names.add(new HashSet<>());
                    }
                    rounds.get(round).add(model);
                    names.get(round).add(model.qualifiedName());
                }
            }
        }
        assertTrue(blocks > 10, "found only " + blocks + " ```rnn blocks in " + DOC);
        assertTrue(problems.isEmpty(), String.join("\n", problems));
        int generated = 0;
        for (int round = 0; round < rounds.size(); round++) {
            Map<String, Class<?>> classes = GeneratedCode.compile(rounds.get(round), work.resolve("round" + round));
            for (Class<?> type : classes.values()) {
                new ModelHandle(type); // runs the constructor: the initialization of every tensor
                generated++;
            }
        }
        System.out.println("DocsExamplesGenerateTest: " + generated + " models of " + blocks
                + " examples generated, compiled and constructed");
    }
}
