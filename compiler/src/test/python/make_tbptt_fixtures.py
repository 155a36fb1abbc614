#!/usr/bin/python3
"""Writes the truncated-BPTT fixtures of TruncatedBpttTest: PyTorch's detach-per-window loop.

Run from the repository root with Debian's python3-torch (1.13):

    /usr/bin/python3 compiler/src/test/python/make_tbptt_fixtures.py

For each case it writes, under compiler/src/test/resources/fixtures/tbptt/:
  <case>.init.safetensors  the initial state_dict (rnn.* and head.*), for importPyTorch
  <case>.safetensors       the batch ('x', 'target'), and what PyTorch computed in float64 from
                           those weights:
                           'grad.<name>'   computeGradients' reference: the gradient of the batch's
                                           mean loss over all outputs, truncated at every window's
                                           first step (h.detach()), with the weights fixed;
                           'full_grad.<name>'  the same without truncation (full BPTT);
                           'loss'          that mean loss;
                           'windows.<k>'   the per-window mean losses of training call k (0, 1);
                           'trained.<k>.<name>'  the weights after training call k;
                           metadata 'spec' the Unroll spec of the same network.

Training call k is what the generated trainStep(xs, targets) must do: for every window of the
sequence that holds an output, the window's mean loss, backward, clipping, one optimizer step;
the state (h, c, the fed-back output) carried from window to window and detached. Two calls on
the same batch check that the optimizer's state persists from one call to the next.
Cases with 'lengths' are variable_length (a padded batch, sequence b having lengths[b] real
steps, saved as the tensor 'lengths'): each sequence runs and carries its state through its own
real steps only (the masked loop below holds the state of a sequence past its length), a window's
loss is the mean over the outputs it scores (the real steps in it of every sequence, or, for
many_to_one, the sequences whose last real step is in it), a window that scores nothing makes no
update, and 'grad.*'/'loss' are those of the batch's mean over all its real steps. The masked loop
is checked here against a second implementation through pack_padded_sequence, window by window.
The build never runs this script; the outputs are committed. Every random number comes from
fixed seeds, so a rerun writes the same bytes.
"""
import json
import os
import struct
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "fixtures", "tbptt")
BATCH = 3

