#!/usr/bin/env bash
# What each optimization bought: builds benchmarks.jar at several commits and runs the same small
# JMH subset with each, one after the other on the same machine, into benchmarks/results/ablation-<time>/.
#
#   benchmarks/ablation.sh 81d69e5 527a045 4c9b640 HEAD
#
# Each commit is checked out in a temporary worktree and built against a private copy of the local
# Maven repository (so that its SNAPSHOT artifacts never replace the ones of the working tree).
# The subset: Stepper.step of LSTM and GRU at H = 32, 128, 512 (float), forward over a 100-step sequence
# of the same six, one LSTM-128 training
# update at batch 1 and 32, and the char-LSTM update at batch 1 and 32; 1 fork, 3 x 1 s warm-up,
# 5 x 1 s measurement. About 4 minutes per commit plus its build (about 1 minute, offline).
# Environment: JAVA (default java), JMH_ARGS (appended to every JMH command), ABLATION_REPO
# (the private Maven repository, default /tmp/unroll-ablation-m2).
set -euo pipefail
if [ $# -eq 0 ]; then
    echo "usage: $0 COMMIT..." >&2
    exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
java=${JAVA:-java}
repo=${ABLATION_REPO:-/tmp/unroll-ablation-m2}
run="benchmarks/results/ablation-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$run"
if [ ! -d "$repo" ]; then
    cp -r "${HOME}/.m2/repository" "$repo"
fi
# shellcheck disable=SC2206
extra=(${JMH_ARGS:-})
timing=(-f 1 -wi 3 -w 1s -i 5 -r 1s)
tree=$(mktemp -d /tmp/unroll-ablation-XXXXXX)
trap 'git worktree remove --force "$tree" >/dev/null 2>&1 || true' EXIT
git worktree add -q --detach "$tree" HEAD
for commit in "$@"; do
    sha=$(git rev-parse --short "$commit")
    echo "== $(date +%H:%M:%S) building $commit ($sha)"
    (cd "$tree" && git checkout -q --detach "$sha" \
        && mvn -B -q -o -Dmaven.repo.local="$repo" install -DskipTests -Dinvoker.skip=true \
            -pl maven-plugin,benchmarks -am)
    cp "$tree/benchmarks/target/benchmarks.jar" "$run/benchmarks-$sha.jar"
    echo "== $(date +%H:%M:%S) measuring $sha"
    "$java" -jar "$run/benchmarks-$sha.jar" "dev.unroll.bench.StepBenchmark" "${timing[@]}" -p impl=unroll \
        -p cell=lstm,gru -p hidden=32,128,512 -p precision=float "${extra[@]}" \
        -rf json -rff "$run/$sha-step.json" > "$run/$sha-step.log"
    "$java" -jar "$run/benchmarks-$sha.jar" "dev.unroll.bench.SequenceBenchmark" "${timing[@]}" -p impl=unroll \
        -p cell=lstm,gru -p hidden=32,128,512 -p precision=float -p steps=100 "${extra[@]}" \
        -rf json -rff "$run/$sha-sequence.json" > "$run/$sha-sequence.log"
    "$java" -jar "$run/benchmarks-$sha.jar" "dev.unroll.bench.TrainBenchmark" "${timing[@]}" -p impl=unroll \
        -p cell=lstm -p hidden=128 -p precision=float -p steps=25 -p batch=1,32 "${extra[@]}" \
        -rf json -rff "$run/$sha-train.json" > "$run/$sha-train.log"
    "$java" -jar "$run/benchmarks-$sha.jar" "dev.unroll.bench.CharLstmBenchmark" "${timing[@]}" -p impl=unroll \
        "${extra[@]}" -rf json -rff "$run/$sha-char.json" > "$run/$sha-char.log"
    rm "$run/benchmarks-$sha.jar"
done
{
    echo "# ablation, $(date -u +%Y-%m-%dT%H:%M:%SZ); commits: $*"
    echo "# $("$java" -version 2>&1 | head -1); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$run/environment.txt"
python3 - "$run" "$@" <<'EOF'
import json, subprocess, sys, os
run = sys.argv[1]
commits = [subprocess.check_output(["git", "rev-parse", "--short", c], text=True).strip() for c in sys.argv[2:]]
rows = {}
for sha in commits:
    for group in ("step", "sequence", "train", "char"):
        path = os.path.join(run, f"{sha}-{group}.json")
        if not os.path.exists(path):
            continue
        for e in json.load(open(path)):
            p = e.get("params", {})
            name = {"step": lambda: f"step {p['cell']} H={p['hidden']}",
                    "sequence": lambda: f"sequence {p['cell']} H={p['hidden']} T={p['steps']}",
                    "train": lambda: f"train lstm H=128 batch {p['batch']}",
                    "char": lambda: f"char-LSTM batch {p['batch']}"}[group]()
            m = e["primaryMetric"]
            rows.setdefault(name, {})[sha] = f"{m['score']:,.{0 if m['scoreUnit'] == 'ns/op' else 2}f} {m['scoreUnit']}"
lines = ["| benchmark | " + " | ".join(commits) + " |", "|---|" + "---|" * len(commits)]
for name, by in rows.items():
    lines.append(f"| {name} | " + " | ".join(by.get(c, "–") for c in commits) + " |")
text = "\n".join(lines) + "\n"
open(os.path.join(run, "ablation.md"), "w").write(text)
print(text)
EOF
echo "== results in $run"
