package dev.unroll.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.unroll.maven.BuildState.SpecRecord;
import dev.unroll.maven.Staleness.Plan;
import dev.unroll.maven.Staleness.Spec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class StalenessTest {
    private static final String GEN = "1.0";
    private static final String SRC = "/p/src/main/rnn";
    private static final String OUT = "/p/target/generated-sources/rnn";

    /** Output times on a pretend disk; absent means missing. */
    private final Map<String, Long> disk = new HashMap<>();

    private OptionalLong time(String output) {
        Long time = disk.get(output);
        return time == null ? OptionalLong.empty() : OptionalLong.of(time);
    }

    private static BuildState state(Map<String, SpecRecord> specs) {
        return new BuildState(GEN, SRC, OUT, specs);
    }

    private Plan plan(Optional<BuildState> previous, Spec... specs) {
        return Staleness.plan(previous, GEN, SRC, OUT, List.of(specs), this::time);
    }

    private static SortedMap<String, String> stale(String... pathsAndReasons) {
        SortedMap<String, String> stale = new TreeMap<>();
        for (int i = 0; i < pathsAndReasons.length; i += 2) {
            stale.put(pathsAndReasons[i], pathsAndReasons[i + 1]);
        }
        return stale;
    }

    @Test
    void everythingIsStaleWithoutAPreviousState() {
        Plan plan = plan(Optional.empty(), new Spec("a.rnn", 10), new Spec("b/c.rnn", 10));
        assertEquals(stale("a.rnn", "no previous build state", "b/c.rnn", "no previous build state"), plan.stale());
        assertEquals(Set.of(), plan.upToDate());
    }

    @Test
    void anUnchangedSpecWithItsOutputsIsUpToDate() {
        disk.put("x/A.java", 20L);
        Plan plan = plan(Optional.of(state(Map.of("a.rnn", new SpecRecord(10, List.of("x/A.java"))))),
                new Spec("a.rnn", 10));
        assertEquals(stale(), plan.stale());
        assertEquals(Set.of("a.rnn"), plan.upToDate());
    }

    @Test
    void aSpecWithoutModelsIsUpToDateWhileUnchanged() {
        Optional<BuildState> previous = Optional.of(state(Map.of("empty.rnn", new SpecRecord(10, List.of()))));
        assertEquals(Set.of("empty.rnn"), plan(previous, new Spec("empty.rnn", 10)).upToDate());
        assertEquals(stale("empty.rnn", "changed"), plan(previous, new Spec("empty.rnn", 11)).stale());
    }

    @Test
    void aChangedSpecIsStaleEvenWhenItsTimeWentBack() {
        disk.put("x/A.java", 20L);
        Optional<BuildState> previous = Optional.of(state(Map.of("a.rnn", new SpecRecord(10, List.of("x/A.java")))));
        assertEquals(stale("a.rnn", "changed"), plan(previous, new Spec("a.rnn", 15)).stale());
        assertEquals(stale("a.rnn", "changed"), plan(previous, new Spec("a.rnn", 5)).stale());
    }

    @Test
    void aNewSpecIsStaleAndTheOthersAreNot() {
        disk.put("x/A.java", 20L);
        Plan plan = plan(Optional.of(state(Map.of("a.rnn", new SpecRecord(10, List.of("x/A.java"))))),
                new Spec("a.rnn", 10), new Spec("b.rnn", 30));
        assertEquals(stale("b.rnn", "new"), plan.stale());
        assertEquals(Set.of("a.rnn"), plan.upToDate());
    }

    @Test
    void aMissingOrOlderOutputMakesItsSpecStale() {
        Optional<BuildState> previous = Optional.of(state(Map.of(
                "a.rnn", new SpecRecord(10, List.of("x/A.java", "x/B.java")))));
        disk.put("x/A.java", 20L);
        assertEquals(stale("a.rnn", "x/B.java is missing"), plan(previous, new Spec("a.rnn", 10)).stale());
        disk.put("x/B.java", 9L);
        assertEquals(stale("a.rnn", "x/B.java is older than the spec"),
                plan(previous, new Spec("a.rnn", 10)).stale());
        disk.put("x/B.java", 10L);
        assertEquals(Set.of("a.rnn"), plan(previous, new Spec("a.rnn", 10)).upToDate());
    }

    @Test
    void aNewGeneratorOrNewDirectoriesRegenerateEverything() {
        disk.put("x/A.java", 20L);
        Map<String, SpecRecord> specs = Map.of("a.rnn", new SpecRecord(10, List.of("x/A.java")));
        assertEquals(stale("a.rnn", "generator changed from 0.9 to 1.0"),
                plan(Optional.of(new BuildState("0.9", SRC, OUT, specs)), new Spec("a.rnn", 10)).stale());
        assertEquals(stale("a.rnn", "source directory changed from /elsewhere"),
                plan(Optional.of(new BuildState(GEN, "/elsewhere", OUT, specs)), new Spec("a.rnn", 10)).stale());
        assertEquals(stale("a.rnn", "output directory changed from /elsewhere"),
                plan(Optional.of(new BuildState(GEN, SRC, "/elsewhere", specs)), new Spec("a.rnn", 10)).stale());
    }

    @Test
    void nextStateKeepsUpToDateSpecsRecordsNewOnesAndDropsDeletedOnes() {
        disk.put("x/A.java", 20L);
        Optional<BuildState> previous = Optional.of(state(Map.of(
                "a.rnn", new SpecRecord(10, List.of("x/A.java")),
                "gone.rnn", new SpecRecord(10, List.of("x/Gone.java")))));
        List<Spec> specs = List.of(new Spec("a.rnn", 10), new Spec("b.rnn", 30));
        Plan plan = Staleness.plan(previous, GEN, SRC, OUT, specs, this::time);

        BuildState next = Staleness.next(previous, GEN, SRC, OUT, specs, plan, Map.of("b.rnn", List.of("y/B.java")),
                Map.of());

        assertEquals(state(Map.of(
                "a.rnn", new SpecRecord(10, List.of("x/A.java")),
                "b.rnn", new SpecRecord(30, List.of("y/B.java")))), next);
        assertEquals(Set.of("x/Gone.java"), Staleness.obsolete(previous, next));
    }

    @Test
    void nextStateNeedsTheOutputsOfEveryStaleSpec() {
        List<Spec> specs = List.of(new Spec("a.rnn", 10));
        Plan plan = plan(Optional.empty(), specs.get(0));
        assertThrows(IllegalArgumentException.class,
                () -> Staleness.next(Optional.empty(), GEN, SRC, OUT, specs, plan, Map.of(), Map.of()));
    }

    @Test
    void outputsNoLongerProducedByAChangedSpecAreObsolete() {
        Optional<BuildState> previous = Optional.of(state(Map.of(
                "a.rnn", new SpecRecord(10, List.of("x/A.java", "x/Removed.java")))));
        BuildState next = state(Map.of("a.rnn", new SpecRecord(11, List.of("x/A.java", "x/Added.java"))));
        assertEquals(Set.of("x/Removed.java"), Staleness.obsolete(previous, next));
    }

    @Test
    void aRenamedSpecKeepsTheOutputsItStillProduces() {
        Optional<BuildState> previous = Optional.of(state(Map.of("old.rnn", new SpecRecord(10, List.of("x/A.java")))));
        BuildState next = state(Map.of("new.rnn", new SpecRecord(10, List.of("x/A.java"))));
        assertEquals(Set.of(), Staleness.obsolete(previous, next));
    }

    @Test
    void nothingIsObsoleteInAnotherOutputDirectory() {
        Optional<BuildState> previous = Optional.of(new BuildState(GEN, SRC, "/old",
                Map.of("a.rnn", new SpecRecord(10, List.of("x/A.java")))));
        assertEquals(Set.of(), Staleness.obsolete(previous, state(Map.of())));
        assertEquals(Set.of(), Staleness.obsolete(Optional.empty(), state(Map.of())));
    }

    @Test
    void twoSpecsProducingOneFileConflict() {
        BuildState state = state(Map.of(
                "a.rnn", new SpecRecord(10, List.of("x/A.java")),
                "b.rnn", new SpecRecord(10, List.of("x/A.java", "x/B.java"))));
        assertEquals(List.of("x/A.java is generated by both a.rnn and b.rnn"), Staleness.conflicts(state));
    }
}
