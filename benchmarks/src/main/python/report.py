#!/usr/bin/env python3
"""Prints the table of a benchmark run: Unroll against the EJML baseline and against PyTorch.

    python3 report.py benchmarks/results/quick-20260101-120000

Reads every jmh-*.json (JMH's JSON output) and pytorch-*.json (bench_pytorch.py's) of the run
directory, prints one markdown table per benchmark kind to stdout and writes them to report.md
in the same directory. Only the standard library is used.

A ratio is the other implementation's time divided by Unroll's, measured in the same run:
above 1 Unroll is faster. GFLOP/s counts 2*G*H*(I+H) + 2*O*H per step forward (G = 1 RNN,
3 GRU, 4 LSTM; the head included; elementwise work ignored), and 3 times that for a training
update (forward and backward), as PERFORMANCE.md does.
"""

import glob
import json
import os
import sys

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
KINDS = {"StepBenchmark": "step", "SequenceBenchmark": "sequence", "TrainBenchmark": "train",
         "CharLstmBenchmark": "char"}
UNIT_SECONDS = {"ns/op": 1e-9, "us/op": 1e-6, "\u00b5s/op": 1e-6, "ms/op": 1e-3, "s/op": 1.0}


def key(kind, cell=None, hidden=None, precision=None, steps=None, batch=None):
    return (kind, cell, None if hidden is None else int(hidden), precision,
            None if steps is None else int(steps), None if batch is None else int(batch))


def load(run_dir):
    """Returns {key: {impl: (seconds, error_seconds or None)}} and the PyTorch metadata."""
    results = {}
    for path in sorted(glob.glob(os.path.join(run_dir, "jmh-*.json"))):
        with open(path) as f:
            text = f.read().strip()
        if not text:
            continue
        for entry in json.loads(text):
            kind = KINDS.get(entry["benchmark"].split(".")[-2])
            if kind is None:
                continue
            params = dict(entry.get("params", {}))
            impl = params.pop("impl")
            metric = entry["primaryMetric"]
            scale = UNIT_SECONDS[metric["scoreUnit"]]
            error = metric.get("scoreError")
            error = None if error in (None, "NaN") or error != error else float(error) * scale
            k = key(kind, params.get("cell"), params.get("hidden"), params.get("precision"),
                    params.get("steps"), params.get("batch"))
            results.setdefault(k, {})[impl] = (float(metric["score"]) * scale, error)
    torch_meta = None
    for path in sorted(glob.glob(os.path.join(run_dir, "pytorch-*.json"))):
        with open(path) as f:
            data = json.load(f)
        torch_meta = {k: data[k] for k in ("torch", "threads")}
        for row in data["rows"]:
            kind = row["kind"]
            impl = "pytorch"
            if kind == "sequence_cells":
                kind, impl = "sequence", "pytorch_cells"
            k = key(kind, row.get("cell"), row.get("hidden"), row.get("precision"), row.get("steps"),
                    row.get("batch"))
            results.setdefault(k, {})[impl] = (row["seconds"], None)
    return results, torch_meta


def step_flops(cell, hidden, inputs=64, outputs=64):
    return 2 * GATES[cell] * hidden * (inputs + hidden) + 2 * outputs * hidden


def flops(k):
    kind, cell, hidden, _, steps, batch = k
    if kind == "step":
        return step_flops(cell, hidden)
    if kind == "sequence":
        return step_flops(cell, hidden) * steps
    if kind == "train":
        return 3 * step_flops(cell, hidden) * steps * batch
    if kind == "char":
        return 3 * step_flops("lstm", 128, 65, 65) * 25 * batch
    raise ValueError(kind)


def fmt_time(seconds, unit):
    if seconds is None:
        return "–"
    value = seconds / {"ns": 1e-9, "us": 1e-6, "ms": 1e-3}[unit]
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}" if value >= 10 else f"{value:,.2f}"


def fmt_unroll(cell_results, unit, divide=1):
    """Unroll's time, with JMH's 99.9% confidence half-width as a percentage when there is one."""
    value = cell_results.get("unroll")
    if value is None:
        return "–"
    seconds, error = value
    text = fmt_time(seconds / divide, unit)
    return text if error is None else f"{text} ±{100 * error / seconds:.0f}%"


def fmt_ratio(other, unroll):
    if other is None or unroll is None:
        return "–"
    return f"{other / unroll:.2f}×"


def get(cell_results, impl):
    value = cell_results.get(impl)
    return None if value is None else value[0]


def table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def sort_key(k):
    kind, cell, hidden, precision, steps, batch = k
    return (list(GATES).index(cell) if cell else -1, precision or "", hidden or 0, steps or 0, batch or 0)


