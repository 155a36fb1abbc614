#!/usr/bin/python3
"""One-step ONNX graphs of the step benchmark's networks, as torch.onnx.export writes them.

For every <Name>.safetensors in the directory (written by dev.unroll.bench.ort.ExportModels: the
generated grid model's default weights under PyTorch's names), builds the same network in PyTorch,

    x [1, 1, 64] -> nn.LSTM(64, H) or nn.GRU(64, H), state (h0, c0) or h0 [1, 1, H] in,
                 -> nn.Linear(H, 64) -> y [1, 1, 64];  state (hn, cn) or hn [1, 1, H] out,

loads the weights with load_state_dict (strict: every tensor must match by name and shape), and
writes <Name>.torch.onnx with torch.onnx.export (opset 14, constant folding, static shapes, inputs
named x, h0, c0 and outputs y, hn, cn). The state is an input and an output, so a program can step
the graph one time step per session.run, as OrtStepBenchmark does. The benchmark checks, before
timing, that the graph computes what the generated model computes.

Run with Debian's python3-torch (1.13), from the repository root (benchmarks/ort.sh does it):

    /usr/bin/python3 benchmarks/src/main/python/export_onnx_steps.py [--dir benchmarks/target/onnx]

Only the standard library and torch are needed (the onnx package is not). A few seconds for the
16 models of the grid. The .onnx files are build outputs, never committed.
"""
import argparse
import glob
import json
import os
import struct
import sys
import time
import warnings

import torch
import torch.nn as nn

INPUT, OUTPUT = 64, 64
DTYPES = {"F32": (torch.float32, 4), "F64": (torch.float64, 8)}


def load_safetensors(path):
    """Reads a safetensors file with the standard library: header length, JSON header, data."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        dtype, size = DTYPES[info["dtype"]]
        start, end = info["data_offsets"]
        count = (end - start) // size
        t = torch.frombuffer(bytearray(data[base + start:base + end]), dtype=dtype, count=count)
        tensors[name] = t.reshape(info["shape"]).clone()
    return tensors, metadata


class Step(nn.Module):
    """One time step of the grid network: the recurrent layer from a given state, then the head."""

    def __init__(self, cell, hidden):
        super().__init__()
        self.cell = cell
        self.rnn = (nn.LSTM if cell == "lstm" else nn.GRU)(INPUT, hidden)
        self.head = nn.Linear(hidden, OUTPUT)

    def forward(self, x, h0, c0=None):
        if self.cell == "lstm":
            out, (hn, cn) = self.rnn(x, (h0, c0))
            return self.head(out), hn, cn
        out, hn = self.rnn(x, h0)
        return self.head(out), hn


def export(path, out):
    tensors, metadata = load_safetensors(path)
    cell = metadata.get("cell") or ("lstm" if tensors["rnn.weight_ih_l0"].shape[0] % 4 == 0 else "gru")
    hidden = tensors["rnn.weight_hh_l0"].shape[1]
    dtype = tensors["rnn.weight_ih_l0"].dtype
    net = Step(cell, hidden).to(dtype).eval()
    net.load_state_dict(tensors, strict=True)
    generator = torch.Generator().manual_seed(1)
    x = torch.rand(1, 1, INPUT, generator=generator, dtype=dtype) * 2 - 1
    h0 = torch.zeros(1, 1, hidden, dtype=dtype)
    inputs = (x, h0, torch.zeros(1, 1, hidden, dtype=dtype)) if cell == "lstm" else (x, h0)
    in_names = ["x", "h0", "c0"] if cell == "lstm" else ["x", "h0"]
    out_names = ["y", "hn", "cn"] if cell == "lstm" else ["y", "hn"]
    with torch.no_grad():
        torch.onnx.export(net, inputs, out, opset_version=14, do_constant_folding=True,
                          input_names=in_names, output_names=out_names)
    return cell, hidden, dtype


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", default="benchmarks/target/onnx",
                        help="where ExportModels wrote <Name>.safetensors; the graphs go beside them")
    args = parser.parse_args()
    files = sorted(glob.glob(os.path.join(args.dir, "*.safetensors")))
    if not files:
        print(f"no *.safetensors in {args.dir}: run dev.unroll.bench.ort.ExportModels first "
              "(benchmarks/ort.sh export does both)", file=sys.stderr)
        return 1
    torch.set_num_threads(1)
    # torch 1.13 warns, for every LSTM/GRU export, about batch sizes other than 1 and shape inference:
    # the graphs here have batch 1 and static shapes.
    warnings.filterwarnings("ignore", category=UserWarning, module="torch.onnx")
    start = time.perf_counter()
    for path in files:
        name = os.path.basename(path)[:-len(".safetensors")]
        out = os.path.join(args.dir, name + ".torch.onnx")
        cell, hidden, dtype = export(path, out)
        print(f"{name}: {cell} H={hidden} {str(dtype).replace('torch.', '')} -> {out} "
              f"({os.path.getsize(out):,} bytes)")
    print(f"torch {torch.__version__}: {len(files)} graphs in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
