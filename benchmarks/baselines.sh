#!/usr/bin/env bash
# Issue 13's baselines in one command: the generated code's batch-1 step against ONNX Runtime for
# Java (1 and 2 intra-op threads; the project exporter's one-step graph, and torch.onnx.export's when
# Debian's python3-torch is there), the project's C++ Eigen reference and the real RTNeural (when its
# source can be had); time to first result in fresh JVMs; memory per model and stepper. LSTM and GRU,
# input 64, H = 32, 64, 128, 512, a linear head of 64 outputs. Prints the tables with ratios
# (baselines_report.py) and writes everything into benchmarks/results/baselines-<mode>-<time>/.
#
#   benchmarks/baselines.sh report    # the published table: about 25 minutes on the 2-core machine
#   benchmarks/baselines.sh quick     # a smoke run, 1 short iteration each: 6-10 minutes
#
# Environment: SKIP_BUILD=1 (reuse benchmarks/target/benchmarks.jar), SKIP_CPP=1, SKIP_RTNEURAL=1,
# SKIP_TORCH=1 (no torch.onnx.export graphs), SKIP_JAVA2=1, SKIP_FIRST=1, SKIP_MEMORY=1,
# JAVA (default java), JAVA2 (default /usr/lib/jvm/temurin-25-jdk-amd64/bin/java: the generated step on
# a second JDK, report mode), TORCH_PYTHON (default /usr/bin/python3), RTNEURAL_SRC (see
# benchmarks/cpp/rtneural.sh), FIRST_RUNS (fresh JVMs per first-result row; 5 in report, 2 in quick),
# JMH_ARGS (appended to every JMH command line).
set -euo pipefail

mode=${1:-report}
case "$mode" in
    quick|report) ;;
    *) echo "usage: $0 [report|quick]" >&2; exit 2 ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
java=${JAVA:-java}
java2=${JAVA2:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
torch_python=${TORCH_PYTHON:-/usr/bin/python3}
jar=benchmarks/target/benchmarks.jar
run="benchmarks/results/baselines-$mode-$(date +%Y%m%d-%H%M%S)"
onnx_dir="$run/onnx"
started=$(date +%s)
# shellcheck disable=SC2206
extra=(${JMH_ARGS:-})

if [ "$mode" = report ]; then
    jmh_timing=(-f 2 -wi 3 -w 1s -i 5 -r 1s)
    cpp_args=()
    first_runs=${FIRST_RUNS:-5}
else
    jmh_timing=(-f 1 -wi 1 -w 500ms -i 1 -r 1s)
    cpp_args=(--warmup 0.1 --rep-time 0.1 --reps 3)
    first_runs=${FIRST_RUNS:-2}
fi
grid=(-p cell=lstm,gru -p hidden=32,64,128,512)

log() { echo "== $(date +%H:%M:%S) $*"; }
elapsed() { local s=$(( $(date +%s) - started )); echo "$(( s / 60 )) min $(( s % 60 )) s"; }
show() { echo "  $*"; }

mkdir -p "$run" "$onnx_dir"
{
    echo "# baselines $mode run, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(
        git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
    echo "# JDK: $("$java" -version 2>&1 | head -1) ($(command -v "$java"))"
    if [ "$mode" = report ] && [ "${SKIP_JAVA2:-0}" != 1 ] && [ -x "$java2" ]; then
        echo "# JDK 2: $("$java2" -version 2>&1 | head -1) ($java2)"
    fi
    echo "# ONNX Runtime: com.microsoft.onnxruntime:onnxruntime $(sed -n 's:.*<onnxruntime.version>\(.*\)</onnxruntime.version>.*:\1:p' pom.xml)"
    echo "# CPU: $(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p') (family $(sed -n 's/^cpu family[[:space:]]*: //p' /proc/cpuinfo | head -1), model $(sed -n 's/^model[[:space:]]*: //p' /proc/cpuinfo | head -1)); $(nproc) cores; SIMD: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|avx512f|avx512vl)$' | tr '\n' ' ')"
    echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$run/environment.txt"
cat "$run/environment.txt"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "building $jar"
    mvn -B -q package -DskipTests -Dinvoker.skip=true -Dunroll.fuzz.skip=true -pl benchmarks -am
fi

# 1. The graphs: the grid's weights and the project exporter's graphs (Java), then torch.onnx.export's
#    from the same weights (Python, a few seconds).
log "exporting the one-step graphs into $onnx_dir"
UNROLL_ONNX_DIR=$onnx_dir "$java" -cp "$jar" dev.unroll.bench.ort.ExportModels --dir "$onnx_dir"
graphs=unroll
if [ "${SKIP_TORCH:-0}" != 1 ] && "$torch_python" -c 'import torch' 2>/dev/null; then
    if "$torch_python" benchmarks/src/main/python/export_onnx_steps.py --dir "$onnx_dir" | tee "$run/torch-export.log"; then
        graphs=unroll,torch
    else
        log "torch.onnx.export failed (see $run/torch-export.log): the project exporter's graphs only"
    fi
else
    log "no torch for $torch_python (or SKIP_TORCH=1): the project exporter's graphs only"
fi
export UNROLL_ONNX_DIR=$onnx_dir

# 2. JMH: the generated step, then ONNX Runtime.
jmh() {
    local name=$1 bench=$2; shift 2
    local cmd=("$java" -jar "$jar" "dev.unroll.bench.$bench" "${jmh_timing[@]}" "$@" "${extra[@]}" -rf json -rff "$run/$name.json")
    log "JMH $bench -> $name.json"
    show "${cmd[*]}"
    "${cmd[@]}" > "$run/$name.log" 2>&1 || true
    grep -E '^(Benchmark|[A-Z][A-Za-z]+Benchmark\.)' "$run/$name.log" || true
    [ -s "$run/$name.json" ] || log "JMH wrote no results for $name (see $run/$name.log)"
}
jmh jmh-step StepBenchmark -p impl=unroll "${grid[@]}" -p precision=float,double
if [ "$mode" = report ] && [ "${SKIP_JAVA2:-0}" != 1 ] && [ -x "$java2" ]; then
    jmh jmh25-step StepBenchmark -p impl=unroll "${grid[@]}" -p precision=float -jvm "$java2"
fi
jmh ort-step OrtStepBenchmark "${grid[@]}" -p precision=float -p threads=1,2 -p graph="$graphs"

# 3. C++: the project's Eigen reference and RTNeural.
if [ "${SKIP_CPP:-0}" != 1 ]; then
    log "C++ Eigen reference -> cpp-eigen.json"
    benchmarks/cpp/run.sh --json "$run/cpp-eigen.json" "${cpp_args[@]}" > "$run/cpp-eigen.log" 2>&1 \
        || log "the C++ Eigen reference failed (see $run/cpp-eigen.log)"
    tail -n 3 "$run/cpp-eigen.log"
    if [ "${SKIP_RTNEURAL:-0}" != 1 ]; then
        log "RTNeural -> cpp-rtneural.json"
        status=0
        benchmarks/cpp/rtneural.sh --json "$run/cpp-rtneural.json" "${cpp_args[@]}" > "$run/cpp-rtneural.log" 2>&1 || status=$?
        case $status in
            0) tail -n 3 "$run/cpp-rtneural.log" ;;
            3) log "RTNeural skipped: $(grep -m1 'cannot\|not an RTNeural' "$run/cpp-rtneural.log" | sed 's/^== [0-9:]* //' || echo 'no source')" ;;
            *) log "RTNeural failed (status $status, see $run/cpp-rtneural.log)" ;;
        esac
    fi
