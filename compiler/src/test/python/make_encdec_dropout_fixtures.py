#!/usr/bin/python3
"""PyTorch reference fixtures for dropout in encoder-decoders (docs/language.md 4.8 and 5.5).

What it writes
    compiler/src/test/resources/fixtures/pytorch-encdec-dropout/<case>.safetensors and manifest.json, read by
    EncoderDecoderDropoutParityTest. Cases: rnn_tanh, lstm and gru; three stacks, each fixed-length
    (many_to_many input_steps ED_TX output_steps ED_TY, batch B) and variable_length (VE_TX, VE_TY, batch VE_B,
    the lengths VE_INPUT_LENGTHS and VE_TARGET_LENGTHS of make_pytorch_fixtures.py):
        between  2 layers, dropout 0.5 on layer 0 only (between the layers), softmax head, one-hot input
        all      2 layers, dropout 0.25 and 0.5 (between, and before the head), linear head (mse), dense input
        top      1 layer, dropout 0.5 (before the head), softmax head, dense input

The semantics (what a PyTorch user gets from nn.LSTM(..., num_layers=L, dropout=p) for the encoder and for the
decoder, and nn.Dropout(p) before the head for the top layer's dropout):
    encoder layer k < L - 1 with dropout: its output at every step is masked as encoder layer k + 1 reads it;
    the encoder's top layer passes on nothing but its final states, which are never masked (nn.LSTM's h_n, c_n);
    decoder layer k < L - 1 with dropout: its output masked as decoder layer k + 1 reads it;
    decoder top layer with dropout: its output masked as the head reads it.
Masks: dropout_mask of make_pytorch_fixtures.py (dev.unroll.runtime.Dropout's draw, seed DROPOUT_SEED): encoder
layer k's key has layer part k, decoder layer k's has L + k; element e = t * H + j over the stack's own steps
(TX for the encoder, TY for the decoder), drawn for every padded step too (never read, and a real step's
element does not depend on the lengths).

The PyTorch model is one single-layer nn.RNN/nn.LSTM/nn.GRU per layer and stack (MaskedStack), the masks
multiplied in between, with the interface of a stacked module (tensors or PackedSequences, states [L, B, H]), so
that the encoder-decoder functions of make_pytorch_fixtures.py (teacher forcing, loss, greedy decoding, packed
variable-length versions) run it unchanged. Self-check: with no masks it reproduces a stacked
nn.X(num_layers=L, dropout=p) in eval mode, loaded with the same weights (teacher-forced outputs and greedy
decoding).

Tensors in a file (F64; x, target, mask-free integer data I64), beside the metadata (spec, parameters, ...):
    param.<name>           encoder.*_l{k}, decoder.*_l{k}, head.*, in state_dict order
    x, target              as make_pytorch_fixtures.py's encoder-decoder cases (padding: -1 or VE_PAD)
    loss, grad.<name>      training (computeGradients, trainingLoss): teacher forcing with the masks of update 0
    grad.x                 dense inputs only
    loss_eval, y           without dropout (loss, forwardTeacherForced)
    greedy.y               greedy decoding without dropout (forward), every output step
    mask.encoder.l{k}, mask.decoder.l{k}   the masks of update 0, [batch, steps, H]
    update1.param.<name>   every parameter after trainStep on the batch (masks of update 0)
    update2.loss           the loss of the second trainStep, on the same batch, with the masks of update 1
    update2.param.<name>   every parameter after it
The optimizer is momentum (lr 0.05, momentum 0.9; torch.optim.SGD), linear in the gradient so that float32
rounding of tiny gradients stays tiny. Weights: uniform(-0.5, 0.5) from the case's seed (CRC-32 of its name),
redrawn (+7919) while a greedy step's two largest logits are within ED_GAP (float32 could reorder them).

Run from the repository root: /usr/bin/python3 compiler/src/test/python/make_encdec_dropout_fixtures.py
(scripts/regenerate-pytorch-fixtures.sh runs it). Deterministic: a rerun writes the same bytes.
"""

import json
import math
import zlib

import torch
import torch.nn as nn

