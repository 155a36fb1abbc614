#!/usr/bin/env bash
# CPU-time A/B of Stepper.step for a machine that other work loads (see README.md).
#
#   benchmarks/cputime-ab/build.sh NAME COMPILER_JAR      # generate + compile the float/double grid models into
#                                                          # benchmarks/results/cputime-ab/NAME
#   benchmarks/cputime-ab/run.sh MODEL INPUT float|double ROUNDS NAME...   # e.g. LstmH32F32T25 64 float 30 base new
#
# COMPILER_JAR is an unroll.jar (compiler/target/unroll.jar of some commit); the runtime and EJML jars are the
# working tree's and the local Maven repository's.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
name=$1
jar=$2
here="$root/benchmarks/cputime-ab"
out="$root/benchmarks/results/cputime-ab/$name"
cp=$("$here/classpath.sh")
rm -rf "$out"
mkdir -p "$out/src"
java -jar "$jar" generate -d "$out/src" "$root"/benchmarks/src/main/rnn/{lstm,gru}_f{32,64}.rnn "$root"/benchmarks/src/main/rnn/char_lstm.rnn > /dev/null
javac -nowarn -d "$out" -cp "$cp" $(find "$out/src" -name '*.java') "$here/Driver.java" "$here/TrainDriver.java"
rm -rf "$out/src"
echo "built $out"
