#!/usr/bin/python3
"""Writes the fixtures of EmbeddingFeedbackTest: one_to_many ... feedback into an embedding input.

Run from the repository root with Debian's python3-torch (1.13):

    /usr/bin/python3 compiler/src/test/python/make_embedding_feedback_fixtures.py

The network is `input V embedding D; <layers>; output V softmax; one_to_many steps T feedback;`:
step 0 reads the row of its symbol, nn.Embedding(V, D); every later step reads the softmax output
of the step before through the same table, x_t = y_{t-1} @ embedding.weight (the rows weighted by
the probabilities, as a one_hot input reads them through W_ih), differentiated by autograd through
y_{t-1} and the table. For each case it writes, under
compiler/src/test/resources/fixtures/embedding_feedback/:
  <case>.init.safetensors  the initial state_dict (embedding.weight, rnn.*, head.*), for importPyTorch
  <case>.safetensors       'x' (the first symbols, [B]), 'target' ([B, T] classes, or for mse their
                           one-hot vectors [B, T, V]), and in float64:
                           'logits', 'y' ([B, T, V]), 'loss' (cross_entropy, or mse on y, 'mean'),
                           'grad.<name>' of every trainable parameter,
                           'losses' the loss before each of UPDATES optimizer steps on the batch,
                           'trained.<k>.<name>' every parameter after step k;
                           metadata 'spec', 'model', 'frozen'.
A frozen table (requires_grad=False) has no gradient and stays as it is; the gradient still flows
through it into the outputs fed back. Seeds are fixed: a rerun writes the same bytes.
"""
import os
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F

from make_tbptt_fixtures import save_safetensors

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "fixtures", "embedding_feedback")
BATCH = 2
UPDATES = 3

# name: cell, layers, hidden, vocabulary, embedding width, steps, loss, frozen, optimizer (Unroll, torch)
CASES = {
    "gru_l1_ce_adam": dict(cell="gru", layers=1, hidden=4, vocabulary=5, width=3, steps=5, loss="cross_entropy",
                           frozen=False, optimizer=("adam learning_rate 0.02", lambda p: torch.optim.Adam(p, lr=0.02))),
    "lstm_l2_ce_sgd": dict(cell="lstm", layers=2, hidden=3, vocabulary=4, width=2, steps=4, loss="cross_entropy",
                           frozen=False, optimizer=("sgd learning_rate 0.5", lambda p: torch.optim.SGD(p, lr=0.5))),
    "rnn_l1_mse_momentum": dict(cell="rnn", layers=1, hidden=5, vocabulary=6, width=4, steps=6, loss="mse",
                                frozen=False, optimizer=("momentum learning_rate 0.3 momentum 0.9",
                                                         lambda p: torch.optim.SGD(p, lr=0.3, momentum=0.9))),
    "gru_l2_ce_frozen_rmsprop": dict(cell="gru", layers=2, hidden=3, vocabulary=5, width=3, steps=4,
                                     loss="cross_entropy", frozen=True,
                                     optimizer=("rmsprop learning_rate 0.01",
                                                lambda p: torch.optim.RMSprop(p, lr=0.01))),
}


def model_name(name):
    return "".join(p.capitalize() for p in name.split("_"))


def spec(name, c):
    cell = {"rnn": f"rnn {c['hidden']} tanh;", "lstm": f"lstm {c['hidden']};", "gru": f"gru {c['hidden']};"}
    lines = ["package fixtures.feedback;", "", "model " + model_name(name) + " {",
             f"    input {c['vocabulary']} embedding {c['width']}{' frozen' if c['frozen'] else ''};"]
    lines += ["    " + cell[c["cell"]]] * c["layers"]
    lines += [f"    output {c['vocabulary']} softmax;", f"    one_to_many steps {c['steps']} feedback;",
              f"    loss {c['loss']};", f"    batch {BATCH};", f"    optimizer {c['optimizer'][0]};",
              "    precision float64;", "}", ""]
    return "\n".join(lines)


class Net(nn.Module):
    def __init__(self, c):
        super().__init__()
        kinds = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
        self.embedding = nn.Embedding(c["vocabulary"], c["width"])
        self.rnn = kinds[c["cell"]](c["width"], c["hidden"], num_layers=c["layers"], batch_first=True)
        self.head = nn.Linear(c["hidden"], c["vocabulary"])
        if c["frozen"]:
            self.embedding.weight.requires_grad_(False)
        self.c = c

    def forward(self, symbols):
        c = self.c
        z0 = torch.zeros(c["layers"], len(symbols), c["hidden"], dtype=torch.float64)
        state = (z0, z0.clone()) if c["cell"] == "lstm" else z0
        inp = self.embedding(symbols)
        logits, ys = [], []
        for _ in range(c["steps"]):
            out, state = self.rnn(inp.unsqueeze(1), state)
            z = self.head(out[:, 0])
            y = torch.softmax(z, -1)
            logits.append(z)
            ys.append(y)
            inp = y @ self.embedding.weight  # the rows weighted by the probabilities fed back
        return torch.stack(logits, 1), torch.stack(ys, 1)


def loss_of(c, z, y, target):
    if c["loss"] == "cross_entropy":
        return F.cross_entropy(z.reshape(-1, z.shape[-1]), target.reshape(-1))
    return F.mse_loss(y, F.one_hot(target, c["vocabulary"]).to(torch.float64))


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    for name, c in sorted(CASES.items()):
        torch.manual_seed(zlib.crc32(name.encode("utf-8")))
        net = Net(c).double()
        g = torch.Generator().manual_seed(zlib.crc32(name.encode("utf-8")) + 1)
        x = torch.randint(0, c["vocabulary"], (BATCH,), generator=g)
        target = torch.randint(0, c["vocabulary"], (BATCH, c["steps"]), generator=g)
        init = {k: v.detach().clone() for k, v in net.state_dict().items()}
        save_safetensors(os.path.join(OUT, name + ".init.safetensors"), init)
        z, y = net(x)
        loss = loss_of(c, z, y, target)
        loss.backward()
        # mse compares y with vectors: the one-hot vectors of the classes
        saved = target if c["loss"] == "cross_entropy" else F.one_hot(target, c["vocabulary"])
        out = {"x": x.to(torch.float64), "target": saved.to(torch.float64), "logits": z, "y": y,
               "loss": loss.detach().reshape(1)}
        out.update({"grad." + k: p.grad.detach().clone() for k, p in net.named_parameters() if p.requires_grad})
        opt = c["optimizer"][1]([p for p in net.parameters() if p.requires_grad])
        losses = []
        for k in range(UPDATES):
            opt.zero_grad()
            z, y = net(x)
            step_loss = loss_of(c, z, y, target)
            step_loss.backward()
            opt.step()
            losses.append(step_loss.detach())
            out.update({f"trained.{k}.{n}": v.detach().clone() for n, v in net.state_dict().items()})
        out["losses"] = torch.stack(losses)
        metadata = {"spec": spec(name, c), "model": "fixtures.feedback." + model_name(name),
                    "frozen": str(c["frozen"]).lower(), "loss": c["loss"]}
        save_safetensors(os.path.join(OUT, name + ".safetensors"), out, metadata)
        print(name, "loss", round(loss.item(), 6), "losses", [round(v, 6) for v in out["losses"].tolist()])


if __name__ == "__main__":
    main()