from make_pytorch_fixtures import (B, DROPOUT_SEED, ED_GAP, ED_O, ED_TX, ED_TY, EMB_OPTIMIZERS, H, I, REPO,
                                   VE_B, VE_INPUT_LENGTHS, VE_TARGET_LENGTHS, VE_TX, VE_TY, activate, dropout_mask,
                                   encdec_data, encdec_greedy, encdec_loss, encdec_module, encdec_spec,
                                   encdec_teacher_forced, model_name, read_safetensors, safetensors_bytes,
                                   varlen_encdec_data, varlen_encdec_spec, varlen_greedy, varlen_teacher_forced)

OUT_DIR = REPO / "compiler" / "src" / "test" / "resources" / "fixtures" / "pytorch-encdec-dropout"
CELLS = ["rnn_tanh", "lstm", "gru"]
# name: layers, dropout per layer, head, input encoding
STACKS = {"between": (2, [0.5, 0.0], "softmax", "one_hot"), "all": (2, [0.25, 0.5], "linear", "dense"),
          "top": (1, [0.5], "softmax", "dense")}
OPTIMIZER, MAKE_OPTIMIZER = EMB_OPTIMIZERS[2]  # momentum learning_rate 0.05 momentum 0.9
BASES = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]


def cases():
    out = []
    for cell in CELLS:
        for stack, (layers, dropout, head, encoding) in STACKS.items():
            for variable in (False, True):
                out.append(dict(cell=cell, layers=layers, dropout=dropout, head=head, encoding=encoding,
                                variable=variable, stack=stack,
                                name=f"encdec-dropout-{stack}-{cell}-{'varlen' if variable else 'fixed'}"))
    return sorted(out, key=lambda c: c["name"])


def spec(c):
    text = varlen_encdec_spec(c) if c["variable"] else encdec_spec(c)
    package = "package fixtures.encdecvarlen;" if c["variable"] else "package fixtures.encdec;"
    text = text.replace(package, "package fixtures.encdecdropout;")
    lines = text.split("\n")
    layer = 0
    for i, line in enumerate(lines):
        if line.strip().split(" ")[0] in ("rnn", "lstm", "gru"):
            if c["dropout"][layer] > 0:
                lines[i] = line[:-1] + f" dropout {c['dropout'][layer]};"
            layer += 1
    at = next(i for i, line in enumerate(lines) if line.strip() == "precision float64;")
    lines[at:at] = ["    " + OPTIMIZER, f"    seed {DROPOUT_SEED};"]
    return "\n".join(lines)


class MaskedStack(nn.Module):
    """L single-layer modules run one after the other, each one's output times its mask (when it has one) as the
    next one, or the head, reads it; the interface of nn.X(num_layers=L, batch_first=True): a tensor [B, T, F] or a
    PackedSequence, and states [L, B, H] (a pair for an LSTM). The final states are the layers' own, unmasked."""

    def __init__(self, layers):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.masks = None  # one [B, T, H] tensor or None per layer, set for training

    def forward(self, inp, state):
        lstm = isinstance(state, tuple)
        packed = isinstance(inp, nn.utils.rnn.PackedSequence)
        if packed:
            x, lengths = nn.utils.rnn.pad_packed_sequence(inp, batch_first=True)
        else:
            x = inp
        hs, cs = [], []
        for k, module in enumerate(self.layers):
            s0 = (state[0][k:k + 1], state[1][k:k + 1]) if lstm else state[k:k + 1]
            if packed:
                out, sn = module(nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False),
                                 s0)
                out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
            else:
                out, sn = module(x, s0)
            hs.append(sn[0] if lstm else sn)
            if lstm:
                cs.append(sn[1])
            if self.masks is not None and self.masks[k] is not None:
                out = out * self.masks[k][:, :out.shape[1]]
            x = out
        final = (torch.cat(hs), torch.cat(cs)) if lstm else torch.cat(hs)
        if packed:
            x = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        return x, final