# name: cell, layers, hidden, input (size, one_hot), output (size, activation), topology, steps, window,
#       optimizer (Unroll text, torch factory), clip norm or None
CASES = {
    "lstm_l2_many_to_many_adam": dict(
        cell="lstm", layers=2, hidden=5, input=3, one_hot=False, output=4, activation="softmax",
        topology="many_to_many", steps=11, window=4, clip=1.0,
        optimizer=("adam learning_rate 0.01", lambda p: torch.optim.Adam(p, lr=0.01))),
    "gru_l1_many_to_one_momentum": dict(
        cell="gru", layers=1, hidden=4, input=3, one_hot=False, output=2, activation="linear",
        topology="many_to_one", steps=9, window=4, clip=None,
        optimizer=("momentum learning_rate 0.1 momentum 0.9",
                   lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9))),
    "rnn_l1_one_to_many_feedback_adagrad": dict(
        cell="rnn", layers=1, hidden=6, input=3, one_hot=False, output=3, activation="sigmoid",
        topology="one_to_many_feedback", steps=8, window=3, clip=None,
        optimizer=("adagrad learning_rate 0.1", lambda p: torch.optim.Adagrad(p, lr=0.1))),
    "lstm_l1_one_hot_rmsprop_window1": dict(
        cell="lstm", layers=1, hidden=4, input=6, one_hot=True, output=6, activation="softmax",
        topology="many_to_many", steps=5, window=1, clip=0.5,
        optimizer=("rmsprop learning_rate 0.01", lambda p: torch.optim.RMSprop(p, lr=0.01))),
    "gru_l1_embedding_many_to_many_adam": dict(
        cell="gru", layers=1, hidden=5, input=7, one_hot=True, embedding=3, output=7, activation="softmax",
        topology="many_to_many", steps=8, window=3, clip=None,
        optimizer=("adam learning_rate 0.02", lambda p: torch.optim.Adam(p, lr=0.02))),
    "gru_l2_many_to_many_mse_sgd": dict(
        cell="gru", layers=2, hidden=3, input=2, one_hot=False, output=2, activation="tanh",
        topology="many_to_many", steps=7, window=3, clip=None,
        optimizer=("sgd learning_rate 0.5", lambda p: torch.optim.SGD(p, lr=0.5))),
    # feedback into an embedding: the softmax output fed back weights the table's rows (carried between windows)
    "gru_l1_embedding_feedback_adam": dict(
        cell="gru", layers=1, hidden=4, input=5, one_hot=True, embedding=3, output=5, activation="softmax",
        topology="one_to_many_feedback", steps=7, window=3, clip=None,
        optimizer=("adam learning_rate 0.02", lambda p: torch.optim.Adam(p, lr=0.02))),
    # variable_length: windows [0,3) [3,6) [6,9) [9,10); sequence 1 ends inside the second, sequence 2 at the
    # third's first step, only sequence 0 reaches the last
    "lstm_l2_varlen_many_to_many_adam": dict(
        cell="lstm", layers=2, hidden=4, input=3, one_hot=False, output=3, activation="softmax",
        topology="many_to_many", steps=10, window=3, clip=1.0, lengths=[10, 4, 7],
        optimizer=("adam learning_rate 0.01", lambda p: torch.optim.Adam(p, lr=0.01))),
    # many_to_one: window [0,4) holds sequence 1's output, [4,8) those of sequences 0 and 2, [8,9) none
    "gru_l1_varlen_many_to_one_momentum": dict(
        cell="gru", layers=1, hidden=4, input=3, one_hot=False, output=2, activation="linear",
        topology="many_to_one", steps=9, window=4, clip=None, lengths=[5, 3, 8],
        optimizer=("momentum learning_rate 0.1 momentum 0.9",
                   lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9))),
    # class targets, many_to_one, a sequence of one step
    "lstm_l1_varlen_many_to_one_ce_adagrad": dict(
        cell="lstm", layers=1, hidden=3, input=2, one_hot=False, output=3, activation="softmax",
        topology="many_to_one", steps=6, window=2, clip=None, lengths=[6, 1, 4],
        optimizer=("adagrad learning_rate 0.1", lambda p: torch.optim.Adagrad(p, lr=0.1))),
    # an embedding and BCE; a sequence of one step, the last window only sequence 1's
    "rnn_l1_varlen_embedding_bce_sgd": dict(
        cell="rnn", layers=1, hidden=4, input=6, one_hot=True, embedding=3, output=2, activation="sigmoid",
        topology="many_to_many", steps=7, window=2, clip=None, lengths=[3, 7, 1],
        optimizer=("sgd learning_rate 0.3", lambda p: torch.optim.SGD(p, lr=0.3))),
    # MSE; no sequence reaches the last window [6,8), which makes no update; clipping
    "gru_l2_varlen_many_to_many_mse_rmsprop": dict(
        cell="gru", layers=2, hidden=3, input=2, one_hot=False, output=2, activation="tanh",
        topology="many_to_many", steps=8, window=3, clip=0.3, lengths=[5, 2, 4],
        optimizer=("rmsprop learning_rate 0.01", lambda p: torch.optim.RMSprop(p, lr=0.01))),
}
LOSS = {"softmax": "cross_entropy", "sigmoid": "binary_cross_entropy", "tanh": "mse", "linear": "mse"}


def spec(name, c):
    topology = {"many_to_many": f"many_to_many steps {c['steps']};",
                "many_to_one": f"many_to_one steps {c['steps']};",
                "one_to_many_feedback": f"one_to_many steps {c['steps']} feedback;"}[c["topology"]]
    if "lengths" in c:
        topology = topology[:-1] + " variable_length;"
    cell = {"rnn": f"rnn {c['hidden']} tanh;", "lstm": f"lstm {c['hidden']};", "gru": f"gru {c['hidden']};"}
    encoding = f" embedding {c['embedding']}" if "embedding" in c else " one_hot" if c["one_hot"] else ""
    lines = ["package fixtures.tbptt;", "", "model " + model_name(name) + " {", f"    input {c['input']}{encoding};"]
    lines += ["    " + cell[c["cell"]]] * c["layers"]
    lines += [f"    output {c['output']} {c['activation']};", f"    {topology}",
              f"    truncated_bptt {c['window']};", f"    loss {LOSS[c['activation']]};", f"    batch {BATCH};",
              f"    optimizer {c['optimizer'][0]};"]
    if c["clip"] is not None:
        lines.append(f"    clip norm {c['clip']};")
    lines += ["    precision float64;", "}", ""]
    return "\n".join(lines)


def model_name(name):
    return "".join(p.capitalize() for p in name.split("_"))


