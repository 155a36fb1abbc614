#!/usr/bin/python3
"""Writes the fixtures of the encoder-decoders with an embedding input (issue 11).

Run from the repository root with Debian's python3-torch (scripts/regenerate-pytorch-fixtures.sh runs it):

    /usr/bin/python3 compiler/src/test/python/make_encdec_embedding_fixtures.py

The network is `input V embedding D [frozen]; <layers>; output O <head>; many_to_many input_steps TX
output_steps TY [variable_length];` (docs/language.md 3.1, 4.5, 5.5), in PyTorch

    nn.ModuleDict(embedding=nn.Embedding(V, D), encoder=nn.X(D, H, L), decoder=nn.X(O, H, L), head=nn.Linear(H, O))

The encoder reads embedding(x): each (real) input step's row of the table; the decoder reads what it reads in
every encoder-decoder (zeros, then the previous target, or the previous output when it decodes), since its inputs
are the output's classes or vectors, not the input's symbols. Everything else is make_pytorch_fixtures.py's
encoder-decoder machinery (the modules, teacher forcing, greedy decoding, beam search, the variable-length
packing and masked loss), reused here: V = EMB_V, D = I, and the sizes, batches and lengths of its
encoder-decoder cases (ED_*, VE_*). A frozen table has requires_grad=False: no gradient, never updated.

For each case it writes, under compiler/src/test/resources/fixtures/pytorch-encdec-embedding/, <case>.safetensors
and a manifest.json listing the cases with their metadata:
    x                            [B, TX] symbols (I64); -1 at padded steps (variable_length), which nothing reads
    target                       [B, TY] classes (I64, softmax head) or [B, TY, O] vectors (linear head, mse)
    param.<name>, grad.<name>    every parameter, embedding.weight first; no grad.embedding.weight when frozen
    logits (fixed length), y, loss   teacher-forced outputs and the loss (masked by the target lengths)
    greedy.y                     greedy decoding of every output step
    beam.*, end.*                softmax heads: as in pytorch-encdec/ (fixed) and pytorch-encdec-varlen/ (variable)
    update{k}.x, update{k}.target, update{k}.loss, update{k}.param.<name>   k = 1..UPDATES: torch.optim steps from
                                 the case's weights, each on a new batch whose symbols come from UPDATE_WINDOWS[k-1]
                                 (so the second reads rows the first did not, and the rows the first read keep
                                 moving with the optimizers that have state), the loss before the step and every
                                 parameter after it
Metadata: as the other encoder-decoder fixtures', plus vocabulary, embedding_size, frozen, variable_length,
optimizer, update_steps. A draw is rejected when a gradient element that should not be zero is (every row of the
table that a real step read must have a gradient), or decoding has near ties (ED_GAP). Seeds are fixed: a rerun
writes the same bytes.
"""
import json
import zlib

import torch
import torch.nn as nn

from make_pytorch_fixtures import (
    B, ED_BEAM, ED_GAP, ED_O, ED_TX, ED_TY, EMB_V, I, REPO, VE_B, VE_BEAM, VE_END, VE_INPUT_LENGTHS,
    VE_TARGET_LENGTHS, VE_TX, VE_TY, build_encdec, encdec_beam, encdec_greedy, encdec_loss, encdec_spec,
    encdec_teacher_forced, model_name, read_safetensors, safetensors_bytes, varlen_beam, varlen_encdec_spec,
    varlen_greedy, varlen_teacher_forced)

OUT_DIR = REPO / "compiler" / "src" / "test" / "resources" / "fixtures" / "pytorch-encdec-embedding"
V, D = EMB_V, I
CELLS = ["rnn_tanh", "lstm", "gru"]
LAYERS = [1, 2]
HEADS = ["softmax", "linear"]
UPDATES = 2
UPDATE_WINDOWS = [(0, 4), (4, 7)]
# (spec words, torch.optim constructor), one per case in turn
OPTIMIZERS = [
    ("optimizer adam learning_rate 0.01;", lambda ps: torch.optim.Adam(ps, lr=0.01)),
    ("optimizer momentum learning_rate 0.05 momentum 0.9;", lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9)),
    ("optimizer sgd learning_rate 0.1;", lambda ps: torch.optim.SGD(ps, lr=0.1)),
    ("optimizer rmsprop learning_rate 0.01;", lambda ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.99, eps=1e-8)),
]