def build(c):
    torch.manual_seed(c["seed"])
    model = nn.ModuleDict({
        "encoder": MaskedStack([encdec_module(c["cell"], 1, I if k == 0 else H) for k in range(c["layers"])]),
        "decoder": MaskedStack([encdec_module(c["cell"], 1, ED_O if k == 0 else H) for k in range(c["layers"])]),
        "head": nn.Linear(H, ED_O)})
    named = parameters(c, model)
    g = torch.Generator().manual_seed(c["seed"])
    with torch.no_grad():
        for p in named.values():
            p.uniform_(-0.5, 0.5, generator=g)
    return model, named, g


def parameters(c, model):
    """The parameters by the stacked modules' state_dict names, in their order."""
    named = {}
    for part in ("encoder", "decoder"):
        for k in range(c["layers"]):
            for base in BASES:
                named[f"{part}.{base}_l{k}"] = getattr(model[part].layers[k], base + "_l0")
    named["head.weight"] = model["head"].weight
    named["head.bias"] = model["head"].bias
    return named


def masks(c, update):
    """Every layer's mask of this update by name; the encoder's top layer has none (its final states go on)."""
    batch, tx, ty = (VE_B, VE_TX, VE_TY) if c["variable"] else (B, ED_TX, ED_TY)
    out = {}
    for k in range(c["layers"]):
        if c["dropout"][k] == 0:
            continue
        if k < c["layers"] - 1:
            out[f"mask.encoder.l{k}"] = dropout_mask(c, k, tx, H, update=update, batch=batch)
        out[f"mask.decoder.l{k}"] = dropout_mask(c, k, ty, H, update=update, batch=batch, key_layer=c["layers"] + k)
    return out


def set_masks(c, model, drawn):
    for part in ("encoder", "decoder"):
        model[part].masks = None if drawn is None else [drawn.get(f"mask.{part}.l{k}") for k in range(c["layers"])]


def teacher_forced(c, model, x, target):
    """The teacher-forced outputs and loss, through make_pytorch_fixtures.py's functions."""
    if c["variable"]:
        _, y, loss = varlen_teacher_forced(c, model, x, target)
        return y, loss
    z, y = encdec_teacher_forced(c, model, x, target)
    return y, encdec_loss(c, z, y, target)


def greedy(c, model, x):
    if c["variable"]:
        ys, _, _, gap = varlen_greedy(c, model, x, -1)
        return ys, gap
    return encdec_greedy(c, model, x)


def self_check(c, model, named, x, target):
    """Without masks, the per-layer modules are nn.X(num_layers=L, dropout=p) in eval mode with the same weights."""
    p = max(c["dropout"]) if c["layers"] > 1 else 0.0
    stacked = nn.ModuleDict({"encoder": encdec_module(c["cell"], c["layers"], I),
                             "decoder": encdec_module(c["cell"], c["layers"], ED_O), "head": nn.Linear(H, ED_O)})
    for part in ("encoder", "decoder"):
        stacked[part].dropout = p
    with torch.no_grad():
        for n, v in stacked.named_parameters():
            v.copy_(named[n])
    stacked.eval()
    set_masks(c, model, None)
    with torch.no_grad():
        mine, theirs = teacher_forced(c, model, x, target)[0], teacher_forced(c, stacked, x, target)[0]
        assert torch.allclose(mine, theirs, rtol=1e-12, atol=1e-13), c["name"]
        assert torch.allclose(greedy(c, model, x)[0], greedy(c, stacked, x)[0], rtol=1e-12, atol=1e-13), c["name"]