class Net(nn.Module):
    """The recurrent stack (PyTorch's module, so the names are rnn.*) and the head (head.*)."""

    def __init__(self, c):
        super().__init__()
        kinds = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
        if "embedding" in c:  # nn.Embedding in front, first in the state_dict as Unroll names it
            self.embedding = nn.Embedding(c["input"], c["embedding"])
        width = c.get("embedding", c["input"])
        self.rnn = kinds[c["cell"]](width, c["hidden"], num_layers=c["layers"], batch_first=True)
        self.head = nn.Linear(c["hidden"], c["output"])
        self.c = c

    def zero_state(self, batch):
        z = torch.zeros(self.c["layers"], batch, self.c["hidden"], dtype=torch.float64)
        return (z, z.clone()) if self.c["cell"] == "lstm" else z

    def chunk(self, x, state, prev_y, start, end):
        """Steps [start, end): returns the logits of the steps the head scores and the state after."""
        c = self.c
        if "embedding" in c:
            x = self.embedding(x)
        if c["topology"] == "one_to_many_feedback":
            # step 0 reads x; step t > 0 reads the previous step's output after the activation
            logits = []
            for t in range(start, end):
                # into an embedding, the fed-back probabilities weight the table's rows
                inp = x if t == 0 else prev_y @ self.embedding.weight if "embedding" in c else prev_y
                out, state = self.rnn(inp.unsqueeze(1), state)
                z = self.head(out[:, 0])
                logits.append(z)
                prev_y = activate(c, z)
            return torch.stack(logits, 1), state, prev_y
        out, state = self.rnn(x[:, start:end], state)  # x: the embedded rows, or the one-hot/dense vectors
        if c["topology"] == "many_to_one":
            return (self.head(out[:, -1]).unsqueeze(1) if end == c["steps"] else None), state, None
        return self.head(out), state, None


def masked_chunk(net, x, state, lengths, start, end):
    """Steps [start, end) of a padded batch, one step at a time: a sequence's state moves only at its real steps.

    Returns the logits of every step (or, many_to_one, of the top layer's state after the window), a mask of the
    outputs that are real and scored in the window, and the state after."""
    c = net.c
    if "embedding" in c:
        x = net.embedding(x)
    zs, masks = [], []
    for t in range(start, end):
        out, new = net.rnn(x[:, t:t + 1], state)
        real = (lengths > t).view(1, -1, 1)
        if isinstance(state, tuple):
            state = tuple(torch.where(real, n, s) for n, s in zip(new, state))
        else:
            state = torch.where(real, new, state)
        zs.append(net.head(out[:, 0]))
        masks.append(lengths > t)
    if c["topology"] == "many_to_one":
        top = (state[0] if isinstance(state, tuple) else state)[-1]
        scored = (lengths > start) & (lengths <= end)
        return net.head(top).unsqueeze(1), scored.unsqueeze(1), state
    return torch.stack(zs, 1), torch.stack(masks, 1), state


def packed_chunk(net, x, state, lengths, start, end):
    """The same window through pack_padded_sequence, over the sequences with real steps in it (a second reference)."""
    c = net.c
    idx = [b for b in range(len(lengths)) if lengths[b] > start]
    if not idx:  # no sequence has a real step here: nothing runs, nothing is scored
        outputs = 1 if c["topology"] == "many_to_one" else end - start
        return (torch.zeros(len(lengths), outputs, c["output"], dtype=torch.float64),
                torch.zeros(len(lengths), outputs, dtype=torch.bool), state)
    steps = torch.tensor([min(end, int(lengths[b])) - start for b in idx])
    seq = net.embedding(x[idx, start:end]) if "embedding" in c else x[idx, start:end]
    sub = tuple(s[:, idx] for s in state) if isinstance(state, tuple) else state[:, idx]
    packed = nn.utils.rnn.pack_padded_sequence(seq, steps, batch_first=True, enforce_sorted=False)
    out, new = net.rnn(packed, sub)
    out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=end - start)
    parts = list(state) if isinstance(state, tuple) else [state]
    news = list(new) if isinstance(new, tuple) else [new]
    merged = []
    for s, n in zip(parts, news):
        cols = [n[:, idx.index(b)] if b in idx else s[:, b] for b in range(len(lengths))]
        merged.append(torch.stack(cols, 1))
    state = tuple(merged) if isinstance(state, tuple) else merged[0]
    batch = len(lengths)
    if c["topology"] == "many_to_one":
        top = (state[0] if isinstance(state, tuple) else state)[-1]
        scored = (lengths > start) & (lengths <= end)
        return net.head(top).unsqueeze(1), scored.unsqueeze(1), state
    z = torch.zeros(batch, end - start, c["output"], dtype=torch.float64)
    z = z.index_copy(0, torch.tensor(idx), net.head(out))
    mask = torch.stack([lengths > t for t in range(start, end)], 1)
    return z, mask, state


