#!/usr/bin/env bash
# Regenerates the PyTorch reference fixtures under compiler/src/test/resources/fixtures/pytorch*/.
# Installs Debian's python3-torch first when /usr/bin/python3 cannot import torch (needs root or
# sudo). Extra arguments go to the generator, e.g. --check-specs compiler/target/unroll.jar.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
    echo "installing python3-torch (Debian) ..." >&2
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo="sudo"
    fi
    $sudo apt-get update
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y python3-torch
fi

/usr/bin/python3 compiler/src/test/python/make_pytorch_fixtures.py "$@"
# encoder-decoders with an embedding input: fixtures/pytorch-encdec-embedding/ (takes no arguments)
/usr/bin/python3 compiler/src/test/python/make_encdec_embedding_fixtures.py
# dropout in encoder-decoders (fixtures/pytorch-encdec-dropout/), from make_pytorch_fixtures.py's builders
/usr/bin/python3 compiler/src/test/python/make_encdec_dropout_fixtures.py
