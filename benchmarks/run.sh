#!/usr/bin/env bash
# Runs the benchmark suite end to end: builds benchmarks.jar, runs JMH (JSON into
# benchmarks/results/<mode>-<time>/), runs the PyTorch baseline with the same sizes, and prints the
# table of ratios (Unroll vs the EJML baseline, Unroll vs PyTorch). See benchmarks/README.md.
#
#   benchmarks/run.sh quick            # a subset, few iterations, 1 fork: about 5 minutes
#   benchmarks/run.sh report           # the published table: about 25 minutes (estimated, see README)
#   benchmarks/run.sh full             # every configuration, 2 forks: about 2.5 hours
#   benchmarks/run.sh full step char   # only some groups: step, sequence, train, char
#   DRY_RUN=1 benchmarks/run.sh report # print the commands and an estimate of the time, run nothing
#
# `report` and `full` also run, with the step group, the step benchmark of the generated code on a
# second JDK (JAVA2), the C++ Eigen reference (benchmarks/cpp/run.sh) and ONNX Runtime
# (OrtStepBenchmark, LSTM and GRU, float, 1 and 2 intra-op threads, into ort-step.json).
# benchmarks/baselines.sh runs issue 13's fuller comparison (RTNeural, first result, memory).
#
# Environment: SKIP_BUILD=1 reuses benchmarks/target/benchmarks.jar; SKIP_PYTORCH=1 runs no PyTorch;
# SKIP_CPP=1 no C++ reference; SKIP_JAVA2=1 no second JDK; SKIP_ORT=1 no ONNX Runtime;
# DRY_RUN=1 prints what would run;
# JAVA (default: java on PATH), JAVA2 (default /usr/lib/jvm/temurin-25-jdk-amd64/bin/java),
# TORCH_PYTHON (default /usr/bin/python3, Debian's python3-torch), CXX (for the C++ reference),
# JMH_ARGS (appended to every JMH command line, e.g. "-jvm /usr/lib/jvm/temurin-25-jdk-amd64/bin/java").
set -euo pipefail

mode=${1:-quick}
shift || true
case "$mode" in
    quick|report|full) ;;
    *) echo "usage: $0 [quick|report|full] [step] [sequence] [train] [char]" >&2; exit 2 ;;
esac
groups=("$@")
if [ ${#groups[@]} -eq 0 ]; then
    groups=(step sequence train char)
fi
for group in "${groups[@]}"; do
    case "$group" in
        step|sequence|train|char) ;;
        *) echo "unknown group '$group': step, sequence, train or char" >&2; exit 2 ;;
    esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
