#!/usr/bin/env python3
"""Writes the seed inputs of SafeTensorsFuzzTest#checkpointFile (runtime module).

Each seed is one byte of import options (see SafeTensorsFuzzTest) followed by a safetensors file:
valid state_dicts for the fuzz test's model (nn.LSTM(3, 2) as "lstm", nn.Linear(2, 2) as "fc"),
with and without extra tensors, in F32 and F64, and a few near misses. The fuzzer starts from
these; what it finds is kept beside them. Run from the repository root; standard library only.
"""
import json, math, os, struct

OUT = "runtime/src/test/resources/dev/unroll/runtime/checkpoint/SafeTensorsFuzzTestInputs/checkpointFile"


def safetensors(tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, shape, values) in tensors.items():
        code = {"F32": "f", "F64": "d", "F16": "e", "I64": "q"}[dtype]
        blob = struct.pack(f"<{len(values)}{code}", *values)
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    return struct.pack("<Q", len(head)) + head + b"".join(blobs)


def lstm(prefix="lstm.", head="fc.", dtype="F32", layers=1, extra=None):
    t = {}
    for k in range(layers):
        n_in = 3 if k == 0 else 2
        t[f"{prefix}weight_ih_l{k}"] = (dtype, (8, n_in), [0.01 * i for i in range(8 * n_in)])
        t[f"{prefix}weight_hh_l{k}"] = (dtype, (8, 2), [-0.02 * i for i in range(16)])
        t[f"{prefix}bias_ih_l{k}"] = (dtype, (8,), [0.5] * 8)
        t[f"{prefix}bias_hh_l{k}"] = (dtype, (8,), [-0.25] * 8)
    t[f"{head}weight"] = (dtype, (2, 2), [1.0, 2.0, 3.0, 4.0])
    t[f"{head}bias"] = (dtype, (2,), [0.0, -1.0])
    t.update(extra or {})
    return t


seeds = {
    "lstm-f32": (0, lstm()),
    "lstm-f64": (1, lstm(dtype="F64")),
    "lstm-f16": (0, lstm(dtype="F16")),
    "lstm-no-prefix": (4 | 8, lstm(prefix="")),
    "lstm-explicit": (4 | 16, lstm()),
    "lstm-optimizer-state": (2, lstm(extra={"opt.state.0.exp_avg": ("F32", (8, 3), [0.0] * 24),
                                            "step": ("I64", (1,), [5])})),
    "lstm-filtered": (32, lstm(extra={"opt.lr": ("F64", (), [0.1])})),
    "lstm-two-layers": (0, lstm(layers=2)),
    "lstm-two-modules": (2 | 4, {**lstm(), **lstm(prefix="dec.", head="out.")}),
    "lstm-gru-shaped": (0, {"gru.weight_ih_l0": ("F32", (6, 3), [0.0] * 18), "gru.weight_hh_l0": ("F32", (6, 2), [0.0] * 12),
                           "gru.bias_ih_l0": ("F32", (6,), [0.0] * 6), "gru.bias_hh_l0": ("F32", (6,), [0.0] * 6),
                           "fc.weight": ("F32", (2, 2), [0.0] * 4), "fc.bias": ("F32", (2,), [0.0] * 2)}),
    "lstm-nan": (0, lstm(extra={}) | {"fc.bias": ("F32", (2,), [float("nan"), 1.0])}),
    "metadata": (0, {"x": ("F64", (2, 2), [1, 2, 3, 4])}),
    "empty": (0, {}),
    "scalar-and-empty": (0, {"s": ("F32", (), [1.5]), "e": ("F64", (0, 3), [])}),
}

os.makedirs(OUT, exist_ok=True)
for name, (flags, tensors) in seeds.items():
    meta = {"format": "pt", "step": "17"} if name == "metadata" else None
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes([flags]) + safetensors(tensors, meta))
# a few raw near misses: a zip, a pickle, a header cut short
with open(os.path.join(OUT, "torch-save-zip"), "wb") as f:
    f.write(b"\x00PK\x03\x04\x14\x00\x00\x00" + bytes(64))
with open(os.path.join(OUT, "pickle"), "wb") as f:
    f.write(b"\x00\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19." + bytes(32))
with open(os.path.join(OUT, "truncated"), "wb") as f:
    f.write(bytes([0]) + safetensors(lstm())[:150])
print(len(os.listdir(OUT)), "seeds in", OUT)
