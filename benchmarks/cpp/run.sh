#!/usr/bin/env bash
# Builds and runs the C++ (Eigen, RTNeural-style) reference for batch-1 LSTM/GRU step latency.
# See benchmarks/cpp/README.md. Not part of the Maven build.
#
#   benchmarks/cpp/run.sh                      # about 32 s for 16 configurations, plus ~40 s for the first build
#   benchmarks/cpp/run.sh --json out.json      # arguments go to the program:
#                                              #   --json FILE --warmup S --rep-time S --reps N
#
# Environment: CXX (default g++), CXXFLAGS_EXTRA (appended, e.g. -DUSE_EIGEN_LOGISTIC).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cxx=${CXX:-g++}
src=benchmarks/cpp/eigen_rnn_bench.cpp
bin=benchmarks/results/bin/eigen_rnn_bench
eigen_dir=/usr/include/eigen3

log() { echo "== $(date +%H:%M:%S) $*"; }

if [ ! -f "$eigen_dir/Eigen/Dense" ]; then
    log "$eigen_dir/Eigen/Dense is missing: installing Debian's libeigen3-dev (apt-get install -y libeigen3-dev)"
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y libeigen3-dev
    else
        sudo apt-get install -y libeigen3-dev
    fi
fi

eigen_version=$(awk '/#define EIGEN_(WORLD|MAJOR|MINOR)_VERSION/ {v = v (v == "" ? "" : ".") $3} END {print v}' \
    "$eigen_dir/Eigen/src/Core/util/Macros.h")
eigen_pkg=$(dpkg-query -W -f '${Version}' libeigen3-dev 2>/dev/null || echo "not from dpkg")
# shellcheck disable=SC2206
flags=(-O3 -march=native -DNDEBUG -std=c++17 -I"$eigen_dir" ${CXXFLAGS_EXTRA:-})

mkdir -p "$(dirname "$bin")"
stamp="$bin.flags"
if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$cxx ${flags[*]}" ]; then
    log "compiling: $cxx ${flags[*]} $src"
    start=$(date +%s)
    "$cxx" "${flags[@]}" -o "$bin" "$src"
    echo "$cxx ${flags[*]}" > "$stamp"
    log "compiled in $(( $(date +%s) - start )) s"
else
    log "$bin is up to date"
fi

echo "# $("$cxx" --version | head -1); Eigen $eigen_version (libeigen3-dev $eigen_pkg)"
echo "# $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'); $(nproc) cores"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
mkdir -p benchmarks/results
start=$(date +%s)
"$bin" "$@"
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg); ran in $(( $(date +%s) - start )) s"
