#!/usr/bin/env python3
"""Prints the tables of issue 13's baselines run (benchmarks/baselines.sh): the generated step against
ONNX Runtime (1 and 2 intra-op threads; the project exporter's graph and torch.onnx.export's), the
project's C++ Eigen reference and the real RTNeural; time to first result in a fresh JVM; memory.

    python3 benchmarks/src/main/python/baselines_report.py benchmarks/results/baselines-20260101-120000

Reads, in the run directory, any of: jmh-step.json (StepBenchmark, -p impl=unroll), jmh25-step.json
(the same on a second JDK), ort-step.json (OrtStepBenchmark), cpp-eigen.json, cpp-rtneural.json,
first-result.jsonl, memory.jsonl, environment.txt; writes baselines.md beside them and prints it.
Files that are missing leave their columns out. Ratios are the other implementation's time / Unroll's
(above 1: Unroll is faster), as in report.py. Only the standard library is used.
"""
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import fmt_ratio, fmt_time, fmt_x, major, step_flops, table  # noqa: E402

CELLS = ["lstm", "gru"]
HIDDEN = [32, 64, 128, 512]


def read_json(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        text = f.read().strip()
    return json.loads(text) if text else None


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]


def load_jmh(path, rows, column):
    """JMH entries into rows[(cell, hidden, precision)][column] = (seconds, error); returns the JDK."""
    data = read_json(path) or []
    jdk = None
    for e in data:
        p = e.get("params", {})
        if p.get("impl", "unroll") != "unroll":
            continue
        jdk = e.get("jdkVersion", jdk)
        m = e["primaryMetric"]
        scale = {"ns/op": 1e-9, "us/op": 1e-6, "\u00b5s/op": 1e-6}[m["scoreUnit"]]
        err = m.get("scoreError")
        err = None if err in (None, "NaN") or err != err else float(err) * scale
        name = column
        if "threads" in p:
            name = f"ort_{p.get('graph', 'unroll')}_t{p['threads']}"
        rows.setdefault((p["cell"], int(p["hidden"]), p["precision"]), {})[name] = (float(m["score"]) * scale, err)
    return jdk


def load_cpp(path, rows, column):
    for r in read_json(path) or []:
        rows.setdefault((r["cell"], int(r["hidden"]), r["precision"]), {})[column] = (r["ns_per_step_median"] * 1e-9, None)


def value(r, name):
    v = r.get(name)
    return None if v is None else v[0]


def fmt_with_error(r, name):
    v = r.get(name)
    if v is None:
        return "–"
    seconds, error = v
    text = fmt_time(seconds, "ns")
    return text if error is None else f"{text} ±{100 * error / seconds:.0f}%"


def step_tables(run, out):
    rows = {}
    jdk = load_jmh(os.path.join(run, "jmh-step.json"), rows, "unroll")
    jdk2 = load_jmh(os.path.join(run, "jmh25-step.json"), rows, "unroll_jdk2")
    load_jmh(os.path.join(run, "ort-step.json"), rows, "ort")
    load_cpp(os.path.join(run, "cpp-eigen.json"), rows, "eigen")
    load_cpp(os.path.join(run, "cpp-rtneural.json"), rows, "rtneural")
    if not rows:
        return
    present = set().union(*rows.values())
    ort_columns = [c for c in ("ort_unroll_t1", "ort_unroll_t2", "ort_torch_t1", "ort_torch_t2") if c in present]
    labels = {"ort_unroll_t1": "ORT 1 thread ns", "ort_unroll_t2": "ORT 2 threads ns",
              "ort_torch_t1": "ORT torch graph 1 thread ns", "ort_torch_t2": "ORT torch graph 2 threads ns"}
    for precision in ("float", "double"):
        keys = [(c, h, precision) for c in CELLS for h in HIDDEN if (c, h, precision) in rows]
        if not keys:
            continue
        cols = [c for c in ort_columns if any(c in rows[k] for k in keys)] if precision == "float" else []
        has = {c: any(c in rows[k] for k in keys) for c in ("unroll_jdk2", "eigen", "rtneural")}
        headers = ["cell", "H", "Unroll ns"] + ([f"Unroll JDK {major(jdk2)} ns"] if has["unroll_jdk2"] else [])
        headers += [labels[c] for c in cols]
        headers += ["C++ Eigen ns"] if has["eigen"] else []
        headers += ["RTNeural ns"] if has["rtneural"] else []
        headers += ["ORT best / Unroll"] if cols else []
        headers += ["Eigen / Unroll"] if has["eigen"] else []
        headers += ["RTNeural / Unroll"] if has["rtneural"] else []
        headers += ["Unroll GFLOP/s"]
        lines = []
        for k in keys:
            r = rows[k]
            u = value(r, "unroll")
            row = [k[0], k[1], fmt_with_error(r, "unroll")]
            row += [fmt_with_error(r, "unroll_jdk2")] if has["unroll_jdk2"] else []
            row += [fmt_with_error(r, c) for c in cols]
            row += [fmt_time(value(r, "eigen"), "ns")] if has["eigen"] else []
            row += [fmt_time(value(r, "rtneural"), "ns")] if has["rtneural"] else []
            if cols:
                ort = [value(r, c) for c in cols if value(r, c) is not None]
                row.append(fmt_ratio(min(ort), u) if ort else "–")
            row += [fmt_ratio(value(r, "eigen"), u)] if has["eigen"] else []
            row += [fmt_ratio(value(r, "rtneural"), u)] if has["rtneural"] else []
            row.append(f"{step_flops(k[0], k[1]) / u / 1e9:.1f}" if u else "–")
            lines.append(row)
        out.append(f"### One step at batch 1, {precision} (Stepper.step; ORT: session.run of a one-step graph)\n")
        out.append(table(headers, lines))
        notes = [f"Unroll: JMH, JDK {jdk or '?'}, ± its 99.9% half-width."]
        if cols:
            notes.append("ORT: ONNX Runtime for Java, preallocated input and output tensors (pinned outputs), "
                         "the best of its columns in the ratio.")
        if precision == "double":
            notes.append("No ORT column: ONNX Runtime 1.22 runs no double LSTM or GRU.")
        out.append("\n" + " ".join(notes) + "\n")


