#!/usr/bin/env python3
"""Prints the table of a benchmark run: Unroll against the EJML baseline, PyTorch and C++.

    python3 report.py benchmarks/results/report-20260101-120000

Reads, in the run directory, every jmh-*.json (JMH's JSON output, the main JDK), jmh25-*.json
(the generated code's step on a second JDK, a column of its own), pytorch-*.json
(bench_pytorch.py's), cpp-eigen.json (benchmarks/cpp's C++ Eigen reference), ort-step.json
(OrtStepBenchmark, ONNX Runtime's step: columns of their own in the step table) and environment.txt;
prints one markdown table per benchmark kind and a summary against the targets of issue 5 to
stdout and writes them to report.md in the same directory, with speedup.svg, a plot of the batch-1
float step. Any of the files may be missing: its columns and rows are then left out or show "–".
Only the standard library is used.

A ratio is the other implementation's time divided by Unroll's, measured in the same run:
above 1 Unroll is faster. GFLOP/s counts 2*G*H*(I+H) + 2*O*H per step forward (G = 1 RNN,
3 GRU, 4 LSTM; the head included; elementwise work ignored), and 3 times that for a training
update (forward and backward), as PERFORMANCE.md does.
"""

import glob
import json
import math
import os
import sys
from xml.sax.saxutils import escape

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
PRECISIONS = ["float", "double"]
KINDS = {"StepBenchmark": "step", "SequenceBenchmark": "sequence", "TrainBenchmark": "train",
         "CharLstmBenchmark": "char"}
UNIT_SECONDS = {"ns/op": 1e-9, "us/op": 1e-6, "\u00b5s/op": 1e-6, "ms/op": 1e-3, "s/op": 1.0}


def key(kind, cell=None, hidden=None, precision=None, steps=None, batch=None):
    return (kind, cell, None if hidden is None else int(hidden), precision,
            None if steps is None else int(steps), None if batch is None else int(batch))


def load_jmh(path, results, impl_suffix=""):
    """Adds the rows of one JMH JSON file to results; returns the JDK version it ran on, or None."""
    with open(path) as f:
        text = f.read().strip()
    if not text:
        return None
    jdk = None
    for entry in json.loads(text):
        kind = KINDS.get(entry["benchmark"].split(".")[-2])
        if kind is None:
            continue
        jdk = entry.get("jdkVersion", jdk)
        params = dict(entry.get("params", {}))
        impl = params.pop("impl") + impl_suffix
        metric = entry["primaryMetric"]
        scale = UNIT_SECONDS[metric["scoreUnit"]]
        error = metric.get("scoreError")
        error = None if error in (None, "NaN") or error != error else float(error) * scale
        k = key(kind, params.get("cell"), params.get("hidden"), params.get("precision"),
                params.get("steps"), params.get("batch"))
        results.setdefault(k, {})[impl] = (float(metric["score"]) * scale, error)
    return jdk


