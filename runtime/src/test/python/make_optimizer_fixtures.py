#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures the runtime's Java tests compare against.

How to regenerate (from the repository root; needs Debian's PyTorch, not a pip one):

    apt-get install python3-torch
    /usr/bin/python3 runtime/src/test/python/make_optimizer_fixtures.py

The output is deterministic (seeded, CPU, float64) and goes to
runtime/src/test/resources/fixtures/; commit the regenerated files with the change that needed them.
Generated with torch 1.13 (Debian bookworm's python3-torch).

What it writes:

* optim_*.safetensors: for every optimizer kind with non-default hyper-parameters (weight decay,
  Nesterov, RMSprop momentum, AdamW's decoupled decay), every learning-rate schedule and every
  gradient-clipping mode, a few steps of torch.optim in float64 from seeded random parameters and
  gradients. Tensors: init.<p> (initial values), grad.<t>.<p> (the raw gradient of step t),
  clipped.<t>.<p> (after clipping, when clipping is on), value.<t>.<p> (after step t), lr (the
  learning rate used by each step), norm (the global L2 norm of the raw gradients of each step,
  when clipping is on). The header's __metadata__ holds the configuration as strings, in the
  names of dev.unroll.runtime.optim.OptimizerConfig.
* pytorch_lstm2_state_dict.safetensors: the float32 state_dict of a module holding
  nn.LSTM(3, 4, num_layers=2) as `lstm` and nn.Linear(4, 2) as `fc`, as
  safetensors.torch.save_file would write it, for PyTorchImport's test.

The `safetensors` pip package is not available here, so a tiny writer below does the format:
8-byte little-endian header length, JSON header padded with spaces to a multiple of 8, then the
little-endian tensor bytes in order.
"""

import json
import math
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "resources", "fixtures"))

STEPS = 6


def write_safetensors(path, tensors, metadata):
    """tensors: list of (name, torch tensor); float64 -> F64, float32 -> F32."""
    header = {}
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name, t in tensors:
        t = t.detach().contiguous()
        if t.dtype == torch.float64:
            dtype, fmt = "F64", "d"
        elif t.dtype == torch.float32:
            dtype, fmt = "F32", "f"
        else:
            raise ValueError(f"{name}: unsupported dtype {t.dtype}")
        values = t.flatten().tolist()
        blob = struct.pack("<%d%s" % (len(values), fmt), *values)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for blob in blobs:
            f.write(blob)


def schedule_lr(schedule, lr, t):
    """The learning rate of the update after t updates (the formulas of LearningRateSchedule)."""
    kind = schedule["kind"]
    if kind == "constant":
        return lr
    if kind == "step":
        return lr * schedule["gamma"] ** (t // schedule["every"])
    if kind == "cosine":
        lo, period = schedule["min_lr"], schedule["period"]
        return lo + (lr - lo) * (1 + math.cos(math.pi * min(t, period) / period)) / 2
    raise ValueError(kind)


def check_against_torch_scheduler(schedule, lr, steps):
    """Asserts that the formulas agree with torch.optim.lr_scheduler where torch defines them."""
    if schedule["kind"] == "constant":
        return
    dummy = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    if schedule["kind"] == "step":
        sched = torch.optim.lr_scheduler.StepLR(dummy, step_size=schedule["every"], gamma=schedule["gamma"])
        limit = steps
    else:
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(dummy, T_max=schedule["period"], eta_min=schedule["min_lr"])
        limit = schedule["period"] + 1  # torch's cosine goes back up after T_max; ours stays at the minimum
    for t in range(limit):
        torch_lr = dummy.param_groups[0]["lr"]
        ours = schedule_lr(schedule, lr, t)
        assert abs(torch_lr - ours) <= 1e-12 * lr, (schedule, t, torch_lr, ours)
        dummy.step()
        sched.step()


def make_optimizer(kind, params, c):
    if kind in ("SGD", "MOMENTUM"):
        return torch.optim.SGD(params, lr=c["lr"], momentum=c["momentum"], nesterov=c["nesterov"],
                               weight_decay=c["weight_decay"])
    if kind == "ADAGRAD":
        return torch.optim.Adagrad(params, lr=c["lr"], eps=c["epsilon"], weight_decay=c["weight_decay"])
    if kind == "RMSPROP":
        return torch.optim.RMSprop(params, lr=c["lr"], alpha=c["alpha"], eps=c["epsilon"],
                                   weight_decay=c["weight_decay"], momentum=c["momentum"])
    if kind == "ADAM":
        return torch.optim.Adam(params, lr=c["lr"], betas=(c["beta1"], c["beta2"]), eps=c["epsilon"],
                                weight_decay=c["weight_decay"])
    if kind == "ADAMW":
        return torch.optim.AdamW(params, lr=c["lr"], betas=(c["beta1"], c["beta2"]), eps=c["epsilon"],
                                 weight_decay=c["weight_decay"])
    raise ValueError(kind)


DEFAULTS = dict(lr=0.01, momentum=0.0, nesterov=False, beta1=0.9, beta2=0.999, epsilon=1e-8, alpha=0.99,
                weight_decay=0.0)


def clip(params, spec):
    """Clips in the order value, per-parameter, global; returns the global norm of the raw gradients."""
    raw = torch.norm(torch.stack([torch.norm(p.grad.detach(), 2.0) for p in params]), 2.0).item()
    if "value" in spec:
        torch.nn.utils.clip_grad_value_(params, spec["value"])
    if "per_parameter" in spec:
        for p in params:
            torch.nn.utils.clip_grad_norm_([p], spec["per_parameter"])
    if "global" in spec:
        torch.nn.utils.clip_grad_norm_(params, spec["global"])
    return raw


def run_case(name, kind, config, schedule=None, clipping=None, dtype=torch.float64, seed=0, grad_scale=1.0):
    schedule = schedule or {"kind": "constant"}
    clipping = clipping or {}
    c = dict(DEFAULTS)
    c.update(config)
    check_against_torch_scheduler(schedule, c["lr"], STEPS)
    g = torch.Generator().manual_seed(seed)
    shapes = {"p0": (3, 4), "p1": (5,)}
    params = {n: torch.randn(s, generator=g, dtype=torch.float64).to(dtype).requires_grad_(True)
              for n, s in shapes.items()}
    plist = list(params.values())
    opt = make_optimizer(kind, plist, c)
    tensors = [("init." + n, p.detach().clone()) for n, p in params.items()]
    lrs, norms = [], []
    for t in range(STEPS):
        for n, p in params.items():
            # gradients of varied magnitude, some large enough to be clipped
            grad = (torch.randn(p.shape, generator=g, dtype=torch.float64) * grad_scale * (1 + t % 3)).to(dtype)
            p.grad = grad.clone()
            tensors.append((f"grad.{t}.{n}", grad))
        if clipping:
            norms.append(clip(plist, clipping))
            for n, p in params.items():
                tensors.append((f"clipped.{t}.{n}", p.grad.detach().clone()))
        lr = schedule_lr(schedule, c["lr"], t)
        lrs.append(lr)
        for group in opt.param_groups:
            group["lr"] = lr
        opt.step()
        for n, p in params.items():
            tensors.append((f"value.{t}.{n}", p.detach().clone()))
    tensors.append(("lr", torch.tensor(lrs, dtype=torch.float64)))
    if clipping:
        tensors.append(("norm", torch.tensor(norms, dtype=torch.float64)))
    meta = {"kind": kind, "steps": STEPS, "params": ",".join(params), "dtype": str(dtype).replace("torch.", ""),
            "schedule": schedule["kind"], "torch_version": torch.__version__}
    for k, v in c.items():
        meta[k] = repr(v).lower() if isinstance(v, bool) else repr(float(v))
    for k, v in schedule.items():
        if k != "kind":
            meta["schedule." + k] = repr(v)
    meta["clip"] = ",".join(f"{k}={v!r}" for k, v in clipping.items())
    path = os.path.join(OUT, f"optim_{name}.safetensors")
    write_safetensors(path, tensors, meta)
    print("wrote", os.path.relpath(path))


def make_state_dict():
    torch.manual_seed(1234)

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(3, 4, num_layers=2, batch_first=True)
            self.fc = torch.nn.Linear(4, 2)

    sd = Model().state_dict()
    path = os.path.join(OUT, "pytorch_lstm2_state_dict.safetensors")
    write_safetensors(path, list(sd.items()), {"format": "pt"})
    print("wrote", os.path.relpath(path), list(sd.keys()))


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    # every optimizer kind, non-default hyper-parameters
    run_case("sgd", "SGD", dict(lr=0.1), seed=1)
    run_case("sgd_weight_decay", "SGD", dict(lr=0.05, weight_decay=0.01), seed=2)
    run_case("momentum", "MOMENTUM", dict(lr=0.1, momentum=0.9, weight_decay=0.001), seed=3)
    run_case("momentum_nesterov", "MOMENTUM", dict(lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.01), seed=4)
    run_case("adagrad", "ADAGRAD", dict(lr=0.1, epsilon=1e-6, weight_decay=0.02), seed=5, grad_scale=1e-5)
    run_case("rmsprop", "RMSPROP", dict(lr=0.01, alpha=0.9, epsilon=1e-5, weight_decay=0.01), seed=6, grad_scale=1e-3)
    run_case("rmsprop_momentum", "RMSPROP", dict(lr=0.01, alpha=0.95, epsilon=1e-6, momentum=0.5), seed=7)
    run_case("adam", "ADAM", dict(lr=0.01, beta1=0.8, beta2=0.95, epsilon=1e-6, weight_decay=0.05), seed=8)
    run_case("adamw", "ADAMW", dict(lr=0.01, beta1=0.85, beta2=0.99, epsilon=1e-7, weight_decay=0.1), seed=9)
    # schedules
    run_case("schedule_step", "MOMENTUM", dict(lr=0.1, momentum=0.9), schedule={"kind": "step", "gamma": 0.5, "every": 2},
             seed=10)
    run_case("schedule_cosine", "ADAM", dict(lr=0.1), schedule={"kind": "cosine", "min_lr": 0.001, "period": 4}, seed=11)
    # clipping
    run_case("clip_value", "SGD", dict(lr=0.1), clipping={"value": 0.5}, seed=12)
    run_case("clip_per_parameter", "SGD", dict(lr=0.1), clipping={"per_parameter": 2.0}, seed=13)
    run_case("clip_global", "MOMENTUM", dict(lr=0.1, momentum=0.9), clipping={"global": 3.0}, seed=14)
    run_case("clip_all", "ADAM", dict(lr=0.01), clipping={"value": 1.5, "per_parameter": 3.0, "global": 3.5},
             schedule={"kind": "step", "gamma": 0.9, "every": 1}, seed=15)
    # float32 parameters, for the float path (compared with a float32 tolerance)
    run_case("adam_float32", "ADAM", dict(lr=0.01, weight_decay=0.01), dtype=torch.float32, seed=16)
    make_state_dict()


if __name__ == "__main__":
    main()
