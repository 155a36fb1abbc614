#!/usr/bin/env bash
# Runs the benchmark suite end to end: builds benchmarks.jar, runs JMH (JSON into
# benchmarks/results/<mode>-<time>/), runs the PyTorch baseline with the same sizes, and prints the
# table of ratios (Unroll vs the EJML baseline, Unroll vs PyTorch). See benchmarks/README.md.
#
#   benchmarks/run.sh quick            # a subset, few iterations, 1 fork: about 5 minutes
#   benchmarks/run.sh full             # every configuration, 2 forks: about 2.5 hours
#   benchmarks/run.sh full step char   # only some groups: step, sequence, train, char
#
# Environment: SKIP_BUILD=1 reuses benchmarks/target/benchmarks.jar; SKIP_PYTORCH=1 runs JMH only;
# JAVA (default: java on PATH), TORCH_PYTHON (default /usr/bin/python3, Debian's python3-torch),
# JMH_ARGS (appended to every JMH command line, e.g. "-jvm /usr/lib/jvm/temurin-25-jdk-amd64/bin/java").
set -euo pipefail

mode=${1:-quick}
shift || true
case "$mode" in
    quick|full) ;;
    *) echo "usage: $0 [quick|full] [step] [sequence] [train] [char]" >&2; exit 2 ;;
esac
groups=("$@")
if [ ${#groups[@]} -eq 0 ]; then
    groups=(step sequence train char)
fi

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
java=${JAVA:-java}
torch_python=${TORCH_PYTHON:-/usr/bin/python3}
jar=benchmarks/target/benchmarks.jar
run="benchmarks/results/$mode-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$run"
started=$(date +%s)

log() { echo "== $(date +%H:%M:%S) $*"; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "building $jar (mvn package -pl benchmarks -am, tests skipped)"
    mvn -B -q package -DskipTests -Dinvoker.skip=true -pl benchmarks -am
fi

pytorch=1
if [ "${SKIP_PYTORCH:-0}" = 1 ]; then
    pytorch=0
elif ! "$torch_python" -c 'import torch' 2>/dev/null; then
    log "no torch for $torch_python: skipping PyTorch (apt-get install -y python3-torch)"
    pytorch=0
fi

# Per mode and group: the JMH options and the PyTorch options that select the same configurations.
if [ "$mode" = quick ]; then
    jmh_timing=(-f 1 -wi 2 -w 500ms -i 3 -r 500ms)
    torch_timing=(--warmup 0.3 --time 1)
    step_params=(-p hidden=32,128,512 -p precision=float)
    step_torch=(--hidden 32,128,512 --precision float)
    sequence_params=(-p hidden=32,128,512 -p precision=float -p steps=100)
    sequence_torch=(--hidden 32,128,512 --precision float --steps 100)
    train_params=(-p hidden=128 -p precision=float -p steps=25)
    train_torch=(--hidden 128 --precision float --steps 25)
else
    jmh_timing=()   # the annotations' defaults: 2 forks, 4 x 1 s warm-up, 5 x 1 s measurement
    torch_timing=(--warmup 1 --time 3)
    step_params=(); step_torch=()
    sequence_params=(); sequence_torch=()
    train_params=(); train_torch=()
fi
# shellcheck disable=SC2206
extra=(${JMH_ARGS:-})

for group in "${groups[@]}"; do
    case "$group" in
        step) bench=StepBenchmark; params=("${step_params[@]}"); torch_args=("${step_torch[@]}") ;;
        sequence) bench=SequenceBenchmark; params=("${sequence_params[@]}"); torch_args=("${sequence_torch[@]}") ;;
        train) bench=TrainBenchmark; params=("${train_params[@]}"); torch_args=("${train_torch[@]}") ;;
        char) bench=CharLstmBenchmark; params=(); torch_args=() ;;
        *) echo "unknown group '$group': step, sequence, train or char" >&2; exit 2 ;;
    esac
    log "JMH $bench ($mode)"
    "$java" -jar "$jar" "dev.unroll.bench.$bench" "${jmh_timing[@]}" "${params[@]}" "${extra[@]}" \
        -rf json -rff "$run/jmh-$group.json" | tee "$run/jmh-$group.log" | grep -E '^(# Run progress|Benchmark|[A-Z][A-Za-z]+Benchmark\.)' || true
    if [ ! -s "$run/jmh-$group.json" ]; then
        echo "JMH wrote no results for $group; see $run/jmh-$group.log" >&2
        exit 1
    fi
    if [ "$pytorch" = 1 ]; then
        log "PyTorch $group ($mode)"
        "$torch_python" benchmarks/src/main/python/bench_pytorch.py --group "$group" "${torch_timing[@]}" \
            "${torch_args[@]}" --out "$run/pytorch-$group.json" | tee "$run/pytorch-$group.log"
    fi
done

log "report ($(( ($(date +%s) - started) / 60 )) min $(( ($(date +%s) - started) % 60 )) s so far)"
{
    echo "# $mode run, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "# $("$java" -version 2>&1 | head -1); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$run/environment.txt"
cat "$run/environment.txt"
python3 benchmarks/src/main/python/report.py "$run"
log "done in $(( ($(date +%s) - started) / 60 )) min $(( ($(date +%s) - started) % 60 )) s; results in $run"
