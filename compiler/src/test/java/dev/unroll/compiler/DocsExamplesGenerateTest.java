package dev.unroll.compiler;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.compiler.plan.Planner;
import dev.unroll.compiler.plan.Refusal;
import dev.unroll.dsl.CheckResult;
import dev.unroll.dsl.RnnFrontEnd;
import dev.unroll.dsl.SourceFile;
import dev.unroll.dsl.model.NetworkModel;
import dev.unroll.runtime.ModelShape;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every model of the {@code ```rnn} examples in {@code docs/language.md} generates, compiles,
 * constructs (its initialization runs) and trains, unless the planner refuses it for a feature
 * still in {@link #NOT_GENERATED_YET}; remove a feature from that list when it is generated, and
 * its examples are held to this too. (The dsl module's {@code DocsTest} checks that every example
 * passes {@code unroll check}.)
 *
 * <p>"Trains" means: on one fixed random batch (inputs and targets drawn from what the model's
 * {@link ModelShape} says it takes), {@value #UPDATES} calls of the generated {@code trainStep}
 * with the spec's own optimizer, learning rate and clipping leave every loss and gradient norm
 * finite and the batch's loss, measured by {@code loss} before and after, lower. A model whose
 * backward pass, optimizer or parameter update were wrong (a sign, a missing gradient, an update
 * that never reaches the weights) fails it.
 */
class DocsExamplesGenerateTest {
    private static final Path DOC = Path.of(System.getProperty("unroll.docsDir", "../docs"), "language.md");

    /** The words of the refusals that may still stop an example (the planner's messages name them). */
    static final List<String> NOT_GENERATED_YET = List.of();

    /** Updates each example makes on its batch. */
    static final int UPDATES = 20;

    @TempDir
    Path work;

    @Test
    void everyExampleGeneratesCompilesAndTrainsUnlessRefusedForAFeatureNotGeneratedYet() throws Exception {
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
        List<String> untrained = new ArrayList<>();
        for (int round = 0; round < rounds.size(); round++) {
            Map<String, Class<?>> classes = GeneratedCode.compile(rounds.get(round), work.resolve("round" + round));
            for (Class<?> type : classes.values()) {
                ModelHandle model = new ModelHandle(type); // runs the constructor: the initialization of every tensor
                long start = System.nanoTime();
                String trained = train(model);
                System.out.printf("DocsExamplesGenerateTest: %s: %s, %d ms%n", type.getName(), trained,
                        (System.nanoTime() - start) / 1_000_000);
                if (trained.startsWith("FAILED")) {
                    untrained.add(type.getName() + ": " + trained);
                }
                generated++;
            }
        }
        System.out.println("DocsExamplesGenerateTest: " + generated + " models of " + blocks
                + " examples generated, compiled, constructed and trained");
        assertTrue(untrained.isEmpty(), String.join("\n", untrained));
    }

    /** Trains the model on one fixed random batch; returns what happened, starting with FAILED if it did not learn. */
    private static String train(ModelHandle model) {
        ModelShape shape = (ModelShape) model.call("shape");
        SplittableRandom random = new SplittableRandom(shape.name().hashCode());
        int batch = shape.fixedBatchSize() > 0 ? shape.fixedBatchSize() : 3;
        Object xs = shape.symbolInput()
                ? (shape.sequenceInput() ? new int[batch][shape.steps()] : new int[batch])
                : Array.newInstance(shape.float32() ? float.class : double.class,
                        shape.sequenceInput() ? new int[] {batch, shape.steps(), shape.inputSize()}
                                : new int[] {batch, shape.inputSize()});
        fill(xs, shape.inputSize(), () -> random.nextDouble(-1, 1), random);
        Object targets = shape.symbolTargets()
                ? (shape.sequenceOutput() ? new int[batch][shape.outputSteps()] : new int[batch])
                : Array.newInstance(shape.float32() ? float.class : double.class,
                        shape.sequenceOutput() ? new int[] {batch, shape.outputSteps(), shape.outputSize()}
                                : new int[] {batch, shape.outputSize()});
        // targets in the range of the head's activation
        java.util.function.DoubleSupplier target = switch (shape.outputActivation()) {
            case "sigmoid", "softmax" -> random::nextDouble;
            case "tanh" -> () -> random.nextDouble(-0.9, 0.9);
            default -> () -> random.nextDouble(-1, 1);
        };
        fill(targets, shape.outputSize(), target, random);
        double before = ((Number) model.call("loss", model.workspace, xs, targets)).doubleValue();
        Method trainStep = model.method("trainStep", xs, targets);
        for (int i = 0; i < UPDATES; i++) {
            double loss = ((Number) model.call(trainStep, xs, targets)).doubleValue();
            double norm = ((Number) model.call("lastGradientNorm")).doubleValue();
            if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
                return "FAILED: update " + i + " gave loss " + loss + ", gradient norm " + norm;
            }
        }
        double after = ((Number) model.call("loss", model.workspace, xs, targets)).doubleValue();
        String result = String.format(java.util.Locale.ROOT, "loss %.6g -> %.6g after %d updates (batch %d)", before,
                after, UPDATES, batch);
        return after < before && Double.isFinite(after) ? result : "FAILED: " + result;
    }

    /** Fills an int or float/double array of any rank: symbols uniform in [0, symbols), values from {@code values}. */
    private static void fill(Object array, int symbols, java.util.function.DoubleSupplier values,
            SplittableRandom random) {
        if (array instanceof int[] ints) {
            for (int i = 0; i < ints.length; i++) {
                ints[i] = random.nextInt(symbols);
            }
        } else if (array instanceof double[] doubles) {
            for (int i = 0; i < doubles.length; i++) {
                doubles[i] = values.getAsDouble();
            }
        } else if (array instanceof float[] floats) {
            for (int i = 0; i < floats.length; i++) {
                floats[i] = (float) values.getAsDouble();
            }
        } else {
            for (int i = 0; i < Array.getLength(array); i++) {
                fill(Array.get(array, i), symbols, values, random);
            }
        }
    }
}