def load(run_dir):
    """Returns {key: {impl: (seconds, error_seconds or None)}} and the run's metadata.

    impl is unroll or ejml (the main JDK, jmh-*.json), unroll_jdk2 (jmh25-*.json), pytorch,
    pytorch_cells, cpp (cpp-eigen.json, whose median is taken) or ort_t1, ort_t2 (ort-step.json, the project
    exporter's graph at 1 and 2 intra-op threads) and ort_torch_t1, ort_torch_t2 (torch.onnx.export's)."""
    results = {}
    meta = {"torch": None, "jdk": None, "jdk2": None, "cpp": False, "environment": []}
    for path in sorted(glob.glob(os.path.join(run_dir, "jmh-*.json"))):
        meta["jdk"] = load_jmh(path, results) or meta["jdk"]
    for path in sorted(glob.glob(os.path.join(run_dir, "jmh25-*.json"))):
        meta["jdk2"] = load_jmh(path, results, "_jdk2") or meta["jdk2"]
    for path in sorted(glob.glob(os.path.join(run_dir, "pytorch-*.json"))):
        with open(path) as f:
            data = json.load(f)
        meta["torch"] = {k: data[k] for k in ("torch", "threads")}
        for row in data["rows"]:
            kind = row["kind"]
            impl = "pytorch"
            if kind == "sequence_cells":
                kind, impl = "sequence", "pytorch_cells"
            k = key(kind, row.get("cell"), row.get("hidden"), row.get("precision"), row.get("steps"),
                    row.get("batch"))
            results.setdefault(k, {})[impl] = (row["seconds"], None)
    cpp_path = os.path.join(run_dir, "cpp-eigen.json")
    if os.path.exists(cpp_path):
        with open(cpp_path) as f:
            text = f.read().strip()
        for row in json.loads(text) if text else []:
            k = key("step", row["cell"], row["hidden"], row["precision"])
            results.setdefault(k, {})["cpp"] = (row["ns_per_step_median"] * 1e-9, None)
            meta["cpp"] = True
    ort_path = os.path.join(run_dir, "ort-step.json")
    if os.path.exists(ort_path):
        with open(ort_path) as f:
            text = f.read().strip()
        for entry in json.loads(text) if text else []:
            p = entry.get("params", {})
            graph = "" if p.get("graph", "unroll") == "unroll" else "_" + p["graph"]
            metric = entry["primaryMetric"]
            k = key("step", p["cell"], p["hidden"], p["precision"])
            results.setdefault(k, {})[f"ort{graph}_t{p['threads']}"] = (
                float(metric["score"]) * UNIT_SECONDS[metric["scoreUnit"]], None)
    env_path = os.path.join(run_dir, "environment.txt")
    if os.path.exists(env_path):
        with open(env_path) as f:
            meta["environment"] = [line.lstrip("# ").rstrip() for line in f if line.strip()]
    return results, meta


def major(version):
    """'17.0.15' -> '17'."""
    return version.split(".")[0] if version else "?"


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


def fmt_unroll(cell_results, unit, divide=1, impl="unroll"):
    """Unroll's time, with JMH's 99.9% confidence half-width as a percentage when there is one."""
    value = cell_results.get(impl)
    if value is None:
        return "–"
    seconds, error = value
    text = fmt_time(seconds / divide, unit)
    return text if error is None else f"{text} ±{100 * error / seconds:.0f}%"


def fmt_ratio(other, unroll):
    if other is None or unroll is None:
        return "–"
    return fmt_x(other / unroll)


def fmt_x(ratio):
    return f"{ratio:.2f}×" if ratio >= 0.1 else f"{ratio:.3f}×"


def get(cell_results, impl):
    value = cell_results.get(impl)
    return None if value is None else value[0]


def table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def sort_key(k):
    kind, cell, hidden, precision, steps, batch = k
    return (list(GATES).index(cell) if cell else -1, PRECISIONS.index(precision) if precision else -1, hidden or 0,
            steps or 0, batch or 0)


KIND_ORDER = ["step", "sequence", "train", "char"]

# The targets of issue 5, each: (rows, goal, kinds, implementation compared, row filter). A goal "≥ x"
# is on the other implementation's time / Unroll's; "≤ x" on Unroll's time / the other's. Char-LSTM
# rows (float, H = 128) count as training rows.
TARGETS = [
    ("Step, batch 1, LSTM and GRU, float, H ≤ 128", ">=", 8, ["step"], "pytorch",
     lambda cell, hidden, precision, batch: cell in ("lstm", "gru") and precision == "float" and hidden <= 128),
    ("Step, batch 1, LSTM and GRU, float, H = 512", ">=", 3, ["step"], "pytorch",
     lambda cell, hidden, precision, batch: cell in ("lstm", "gru") and precision == "float" and hidden == 512),
    ("Step, batch 1, LSTM and GRU, float, every H", "<=", 1.5, ["step"], "cpp",
     lambda cell, hidden, precision, batch: cell in ("lstm", "gru") and precision == "float"),
    ("Step, batch 1, LSTM and GRU, double, every H", "<=", 1.5, ["step"], "cpp",
     lambda cell, hidden, precision, batch: cell in ("lstm", "gru") and precision == "double"),
    ("Training, batch 1, float (train and char rows)", ">=", 5, ["train", "char"], "pytorch",
     lambda cell, hidden, precision, batch: precision == "float" and batch == 1),
    ("Training, batch 32, float (train and char rows)", ">=", 1.5, ["train", "char"], "pytorch",
     lambda cell, hidden, precision, batch: precision == "float" and batch == 32),
    ("Step, batch 1, every cell and precision, H ≤ 128", ">=", 3, ["step"], "ejml",
     lambda cell, hidden, precision, batch: hidden <= 128),
    ("Training, every cell, precision and batch, H ≤ 128 (train and char rows)", ">=", 3, ["train", "char"],
     "ejml", lambda cell, hidden, precision, batch: hidden <= 128),
]
NAMES = {"pytorch": "PyTorch", "cpp": "C++ Eigen", "ejml": "EJML"}