def cases():
    """rnn_tanh, lstm and gru, 1 and 2 layers, a softmax and a linear head, fixed and variable length; each cell
    and head has a frozen table in one of its two depths; and a Cho GRU (written from its equations)."""
    out = []
    for variable in (False, True):
        for cell in CELLS + ([] if variable else ["gru_cho"]):
            for layers in LAYERS:
                for head in HEADS:
                    if cell == "gru_cho" and (layers, head) != (1, "softmax"):
                        continue
                    frozen = (layers == 2) == (head == "softmax")
                    name = (f"encdec-emb-{'varlen-' if variable else ''}{cell}-l{layers}-{head}"
                            f"{'-frozen' if frozen else ''}")
                    out.append(dict(cell=cell, layers=layers, head=head, encoding="embedding", frozen=frozen,
                                    variable=variable, name=name, topology="encoder_decoder"))
    out.sort(key=lambda c: c["name"])
    for k, c in enumerate(out):
        c["optimizer"] = k % len(OPTIMIZERS)
    return out


def spec(c):
    dense = dict(c, encoding="dense")
    text = varlen_encdec_spec(dense) if c["variable"] else encdec_spec(dense)
    package = "fixtures.encdecvarlen" if c["variable"] else "fixtures.encdec"
    text = text.replace(f"package {package};", "package fixtures.encdecembedding;")
    text = text.replace(f"    input {I};", f"    input {V} embedding {D}{' frozen' if c['frozen'] else ''};")
    return text.replace("    precision float64;", f"    {OPTIMIZERS[c['optimizer']][0]}\n    precision float64;")


def build(c):
    """The encoder-decoder of make_pytorch_fixtures.py, with an nn.Embedding first (in state_dict order too)."""
    base, g = build_encdec(c)
    embedding = nn.Embedding(V, D)
    with torch.no_grad():
        embedding.weight.normal_(0.0, 1.0, generator=g)  # nn.Embedding's own initialization, from the case's draw
    embedding.weight.requires_grad_(not c["frozen"])
    return nn.ModuleDict({"embedding": embedding, **dict(base.items())}), g


def batch_size(c):
    return VE_B if c["variable"] else B


def steps(c):
    return (VE_TX, VE_TY) if c["variable"] else (ED_TX, ED_TY)


def data(c, g, window=(0, V)):
    """Symbols from the window (-1 at padded steps) and targets (-1, or 1000 for vectors, past each target length)."""
    tx, ty = steps(c)
    x = torch.randint(window[0], window[1], (batch_size(c), tx), generator=g, dtype=torch.int64)
    if c["head"] == "softmax":
        target = torch.randint(0, ED_O, (batch_size(c), ty), generator=g, dtype=torch.int64)
    else:
        target = torch.rand(batch_size(c), ty, ED_O, generator=g) * 2 - 1
    if c["variable"]:
        real_x = torch.arange(tx)[None, :] < torch.tensor(VE_INPUT_LENGTHS)[:, None]
        real_t = torch.arange(ty)[None, :] < torch.tensor(VE_TARGET_LENGTHS)[:, None]
        x = x.masked_fill(~real_x, -1)
        target = target.masked_fill(~real_t, -1) if c["head"] == "softmax" else target.masked_fill(~real_t[..., None],
                                                                                                   1000.0)
    return x, target


def teacher_forced(c, model, x, target):
    """z, y and the loss with teacher forcing (masked by the target lengths with variable_length)."""
    if c["variable"]:
        return varlen_teacher_forced(c, model, x, target)
    z, y = encdec_teacher_forced(c, model, x, target)
    return z, y, encdec_loss(c, z, y, target)


def read_rows(x):
    """The rows of the table that some real step reads."""
    return sorted(set(int(v) for v in x.reshape(-1).tolist() if v >= 0))


