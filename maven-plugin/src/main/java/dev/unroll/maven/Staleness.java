package dev.unroll.maven;

import dev.unroll.maven.BuildState.SpecRecord;
import dev.unroll.maven.BuildState.Warning;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Decides which specs to generate again, and which old outputs to delete, from the last build's
 * {@link BuildState} and what is on disk now. Pure logic: the file system is read through
 * {@link Spec} and {@link OutputTimes} only.
 *
 * <p>A spec is up to date when the generator, both directories and the spec's modification time
 * are those recorded, and every output it produced still exists and is not older than the spec.
 * Anything else regenerates it. Outputs recorded last time that no spec produces any more (the spec
 * was deleted, renamed or excluded, or no longer declares that model) are obsolete.
 */
final class Staleness {
    private Staleness() {}

    /**
     * A spec found in the source directory.
     *
     * @param path relative to the source directory, with {@code /}
     * @param lastModified its modification time in milliseconds
     */
    record Spec(String path, long lastModified) {}

    /** Reads the modification time of an output, given relative to the output directory. */
    interface OutputTimes {
        /** Returns the file's modification time in milliseconds, or empty when it does not exist. */
        OptionalLong lastModified(String output);
    }

    /**
     * What to do.
     *
     * @param stale the specs to generate, by path, each with the reason, in path order
     * @param upToDate the specs left alone, in path order
     */
    record Plan(SortedMap<String, String> stale, SortedSet<String> upToDate) {
        Plan {
            stale = Collections.unmodifiableSortedMap(new TreeMap<>(stale));
            upToDate = Collections.unmodifiableSortedSet(new TreeSet<>(upToDate));
        }
    }

    /** Sorts the specs into stale ones, with why, and up-to-date ones. */
    static Plan plan(Optional<BuildState> previous, String generator, String sourceDirectory,
            String outputDirectory, List<Spec> specs, OutputTimes outputs) {
        Optional<String> everything = reasonToRegenerateAll(previous, generator, sourceDirectory, outputDirectory);
        SortedMap<String, String> stale = new TreeMap<>();
        SortedSet<String> upToDate = new TreeSet<>();
        for (Spec spec : specs) {
            Optional<String> reason = everything.isPresent()
                    ? everything
                    : reasonToRegenerate(spec, previous.orElseThrow().specs().get(spec.path()), outputs);
            if (reason.isPresent()) {
                stale.put(spec.path(), reason.get());
            } else {
                upToDate.add(spec.path());
            }
        }
        return new Plan(stale, upToDate);
    }

    private static Optional<String> reasonToRegenerateAll(Optional<BuildState> previous, String generator,
            String sourceDirectory, String outputDirectory) {
        if (previous.isEmpty()) {
            return Optional.of("no previous build state");
        }
        BuildState state = previous.get();
        if (!state.generator().equals(generator)) {
            return Optional.of("generator changed from " + state.generator() + " to " + generator);
        }
        if (!state.sourceDirectory().equals(sourceDirectory)) {
            return Optional.of("source directory changed from " + state.sourceDirectory());
        }
        if (!state.outputDirectory().equals(outputDirectory)) {
            return Optional.of("output directory changed from " + state.outputDirectory());
        }
        return Optional.empty();
    }

    private static Optional<String> reasonToRegenerate(Spec spec, SpecRecord record, OutputTimes outputs) {
        if (record == null) {
            return Optional.of("new");
        }
        if (record.lastModified() != spec.lastModified()) {
            return Optional.of("changed");
        }
        for (String output : record.outputs()) {
            OptionalLong time = outputs.lastModified(output);
            if (time.isEmpty()) {
                return Optional.of(output + " is missing");
            }
            if (time.getAsLong() < spec.lastModified()) {
                return Optional.of(output + " is older than the spec");
            }
        }
        return Optional.empty();
    }

    /**
     * Returns the state after a generation: up-to-date specs keep their record, generated ones get
     * the files they produced now and their warnings, and specs no longer found are dropped.
     *
     * @param generated the outputs of each generated spec; must cover every stale spec of the plan
     * @param warnings the warnings of each generated spec; a spec missing here had none
     */
    static BuildState next(Optional<BuildState> previous, String generator, String sourceDirectory,
            String outputDirectory, List<Spec> specs, Plan plan, Map<String, List<String>> generated,
            Map<String, List<Warning>> warnings) {
        Map<String, SpecRecord> records = new LinkedHashMap<>();
        for (Spec spec : specs) {
            if (plan.upToDate().contains(spec.path())) {
                records.put(spec.path(), previous.orElseThrow().specs().get(spec.path()));
            } else {
                List<String> outputs = generated.get(spec.path());
                if (outputs == null) {
                    throw new IllegalArgumentException("stale spec " + spec.path() + " was not generated");
                }
                records.put(spec.path(), new SpecRecord(spec.lastModified(), outputs,
                        warnings.getOrDefault(spec.path(), List.of())));
            }
        }
        return new BuildState(generator, sourceDirectory, outputDirectory, records);
    }

    /**
     * Returns the outputs of the previous state that the next one no longer has, to delete. Empty when
     * the output directory changed: the recorded paths are relative to the old one, which is left alone.
     */
    static SortedSet<String> obsolete(Optional<BuildState> previous, BuildState next) {
        if (previous.isEmpty() || !previous.get().outputDirectory().equals(next.outputDirectory())) {
            return Collections.emptySortedSet();
        }
        TreeSet<String> obsolete = previous.get().allOutputs();
        obsolete.removeAll(next.allOutputs());
        return obsolete;
    }

    /** Returns one message for each output that two specs produce (two models with one class name). */
    static List<String> conflicts(BuildState state) {
        Map<String, String> owner = new TreeMap<>();
        List<String> conflicts = new ArrayList<>();
        state.specs().forEach((spec, record) -> {
            for (String output : record.outputs()) {
                String first = owner.putIfAbsent(output, spec);
                if (first != null) {
                    conflicts.add(output + " is generated by both " + first + " and " + spec);
                }
            }
        });
        return conflicts;
    }
}