def masked_mean_loss(c, z, target, mask):
    """PyTorch's reduction='mean' over the real outputs only: z [batch, outputs, O], mask [batch, outputs]."""
    return mean_loss(c, z[mask].unsqueeze(0), target[mask].unsqueeze(0))


def varlen_target(c, target, start, end):
    return target.unsqueeze(1) if c["topology"] == "many_to_one" else target[:, start:end]


def varlen_truncated_gradient(c, net, x, target, lengths, truncate=True):
    """The batch's mean loss over all its real outputs, every window's truncated gradient summed, weights fixed."""
    net.zero_grad()
    state = net.zero_state(BATCH)
    zs, ts, ms = [], [], []
    for start, end in windows(c):
        z, mask, state = masked_chunk(net, x, state, lengths, start, end)
        if truncate:
            state = detach(state)
        zs.append(z)
        ts.append(varlen_target(c, target, start, end))
        ms.append(mask)
    loss = masked_mean_loss(c, torch.cat(zs, 1), torch.cat(ts, 1), torch.cat(ms, 1))
    loss.backward()
    return loss.detach(), {k: p.grad.detach().clone() for k, p in net.named_parameters()}


def varlen_train_call(c, net, opt, x, target, lengths, chunk=masked_chunk):
    """One trainStep(xs, targets, lengths): an update per window that scores an output."""
    state = net.zero_state(BATCH)
    losses = []
    for start, end in windows(c):
        z, mask, state = chunk(net, x, state, lengths, start, end)
        if mask.any():
            loss = masked_mean_loss(c, z, varlen_target(c, target, start, end), mask)
            opt.zero_grad()
            loss.backward()
            if c["clip"] is not None:
                torch.nn.utils.clip_grad_norm_(net.parameters(), c["clip"])
            opt.step()
            losses.append(loss.detach())
        state = detach(state)
    return torch.stack(losses)


def activate(c, z):
    return {"softmax": lambda v: torch.softmax(v, -1), "sigmoid": torch.sigmoid, "tanh": torch.tanh,
            "linear": lambda v: v}[c["activation"]](z)


def mean_loss(c, z, target):
    """PyTorch's reduction='mean' over what z holds: [batch, outputs, O] logits."""
    if c["activation"] == "softmax":
        return F.cross_entropy(z.reshape(-1, z.shape[-1]), target.reshape(-1))
    y = activate(c, z)
    if c["activation"] == "sigmoid":
        return F.binary_cross_entropy(y, target)
    return F.mse_loss(y, target)


def detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def target_slice(c, target, start, end):
    if c["topology"] == "many_to_one":
        return target.unsqueeze(1)
    return target[:, start:end]


def windows(c):
    return [(s, min(s + c["window"], c["steps"])) for s in range(0, c["steps"], c["window"])]


def make_batch(c, g):
    steps = c["steps"]
    if c["one_hot"] and c["topology"] == "one_to_many_feedback":
        x = torch.randint(0, c["input"], (BATCH,), generator=g)  # one symbol, looked up in the embedding
        x_saved = x.to(torch.float64)
    elif c["one_hot"]:
        symbols = torch.randint(0, c["input"], (BATCH, steps), generator=g)
        x = symbols if "embedding" in c else F.one_hot(symbols, c["input"]).to(torch.float64)
        x_saved = symbols.to(torch.float64)
    elif c["topology"] == "one_to_many_feedback":
        x = torch.rand(BATCH, c["input"], generator=g, dtype=torch.float64) * 2 - 1
        x_saved = x
    else:
        x = torch.rand(BATCH, steps, c["input"], generator=g, dtype=torch.float64) * 2 - 1
        x_saved = x
    outputs = 1 if c["topology"] == "many_to_one" else steps
    if c["activation"] == "softmax":
        target = torch.randint(0, c["output"], (BATCH, outputs), generator=g)
        if c["topology"] == "many_to_one" and "lengths" in c:
            target = target[:, 0]  # one class per sequence
        t_saved = target.to(torch.float64)
    else:
        lo, hi = {"sigmoid": (0.0, 1.0), "tanh": (-0.9, 0.9), "linear": (-1.0, 1.0)}[c["activation"]]
        target = lo + (hi - lo) * torch.rand(BATCH, outputs, c["output"], generator=g, dtype=torch.float64)
        t_saved = target
        if c["topology"] == "many_to_one":
            target = target[:, 0]
            t_saved = target
    return x, x_saved, target, t_saved