def ms(ns):
    return "–" if ns is None else f"{ns / 1e6:,.1f}"


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def first_result_table(run, out):
    rows = read_jsonl(os.path.join(run, "first-result.jsonl"))
    if not rows:
        return
    groups = {}
    for r in rows:
        model = r["model"].split(".")[0]
        label = "Unroll" if r["impl"] == "unroll" else f"ORT ({r.get('graph', 'unroll')} graph, {r['threads']} thread{'s' if r['threads'] > 1 else ''})"
        groups.setdefault((model, label), []).append(r)
    headers = ["model", "implementation", "runs", "load / session ms", "first step ms", "first 100 steps ms",
               "to the 100th result ms", "next 1,000: µs per step", "JVM start to main ms", "process wall ms"]
    lines = []
    for (model, label), rs in groups.items():
        if label == "Unroll":
            setup = median([r["construct_ns"] + r["new_stepper_ns"] for r in rs])
        else:
            setup = median([r["env_ns"] + r["session_ns"] + r["tensors_ns"] for r in rs])
        first = median([r["first_step_ns"] for r in rs])
        hundred = median([r["first_100_ns"] for r in rs])
        total = median([(r["construct_ns"] + r["new_stepper_ns"] if label == "Unroll"
                         else r["env_ns"] + r["session_ns"] + r["tensors_ns"]) + r["first_100_ns"] for r in rs])
        nxt = median([r["next_1000_mean_ns"] for r in rs])
        main = median([r.get("main_ms") for r in rs])
        wall = median([r.get("wall_ms") for r in rs])
        lines.append([model, label, len(rs), ms(setup), ms(first), ms(hundred), ms(total),
                      "–" if nxt is None else f"{nxt / 1e3:,.1f}", "–" if main is None else f"{main:,.0f}",
                      "–" if wall is None else f"{wall:,.0f}"])
    out.append("### Time to first result, fresh JVM (medians)\n")
    out.append(table(headers, lines))
    out.append("\nUnroll: load / session = loading the generated class and constructing the model with its "
               "weights, and newStepper(); ORT = OrtEnvironment (loading the native library, extracted from the "
               "jar), the session from the .onnx file, the preallocated tensors. \"to the 100th result\" = that "
               "plus the first 100 steps. Process wall: the whole java process, measured by the launching script.\n")


def kb(b):
    return "–" if b is None else f"{b / 1024:,.0f}"


def memory_table(run, out):
    rows = read_jsonl(os.path.join(run, "memory.jsonl"))
    if not rows:
        return
    by = {}
    for r in rows:
        by.setdefault((r["cell"], r["hidden"], r["precision"]), {}).setdefault(r["impl"], []).append(r)
    headers = ["cell", "H", "precision", "weights KiB", "Unroll model KiB", "model / weights",
               "Unroll stepper KiB (T=25 / 100)", "Unroll workspace KiB (T=25 / 100)", "ORT session KiB (RSS)",
               "ORT after first run KiB", ".onnx KiB"]
    lines = []
    for k in sorted(by, key=lambda k: (CELLS.index(k[0]) if k[0] in CELLS else 9, ["float", "double"].index(k[2]), k[1])):
        u = {r["steps"]: r for r in by[k].get("unroll", [])}
        o = (by[k].get("ort") or [None])[0]
        u25, u100 = u.get(25), u.get(100)
        w = (u25 or u100 or o or {}).get("weight_bytes")
        model = u25["model_bytes"] if u25 else None
        lines.append([k[0], k[1], k[2], kb(w), kb(model), fmt_x(model / w) if model and w else "–",
                      f"{kb(u25['stepper_bytes']) if u25 else '–'} / {kb(u100['stepper_bytes']) if u100 else '–'}",
                      f"{kb(u25['workspace_bytes']) if u25 else '–'} / {kb(u100['workspace_bytes']) if u100 else '–'}",
                      kb(o["session_rss_bytes"]) if o else "–", kb(o["session_after_run_rss_bytes"]) if o else "–",
                      kb(o["onnx_bytes"]) if o else "–"])
    out.append("### Memory per model and per stepper\n")
    out.append(table(headers, lines))
    out.append("\nUnroll: JOL's deep size of the object (every object and array reachable, as the JVM lays them out; the allocation counter agrees within 2 KiB); "
               "the model of the 25-step spec. ORT: resident-set growth per session, divided over several sessions "
               "(page-granular; 10 to 200 sessions, all kept open).\n")


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    run = sys.argv[1]
    out = []
    env = os.path.join(run, "environment.txt")
    if os.path.exists(env):
        with open(env) as f:
            out.append("Run: " + "; ".join(line.lstrip("# ").rstrip() for line in f if line.strip()) + ".\n")
    step_tables(run, out)
    first_result_table(run, out)
    memory_table(run, out)
    text = "\n".join(out) + "\n"
    with open(os.path.join(run, "baselines.md"), "w") as f:
        f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