java=${JAVA:-java}
java2=${JAVA2:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
torch_python=${TORCH_PYTHON:-/usr/bin/python3}
cxx=${CXX:-g++}
jar=benchmarks/target/benchmarks.jar
dry_run=${DRY_RUN:-0}
run="benchmarks/results/$mode-$(date +%Y%m%d-%H%M%S)"
started=$(date +%s)

log() { echo "== $(date +%H:%M:%S) $*"; }
elapsed() { local s=$(( $(date +%s) - started )); echo "$(( s / 60 )) min $(( s % 60 )) s"; }

# Per mode: JMH's timing (the numbers also feed the dry run's estimate), PyTorch's timing, and per
# group the JMH -p options and the bench_pytorch.py options that select the same configurations
# (empty: every configuration of the group). train2 is a second train invocation (report mode:
# H = 512 at batch 1 only, which one JMH invocation cannot express next to H = 32, 128 at batch 1
# and 32); jdk2 are the -p options of the step benchmark on the second JDK.
case "$mode" in
    quick)
        forks=1; warmup_iterations=2; warmup_ms=500; iterations=3; iteration_ms=500
        torch_warmup=0.3; torch_time=1
        step_jmh="-p hidden=32,128,512 -p precision=float"
        step_torch="--hidden 32,128,512 --precision float"
        sequence_jmh="-p hidden=32,128,512 -p precision=float -p steps=100"
        sequence_torch="--hidden 32,128,512 --precision float --steps 100"
        train_jmh="-p hidden=128 -p precision=float -p steps=25"
        train_torch="--hidden 128 --precision float --steps 25"
        train2_jmh=""; train2_torch=""
        char_jmh=""; char_torch=""
        jdk2_jmh=""; ort_jmh=""; extras=0
        ;;
    report)
        forks=1; warmup_iterations=3; warmup_ms=1000; iterations=5; iteration_ms=1000
        torch_warmup=0.5; torch_time=2
        step_jmh="-p impl=unroll,ejml -p cell=rnn,lstm,gru -p hidden=32,64,128,512 -p precision=float,double"
        step_torch="--cell rnn,lstm,gru --hidden 32,64,128,512 --precision float,double"
        sequence_jmh="-p impl=unroll,ejml -p cell=rnn,lstm,gru -p hidden=32,128,512 -p precision=float -p steps=100"
        sequence_torch="--cell rnn,lstm,gru --hidden 32,128,512 --precision float --steps 100"
        train_jmh="-p impl=unroll,ejml -p cell=rnn,lstm,gru -p hidden=32,128 -p precision=float -p steps=25 -p batch=1,32"
        train_torch="--cell rnn,lstm,gru --hidden 32,128 --precision float --steps 25 --batch 1,32"
        train2_jmh="-p impl=unroll,ejml -p cell=rnn,lstm,gru -p hidden=512 -p precision=float -p steps=25 -p batch=1"
        train2_torch="--cell rnn,lstm,gru --hidden 512 --precision float --steps 25 --batch 1"
        char_jmh="-p impl=unroll,ejml -p batch=1,32"; char_torch="--batch 1,32"
        jdk2_jmh="-p impl=unroll -p cell=rnn,lstm,gru -p hidden=32,64,128,512 -p precision=float,double"
        ort_jmh="-p cell=lstm,gru -p hidden=32,64,128,512 -p threads=1,2"
        extras=1
        ;;
    full)
        # the annotations' defaults: 2 forks, 4 x 1 s warm-up, 5 x 1 s measurement
        forks=2; warmup_iterations=4; warmup_ms=1000; iterations=5; iteration_ms=1000
        torch_warmup=1; torch_time=3
        step_jmh=""; step_torch=""
        sequence_jmh=""; sequence_torch=""
        train_jmh=""; train_torch=""
        train2_jmh=""; train2_torch=""
        char_jmh=""; char_torch=""
        jdk2_jmh="-p impl=unroll"; ort_jmh=""; extras=1
        ;;
esac
if [ "$mode" = full ]; then
    jmh_timing=()   # the annotations' defaults (above)
else
    jmh_timing=(-f "$forks" -wi "$warmup_iterations" -w "${warmup_ms}ms" -i "$iterations" -r "${iteration_ms}ms")
fi
torch_timing=(--warmup "$torch_warmup" --time "$torch_time")
# shellcheck disable=SC2206
extra=(${JMH_ARGS:-})

# --- the dry run's estimate -------------------------------------------------------------------
# Per-run costs measured on the 2-core machine (busy, load 3-4): a JMH fork costs about 1.0-1.6 s
# beyond its iterations (JVM start, setup, teardown); a PyTorch row costs its warm-up and
# measurement time plus about 0.1 s, a bench_pytorch.py process about 2.2 s to import torch. Rows
# whose single call is long (training at batch 32, sequences at H = 512) take longer than that.
fork_overhead_ms=1500
torch_row_overhead_ms=100
torch_start_ms=2500
estimate_ms=0

# Default number of values of every JMH parameter (the @Param annotations) and of every
# bench_pytorch.py option, so that a run can be counted from its -p options alone.
declare -A jmh_defaults=(
    [StepBenchmark]="impl=2 cell=3 hidden=4 precision=2"
    [SequenceBenchmark]="impl=2 cell=3 hidden=4 precision=2 steps=2"
    [TrainBenchmark]="impl=2 cell=3 hidden=4 precision=2 steps=2 batch=2"
    [CharLstmBenchmark]="impl=2 batch=2"
    [OrtStepBenchmark]="cell=2 hidden=4 precision=1 threads=2 graph=1"
)

