#!/usr/bin/env bash
# The long fuzzing run (docs/robustness.md): each fuzz target in fuzzing mode for DURATION
# (default 10m), one JVM per target as Jazzer requires, resuming from and adding to the committed
# long-run corpus (src/test/fuzz-corpus/). Commit what it adds.
#
#   scripts/fuzz.sh                  # all targets, 10 minutes each
#   scripts/fuzz.sh 30s front-end    # one target: front-end, checkpoint or generator
#
# A finding fails the run; Jazzer writes its input as crash-<sha1> (or timeout-<sha1>) into the
# target's seed folder under src/test/resources, which every `mvn verify` replays: commit it with
# the fix, and it stays a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10m}"
shift || true
targets=("${@:-front-end checkpoint generator}")
read -r -a targets <<< "${targets[*]}"

# The long-run corpus: src/test/fuzz-corpus/<method>/ (committed; not replayed by `mvn verify`,
# whose short run would spend its seconds loading it). It is copied into Jazzer's working corpus
# (.cifuzz-corpus/, ignored by git) before a run, so that fuzzing resumes where it stopped, and
# every input the run kept is copied back after it.
resume() { # module, class, method
    local from="$1/src/test/fuzz-corpus/$3" to="$1/.cifuzz-corpus/$2/$3"
    mkdir -p "$to"
    if [[ -d "$from" ]]; then cp -n "$from"/* "$to"/ 2>/dev/null || true; fi
}
keep() { # module, class, method
    local from="$1/.cifuzz-corpus/$2/$3" to="$1/src/test/fuzz-corpus/$3"
    mkdir -p "$to"
    local before; before=$(ls "$to" | wc -l)
    cp -n "$from"/* "$to"/ 2>/dev/null || true
    echo "$to: $before -> $(ls "$to" | wc -l) inputs"
}

status=0
for target in "${targets[@]}"; do
    case "$target" in
        front-end) module=compiler; execution=fuzz-front-end; class=dev.unroll.compiler.SpecFuzzTest; method=check ;;
        generator) module=compiler; execution=fuzz-generator; class=dev.unroll.compiler.SpecFuzzTest; method=generate ;;
        checkpoint) module=runtime; execution=fuzz-checkpoint; class=dev.unroll.runtime.checkpoint.SafeTensorsFuzzTest; method=checkpointFile ;;
        *) echo "unknown target '$target' (front-end, checkpoint, generator)" >&2; exit 2 ;;
    esac
    echo "== $target: $duration"
    resume "$module" "$class" "$method"
    # -Dtest keeps the other modules' own tests from running in the goal invocation
    log="$module/target/fuzz-$target.log"
    mkdir -p "$module/target"
    if ! mvn -B -pl "$module" -am test-compile "surefire:test@$execution" \
            -Dunroll.fuzz.duration="$duration" -Dunroll.fuzz.generator.skip=false \
            -Dtest="${class##*.}" -Dsurefire.failIfNoSpecifiedTests=false > "$log" 2>&1; then
        status=1
        grep -E 'ERROR|Finding|crash' "$log" | head -20 || true
    fi
    # libFuzzer's last status line: executions, coverage, corpus, exec/s
    grep -E '^#[0-9]+\s+DONE' "$log" | tail -1 || true
    keep "$module" "$class" "$method"
done
exit $status
