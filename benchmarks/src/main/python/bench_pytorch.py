#!/usr/bin/python3
"""PyTorch (CPU) baseline of the Unroll benchmarks: the same networks, sizes and training setup
as the JMH benchmarks, timed with time.perf_counter after a warm-up, written as JSON.

Run it with Debian's python3-torch (`/usr/bin/python3`, `apt-get install -y python3-torch`).
benchmarks/run.sh runs it once per group with the same parameters as JMH; by hand:

    /usr/bin/python3 bench_pytorch.py --group step --cell lstm --hidden 128 --out step.json

Groups (each row times one call of the function described):
  step      batch-1 latency of one step: nn.LSTMCell/GRUCell/RNNCell then the nn.Linear head
  sequence  batch-1 latency of one sequence: the full nn.LSTM/GRU/RNN over `steps` steps and the
            head on every output (kind `sequence`), and the same sequence stepped through the
            cell one step at a time (kind `sequence_cells`)
  train     one update of a grid model: forward, mse loss, backward, clip_grad_value_(5),
            Adagrad(lr 0.1).step(), at batch 1 and 32
  char      one update of the char-level LSTM: one_hot(65) -> nn.LSTM(65, 128) -> nn.Linear(128, 65),
            cross-entropy, backward, clip_grad_value_(5), Adagrad(lr 0.1).step()

Every grid model reads 64 dense inputs and has a linear head of 64 outputs, as the specs under
benchmarks/src/main/rnn. Inference runs under torch.no_grad(). Threads: torch.set_num_threads(2)
unless --threads says otherwise.
"""

import argparse
import json
import platform
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

INPUT = 64
OUTPUT = 64
VOCABULARY = 65
CHAR_HIDDEN = 128
CHAR_STEPS = 25
POOL = 64  # distinct inputs cycled through, as the JMH benchmarks do


def measure(fn, warmup_s, measure_s, rounds=5):
    """Returns (median seconds per call over `rounds` rounds, all round means, calls per round)."""
    start = time.perf_counter()
    calls = 0
    while calls < 3 or time.perf_counter() - start < warmup_s:
        fn()
        calls += 1
    per_call = (time.perf_counter() - start) / calls
    reps = max(1, int(measure_s / rounds / per_call))
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        samples.append((time.perf_counter() - t0) / reps)
    return statistics.median(samples), samples, reps


def dtype_of(precision):
    return {"float": torch.float32, "double": torch.float64}[precision]


def make_cell(cell, hidden):
    return {"rnn": lambda: nn.RNNCell(INPUT, hidden, nonlinearity="tanh"),
            "lstm": lambda: nn.LSTMCell(INPUT, hidden),
            "gru": lambda: nn.GRUCell(INPUT, hidden)}[cell]()


def make_layer(cell, inputs, hidden):
    return {"rnn": lambda: nn.RNN(inputs, hidden, nonlinearity="tanh"),
            "lstm": lambda: nn.LSTM(inputs, hidden),
            "gru": lambda: nn.GRU(inputs, hidden)}[cell]()


def step_fn(cell, hidden, dtype):
    """One streaming step at batch 1: the cell from the state the previous call left, then the head."""
    rnn = make_cell(cell, hidden).to(dtype)
    head = nn.Linear(hidden, OUTPUT).to(dtype)
    xs = [torch.rand(1, INPUT, dtype=dtype) * 2 - 1 for _ in range(POOL)]
    state = {"i": 0, "h": torch.zeros(1, hidden, dtype=dtype), "c": torch.zeros(1, hidden, dtype=dtype)}

    def fn():
        x = xs[state["i"] % POOL]
        state["i"] += 1
        if cell == "lstm":
            state["h"], state["c"] = rnn(x, (state["h"], state["c"]))
        else:
            state["h"] = rnn(x, state["h"])
        return head(state["h"])
    return fn


def sequence_fn(cell, hidden, dtype, steps):
    """The full layer over one sequence at batch 1, then the head on every output."""
    rnn = make_layer(cell, INPUT, hidden).to(dtype)
    head = nn.Linear(hidden, OUTPUT).to(dtype)
    xs = [torch.rand(steps, 1, INPUT, dtype=dtype) * 2 - 1 for _ in range(4)]
    counter = [0]

    def fn():
        x = xs[counter[0] % 4]
        counter[0] += 1
        out, _ = rnn(x)
        return head(out)
    return fn