fi

# 4. Time to first result: one fresh JVM per measurement.
if [ "${SKIP_FIRST:-0}" != 1 ]; then
    log "time to first result: $first_runs fresh JVMs per row -> first-result.jsonl"
    : > "$run/first-result.jsonl"
    for cell in Lstm Gru; do
        for h in 32 64 128 512; do
            model="${cell}H${h}F32T25"
            lower=$(echo "$cell" | tr '[:upper:]' '[:lower:]')
            for i in $(seq "$first_runs"); do
                for what in unroll ort1 ort2; do
                    case $what in
                        unroll) args=(unroll "$model") ;;
                        ort1) args=(ort "$onnx_dir/$model.unroll.onnx" "$lower" 1) ;;
                        ort2) args=(ort "$onnx_dir/$model.unroll.onnx" "$lower" 2) ;;
                    esac
                    t0=$(date +%s%N)
                    line=$("$java" -cp "$jar" dev.unroll.bench.startup.FirstResult "${args[@]}" 2>>"$run/first-result.log" | tail -1)
                    t1=$(date +%s%N)
                    echo "${line%\}}, \"wall_ms\": $(( (t1 - t0) / 1000000 ))}" >> "$run/first-result.jsonl"
                done
            done
        done
    done
    wc -l < "$run/first-result.jsonl" | sed 's/^/  measurements: /'
fi

# 5. Memory.
if [ "${SKIP_MEMORY:-0}" != 1 ]; then
    log "memory per model, stepper and workspace -> memory.jsonl"
    {
        "$java" -Xmx3g -cp "$jar" dev.unroll.bench.startup.Memory unroll lstm,gru 32,64,128,512 float,double
        "$java" -Xmx3g -cp "$jar" dev.unroll.bench.startup.Memory char
        "$java" -Xms1g -Xmx1g -XX:+AlwaysPreTouch -cp "$jar" dev.unroll.bench.startup.Memory ort lstm,gru 32,64,128,512 float 1
    } > "$run/memory.jsonl" 2> "$run/memory.log" || log "memory failed (see $run/memory.log)"
fi

echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg); ran in $(elapsed)" >> "$run/environment.txt"
log "report ($(elapsed))"
python3 benchmarks/src/main/python/baselines_report.py "$run"
log "done in $(elapsed); results in $run (baselines.md)"