def report(results, torch_meta):
    out = []
    by_kind = {}
    for k in sorted(results, key=sort_key):
        by_kind.setdefault(k[0], []).append(k)

    if "step" in by_kind:
        rows = []
        for k in by_kind["step"]:
            r = results[k]
            u, e, p = get(r, "unroll"), get(r, "ejml"), get(r, "pytorch")
            rows.append([k[1], k[2], k[3], fmt_unroll(r, "ns"), fmt_time(e, "ns"), fmt_time(p, "ns"),
                         fmt_ratio(e, u), fmt_ratio(p, u),
                         f"{flops(k) / u / 1e9:.1f}" if u else "–"])
        out.append("### Inference, one step at batch 1 (Stepper.step; PyTorch: nn.*Cell + nn.Linear)\n")
        out.append(table(["cell", "H", "precision", "Unroll ns", "EJML ns", "PyTorch ns", "EJML / Unroll",
                          "PyTorch / Unroll", "Unroll GFLOP/s"], rows))
    if "sequence" in by_kind:
        rows = []
        for k in by_kind["sequence"]:
            r = results[k]
            u, e, p, pc = get(r, "unroll"), get(r, "ejml"), get(r, "pytorch"), get(r, "pytorch_cells")
            rows.append([k[1], k[2], k[3], k[4], fmt_unroll(r, "us"), fmt_time(u / k[4] if u else None, "us"),
                         fmt_time(e, "us"), fmt_time(p, "us"), fmt_time(pc, "us"),
                         fmt_ratio(e, u), fmt_ratio(p, u), fmt_ratio(pc, u),
                         f"{flops(k) / u / 1e9:.1f}" if u else "–"])
        out.append("\n### Inference, one sequence at batch 1 (forward; PyTorch: nn.LSTM/GRU/RNN + head, "
                   "and a loop of nn.*Cell steps)\n")
        out.append(table(["cell", "H", "precision", "steps", "Unroll µs", "Unroll µs/step", "EJML µs",
                          "PyTorch µs", "PyTorch cells µs", "EJML / Unroll", "PyTorch / Unroll",
                          "PyTorch cells / Unroll", "Unroll GFLOP/s"], rows))
    if "train" in by_kind:
        rows = []
        for k in by_kind["train"]:
            r = results[k]
            u, e, p = get(r, "unroll"), get(r, "ejml"), get(r, "pytorch")
            rows.append([k[1], k[2], k[3], k[4], k[5], fmt_unroll(r, "ms"),
                         f"{k[5] / u:,.0f}" if u else "–", fmt_time(e, "ms"), fmt_time(p, "ms"),
                         fmt_ratio(e, u), fmt_ratio(p, u), f"{flops(k) / u / 1e9:.1f}" if u else "–"])
        out.append("\n### Training, one update (trainStep: forward, mse, BPTT, clip value 5, Adagrad)\n")
        out.append(table(["cell", "H", "precision", "steps", "batch", "Unroll ms", "Unroll seq/s", "EJML ms",
                          "PyTorch ms", "EJML / Unroll", "PyTorch / Unroll", "Unroll GFLOP/s"], rows))
    if "char" in by_kind:
        rows = []
        for k in by_kind["char"]:
            r = results[k]
            u, e, p = get(r, "unroll"), get(r, "ejml"), get(r, "pytorch")
            rows.append([k[5], fmt_unroll(r, "ms"), f"{k[5] / u:,.0f}" if u else "–", fmt_time(e, "ms"),
                         fmt_time(p, "ms"), fmt_ratio(e, u), fmt_ratio(p, u),
                         f"{flops(k) / u / 1e9:.1f}" if u else "–"])
        out.append("\n### Training, char-level LSTM (65 one-hot, lstm 128, softmax 65, 25 steps, "
                   "cross-entropy, clip value 5, Adagrad 0.1, float)\n")
        out.append(table(["batch", "Unroll ms", "Unroll seq/s", "EJML ms", "PyTorch ms", "EJML / Unroll",
                          "PyTorch / Unroll", "Unroll GFLOP/s"], rows))
    out.append("\nRatios: the other implementation's time / Unroll's (above 1: Unroll is faster). "
               "Unroll's ±: JMH's 99.9% confidence half-width. Java runs single-threaded"
               + (f"; PyTorch {torch_meta['torch']} with {torch_meta['threads']} threads." if torch_meta
                  else "; no PyTorch results in this run."))
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py RUN_DIRECTORY")
    run_dir = sys.argv[1]
    results, torch_meta = load(run_dir)
    if not results:
        sys.exit(f"no results in {run_dir}")
    text = report(results, torch_meta)
    with open(os.path.join(run_dir, "report.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
