#!/usr/bin/env bash
# Runs the A/B harness over variants built by build.sh (see README.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/benchmarks/cputime-ab"
cp=$("$here/classpath.sh")
classes="$root/benchmarks/results/cputime-ab/harness"
mkdir -p "$classes"
javac -nowarn -d "$classes" -cp "$cp" "$here/Harness.java" "$here/Mem.java"
model=$1 input=$2 precision=$3 rounds=$4
shift 4
dirs=()
for n in "$@"; do dirs+=("$root/benchmarks/results/cputime-ab/$n"); done
echo "# load average $(cut -d' ' -f1-3 /proc/loadavg); $(java -version 2>&1 | head -1)"
java -Xms1g -Xmx1g -cp "$classes:$cp" Harness "$model" "$input" "$precision" "$rounds" "${dirs[@]}"
