#!/usr/bin/env python3
"""Time to first result in fresh JVMs (issue 13): the driver behind benchmarks/startup.sh.

Starts `java -cp JAR dev.unroll.bench.startup.FirstResult ...` once per measurement, each in a new process that
stops at one milestone (-Dunroll.until=construct|1|100|10000), and reads that process's own wall time (from just
before the fork to its exit) and CPU time (user + system of the process and all its threads: the JIT compilers and
the garbage collector included, from wait4's rusage). Repetitions are interleaved (every row and milestone once,
then again), so that a change of the machine's load spreads over all rows alike. Writes RUN/first-result.jsonl
(one line per process: the JSON FirstResult printed, plus wall_ms, cpu_ms, user_ms, sys_ms) and prints the
tables (RUN/startup.md): medians, and the minimum and maximum.

  startup.py --jar benchmarks/target/benchmarks.jar --run RUN --onnx-dir RUN/onnx [--reps 10] [--rows unroll,ort,train]
  startup.py --jar before=/tmp/a.jar,after=/tmp/b.jar --run RUN --rows unroll,train   # an A/B, interleaved
  startup.py --report RUN          # the tables of an earlier run again

Standard library only.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

MODELS = [("Lstm", 32), ("Lstm", 128), ("Lstm", 512), ("Gru", 32), ("Gru", 128), ("Gru", 512)]
MILESTONES = ["construct", "1", "100", "10000"]
LABELS = {
    "unroll": ["model constructed", "1st step", "100 steps", "10,000 steps"],
    "ort": ["session ready", "1st run", "100 runs", "10,000 runs"],
    "train": ["model constructed", "1st update", "10 updates", "100 updates"],
}


def rows(kinds, ort_threads):
    out = []
    for kind in kinds:
        if kind == "unroll":
            out += [("unroll", f"{c}H{h}F32T25", ["unroll", f"{c}H{h}F32T25"]) for c, h in MODELS]
        elif kind == "ort":
            for threads in ort_threads:
                out += [(f"ort{threads}", f"{c}H{h}F32T25", ["ort", None, c.lower(), str(threads)])
                        for c, h in MODELS]
        elif kind == "train":
            out.append(("train", "CharLstm", ["train", "CharLstm"]))
        else:
            raise SystemExit(f"unknown row kind {kind!r}: unroll, ort or train")
    return out


def run_one(java, jar, jvm_args, args, until):
    cmd = [java, *jvm_args, f"-Dunroll.until={until}", f"-Dunroll.launch.epoch.ns={time.time_ns()}",
           "-cp", jar, "dev.unroll.bench.startup.FirstResult", *args]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out = proc.stdout.read().decode()
    err = proc.stderr.read().decode()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err}")
    line = json.loads(out.strip().splitlines()[-1])
    line["model"] = line["model"].replace(".unroll.onnx", "")
    line.update(wall_ms=round(wall * 1e3, 3), user_ms=round(usage.ru_utime * 1e3, 3),
                sys_ms=round(usage.ru_stime * 1e3, 3), cpu_ms=round((usage.ru_utime + usage.ru_stime) * 1e3, 3),
                max_rss_kib=usage.ru_maxrss)
    return line


def measure(opts):
    table = rows(opts.rows.split(","), [int(t) for t in opts.ort_threads.split(",")])
    path = os.path.join(opts.run, "first-result.jsonl")
    jvm_args = opts.jvm_args.split() if opts.jvm_args else []
    jars = jar_list(opts.jar)
    done = 0
    total = opts.reps * len(table) * len(MILESTONES) * len(jars)
    with open(path, "w") as f:
        for rep in range(opts.reps):
            for kind, model, args in table:
                if kind.startswith("ort"):
                    args = list(args)
                    args[1] = os.path.join(opts.onnx_dir, f"{model}.unroll.onnx")
                for until in MILESTONES:
                    for jar_label, jar in jars:
                        line = run_one(opts.java, jar, jvm_args, args, until)
                        line.update(row=kind, rep=rep, jar=jar_label)
                        f.write(json.dumps(line) + "\n")
                        f.flush()
                        done += 1
            print(f"  repetition {rep + 1}/{opts.reps} done ({done}/{total} JVMs)", file=sys.stderr, flush=True)
    return path


def jar_list(spec):
    """`path`, or `label=path,label=path` for jars of several commits measured side by side."""
    if "=" not in spec:
        return [("", spec)]
    return [tuple(part.split("=", 1)) for part in spec.split(",")]


def fmt(v):
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def cell(values):
    return f"{fmt(statistics.median(values))} ({fmt(min(values))}–{fmt(max(values))})"


def report(run):
    lines = [json.loads(l) for l in open(os.path.join(run, "first-result.jsonl")) if l.strip()]
    groups = {}
    for l in lines:
        groups.setdefault((l["row"], l["model"], l.get("jar", "")), {}).setdefault(str(l["until"]), []).append(l)
    until_key = {"construct": "0", "1": "1", "100": "100", "10000": "10000"}
    out = []
    reps = max(len(v) for g in groups.values() for v in g.values())
    out.append(f"Each cell: median (minimum–maximum) of {reps} fresh JVMs, milliseconds from just before the "
               "fork to the exit of a process that stops after that milestone. `wall`: elapsed; `CPU`: user + "
               "system time of the whole process (every thread: JIT compilers and GC included).")
    out.append("")
    for what, key in (("wall ms", "wall_ms"), ("CPU ms", "cpu_ms")):
        out.append(f"#### Process {what}, JVM start to each milestone")
        out.append("")
        out.append("| impl | model | to constructed / session ready | to 1st result | to 100 | to 10,000 "
                   "(train: 100 updates) |")
        out.append("|---|---|---|---|---|---|")
        for (row, model, jar), g in groups.items():
            cells = [cell([l[key] for l in g[until_key[m]]]) if until_key[m] in g else "–" for m in MILESTONES]
            out.append(f"| {label(row, jar)} | {model} | " + " | ".join(cells) + " |")
        out.append("")
    out.append("#### Inside the process (the runs to the last milestone): medians")
    out.append("")
    out.append("| impl | model | launch to constructed ms | JVM to main ms | construct / session ms | 1st ms | "
               "first 100 ms | first 10,000 ms | mean of steps 101–1,100 µs | max RSS MiB |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for (row, model, jar), g in groups.items():
        ls = g.get("10000", [])
        if not ls:
            continue
        med = lambda f: statistics.median([f(l) for l in ls])
        if row == "train":
            construct = med(lambda l: l["construct_ns"]) / 1e6
            first, hundred, all_ = (med(lambda l: l["first_update_ns"]) / 1e6, med(lambda l: l["first_10_updates_ns"]) / 1e6,
                                    med(lambda l: l["first_100_updates_ns"]) / 1e6)
            nxt = "–"
        else:
            construct = med(lambda l: l["construct_ns"] + l["new_stepper_ns"] if row == "unroll"
                            else l["env_ns"] + l["session_ns"] + l["tensors_ns"]) / 1e6
            first, hundred, all_ = (med(lambda l: l["first_step_ns"]) / 1e6, med(lambda l: l["first_100_ns"]) / 1e6,
                                    med(lambda l: l["first_10000_ns"]) / 1e6)
            nxt = fmt(med(lambda l: l["next_1000_mean_ns"]) / 1e3)
        launch = med(lambda l: l["launch_ms"])
        main = med(lambda l: l["main_ms"])
        rss = med(lambda l: l["max_rss_kib"]) / 1024
        out.append(f"| {label(row, jar)} | {model} | {fmt(launch)} | {fmt(main)} | {fmt(construct)} | {fmt(first)} | "
                   f"{fmt(hundred)} | {fmt(all_)} | {nxt} | {fmt(rss)} |")
    out.append("")
    out.append("Train rows (the char-LSTM at batch 1): the columns are the 1st update, the first 10 and the first 100.")
    text = "\n".join(out) + "\n"
    with open(os.path.join(run, "startup.md"), "w") as f:
        f.write(text)
    print(text)


def label(row, jar=""):
    if row.startswith("ort"):
        name = f"ORT {row[3:]} thread{'s' if row[3:] != '1' else ''}"
    else:
        name = {"unroll": "Unroll", "train": "Unroll train"}[row]
    return f"{name} ({jar})" if jar else name


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jar")
    p.add_argument("--run")
    p.add_argument("--onnx-dir")
    p.add_argument("--java", default="java")
    p.add_argument("--jvm-args", default="", help="extra JVM options, space-separated")
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--rows", default="unroll,ort,train")
    p.add_argument("--ort-threads", default="1")
    p.add_argument("--report", metavar="RUN")
    opts = p.parse_args()
    if opts.report:
        report(opts.report)
        return
    if not (opts.jar and opts.run):
        p.error("--jar and --run are needed (or --report RUN)")
    if "ort" in opts.rows.split(",") and not opts.onnx_dir:
        p.error("--onnx-dir is needed for the ort rows")
    os.makedirs(opts.run, exist_ok=True)
    measure(opts)
    report(opts.run)


if __name__ == "__main__":
    main()