def row_label(k):
    kind, cell, hidden, precision, steps, batch = k
    if kind == "char":
        return f"char-LSTM batch {batch}"
    label = f"{cell} H={hidden} {precision}"
    return label if kind == "step" else f"{label}, batch {batch}, {steps} steps"


def target_ratios(results, kinds, other, accept, invert):
    """[(row label, ratio)] of the rows measured by Unroll and by `other` that `accept` selects."""
    found = []
    for k in sorted(results, key=lambda k: (KIND_ORDER.index(k[0]), sort_key(k))):
        kind, cell, hidden, precision, _, batch = k
        if kind not in kinds:
            continue
        if kind == "char":
            cell, hidden, precision = "lstm", 128, "float"
        if not accept(cell, hidden, precision, batch):
            continue
        u, o = get(results[k], "unroll"), get(results[k], other)
        if u is not None and o is not None:
            found.append((row_label(k), u / o if invert else o / u))
    return found


def targets(results):
    """The summary against the targets of issue 5: per target the worst and best ratio, and the misses."""
    rows, misses, missing = [], [], []
    for label, op, goal, kinds, other, accept in TARGETS:
        invert = op == "<="
        measure = f"Unroll / {NAMES[other]}" if invert else f"{NAMES[other]} / Unroll"
        goal_text = f"{'≤' if invert else '≥'} {goal:g}×"
        found = target_ratios(results, kinds, other, accept, invert)
        if not found:
            rows.append([label, measure, goal_text, "not measured", "–", "–", "–"])
            missing.append(label)
            continue
        met = [(name, r) for name, r in found if (r <= goal if invert else r >= goal)]
        failed = [(name, r) for name, r in found if (name, r) not in met]
        by_ratio = sorted(found, key=lambda item: item[1], reverse=invert)   # worst first
        worst, best = by_ratio[0], by_ratio[-1]
        rows.append([label, measure, goal_text, len(found), f"{fmt_x(worst[1])} ({worst[0]})",
                     f"{fmt_x(best[1])} ({best[0]})",
                     f"yes ({len(met)}/{len(found)})" if not failed else f"**no** ({len(met)}/{len(found)})"])
        if failed:
            misses.append(f"- {label}, {measure} {goal_text}: "
                          + "; ".join(f"{name} ({fmt_x(r)})" for name, r in failed) + ".")
    out = ["### Targets (issue 5)\n",
           "Worst and best ratio over the rows measured in this run; met: rows that reach the goal / rows.\n",
           table(["target", "ratio", "goal", "rows", "worst", "best", "met"], rows)]
    out.append("\n**Misses**\n")
    if misses:
        out.append("\n".join(misses))
    else:
        out.append("No target measured in this run." if len(missing) == len(TARGETS)
                   else "None among the targets measured.")
    return "\n".join(out)


