#!/usr/bin/env bash
# The Vector API kernels against the plain ones and against the baselines, in one run on one machine:
#   1. VectorKernelBenchmark.Step.step: the batch-1 step, plain and vector (vectorBits 512), LSTM and GRU, H 32-512;
#   2. RTNeural (benchmarks/cpp/rtneural.sh, its source in RTNEURAL_SRC) on the same shapes, with an equal head;
#   3. ONNX Runtime from Java (OrtStepBenchmark, the project's graph, 1 and 2 intra-op threads);
#   4. VectorKernelBenchmark.TwoThreads (the H = 512 vector models on one thread and two), .Train (one update,
#      LSTM-128 and the char-level LSTM, batch 1 and 32) and .Step.sequence.
# Results in benchmarks/results/vector-DATE/. Run on an otherwise idle machine: about 20 minutes.
# Usage: benchmarks/vector.sh [quick]   (quick: 1 fork, short iterations, to try the script)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
java=${JAVA:-java}
jar=benchmarks/target/benchmarks.jar
out="benchmarks/results/vector-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
if [ "${1:-}" = quick ]; then
    timing=(-f 1 -wi 1 -w 500ms -i 1 -r 1s)
    cpp_args=(--warmup 0.1 --rep-time 0.1 --reps 3)
else
    timing=(-f 2 -wi 3 -w 1s -i 5 -r 1s)
    cpp_args=()
fi
{
    echo "# vector run, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' (with uncommitted changes)')"
    echo "# JDK: $("$java" -version 2>&1 | head -1)"
    echo "# CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/README.txt"
jmh() {
    local name=$1; shift
    echo "== $(date +%H:%M:%S) $name"
    "$java" -jar "$jar" "$@" "${timing[@]}" -rf json -rff "$out/$name.json" > "$out/$name.log" 2>&1
    grep -E "^(Benchmark|[A-Za-z]+Benchmark)" "$out/$name.log" | tail -n +1
}
jmh step 'VectorKernelBenchmark.Step.step'
if [ -n "${RTNEURAL_SRC:-}" ]; then
    echo "== $(date +%H:%M:%S) RTNeural"
    benchmarks/cpp/rtneural.sh --json "$out/rtneural.json" "${cpp_args[@]}" > "$out/rtneural.log" 2>&1 \
        && tail -n 12 "$out/rtneural.log" || echo "RTNeural failed: see $out/rtneural.log"
fi
jmh ort 'OrtStepBenchmark' -p cell=lstm,gru -p hidden=32,64,128,512 -p precision=float -p threads=1,2 -p graph=unroll
jmh two-threads 'VectorKernelBenchmark.TwoThreads'
jmh train 'VectorKernelBenchmark.Train'
jmh sequence 'VectorKernelBenchmark.Step.sequence'
echo "# load at the end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/README.txt"