count_values() { local IFS=,; set -- $1; echo $#; }   # "32,128,512" -> 3

# The number of JMH runs (parameter combinations) of BENCH with the -p options given.
count_jmh_runs() {
    local bench=$1; shift
    declare -A n=()
    local pair
    for pair in ${jmh_defaults[$bench]}; do n[${pair%%=*}]=${pair#*=}; done
    while [ $# -gt 0 ]; do
        if [ "$1" = -p ] && [ $# -gt 1 ]; then
            pair=$2; n[${pair%%=*}]=$(count_values "${pair#*=}"); shift
        fi
        shift
    done
    local product=1 name
    for name in "${!n[@]}"; do product=$(( product * n[$name] )); done
    echo "$product"
}

# The number of rows bench_pytorch.py writes for GROUP with the options given.
count_torch_rows() {
    local group=$1; shift
    local cell=3 hidden=4 precision=2 steps=2 batch=2
    while [ $# -gt 0 ]; do
        case "$1" in
            --cell) cell=$(count_values "$2"); shift ;;
            --hidden) hidden=$(count_values "$2"); shift ;;
            --precision) precision=$(count_values "$2"); shift ;;
            --steps) steps=$(count_values "$2"); shift ;;
            --batch) batch=$(count_values "$2"); shift ;;
        esac
        shift
    done
    case "$group" in
        step) echo $(( cell * hidden * precision )) ;;
        sequence) echo $(( cell * hidden * precision * steps * 2 )) ;;   # sequence and sequence_cells
        train) echo $(( cell * hidden * precision * steps * batch )) ;;
        char) echo "$batch" ;;
    esac
}

seconds_to_ms() { awk -v s="$1" 'BEGIN { printf "%d", s * 1000 }'; }
fmt_ms() {
    local s=$(( ($1 + 500) / 1000 ))
    if [ "$s" -ge 3600 ]; then
        echo "$(( s / 3600 )) h $(( s % 3600 / 60 )) min"
    else
        echo "$(( s / 60 )) min $(( s % 60 )) s"
    fi
}

# Prints a command line, quoting only the words that need it.
show() {
    local word line=" "
    for word in "$@"; do
        if [[ "$word" =~ ^[A-Za-z0-9_./=,:+@-]+$ ]]; then
            line+=" $word"
        else
            line+=" $(printf '%q' "$word")"
        fi
    done
    echo "$line"
}

# --- the steps ----------------------------------------------------------------------------------

# jmh NAME BENCH ARGS...: one JMH invocation writing $run/NAME.json and NAME.log. With
# OPTIONAL=1 in the environment a failure is reported and the run goes on.
jmh() {
    local name=$1 bench=$2; shift 2
    local runs per_run_ms
    runs=$(count_jmh_runs "$bench" "$@")
    per_run_ms=$(( forks * (fork_overhead_ms + warmup_iterations * warmup_ms + iterations * iteration_ms) ))
    estimate_ms=$(( estimate_ms + runs * per_run_ms ))
    local cmd=("$java" -jar "$jar" "dev.unroll.bench.$bench" "${jmh_timing[@]}" "$@" "${extra[@]}"
               -rf json -rff "$run/$name.json")
    if [ "$dry_run" = 1 ]; then
        echo "JMH $name: $runs runs, about $(fmt_ms $(( runs * per_run_ms )))"
        show "${cmd[@]}"
        return 0
    fi
    log "JMH $bench -> $name.json ($runs runs, about $(fmt_ms $(( runs * per_run_ms ))))"
    "${cmd[@]}" | tee "$run/$name.log" | grep -E '^(# Run progress|Benchmark|[A-Z][A-Za-z]+Benchmark\.)' || true
    if [ ! -s "$run/$name.json" ]; then
        echo "JMH wrote no results for $name; see $run/$name.log" >&2
        if [ "${OPTIONAL:-0}" = 1 ]; then
            return 0
        fi
        exit 1
    fi
}