def sequence_cells_fn(cell, hidden, dtype, steps):
    """One sequence at batch 1 stepped through the cell and the head one step at a time."""
    rnn = make_cell(cell, hidden).to(dtype)
    head = nn.Linear(hidden, OUTPUT).to(dtype)
    xs = [torch.rand(steps, 1, INPUT, dtype=dtype) * 2 - 1 for _ in range(4)]
    counter = [0]

    def fn():
        x = xs[counter[0] % 4]
        counter[0] += 1
        h = torch.zeros(1, hidden, dtype=dtype)
        c = torch.zeros(1, hidden, dtype=dtype)
        ys = []
        for t in range(steps):
            if cell == "lstm":
                h, c = rnn(x[t], (h, c))
            else:
                h = rnn(x[t], h)
            ys.append(head(h))
        return ys
    return fn


def train_fn(cell, hidden, dtype, steps, batch):
    """One update of a grid model: forward, mse, backward, clip by value 5, Adagrad 0.1."""
    rnn = make_layer(cell, INPUT, hidden).to(dtype)
    head = nn.Linear(hidden, OUTPUT).to(dtype)
    params = list(rnn.parameters()) + list(head.parameters())
    optimizer = torch.optim.Adagrad(params, lr=0.1)
    batches = [(torch.rand(steps, batch, INPUT, dtype=dtype) * 2 - 1,
                torch.rand(steps, batch, OUTPUT, dtype=dtype) * 2 - 1) for _ in range(4)]
    counter = [0]

    def fn():
        x, target = batches[counter[0] % 4]
        counter[0] += 1
        optimizer.zero_grad()
        out, _ = rnn(x)
        loss = F.mse_loss(head(out), target)
        loss.backward()
        torch.nn.utils.clip_grad_value_(params, 5.0)
        optimizer.step()
        return loss
    return fn


def char_fn(batch):
    """One update of the char-level LSTM (float32)."""
    rnn = nn.LSTM(VOCABULARY, CHAR_HIDDEN)
    head = nn.Linear(CHAR_HIDDEN, VOCABULARY)
    params = list(rnn.parameters()) + list(head.parameters())
    optimizer = torch.optim.Adagrad(params, lr=0.1)
    batches = []
    for _ in range(4):
        stream = torch.randint(0, VOCABULARY, (CHAR_STEPS + 1, batch))
        batches.append((stream[:-1], stream[1:]))
    counter = [0]

    def fn():
        x, target = batches[counter[0] % 4]
        counter[0] += 1
        optimizer.zero_grad()
        out, _ = rnn(F.one_hot(x, VOCABULARY).float())
        logits = head(out)
        loss = F.cross_entropy(logits.reshape(-1, VOCABULARY), target.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_value_(params, 5.0)
        optimizer.step()
        return loss
    return fn


def csv(kind):
    return lambda text: [kind(v) for v in text.split(",") if v]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--group", required=True, choices=["step", "sequence", "train", "char"])
    parser.add_argument("--cell", type=csv(str), default=["rnn", "lstm", "gru"])
    parser.add_argument("--hidden", type=csv(int), default=[32, 64, 128, 512])
    parser.add_argument("--precision", type=csv(str), default=["float", "double"])
    parser.add_argument("--steps", type=csv(int), default=[25, 100])
    parser.add_argument("--batch", type=csv(int), default=[1, 32])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per row")
    parser.add_argument("--time", type=float, default=5.0, help="seconds of measurement per row")
    parser.add_argument("--out", required=True, help="JSON file to write")
    args = parser.parse_args()

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    rows = []

    def run(kind, fn, grad, **config):
        with torch.set_grad_enabled(grad):
            seconds, samples, reps = measure(fn, args.warmup, args.time)
        row = {"impl": "pytorch", "kind": kind, **config, "seconds": seconds, "samples": samples,
               "calls_per_round": reps}
        rows.append(row)
        shown = ", ".join(f"{k}={v}" for k, v in config.items())
        print(f"pytorch {kind:15s} {shown:60s} {seconds * 1e6:12.2f} us", flush=True)

    if args.group == "char":
        for batch in args.batch:
            run("char", char_fn(batch), True, batch=batch)
    else:
        for cell in args.cell:
            for hidden in args.hidden:
                for precision in args.precision:
                    dtype = dtype_of(precision)
                    base = {"cell": cell, "hidden": hidden, "precision": precision}
                    if args.group == "step":
                        run("step", step_fn(cell, hidden, dtype), False, **base)
                        continue
                    for steps in args.steps:
                        if args.group == "sequence":
                            run("sequence", sequence_fn(cell, hidden, dtype, steps), False, **base, steps=steps)
                            run("sequence_cells", sequence_cells_fn(cell, hidden, dtype, steps), False,
                                **base, steps=steps)
                        else:
                            for batch in args.batch:
                                run("train", train_fn(cell, hidden, dtype, steps, batch), True,
                                    **base, steps=steps, batch=batch)

    result = {
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "threads": torch.get_num_threads(),
        "blas": torch.__config__.show(),
        "warmup_s": args.warmup,
        "time_s": args.time,
        "rows": rows,
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