def attempt(c):
    model, named, g = build(c)
    x, target = varlen_encdec_data(c, g) if c["variable"] else encdec_data(c, g)
    self_check(c, model, named, x, target)
    set_masks(c, model, None)
    with torch.no_grad():
        y_eval, loss_eval = teacher_forced(c, model, x, target)
        greedy_y, gap = greedy(c, model, x)
    if gap < ED_GAP:
        return None
    drawn = masks(c, 0)
    set_masks(c, model, drawn)
    if c["encoding"] == "dense":
        x.requires_grad_(True)
    _, loss = teacher_forced(c, model, x, target)
    model.zero_grad()
    loss.backward()
    tensors = {"x": x.detach().clone(), "target": target.clone(), "loss": loss.detach().reshape(1).clone(),
               "y": y_eval.clone(), "loss_eval": loss_eval.reshape(1).clone(),
               "greedy.y": greedy_y.clone(), **drawn}
    if c["encoding"] == "dense":
        tensors["grad.x"] = x.grad.detach().clone()
        x = x.detach()
    for n, v in named.items():
        tensors["param." + n] = v.detach().clone()
        tensors["grad." + n] = v.grad.detach().clone()
    # two trainSteps on the same batch: the first with update 0's masks (the gradients above), the second with
    # update 1's
    optimizer = MAKE_OPTIMIZER(list(named.values()))
    for update in (0, 1):
        set_masks(c, model, masks(c, update))
        optimizer.zero_grad()
        _, step_loss = teacher_forced(c, model, x, target)
        step_loss.backward()
        optimizer.step()
        tensors[f"update{update + 1}.loss"] = step_loss.detach().reshape(1).clone()
        for n, v in named.items():
            tensors[f"update{update + 1}.param.{n}"] = v.detach().clone()
    assert torch.equal(tensors["update1.loss"], tensors["loss"])
    del tensors["update1.loss"]
    zeros = sum(int((tensors["grad." + n] == 0).sum()) for n in named)
    return tensors, list(named), zeros


def run(c):
    base = zlib.crc32(c["name"].encode("utf-8"))
    for k in range(1000):
        c["seed"] = (base + 7919 * k) % (1 << 32)
        c["attempt"] = k
        result = attempt(c)
        if result is not None:
            break
    else:
        raise AssertionError(f"no acceptable draw for {c['name']}")
    tensors, names, zeros = result
    batch = VE_B if c["variable"] else B
    metadata = {
        "case": c["name"], "model": model_name(c["name"]), "seed": str(c["seed"]), "cell": c["cell"],
        "layers": str(c["layers"]), "topology": "encoder_decoder", "head": c["head"], "input": c["encoding"],
        "loss": "cross_entropy" if c["head"] == "softmax" else "mse", "batch": str(batch),
        "input_steps": str(VE_TX if c["variable"] else ED_TX), "output_steps": str(VE_TY if c["variable"] else ED_TY),
        "input_size": str(I), "hidden_size": str(H), "output_size": str(ED_O), "parameters": ",".join(names),
        "spec": spec(c), "dropout": ",".join(str(p) for p in c["dropout"]), "dropout_seed": str(DROPOUT_SEED),
        "mask_keys": "encoder layer k: k; decoder layer k: layers + k", "optimizer": OPTIMIZER,
        "variable_length": str(c["variable"]).lower(),
        **({"input_lengths": ",".join(map(str, VE_INPUT_LENGTHS)),
            "target_lengths": ",".join(map(str, VE_TARGET_LENGTHS))} if c["variable"] else {}),
    }
    return tensors, metadata, zeros


def main():
    files, manifest = {}, []
    for c in cases():
        tensors, metadata, zeros = run(c)
        blob = safetensors_bytes(tensors, metadata)
        back, meta_back = read_safetensors(blob)
        assert meta_back == metadata and sorted(back) == sorted(tensors)
        for k, t in tensors.items():
            assert back[k].dtype == t.dtype and torch.equal(back[k], t.detach()), (c["name"], k)
        files[c["name"] + ".safetensors"] = blob
        manifest.append({"name": c["name"], "file": c["name"] + ".safetensors", "metadata": metadata})
        note = f", accepted draw {c['attempt']}" if c["attempt"] else ""
        print(f"{c['name']}: {zeros} exactly-zero gradient elements (structural: one-hot columns no step reads, units dropped at every"
              f" step){note}")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for old in sorted(OUT_DIR.glob("*.safetensors")):
        old.unlink()
    for fname, blob in files.items():
        (OUT_DIR / fname).write_bytes(blob)
    (OUT_DIR / "manifest.json").write_bytes((json.dumps({"format": "safetensors", "cases": manifest}, indent=2,
                                                        sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))
    print(f"wrote {len(files)} encoder-decoder dropout cases + manifest.json to {OUT_DIR}")


if __name__ == "__main__":
    main()