# torch NAME GROUP ARGS...: one bench_pytorch.py invocation writing $run/NAME.json and NAME.log.
torch() {
    local name=$1 group=$2; shift 2
    [ "$pytorch" = 1 ] || return 0
    local rows row_ms
    rows=$(count_torch_rows "$group" "$@")
    row_ms=$(( $(seconds_to_ms "$torch_warmup") + $(seconds_to_ms "$torch_time") + torch_row_overhead_ms ))
    estimate_ms=$(( estimate_ms + torch_start_ms + rows * row_ms ))
    local cmd=("$torch_python" benchmarks/src/main/python/bench_pytorch.py --group "$group" "${torch_timing[@]}"
               "$@" --out "$run/$name.json")
    if [ "$dry_run" = 1 ]; then
        echo "PyTorch $name: $rows rows, about $(fmt_ms $(( torch_start_ms + rows * row_ms )))"
        show "${cmd[@]}"
        return 0
    fi
    log "PyTorch $group -> $name.json ($rows rows)"
    "${cmd[@]}" | tee "$run/$name.log"
}

# The C++ Eigen reference (batch-1 LSTM/GRU step), when it can run.
cpp() {
    local why=""
    if [ "${SKIP_CPP:-0}" = 1 ]; then
        why="SKIP_CPP=1"
    elif ! command -v "$cxx" > /dev/null; then
        why="no C++ compiler '$cxx' (apt-get install -y g++)"
    elif [ ! -f /usr/include/eigen3/Eigen/Dense ] && [ "$(id -u)" != 0 ] && ! command -v sudo > /dev/null; then
        why="no Eigen (/usr/include/eigen3) and no way to install it (apt-get install -y libeigen3-dev)"
    fi
    if [ -n "$why" ]; then
        log "skipping the C++ reference: $why"
        return 0
    fi
    local cmd=(benchmarks/cpp/run.sh --json "$run/cpp-eigen.json")
    local cpp_ms=35000   # 16 configurations x (0.3 s warm-up + 5 x 0.3 s) plus setup
    [ -x benchmarks/results/bin/eigen_rnn_bench ] || cpp_ms=$(( cpp_ms + 40000 ))   # the first compile
    estimate_ms=$(( estimate_ms + cpp_ms ))
    if [ "$dry_run" = 1 ]; then
        echo "C++ Eigen reference: 16 configurations, about $(fmt_ms "$cpp_ms")"
        show "${cmd[@]}"
        return 0
    fi
    log "C++ Eigen reference -> cpp-eigen.json"
    if ! "${cmd[@]}" 2>&1 | tee "$run/cpp-eigen.log"; then
        log "the C++ reference failed (see $run/cpp-eigen.log): the report leaves it out"
        rm -f "$run/cpp-eigen.json"
    fi
}

# The step benchmark of the generated code on the second JDK, into jmh25-step.json (not jmh-*.json:
# report.py keeps it apart from the first JDK's rows).
jdk2() {
    if [ "${SKIP_JAVA2:-0}" = 1 ]; then
        log "skipping the second JDK: SKIP_JAVA2=1"
        return 0
    fi
    if [ ! -x "$java2" ]; then
        log "skipping the second JDK: no $java2 (set JAVA2)"
        return 0
    fi
    # shellcheck disable=SC2086
    OPTIONAL=1 jmh jmh25-step StepBenchmark $jdk2_jmh -jvm "$java2"
}