def report(results, meta):
    out = []
    if meta["environment"]:
        out.append("Run: " + "; ".join(meta["environment"]) + ".\n")
    by_kind = {}
    for k in sorted(results, key=sort_key):
        by_kind.setdefault(k[0], []).append(k)

    # Step rows with only the second JDK's or the C++ reference's numbers (sizes the main JMH run did not
    # measure) are left out.
    step_keys = [k for k in by_kind.get("step", []) if set(results[k]) & {"unroll", "ejml", "pytorch"}]
    if step_keys:
        has_jdk2 = any("unroll_jdk2" in results[k] for k in step_keys)
        has_cpp = any("cpp" in results[k] for k in step_keys)
        ort_impls = ["ort_t1", "ort_t2", "ort_torch_t1", "ort_torch_t2"]
        has_ort = any(i in results[k] for k in step_keys for i in ort_impls)
        jdk2 = f"JDK {major(meta['jdk2'])} ns"
        rows = []
        for k in step_keys:
            r = results[k]
            u, e, p, c = get(r, "unroll"), get(r, "ejml"), get(r, "pytorch"), get(r, "cpp")
            row = [k[1], k[2], k[3], fmt_unroll(r, "ns")]
            row += [fmt_unroll(r, "ns", impl="unroll_jdk2")] if has_jdk2 else []
            row += [fmt_time(e, "ns"), fmt_time(p, "ns")]
            row += [fmt_time(c, "ns")] if has_cpp else []
            ort = [get(r, i) for i in ort_impls if get(r, i) is not None]
            row += [fmt_time(get(r, "ort_t1"), "ns"), fmt_time(get(r, "ort_t2"), "ns")] if has_ort else []
            row += [fmt_ratio(e, u), fmt_ratio(p, u)]
            row += [fmt_ratio(c, u)] if has_cpp else []
            row += [fmt_ratio(min(ort) if ort else None, u)] if has_ort else []
            row += [f"{flops(k) / u / 1e9:.1f}" if u else "–"]
            rows.append(row)
        headers = (["cell", "H", "precision", "Unroll ns"] + ([jdk2] if has_jdk2 else [])
                   + ["EJML ns", "PyTorch ns"] + (["C++ Eigen ns"] if has_cpp else [])
                   + (["ORT 1 thread ns", "ORT 2 threads ns"] if has_ort else [])
                   + ["EJML / Unroll", "PyTorch / Unroll"] + (["C++ / Unroll"] if has_cpp else [])
                   + (["ORT best / Unroll"] if has_ort else [])
                   + ["Unroll GFLOP/s"])
        out.append("### Inference, one step at batch 1 (Stepper.step; PyTorch: nn.*Cell + nn.Linear)\n")
        out.append(table(headers, rows))
        notes = []
        if has_jdk2:
            notes.append(f"{jdk2}: the generated code (Unroll) on JDK {meta['jdk2']}, the other columns on "
                         f"JDK {meta['jdk'] or '?'}.")
        if has_cpp:
            notes.append("C++ Eigen: benchmarks/cpp (compile-time-sized Eigen, RTNeural-style, not RTNeural; "
                         "LSTM and GRU only), median ns per step.")
        if has_ort:
            notes.append("ORT: ONNX Runtime for Java, session.run of a one-step graph (state in and out, "
                         "preallocated tensors, pinned outputs), 1 and 2 intra-op threads, float LSTM and GRU only; "
                         "the ratio takes its fastest column (torch.onnx.export's graph included when measured).")
        if notes:
            out.append("\n" + " ".join(notes))
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
               "Unroll's ±: JMH's 99.9% confidence half-width. Java"
               + (f" {meta['jdk']}" if meta["jdk"] else "")
               + ": EJML runs on one thread, and so does Unroll except in training at batch > 1, where a batch with"
               " enough work runs its second half on a common-pool thread"
               + (f"; PyTorch {meta['torch']['torch']} with {meta['torch']['threads']} threads."
                  if meta["torch"] else "; no PyTorch results in this run."))
    out.append("\n" + targets(results))
    return "\n".join(out) + "\n"


# The plot: speedup of Unroll (the main JDK) over each other implementation, batch-1 float step.
SERIES = [("pytorch", "PyTorch", "#E69F00"), ("cpp", "C++ Eigen (LSTM, GRU)", "#0072B2"),
          ("ejml", "EJML", "#009E73")]


