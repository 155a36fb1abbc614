#!/usr/bin/env bash
# Builds and runs the real RTNeural (its compile-time ModelT: LSTMLayerT/GRULayerT + DenseT, Eigen
# backend, -O3 -march=native) on the step benchmark's networks, beside the project's own Eigen
# reference (run.sh next to this file). RTNeural's source is never in the repository: it is taken
# from RTNEURAL_SRC (a directory, or a git URL to clone) or cloned from GitHub at benchmark time into
# benchmarks/results/rtneural-src/ (not committed). See benchmarks/cpp/README.md.
#
#   benchmarks/cpp/rtneural.sh                      # fetch if needed, build, run the 16 configurations
#   benchmarks/cpp/rtneural.sh --json out.json      # arguments go to the program:
#                                                   #   --json FILE --warmup S --rep-time S --reps N
#
# Environment: RTNEURAL_SRC (a checkout, or a URL; default: clone RTNEURAL_URL), RTNEURAL_URL
# (default https://github.com/jatinchowdhury18/RTNeural), RTNEURAL_REF (a branch or tag to clone;
# default the default branch), CXX (default g++), CXXFLAGS_EXTRA (appended),
# RTNEURAL_ALIGNMENT (RTNEURAL_DEFAULT_ALIGNMENT, default 32, as RTNeural's CMake sets for AVX).
#
# Exit status 3 when RTNeural's source cannot be had (no network, no RTNEURAL_SRC): callers treat that
# as "skipped", and the project's Eigen reference stays the C++ reference of the run.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cxx=${CXX:-g++}
src=benchmarks/cpp/rtneural_bench.cpp
bin=benchmarks/results/bin/rtneural_bench
url=${RTNEURAL_URL:-https://github.com/jatinchowdhury18/RTNeural}
clone=benchmarks/results/rtneural-src

log() { echo "== $(date +%H:%M:%S) $*"; }

rt=${RTNEURAL_SRC:-}
case "$rt" in
    http://*|https://*|git@*|ssh://*) url=$rt; rt="" ;;
esac
if [ -z "$rt" ]; then
    rt=$clone
    if [ ! -f "$rt/RTNeural/RTNeural.h" ]; then
        log "fetching RTNeural: git clone --depth 1 --recurse-submodules $url $rt"
        rm -rf "$rt"
        mkdir -p "$(dirname "$rt")"
        ref_args=()
        [ -n "${RTNEURAL_REF:-}" ] && ref_args=(--branch "$RTNEURAL_REF")
        if ! GIT_TERMINAL_PROMPT=0 timeout 300 git clone -q --depth 1 --recurse-submodules --shallow-submodules \
                "${ref_args[@]}" "$url" "$rt"; then
            rm -rf "$rt"
            log "cannot fetch RTNeural from $url (no network?): set RTNEURAL_SRC to a checkout; skipping"
            exit 3
        fi
    fi
fi
if [ ! -f "$rt/RTNeural/RTNeural.h" ]; then
    log "$rt is not an RTNeural checkout (no RTNeural/RTNeural.h): skipping"
    exit 3
fi
rt=$(cd "$rt" && pwd)
rt_commit=$(git -C "$rt" rev-parse --short HEAD 2>/dev/null || echo "unknown commit")

# Eigen: RTNeural's own copy (modules/Eigen, a submodule) when the checkout has it, else Debian's.
if [ -f "$rt/modules/Eigen/Eigen/Dense" ]; then
    eigen_dir=$rt/modules/Eigen
else
    eigen_dir=/usr/include/eigen3
    if [ ! -f "$eigen_dir/Eigen/Dense" ]; then
        log "no Eigen in the checkout nor in $eigen_dir: installing Debian's libeigen3-dev"
        if [ "$(id -u)" = 0 ]; then apt-get install -y libeigen3-dev; else sudo apt-get install -y libeigen3-dev; fi
    fi
fi
# nlohmann/json: RTNeural.h includes its model loader, which includes "../modules/json/json.hpp" (a submodule;
# newer trees <nlohmann/json.hpp>). A checkout without it (a snapshot, a clone without --recurse-submodules)
# gets Debian's nlohmann-json3-dev, installed if missing, through a shim folder on the include path: the
# compiler resolves the relative include against "$shim/include" too, so the checkout itself is never written.
json_include=()
if [ ! -f "$rt/modules/json/json.hpp" ] && [ ! -f "$rt/modules/json/include/nlohmann/json.hpp" ]; then
    system_json=/usr/include/nlohmann/json.hpp
    if [ ! -f "$system_json" ]; then
        log "$rt/modules/json has no json.hpp: installing Debian's nlohmann-json3-dev (apt-get install -y nlohmann-json3-dev)"
        if [ "$(id -u)" = 0 ]; then
            apt-get install -y nlohmann-json3-dev || true
        else
            sudo apt-get install -y nlohmann-json3-dev || true
        fi
    fi
    if [ ! -f "$system_json" ]; then
        log "no nlohmann/json: $rt/modules/json/json.hpp is missing and nlohmann-json3-dev could not be installed" \
            "(clone with --recurse-submodules, or apt-get install nlohmann-json3-dev); skipping"
        exit 3
    fi
    shim=$root/benchmarks/results/rtneural-json-shim
    mkdir -p "$shim/include" "$shim/modules/json"
    ln -sf "$system_json" "$shim/modules/json/json.hpp"
    json_include=(-I"$shim/include")
    log "json.hpp from Debian's nlohmann-json3-dev $(dpkg-query -W -f '${Version}' nlohmann-json3-dev 2>/dev/null || echo '?') ($system_json)"
fi
eigen_version=$(awk '/#define EIGEN_(WORLD|MAJOR|MINOR)_VERSION/ {v = v (v == "" ? "" : ".") $3} END {print v}' \
    "$eigen_dir/Eigen/src/Core/util/Macros.h")

# RTNEURAL_USE_EIGEN selects the Eigen backend (USE_EIGEN in older releases); the newest layers use C++20
# abbreviated templates. EIGEN_STACK_ALLOCATION_LIMIT=0 lets the H = 512 layers' fixed-size matrices
# (megabytes) compile; the program allocates its models on the heap.
# shellcheck disable=SC2206
flags=(-O3 -march=native -DNDEBUG -std=c++20 -DRTNEURAL_USE_EIGEN=1 -DUSE_EIGEN=1
       -DRTNEURAL_DEFAULT_ALIGNMENT=${RTNEURAL_ALIGNMENT:-32} -DEIGEN_STACK_ALLOCATION_LIMIT=0
       -I"$rt" -I"$rt/modules/json" -I"$rt/modules/json/include" "${json_include[@]}" -I"$eigen_dir" ${CXXFLAGS_EXTRA:-})

mkdir -p "$(dirname "$bin")"
stamp="$bin.flags"
want="$cxx ${flags[*]} @ $rt_commit"
if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "compiling against RTNeural $rt_commit: $cxx ${flags[*]} $src"
    start=$(date +%s)
    "$cxx" "${flags[@]}" -o "$bin" "$src"
    echo "$want" > "$stamp"
    log "compiled in $(( $(date +%s) - start )) s"
else
    log "$bin is up to date"
fi

echo "# RTNeural $rt_commit ($rt); $("$cxx" --version | head -1); Eigen $eigen_version ($eigen_dir)"
echo "# $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'); $(nproc) cores"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
mkdir -p benchmarks/results
start=$(date +%s)
"$bin" "$@"
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg); ran in $(( $(date +%s) - start )) s"