def allowed_zeros(c, model, x, target):
    """The gradient elements that may be exactly zero: the table's rows no real step reads, and the columns of the
    decoder's first weight_ih of the classes no decoder step reads (the previous real targets)."""
    allowed = {n: torch.zeros_like(p, dtype=torch.bool) for n, p in model.named_parameters()}
    rows = read_rows(x)
    for v in range(V):
        if v not in rows:
            allowed["embedding.weight"][v, :] = True
    if c["head"] == "softmax":
        lengths = VE_TARGET_LENGTHS if c["variable"] else [ED_TY] * batch_size(c)
        used = {int(target[b, s - 1]) for b in range(batch_size(c)) for s in range(1, lengths[b])}
        for o in range(ED_O):
            if o not in used:
                allowed["decoder.weight_ih_l0"][:, o] = True
    return allowed


def decode(c, model, x):
    """Greedy decoding and, for a softmax head, beam search (and the end class with variable_length), as the other
    encoder-decoder fixtures do; returns the tensors and the smallest gap between ranked logits or scores."""
    out = {}
    if not c["variable"]:
        greedy, gap = encdec_greedy(c, model, x)
        out["greedy.y"] = greedy
        if c["head"] == "softmax":
            beams = []
            for b in range(B):
                found, beam_gap = encdec_beam(c, model, x[b:b + 1], ED_BEAM)
                beams.append(found)
                gap = min(gap, beam_gap)
            out["beam.symbols"] = torch.tensor([[s for s, _ in found] for found in beams], dtype=torch.int64)
            out["beam.logp"] = torch.tensor([[lp for _, lp in found] for found in beams])
        return out, gap, True
    greedy, _, _, gap = varlen_greedy(c, model, x, -1)
    out["greedy.y"] = greedy
    if c["head"] != "softmax":
        return out, gap, True
    _, symbols, lengths, gap_end = varlen_greedy(c, model, x, VE_END)
    gap = min(gap, gap_end)
    out["end.symbols"], out["end.lengths"] = symbols, lengths
    beams = []
    for b in range(VE_B):
        found, beam_gap = varlen_beam(c, model, x[b:b + 1], VE_INPUT_LENGTHS[b], VE_BEAM, VE_END)
        beams.append(found)
        gap = min(gap, beam_gap)
    # the draw must exercise the end class, as pytorch-encdec-varlen's: a greedy and a beam sequence stop early
    ends = bool((lengths < VE_TY).any()) and any(len(s) < VE_TY for found in beams for s, _ in found)
    full = all(len(found) == VE_BEAM for found in beams)
    padded = torch.full((VE_B, VE_BEAM, VE_TY), -1, dtype=torch.int64)
    for b, found in enumerate(beams):
        for k, (s, _) in enumerate(found):
            padded[b, k, :len(s)] = torch.tensor(s)
    out["beam.symbols"] = padded
    out["beam.lengths"] = torch.tensor([[len(s) for s, _ in found] for found in beams], dtype=torch.int64)
    out["beam.logp"] = torch.tensor([[lp for _, lp in found] for found in beams])
    return out, gap, ends and full


def attempt(c):
    model, g = build(c)
    x, target = data(c, g)
    z, y, loss = teacher_forced(c, model, x, target)
    model.zero_grad()
    loss.backward()
    names = [n for n, _ in model.named_parameters()]
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    allowed = allowed_zeros(c, model, x, target)
    if any(int(((grads[n] == 0) & ~allowed[n]).sum()) for n in grads):
        return None
    if not c["frozen"]:
        unread = [v for v in range(V) if v not in read_rows(x)]
        assert bool((grads["embedding.weight"][unread] == 0).all()), "an unread row has a gradient"
    decoded, gap, exercised = decode(c, model, x)
    if gap < ED_GAP or not exercised:
        return None
    tensors = {"x": x, "target": target, "y": y.detach().clone(), "loss": loss.detach().reshape(1), **decoded}
    if not c["variable"]:
        tensors["logits"] = z.detach().clone()
    for n, p in model.named_parameters():
        tensors["param." + n] = p.detach().clone()
        if n in grads:
            tensors["grad." + n] = grads[n]
    train(c, model, g, tensors)
    return tensors, names


