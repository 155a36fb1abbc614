#!/usr/bin/env bash
# Runs the training-update A/B over variants built by build.sh (see README.md):
#   benchmarks/cputime-ab/run-train.sh MODEL BATCH ROUNDS NAME...   # e.g. CharLstm 32 15 base new
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/benchmarks/cputime-ab"
cp=$("$here/classpath.sh")
classes="$root/benchmarks/results/cputime-ab/harness"
mkdir -p "$classes"
javac -nowarn -d "$classes" -cp "$cp" "$here/TrainHarness.java"
model=$1 batch=$2 rounds=$3
shift 3
dirs=()
for n in "$@"; do dirs+=("$root/benchmarks/results/cputime-ab/$n"); done
echo "# load average $(cut -d' ' -f1-3 /proc/loadavg); $(java -version 2>&1 | head -1)"
java -Xms1g -Xmx1g -cp "$classes:$cp" TrainHarness "$model" "$batch" "$rounds" "${dirs[@]}"
