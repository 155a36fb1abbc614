#!/usr/bin/env bash
# Prints the class path of the A/B harness: the runtime jar of the working tree and EJML from the local repository.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# MAVEN_REPO: the local Maven repository that holds EJML (default ~/.m2/repository)
repo=${MAVEN_REPO:-$HOME/.m2/repository}
ejml=$(find "$repo/org/ejml" -name '*.jar' | tr '\n' ':')
echo "$root/runtime/target/unroll-runtime-0.1.0-SNAPSHOT.jar:$ejml"