# ONNX Runtime's step (OrtStepBenchmark) over the LSTM/GRU grid, into ort-step.json (not jmh-*.json):
# the project exporter's one-step graphs, built in memory, and torch.onnx.export's when torch is there
# (written into $run/onnx by ExportModels and export_onnx_steps.py, a few seconds).
ort() {
    if [ "${SKIP_ORT:-0}" = 1 ]; then
        log "skipping ONNX Runtime: SKIP_ORT=1"
        return 0
    fi
    local graphs=unroll
    if [ "$pytorch" = 1 ]; then
        graphs=unroll,torch
    fi
    if [ "$dry_run" != 1 ]; then
        log "ONNX Runtime: exporting the one-step graphs into $run/onnx"
        "$java" -cp "$jar" dev.unroll.bench.ort.ExportModels --dir "$run/onnx" > "$run/ort-export.log" 2>&1
        if [ "$graphs" = unroll,torch ] && ! "$torch_python" benchmarks/src/main/python/export_onnx_steps.py \
                --dir "$run/onnx" >> "$run/ort-export.log" 2>&1; then
            log "torch.onnx.export failed (see $run/ort-export.log): the project exporter's graphs only"
            graphs=unroll
        fi
    fi
    export UNROLL_ONNX_DIR="$run/onnx"   # read by OrtStepBenchmark in JMH's forks
    # shellcheck disable=SC2086
    OPTIONAL=1 jmh ort-step OrtStepBenchmark $ort_jmh -p graph="$graphs"
}

environment() {
    echo "# $mode run, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(
        git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
    echo "# JDK: $("$java" -version 2>&1 | head -1) ($(command -v "$java"))"
    if [ "$extras" = 1 ] && [ "${SKIP_JAVA2:-0}" != 1 ] && [ -x "$java2" ]; then
        echo "# JDK 2: $("$java2" -version 2>&1 | head -1) ($java2)"
    fi
    echo "# CPU: $(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p'); $(nproc) cores"
    echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# --- main -----------------------------------------------------------------------------------------

pytorch=1
if [ "${SKIP_PYTORCH:-0}" = 1 ]; then
    pytorch=0
elif ! "$torch_python" -c 'import torch' 2>/dev/null; then
    log "no torch for $torch_python: skipping PyTorch (apt-get install -y python3-torch)"
    pytorch=0
fi

if [ "$dry_run" = 1 ]; then
    echo "Dry run of '$mode' (${groups[*]}): nothing is run. Results would go to $run/."
else
    mkdir -p "$run"
    environment > "$run/environment.txt"
    cat "$run/environment.txt"
fi

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    estimate_ms=$(( estimate_ms + 60000 ))
    if [ "$dry_run" = 1 ]; then
        echo "build: about 1 min (incremental)"
        show mvn -B -q package -DskipTests -Dinvoker.skip=true -pl benchmarks -am
    else
        log "building $jar (mvn package -pl benchmarks -am, tests skipped)"
        mvn -B -q package -DskipTests -Dinvoker.skip=true -pl benchmarks -am
    fi
fi

# shellcheck disable=SC2086
for group in "${groups[@]}"; do
    case "$group" in
        step)
            jmh jmh-step StepBenchmark $step_jmh
            if [ "$extras" = 1 ]; then
                jdk2
                cpp
                ort
            fi
            torch pytorch-step step $step_torch
            ;;
        sequence)
            jmh jmh-sequence SequenceBenchmark $sequence_jmh
            torch pytorch-sequence sequence $sequence_torch
            ;;
        train)
            jmh jmh-train TrainBenchmark $train_jmh
            if [ -n "$train2_jmh" ]; then
                jmh jmh-train512 TrainBenchmark $train2_jmh
            fi
            torch pytorch-train train $train_torch
            if [ -n "$train2_torch" ]; then
                torch pytorch-train512 train $train2_torch
            fi
            ;;
        char)
            jmh jmh-char CharLstmBenchmark $char_jmh
            torch pytorch-char char $char_torch
            ;;
    esac
done

if [ "$dry_run" = 1 ]; then
    echo "Estimated duration: about $(fmt_ms "$estimate_ms") (from per-run costs measured on a busy 2-core"
    echo "machine; configurations whose single call lasts longer than an iteration take longer)."
    exit 0
fi

echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg); ran in $(elapsed)" >> "$run/environment.txt"
log "report ($(elapsed) so far)"
tail -1 "$run/environment.txt"
python3 benchmarks/src/main/python/report.py "$run"
log "done in $(elapsed); results in $run (report.md$([ -f "$run/speedup.svg" ] && echo ', speedup.svg'))"