def step_target(other, cell, hidden):
    """The goal of issue 5 for a bar of the plot, as other's time / Unroll's, or None."""
    if other == "pytorch" and cell in ("lstm", "gru"):
        return 8 if hidden <= 128 else 3 if hidden == 512 else None
    if other == "cpp":
        return 1 / 1.5
    if other == "ejml" and hidden <= 128:
        return 3
    return None


def log_ticks(lo, hi):
    """1-2-5 ticks from the largest one <= lo to the smallest one >= hi."""
    candidates = [m * 10.0 ** e for e in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 2)
                  for m in (1, 2, 5)]
    first = max(i for i, v in enumerate(candidates) if v <= lo * 1.0001)
    last = min(i for i, v in enumerate(candidates) if v >= hi * 0.9999)
    return candidates[first:last + 1]


def join_names(names):
    """['a', 'b', 'c'] -> 'a, b and c'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def fmt_tick(value):
    return f"{value:g}×"


def speedup_svg(results, jdk=None):
    """A standalone SVG (900 x 450) of the batch-1 float step: per cell and hidden size, one bar per
    other implementation, its time / Unroll's, on a log axis from 1×; or None without data."""
    groups = []
    for cell in GATES:
        for hidden in sorted(k[2] for k in results if k[0] == "step" and k[1] == cell and k[3] == "float"):
            r = results[key("step", cell, hidden, "float")]
            u = get(r, "unroll")
            if u is None:
                continue
            ratios = {other: get(r, other) / u for other, _, _ in SERIES if get(r, other) is not None}
            if ratios:
                groups.append((cell, hidden, ratios))
    if not groups:
        return None
    series = [s for s in SERIES if any(s[0] in g[2] for g in groups)]

    width, height = 900, 450
    left, right, top, bottom = 72, 884, 78, 372
    values = [v for g in groups for v in g[2].values()] + [1.0]
    values += [t for cell, hidden, ratios in groups for other in ratios
               if (t := step_target(other, cell, hidden)) is not None]
    ticks = log_ticks(min(values) / 1.25, max(values) * 1.25)
    lo, hi = ticks[0], ticks[-1]
    if len(ticks) > 10:   # keep the axis readable: decades only
        ticks = [t for t in ticks if abs(math.log10(t) - round(math.log10(t))) < 1e-9]

    def y(value):
        return bottom - (math.log10(value) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * (bottom - top)

    def num(value):
        return f"{value:.1f}"

    group_width = (right - left) / len(groups)
    bar_width = min(group_width * 0.78 / len(series), 30)
    bar_offset = (group_width - bar_width * len(series)) / 2
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2:.0f}" y="24" font-size="16" font-weight="bold" text-anchor="middle">'
           f'Unroll vs {join_names([label.split(" (")[0] for _, label, _ in series])}: '
           'one inference step at batch 1, float'
           + (f' (Unroll on JDK {major(jdk)})' if jdk else '') + '</text>',
           f'<text x="{width / 2:.0f}" y="43" font-size="12" text-anchor="middle" fill="#444">'
           'Bars: the other implementation\'s time / Unroll\'s time, log scale; above 1×, Unroll is faster. '
           'Black marks: targets of issue 5.</text>']
    # legend
    x = left
    for _, label, color in series:
        svg.append(f'<rect x="{num(x)}" y="54" width="14" height="12" fill="{color}"/>')
        svg.append(f'<text x="{num(x + 19)}" y="64" font-size="12">{escape(label)} / Unroll</text>')
        x += 40 + 6.8 * len(label + " / Unroll")
    svg.append(f'<line x1="{num(x)}" y1="60" x2="{num(x + 16)}" y2="60" stroke="black" stroke-width="2.5"/>')
    svg.append(f'<text x="{num(x + 21)}" y="64" font-size="12">target</text>')
    # grid and y axis
    for t in ticks:
        yt = num(y(t))
        svg.append(f'<line x1="{left}" y1="{yt}" x2="{right}" y2="{yt}" stroke="#ddd" stroke-width="1"/>')
        svg.append(f'<text x="{left - 6}" y="{float(yt) + 4:.1f}" font-size="11" text-anchor="end">{fmt_tick(t)}</text>')
    svg.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#333" stroke-width="1"/>')
    svg.append(f'<text x="18" y="{(top + bottom) / 2:.0f}" font-size="12" text-anchor="middle" '
               f'transform="rotate(-90 18 {(top + bottom) / 2:.0f})">speedup of Unroll (log scale)</text>')
    # bars, from the 1× line
    y1 = y(1.0)
    labels = []
    previous_cell = None
    cell_start = left
    for i, (cell, hidden, ratios) in enumerate(groups):
        gx = left + i * group_width
        if cell != previous_cell:
            if previous_cell is not None:
                svg.append(f'<line x1="{num(gx)}" y1="{top}" x2="{num(gx)}" y2="{bottom + 44}" stroke="#999" '
                           'stroke-width="1" stroke-dasharray="3,3"/>')
                svg.append(f'<text x="{num((cell_start + gx) / 2)}" y="{bottom + 38}" font-size="13" '
                           f'font-weight="bold" text-anchor="middle">{previous_cell.upper()}</text>')
            previous_cell, cell_start = cell, gx
        svg.append(f'<text x="{num(gx + group_width / 2)}" y="{bottom + 17}" font-size="12" '
                   f'text-anchor="middle">{hidden}</text>')
        for j, (other, _, color) in enumerate(series):
            bx = gx + bar_offset + j * bar_width
            if other not in ratios:
                continue
            ratio = ratios[other]
            yr = y(ratio)
            svg.append(f'<rect x="{num(bx)}" y="{num(min(yr, y1))}" width="{num(bar_width - 1)}" '
                       f'height="{num(max(abs(yr - y1), 0.5))}" fill="{color}"/>')
            target = step_target(other, cell, hidden)
            yt = None if target is None else y(target)
            if yt is not None:
                svg.append(f'<line x1="{num(bx - 1)}" y1="{num(yt)}" x2="{num(bx + bar_width)}" y2="{num(yt)}" '
                           'stroke="black" stroke-width="2.5"/>')
            # the value at the bar's end, moved past the target mark when it would sit on it
            label = f"{ratio:.0f}" if ratio >= 9.95 else f"{ratio:.1f}" if ratio >= 0.095 else f"{ratio:.2g}"
            ly = yr - 3 if ratio >= 1 else yr + 11
            if yt is not None and ly - 11 < yt < ly + 3:
                ly = yt - 4 if ratio >= 1 else yt + 12
            labels.append(f'<text x="{num(bx + bar_width / 2)}" y="{num(ly)}" font-size="9.5" '
                          f'text-anchor="middle" stroke="white" stroke-width="3" paint-order="stroke">{label}</text>')
    svg.append(f'<text x="{num((cell_start + right) / 2)}" y="{bottom + 38}" font-size="13" '
               f'font-weight="bold" text-anchor="middle">{previous_cell.upper()}</text>')
    svg.append(f'<line x1="{left}" y1="{num(y1)}" x2="{right}" y2="{num(y1)}" stroke="#333" stroke-width="1.5"/>')
    svg += labels
    svg.append(f'<text x="{width / 2:.0f}" y="{height - 8}" font-size="12" text-anchor="middle">'
               'hidden size H, per cell (input 64, linear head of 64 outputs)</text>')
    svg.append("</svg>")
    return "\n".join(svg) + "\n"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py RUN_DIRECTORY")
    run_dir = sys.argv[1]
    results, meta = load(run_dir)
    if not any(set(r) - {"cpp"} for r in results.values()):   # the C++ reference alone compares nothing
        sys.exit(f"no JMH or PyTorch results in {run_dir}")
    text = report(results, meta)
    svg = speedup_svg(results, meta["jdk"])
    if svg:
        with open(os.path.join(run_dir, "speedup.svg"), "w") as f:
            f.write(svg)
        text += ("\n![Speedup of Unroll, one step at batch 1, float](speedup.svg)\n\n"
                 "speedup.svg: the other implementation's time / Unroll's for the batch-1 float step, "
                 "with the targets of issue 5.\n")
    with open(os.path.join(run_dir, "report.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