def train(c, model, g, tensors):
    """UPDATES torch.optim steps from the case's weights, each on a new batch of its window's symbols."""
    optimizer = OPTIMIZERS[c["optimizer"]][1]([p for p in model.parameters() if p.requires_grad])
    table = model["embedding"].weight
    for k in range(1, UPDATES + 1):
        x, target = data(c, g, UPDATE_WINDOWS[k - 1])
        before = table.detach().clone()
        optimizer.zero_grad()
        _, _, loss = teacher_forced(c, model, x, target)
        loss.backward()
        optimizer.step()
        changed = {v for v in range(V) if bool((table.detach()[v] != before[v]).any())}
        if c["frozen"]:
            assert not changed, "a frozen table changed"
        else:
            assert set(read_rows(x)) <= changed, (c["name"], k, changed)
        tensors[f"update{k}.x"] = x
        tensors[f"update{k}.target"] = target
        tensors[f"update{k}.loss"] = loss.detach().reshape(1).clone()
        for n, p in model.named_parameters():
            tensors[f"update{k}.param.{n}"] = p.detach().clone()


def run(c):
    base = zlib.crc32(c["name"].encode("utf-8"))
    for n in range(2000):
        c["seed"] = (base + 7919 * n) % (1 << 32)
        result = attempt(c)
        if result is not None:
            if n:
                print(f"redrawn: {c['name']}: accepted draw {n}")
            break
    else:
        raise AssertionError(f"no acceptable draw for {c['name']}")
    tensors, names = result
    tx, ty = steps(c)
    metadata = {
        "case": c["name"], "model": model_name(c["name"]), "seed": str(c["seed"]), "cell": c["cell"],
        "layers": str(c["layers"]), "topology": "encoder_decoder", "head": c["head"],
        "loss": "cross_entropy" if c["head"] == "softmax" else "mse", "input": "embedding",
        "batch": str(batch_size(c)), "input_steps": str(tx), "output_steps": str(ty), "input_size": str(V),
        "vocabulary": str(V), "embedding_size": str(D), "frozen": str(c["frozen"]).lower(),
        "variable_length": str(c["variable"]).lower(), "output_size": str(ED_O), "parameters": ",".join(names),
        "spec": spec(c), "optimizer": OPTIMIZERS[c["optimizer"]][0], "update_steps": str(UPDATES),
    }
    if c["variable"]:
        metadata["input_lengths"] = ",".join(map(str, VE_INPUT_LENGTHS))
        metadata["target_lengths"] = ",".join(map(str, VE_TARGET_LENGTHS))
        if c["head"] == "softmax":
            metadata.update({"end_class": str(VE_END), "beam_width": str(VE_BEAM)})
    elif c["head"] == "softmax":
        metadata["beam_width"] = str(ED_BEAM)
    return tensors, metadata


def main():
    files, manifest = {}, []
    for c in cases():
        tensors, metadata = run(c)
        blob = safetensors_bytes(tensors, metadata)
        back, meta_back = read_safetensors(blob)
        assert meta_back == metadata and sorted(back) == sorted(tensors)
        for k, t in tensors.items():
            assert back[k].dtype == t.dtype and torch.equal(back[k], t.detach()), (c["name"], k)
        files[c["name"] + ".safetensors"] = blob
        manifest.append({"name": c["name"], "file": c["name"] + ".safetensors", "metadata": metadata})
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for old in sorted(OUT_DIR.glob("*.safetensors")):
        old.unlink()
    for name, blob in files.items():
        (OUT_DIR / name).write_bytes(blob)
    (OUT_DIR / "manifest.json").write_bytes((json.dumps({"format": "safetensors", "cases": manifest}, indent=2,
                                                        sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))
    print(f"wrote {len(files)} encoder-decoder embedding cases + manifest.json to {OUT_DIR}")


if __name__ == "__main__":
    main()