def truncated_gradient(c, net, x, target, truncate=True):
    """All windows' truncated gradients of the mean loss over every output, summed, weights fixed."""
    net.zero_grad()
    state, prev_y = net.zero_state(BATCH), None
    zs = []
    for start, end in windows(c):
        z, state, prev_y = net.chunk(x, state, prev_y, start, end)
        if truncate:
            state = detach(state)
            prev_y = prev_y.detach() if prev_y is not None else None
        if z is not None:
            zs.append(z)
    loss = mean_loss(c, torch.cat(zs, 1), target if c["topology"] != "many_to_one" else target.unsqueeze(1))
    loss.backward()
    return loss.detach(), {k: p.grad.detach().clone() for k, p in net.named_parameters()}


def train_call(c, net, opt, x, target):
    """One trainStep: an update per window that holds an output."""
    state, prev_y = net.zero_state(BATCH), None
    losses = []
    for start, end in windows(c):
        z, state, prev_y = net.chunk(x, state, prev_y, start, end)
        if z is not None:
            loss = mean_loss(c, z, target_slice(c, target, start, end))
            opt.zero_grad()
            loss.backward()
            if c["clip"] is not None:
                torch.nn.utils.clip_grad_norm_(net.parameters(), c["clip"])
            opt.step()
            losses.append(loss.detach())
        state = detach(state)
        prev_y = prev_y.detach() if prev_y is not None else None
    return torch.stack(losses)


def save_safetensors(path, tensors, metadata=None):
    """The safetensors format with the standard library only: header length, JSON header, data."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        t = tensors[name].detach().to(torch.float64).contiguous()
        data = struct.pack("<%dd" % t.numel(), *t.flatten().tolist())
        header[name] = {"dtype": "F64", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def variable_length_case(name, c, net, x, x_saved, target, t_saved, init):
    """The outputs of a variable_length case, the masked loop checked against the packed one on a copy of the net."""
    lengths = torch.tensor(c["lengths"])
    _, full = varlen_truncated_gradient(c, net, x, target, lengths, truncate=False)
    loss, grads = varlen_truncated_gradient(c, net, x, target, lengths)
    out = {"x": x_saved, "target": t_saved, "loss": loss.reshape(1), "lengths": lengths.to(torch.float64)}
    out.update({"grad." + k: v for k, v in grads.items()})
    out.update({"full_grad." + k: v for k, v in full.items()})
    twin = Net(c).double()
    twin.load_state_dict(init)
    opt = c["optimizer"][1](net.parameters())
    twin_opt = c["optimizer"][1](twin.parameters())
    for call in range(2):
        out[f"windows.{call}"] = varlen_train_call(c, net, opt, x, target, lengths)
        packed = varlen_train_call(c, twin, twin_opt, x, target, lengths, chunk=packed_chunk)
        assert torch.allclose(out[f"windows.{call}"], packed, rtol=1e-12, atol=0), (name, "losses")
        for k, v in net.state_dict().items():
            assert torch.allclose(v, twin.state_dict()[k], rtol=1e-11, atol=1e-14), (name, "call", call, k)
        out.update({f"trained.{call}.{k}": v.detach().clone() for k, v in net.state_dict().items()})
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    for name, c in sorted(CASES.items()):
        torch.manual_seed(zlib.crc32(name.encode("utf-8")))
        net = Net(c).double()
        g = torch.Generator().manual_seed(zlib.crc32(name.encode("utf-8")) + 1)
        x, x_saved, target, t_saved = make_batch(c, g)
        init = {k: v.detach().clone() for k, v in net.state_dict().items()}
        save_safetensors(os.path.join(OUT, name + ".init.safetensors"), init)
        if "lengths" in c:
            out = variable_length_case(name, c, net, x, x_saved, target, t_saved, init)
        else:
            _, full = truncated_gradient(c, net, x, target, truncate=False)
            loss, grads = truncated_gradient(c, net, x, target)
            out = {"x": x_saved, "target": t_saved, "loss": loss.reshape(1)}
            out.update({"grad." + k: v for k, v in grads.items()})
            out.update({"full_grad." + k: v for k, v in full.items()})
            opt = c["optimizer"][1](net.parameters())
            for call in range(2):
                out[f"windows.{call}"] = train_call(c, net, opt, x, target)
                out.update({f"trained.{call}.{k}": v.detach().clone() for k, v in net.state_dict().items()})
        metadata = {"spec": spec(name, c), "model": "fixtures.tbptt." + model_name(name),
                    "one_hot": str(c["one_hot"]).lower(), "class_targets": str(c["activation"] == "softmax").lower()}
        save_safetensors(os.path.join(OUT, name + ".safetensors"), out, metadata)
        print(name, "windows", windows(c), "losses", [round(v, 6) for v in out["windows.0"].tolist()])


if __name__ == "__main__":
    main()
