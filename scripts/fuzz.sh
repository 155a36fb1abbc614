#!/usr/bin/env bash
# The long fuzzing run (docs/robustness.md): each fuzz target in fuzzing mode for DURATION
# (default 10m), one JVM per target as Jazzer requires, then every input the fuzzer kept is copied
# into the committed regression corpus, which `mvn verify` replays. Commit what it adds.
#
#   scripts/fuzz.sh                  # all targets, 10 minutes each
#   scripts/fuzz.sh 30s front-end    # one target: front-end, checkpoint or generator
#
# A finding fails the run; its input is written as crash-<sha1> into the target's corpus folder
# under src/test/resources, so that it becomes a regression test as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10m}"
shift || true
targets=("${@:-front-end checkpoint generator}")
read -r -a targets <<< "${targets[*]}"

corpus() { # module, class, method, resource package path
    local module=$1 class=$2 method=$3 pkg=$4
    local from="$module/.cifuzz-corpus/$class/$method"
    local to="$module/src/test/resources/$pkg/${class##*.}Inputs/$method"
    if [[ -d "$from" ]]; then
        mkdir -p "$to"
        local before; before=$(ls "$to" | wc -l)
        cp -n "$from"/* "$to"/ 2>/dev/null || true
        echo "$to: $before -> $(ls "$to" | wc -l) inputs"
    fi
}

status=0
for target in "${targets[@]}"; do
    case "$target" in
        front-end) module=compiler; execution=fuzz-front-end; class=dev.unroll.compiler.SpecFuzzTest; method=check; pkg=dev/unroll/compiler ;;
        generator) module=compiler; execution=fuzz-generator; class=dev.unroll.compiler.SpecFuzzTest; method=generate; pkg=dev/unroll/compiler ;;
        checkpoint) module=runtime; execution=fuzz-checkpoint; class=dev.unroll.runtime.checkpoint.SafeTensorsFuzzTest; method=checkpointFile; pkg=dev/unroll/runtime/checkpoint ;;
        *) echo "unknown target '$target' (front-end, checkpoint, generator)" >&2; exit 2 ;;
    esac
    echo "== $target: $duration"
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
    corpus "$module" "$class" "$method" "$pkg"
done
exit $status
