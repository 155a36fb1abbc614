#!/usr/bin/env bash
# Time to first result in fresh JVMs (issue 13): for the batch-1 step models (LSTM and GRU, input 64, H = 32,
# 128, 512, float, a head of 64 outputs) the process's wall and CPU time from JVM start to the model constructed,
# the first Stepper.step, the first 100 and the first 10,000 steps; the same for ONNX Runtime from Java
# (environment and session from the .onnx file, the first run, 100, 10,000); and the char-LSTM's first training
# updates. Every measurement is a new JVM that stops at its milestone (REPS of each, interleaved), so that the
# process's own CPU time (JIT and GC threads included) up to that point can be read. Writes a table
# (benchmarks/src/main/python/startup.py) into benchmarks/results/startup-<time>/startup.md.
#
#   benchmarks/startup.sh                 # everything, 10 repetitions (520 JVMs): 9 to 30 minutes on the 2-core machine, by the load
#   REPS=3 ROWS=unroll benchmarks/startup.sh
#   JAR=before=/tmp/before.jar,after=benchmarks/target/benchmarks.jar ROWS=unroll,train benchmarks/startup.sh
#
# Environment: SKIP_BUILD=1 (reuse benchmarks/target/benchmarks.jar), JAR (another benchmarks.jar, or
# LABEL=JAR,LABEL=JAR: jars of several commits, measured side by side, interleaved, for a before/after), JAVA (default java), JVM_ARGS (extra JVM options), REPS (default 10),
# ROWS (default unroll,ort,train), ORT_THREADS (default 1; 1,2 for both), RUN (the output folder).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
java=${JAVA:-java}
jar=${JAR:-benchmarks/target/benchmarks.jar}
run=${RUN:-benchmarks/results/startup-$(date +%Y%m%d-%H%M%S)}
rows=${ROWS:-unroll,ort,train}
started=$(date +%s)

log() { echo "== $(date +%H:%M:%S) $*"; }

if [ "${SKIP_BUILD:-0}" != 1 ] && [ -z "${JAR:-}" ]; then
    log "building $jar"
    mvn -B -q package -DskipTests -Dinvoker.skip=true -Dunroll.fuzz.skip=true -pl benchmarks -am
fi
mkdir -p "$run"
{
    echo "# startup run, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(
        git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)'); jar $jar"
    echo "# JDK: $("$java" -version 2>&1 | head -1) ($(command -v "$java")); JVM_ARGS: ${JVM_ARGS:-none}"
    echo "# CPU: $(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p') (family $(sed -n 's/^cpu family[[:space:]]*: //p' /proc/cpuinfo | head -1), model $(sed -n 's/^model[[:space:]]*: //p' /proc/cpuinfo | head -1)); $(nproc) cores; SIMD: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|avx512f|avx512vl)$' | tr '\n' ' ')"
    echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$run/environment.txt"
cat "$run/environment.txt"

onnx_dir=$run/onnx
case ",$rows," in
    *,ort,*)
        log "exporting the one-step graphs into $onnx_dir"
        "$java" -cp "${jar##*=}" dev.unroll.bench.ort.ExportModels --dir "$onnx_dir" --hidden 32,128,512 > "$run/export.log"
        ;;
esac

log "fresh JVMs: rows $rows, ${REPS:-10} repetitions of each milestone -> $run/first-result.jsonl"
# the load average while it runs, every 30 s, for the report
( while sleep 30; do echo "$(date +%H:%M:%S) $(cut -d' ' -f1-3 /proc/loadavg)"; done ) > "$run/load.txt" &
sampler=$!
trap 'kill $sampler 2>/dev/null || true' EXIT
python3 benchmarks/src/main/python/startup.py --java "$java" --jar "$jar" --run "$run" --onnx-dir "$onnx_dir" \
    --reps "${REPS:-10}" --rows "$rows" --ort-threads "${ORT_THREADS:-1}" --jvm-args "${JVM_ARGS:-}"
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg); ran in $(( $(date +%s) - started )) s" >> "$run/environment.txt"
tail -1 "$run/environment.txt"
log "done; results in $run (startup.md)"
