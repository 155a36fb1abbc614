#!/usr/bin/python3
"""PyTorch reference fixtures for Unroll's generated forward pass and BPTT.

What it writes
    compiler/src/test/resources/fixtures/pytorch/<case>.safetensors, one file per case, and
    compiler/src/test/resources/fixtures/pytorch/manifest.json listing every case (sorted by name)
    with its metadata. Any stale *.safetensors in that folder are removed first.

    Each case is a small recurrent network (B=2 sequences, input I=3, hidden H=4, output O=3,
    T=4 steps; one_to_one has T=1) built from one PyTorch module
    ``rnn = nn.RNN/LSTM/GRU(I, H, num_layers=L, batch_first=True)`` with zero initial states and a
    head ``head = nn.Linear(H, O)`` on the top layer's h_t, followed by an output activation
    (softmax, sigmoid, tanh or linear). Everything is float64.

    Tensors in a file (names sorted; all F64 little-endian except integer inputs/targets, I64):
        param.<name>      every parameter, <name> as PyTorch names it: rnn.weight_ih_l0,
                          rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0, ..._l1, head.weight,
                          head.bias (PyTorch layouts: gates stacked i,f,g,o for LSTM, r,z,n for GRU)
        x                 dense input [B, T_in, I] (F64) or one-hot indices [B, T_in] (I64)
        target            [B, T_out] class indices (I64, cross_entropy) or [B, T_out, O] (F64)
        logits            pre-activation head output z, [B, T_out, O]
        y                 activation(z), [B, T_out, O]
        loss              [1], 'mean' reduction
        grad.<name>       d loss / d parameter
        grad.x            d loss / d x (dense inputs only)
      bidirectional cases (bidi_concat-*, bidi_sum-*, bidi_mixed-*): one nn.RNN/LSTM/GRU(bidirectional=True)
        module per bidirectional layer (nn.X(..., bidirectional=False) for a forward layer of a mixed stack),
        its tensors renamed to the stack's names: rnn.weight_ih_l{k}, ..., then
        rnn.weight_ih_l{k}_reverse, rnn.weight_hh_l{k}_reverse, rnn.bias_ih_l{k}_reverse,
        rnn.bias_hh_l{k}_reverse, as nn.LSTM(num_layers=L, bidirectional=True).state_dict() orders and
        names them (a self-check loads them into that module and compares, for the concat stacks).
        A layer's output per step is PyTorch's output, [h_fwd; h_bwd] (concat), or its two halves
        summed (sum: PyTorch has no such merge). many_to_one and one_to_one read the top layer's
        final states: h_n of both directions, concatenated or summed (the forward direction after
        the last step, the backward direction after reading the whole sequence back to step 0),
        or the last step's output for a forward top layer. The rnn_relu ones shift every recurrent
        bias by +0.5 after the draw, to (0, 1), so that some draw has no dead unit.
      clipping cases only (the gradients above are the unclipped ones):
        clip_value.grad.<name>          clip_grad_value_ with 0.05
        clip_per_parameter.grad.<name>  each gradient times min(1, 0.1 / (||g||_2 + 1e-6))
        clip_norm.grad.<name>           clip_grad_norm_ with max norm 0.1 over all parameters
        clip_all.grad.<name>            value, then per-parameter, then global norm, in that order
      variable-length cases (varlen-*): a batch of VARLEN_B sequences padded to T steps, each with its own
        length (VARLEN_LENGTHS, as the spec's variable_length takes them), through pack_padded_sequence
        (enforce_sorted=False) and one stacked nn.RNN/LSTM/GRU(num_layers=L, bidirectional=False/True).
        many_to_many: the head runs on the packed outputs and the loss is PyTorch's 'mean' over the real
        steps only (cross_entropy over the sum of the lengths; mse over its elements), as a loss over a
        PackedSequence's data gives; logits and y are pad_packed_sequence'd back to [B, T, O], zero at
        padded steps. many_to_one: the head reads h_n, each sequence's state after its own last step
        ([h_fwd after step L-1; h_bwd after step 0] when bidirectional). Padded inputs and targets hold
        random values, which PyTorch never reads: grad.x is exactly zero there. Extra tensor: lengths [B]
        (I64); extra metadata: lengths and directions (comma-separated). Self-check: each sequence run alone, unpadded,
        through the same module gives the same outputs and final states.
    Embedding cases (*-embedding): an nn.Embedding(7, I) in front of the recurrent module, first in the
    state_dict (param.embedding.weight, grad.embedding.weight), x the symbol indices [B, T_in] (I64), for
    every cell, 1 and 2 layers, many_to_many/softmax, many_to_one/sigmoid and one_to_many/linear. Each also
    trains 3 optimizer steps from the case's weights, with the optimizer its spec names (EMB_OPTIMIZERS in
    turn: adam, sgd, momentum, rmsprop, adagrad, adamw, sgd with weight decay, nesterov), each step on a new
    batch whose symbols come from a window of the vocabulary ([0, 4), [2, 6), [4, 7)), so that rows read
    earlier are not read later:
        update{k}.x, update{k}.target   the batch of step k (k = 1..3)
        update{k}.loss                  its loss, before the step
        update{k}.param.<name>          every parameter after step k
    PyTorch's nn.Embedding gives a dense gradient, zero in the rows no symbol read, and torch.optim updates
    every row with it: the reference for Unroll's row-sparse update. Metadata adds vocabulary,
    embedding_size, update_steps and optimizer.
    Variant cases: PyTorch has no LSTM peepholes, cell clip or Cho GRU, so these cells are small
    nn.Modules written here from their equations (docs/language.md 4.3 and 4.4; PeepholeLSTM,
    ChoGRU), with the nn.LSTM/nn.GRU interface (batch_first, zero initial states) and the
    parameters registered in state_dict order, differentiated by autograd:
        lstm_peepholes, lstm_cell_clip, lstm_peepholes_cell_clip, gru_cho
    for 1 and 2 layers and the topologies/heads of VARIANT_CONFIGS. Peepholes add
    rnn.weight_ci_l{k}, rnn.weight_cf_l{k}, rnn.weight_co_l{k} (shape [H]) after each layer's four
    tensors. The clip is CELL_CLIP; a draw is also rejected unless the clamp is active for some
    elements of c and not for others, with every pre-clamp |c| at least CLIP_MARGIN away from
    CELL_CLIP (so that neither precision can land on the other side). Their metadata also holds
    variant (the module they were written as) and, with a clip, cell_clip. Self-checks: PeepholeLSTM
    without peepholes or clip reproduces nn.LSTM, and ChoGRU with W_hn = 0 and b_hn = 0 (where both
    forms agree) reproduces nn.GRU, on the case's other weights.
    Dropout cases (dropout_between-*, dropout_all-*, dropout_top-*, dropout_bidi_concat-*,
    dropout_bidi_sum-*): one module per layer as for the bidirectional cases (PyTorch's nn.LSTM(dropout=p)
    draws its own masks, which no other implementation can reproduce), and between the layers, and
    before the head, the output times a fixed mask: nn.Dropout(p) with its mask given. The masks are
    those of docs/language.md 4.8 (dev.unroll.runtime.Dropout), reimplemented here (dropout_mask) for
    the spec's seed DROPOUT_SEED at update 0, sequence b of the batch, layer k, element e = t * O + j:
    0 when the (e + 1)-th nextDouble() of SplittableRandom(key(seed, 0, b, k)) is below p, else
    1 / (1 - p). A bidirectional top layer read once has its final states masked (t = 0). Extra tensors:
        mask.l{k}   layer k's mask, [B, T, O_k] (or [B, O_k] for final states)
        y_train     the outputs with the masks
        loss_eval   the loss without dropout
    and here logits, y are the outputs without dropout (inference: forward(), the stepper), while
    loss and every grad.* are those of training, with the masks (computeGradients). Weight columns
    that read a unit dropped at every step of both sequences have exactly-zero gradients, allowed.
    Their metadata also holds dropout (per layer, comma-separated) and dropout_seed.
    The safetensors ``__metadata__`` (all strings) holds cell, layers, topology, head, loss, input,
    batch, steps, input_steps, output_steps, input_size, hidden_size, output_size, case, model,
    seed, parameters (comma-separated, PyTorch order) and spec (the equivalent .rnn file; for the
    clipping cases it declares all three clips, i.e. it matches clip_all).

    The encoder-decoder cases go to pytorch-encdec/ and the variable-length encoder-decoder cases to
    pytorch-encdec-varlen/, each with its own manifest.json (their sections below describe them);
    --only-encoder-decoders and --only-variable-length-encoder-decoders write one of them alone.

How to regenerate (from the repository root)
    apt-get install -y python3-torch
    /usr/bin/python3 compiler/src/test/python/make_pytorch_fixtures.py
    (or scripts/regenerate-pytorch-fixtures.sh, which does both). Optional:
    --check-specs path/to/unroll.jar  also runs `java -jar unroll.jar check` on every spec.

Weights: PyTorch's default init under torch.manual_seed(seed), then every weight and bias replaced
by uniform(-0.5, 0.5) from torch.Generator().manual_seed(seed); x, then target, come from the same
generator. seed is the CRC-32 of the case name; a draw is rejected, and seed advanced by 7919, when
a gradient element is exactly zero where the structure does not force it (dead relu units; the
zeros that remain are structural: weight_hh of one_to_one, LSTM forget-gate rows when c_prev = 0,
one-hot columns of symbols that never occur), when a relu pre-activation is within 1e-4 of 0, or,
for clipping cases, when a clipping would change nothing. The seed used is in the metadata.

Deterministic: fixed seeds, torch runs single-threaded and deterministic, and the files are
written byte by byte in a fixed order, so rerunning gives byte-identical files (with the same
torch version).

Self-checks before anything is written: a hand-written implementation of every cell's equations
must reproduce the PyTorch modules; the step-by-step loop used for feedback must reproduce the
full-sequence module when feedback is off; for a few cases the autograd gradients are compared
with central finite differences; every written file is read back and compared.
"""

import argparse
import json
import math
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

B, I, H, O, T = 2, 3, 4, 3, 4

CELLS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]
VARIANT_CELLS = ["lstm_peepholes", "lstm_cell_clip", "lstm_peepholes_cell_clip", "gru_cho"]
VARIANT_CONFIGS = [("many_to_many", "softmax", "dense"), ("many_to_one", "linear", "dense"),
                   ("one_to_many_feedback", "tanh", "dense"), ("many_to_many", "softmax", "one_hot")]
CELL_CLIP = 0.25
CLIP_MARGIN = 1e-4
LAYERS = [1, 2]
TOPOLOGIES = ["one_to_one", "one_to_many", "one_to_many_feedback", "many_to_one", "many_to_many"]
HEADS = ["softmax", "sigmoid", "linear", "tanh"]
LOSS_OF_HEAD = {"softmax": "cross_entropy", "sigmoid": "binary_cross_entropy", "linear": "mse", "tanh": "mse"}
ONE_HOT_TOPOLOGIES = ["many_to_many", "many_to_one", "one_to_many_feedback"]
BIDI_TOPOLOGY_HEADS = {"many_to_many": "softmax", "many_to_one": "sigmoid", "one_to_one": "linear"}
# mixed stacks: the directions of layers 0 and 1
BIDI_MIXED = {"concat_forward": ["concat", "forward"], "forward_sum": ["forward", "sum"]}

# variable_length: the batch and each sequence's length (the longest is T, the shortest a single step)
VARLEN_B = 3
VARLEN_LENGTHS = [4, 1, 3]
VARLEN_TOPOLOGY_HEADS = {"many_to_many": "softmax", "many_to_one": "sigmoid"}
# embeddings: nn.Embedding(EMB_V, I) in front of the recurrent module (its dimension is the layers' input size I)
EMB_V = 7
EMB_CONFIGS = [("many_to_many", "softmax"), ("many_to_one", "sigmoid"), ("one_to_many", "linear")]
# each embedding case also trains UPDATE_STEPS steps, on batches whose symbols come from the windows below (so that
# rows used before are not used later and new rows appear), with one of these optimizers in turn:
# (spec words, torch.optim constructor)
UPDATE_STEPS = 3
UPDATE_WINDOWS = [(0, 4), (2, 6), (4, 7)]
EMB_OPTIMIZERS = [
    ("optimizer adam learning_rate 0.01;", lambda ps: torch.optim.Adam(ps, lr=0.01)),
    ("optimizer sgd learning_rate 0.1;", lambda ps: torch.optim.SGD(ps, lr=0.1)),
    ("optimizer momentum learning_rate 0.05 momentum 0.9;", lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9)),
    ("optimizer rmsprop learning_rate 0.01;", lambda ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.99, eps=1e-8)),
    ("optimizer adagrad learning_rate 0.05;", lambda ps: torch.optim.Adagrad(ps, lr=0.05, eps=1e-10)),
    ("optimizer adamw learning_rate 0.01;", lambda ps: torch.optim.AdamW(ps, lr=0.01, weight_decay=0.01)),
    ("optimizer sgd learning_rate 0.1 weight_decay 0.01;", lambda ps: torch.optim.SGD(ps, lr=0.1, weight_decay=0.01)),
    ("optimizer momentum learning_rate 0.05 momentum 0.9 nesterov;",
     lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True)),
]

CLIP_VALUE = 0.05
CLIP_PER_PARAMETER_NORM = 0.1
CLIP_NORM = 0.1
CLIP_EPS = 1e-6  # the epsilon of torch.nn.utils.clip_grad_norm_

# Cases whose gradients are also checked against central finite differences.
FINITE_DIFFERENCE_CASES = [
    "lstm-l2-one_to_many_feedback-tanh-dense",
    "gru-l2-many_to_many-sigmoid-dense",
    "rnn_relu-l2-many_to_one-linear-dense",
    "rnn_tanh-l1-one_to_many_feedback-softmax-one_hot",
    "gru-l1-one_to_many-softmax-dense",
    "lstm_peepholes_cell_clip-l2-many_to_many-softmax-dense",
    "gru_cho-l2-one_to_many_feedback-tanh-dense",
    "bidi_concat-lstm-l2-many_to_one-sigmoid-dense",
    "bidi_sum-gru-l2-many_to_many-softmax-dense",
    "varlen-bidi_concat-lstm-l2-many_to_many-softmax-dense",
    "varlen-gru-l2-many_to_one-sigmoid-dense",
    "lstm-l2-many_to_many-softmax-embedding",
    "gru-l1-one_to_many-linear-embedding",
    "dropout_all-lstm-l2-many_to_one-sigmoid-dense",
    "dropout_bidi_concat-gru-l2-many_to_many-softmax-dense",
]

# dropout: (prefix, directions, dropout per layer, topologies); the masks are drawn by the function of
# docs/language.md 4.8 (dropout_mask below) with DROPOUT_SEED, update 0
DROPOUT_STACKS = [
    ("dropout_between", ["forward", "forward"], [0.5, 0.0], ["many_to_many", "many_to_one"]),
    ("dropout_all", ["forward", "forward"], [0.25, 0.5], ["many_to_many", "many_to_one"]),
    ("dropout_top", ["forward"], [0.5], ["one_to_one"]),
    ("dropout_bidi_concat", ["concat", "concat"], [0.5, 0.25], ["many_to_many", "many_to_one"]),
    ("dropout_bidi_sum", ["sum"], [0.5], ["many_to_one"]),
]
DROPOUT_SEED = 2024

REPO = Path(__file__).resolve().parents[4]
OUT_DIR = REPO / "compiler" / "src" / "test" / "resources" / "fixtures" / "pytorch"


# ---- cases -------------------------------------------------------------------------------------

def case_name(cell, layers, topology, head, encoding, clip=False):
    return ("clip-" if clip else "") + f"{cell}-l{layers}-{topology}-{head}-{encoding}"


def model_name(name):
    return "".join(part[:1].upper() + part[1:] for part in name.replace("-", "_").split("_"))


def all_cases():
    cases = []
    for cell in CELLS:
        for layers in LAYERS:
            for topology in TOPOLOGIES:
                for head in HEADS:
                    cases.append(dict(cell=cell, layers=layers, topology=topology, head=head,
                                      encoding="dense", clip=False))
            for topology in ONE_HOT_TOPOLOGIES:
                cases.append(dict(cell=cell, layers=layers, topology=topology, head="softmax",
                                  encoding="one_hot", clip=False))
            cases.append(dict(cell=cell, layers=layers, topology="many_to_many", head="softmax",
                              encoding="dense", clip=True))
    for cell in VARIANT_CELLS:
        for layers in LAYERS:
            for topology, head, encoding in VARIANT_CONFIGS:
                cases.append(dict(cell=cell, layers=layers, topology=topology, head=head, encoding=encoding,
                                  clip=False))
    embedded = 0
    for cell in CELLS:
        for layers in LAYERS:
            for topology, head in EMB_CONFIGS:
                cases.append(dict(cell=cell, layers=layers, topology=topology, head=head, encoding="embedding",
                                  clip=False, optimizer=embedded % len(EMB_OPTIMIZERS)))
                embedded += 1
    for c in cases:
        c["name"] = case_name(c["cell"], c["layers"], c["topology"], c["head"], c["encoding"], c["clip"])
    cases += bidirectional_cases()
    cases += variable_length_cases()
    cases += dropout_cases()
    for c in cases:
        c["steps"] = 1 if c["topology"] == "one_to_one" else T
        c["input_steps"] = c["steps"] if c["topology"] in ("many_to_one", "many_to_many") else 1
        c["output_steps"] = 1 if c["topology"] in ("one_to_one", "many_to_one") else c["steps"]
    return sorted(cases, key=lambda c: c["name"])


def bidirectional_cases():
    cases = []
    for cell in CELLS:
        for merge in ["concat", "sum"]:
            for layers in LAYERS:
                for topology in ["many_to_many", "many_to_one"] + (["one_to_one"] if layers == 1 else []):
                    cases.append(dict(cell=cell, layers=layers, topology=topology, head=BIDI_TOPOLOGY_HEADS[topology],
                                      encoding="dense", clip=False, directions=[merge] * layers,
                                      prefix="bidi_" + merge))
        for mixed, directions in BIDI_MIXED.items():
            for topology in ["many_to_many", "many_to_one"]:
                cases.append(dict(cell=cell, layers=2, topology=topology, head=BIDI_TOPOLOGY_HEADS[topology],
                                  encoding="dense", clip=False, directions=directions, prefix="bidi_mixed_" + mixed))
    for cell in ["lstm", "gru"]:
        cases.append(dict(cell=cell, layers=1, topology="many_to_many", head="softmax", encoding="one_hot",
                          clip=False, directions=["concat"], prefix="bidi_concat"))
    for c in cases:
        c["name"] = c["prefix"] + "-" + case_name(c["cell"], c["layers"], c["topology"], c["head"], c["encoding"])
    return cases


def variable_length_cases():
    cases = []
    for cell in ["rnn_tanh", "lstm", "gru"]:
        for layers in LAYERS:
            for bidirectional in [False, True]:
                for topology, head in VARLEN_TOPOLOGY_HEADS.items():
                    cases.append(dict(cell=cell, layers=layers, topology=topology, head=head, encoding="dense",
                                      bidirectional=bidirectional))
    # the other losses and the one-hot input
    cases.append(dict(cell="gru", layers=2, topology="many_to_many", head="linear", encoding="dense",
                      bidirectional=False))
    cases.append(dict(cell="lstm", layers=1, topology="many_to_one", head="softmax", encoding="dense",
                      bidirectional=True))
    cases.append(dict(cell="lstm", layers=1, topology="many_to_many", head="softmax", encoding="one_hot",
                      bidirectional=False))
    cases.append(dict(cell="gru", layers=2, topology="many_to_one", head="softmax", encoding="one_hot",
                      bidirectional=True))
    for c in cases:
        c.update(clip=False, lengths=VARLEN_LENGTHS, batch=VARLEN_B)
        c["name"] = "varlen-" + ("bidi_concat-" if c["bidirectional"] else "") + case_name(
            c["cell"], c["layers"], c["topology"], c["head"], c["encoding"])
    return cases


def dropout_cases():
    cases = []
    for cell in CELLS:
        for prefix, directions, dropout, topologies in DROPOUT_STACKS:
            for topology in topologies:
                cases.append(dict(cell=cell, layers=len(directions), topology=topology,
                                  head=BIDI_TOPOLOGY_HEADS[topology], encoding="dense", clip=False,
                                  directions=directions, dropout=dropout, prefix=prefix))
    for c in cases:
        c["name"] = c["prefix"] + "-" + case_name(c["cell"], c["layers"], c["topology"], c["head"], c["encoding"])
    return cases


# ---- dropout masks (docs/language.md 4.8; dev.unroll.runtime.Dropout) ----------------------------

M64 = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15


def mix64(z):
    """SplitMix64's finalizer, as java.util.SplittableRandom mixes (unsigned 64-bit)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def first_draw(z):
    """The first nextLong() of new SplittableRandom(z)."""
    return mix64((z + GAMMA) & M64)


def dropout_key(seed, update, sequence, layer):
    k = first_draw(seed & M64)
    for v in (update, sequence, layer):
        k = first_draw((k + v) & M64)
    return k


def dropout_uniform(key, e):
    """The (e + 1)-th nextDouble() of new SplittableRandom(key)."""
    return (mix64((key + (e + 1) * GAMMA) & M64) >> 11) * 2.0 ** -53


def dropout_mask(c, layer, steps, size, update=0, batch=B, key_layer=None):
    """Layer `layer`'s mask, [batch, steps, size]: 0 where dropped, 1 / (1 - p) where kept; element e = t * size + j.
    key_layer is the key's layer part when it is not the layer's index (an encoder-decoder's decoder: layers + k,
    make_encdec_dropout_fixtures.py), update the number of updates before the one the mask is drawn for."""
    p = c["dropout"][layer]
    mask = torch.zeros(batch, steps, size)
    for b in range(batch):
        key = dropout_key(DROPOUT_SEED, update, b, layer if key_layer is None else key_layer)
        for t in range(steps):
            for j in range(size):
                mask[b, t, j] = 0.0 if dropout_uniform(key, t * size + j) < p else 1.0 / (1.0 - p)
    assert bool((mask == 0).any()) and bool((mask != 0).any()), (c["name"], layer)
    return mask


def final_only(c, k):
    """Whether layer k's dropout acts on its final states alone (a bidirectional top layer read once, as h_n)."""
    return k == len(c["directions"]) - 1 and c["directions"][k] != "forward" and c["topology"] != "many_to_many"


def dropout_masks(c):
    """Every layer's mask by name: mask.l{k} [B, T, O_k], or [B, O_k] for final states; none without dropout."""
    masks = {}
    for k, d in enumerate(c["directions"]):
        if c.get("dropout", [0.0] * len(c["directions"]))[k] == 0:
            continue
        size = layer_output_size(d)
        masks[f"mask.l{k}"] = (dropout_mask(c, k, 1, size)[:, 0, :] if final_only(c, k)
                               else dropout_mask(c, k, c["steps"], size))
    return masks


def spec_text(c):
    layer = {"rnn_tanh": f"rnn {H} tanh;", "rnn_relu": f"rnn {H} relu;",
             "lstm": f"lstm {H};", "gru": f"gru {H};",
             "lstm_peepholes": f"lstm {H} peepholes;", "lstm_cell_clip": f"lstm {H} cell_clip {CELL_CLIP};",
             "lstm_peepholes_cell_clip": f"lstm {H} peepholes cell_clip {CELL_CLIP};",
             "gru_cho": f"gru {H} cho;"}[c["cell"]]
    topology = {"one_to_one": "one_to_one;",
                "one_to_many": f"one_to_many steps {c['steps']};",
                "one_to_many_feedback": f"one_to_many steps {c['steps']} feedback;",
                "many_to_one": f"many_to_one steps {c['steps']};",
                "many_to_many": f"many_to_many steps {c['steps']};"}[c["topology"]]
    if "lengths" in c:
        topology = topology[:-1] + " variable_length;"
    encoding = {"dense": f"input {I};", "one_hot": f"input {I} one_hot;",
                "embedding": f"input {EMB_V} embedding {I};"}[c["encoding"]]
    lines = ["package fixtures;", "", f"model {model_name(c['name'])} {{", f"    {encoding}"]
    if "directions" in c:
        drop = c.get("dropout", [0.0] * len(c["directions"]))
        lines += [f"    {layer[:-1]}{'' if d == 'forward' else ' bidirectional ' + d}"
                  f"{' dropout ' + str(p) if p else ''};" for d, p in zip(c["directions"], drop)]
    elif c.get("bidirectional"):
        lines += [f"    {layer[:-1]} bidirectional;"] * c["layers"]
    else:
        lines += [f"    {layer}"] * c["layers"]
    lines += [f"    output {O} {c['head']};", f"    {topology}", f"    loss {LOSS_OF_HEAD[c['head']]};",
              f"    batch {c.get('batch', B)};"]
    if "optimizer" in c:
        lines += ["    " + EMB_OPTIMIZERS[c["optimizer"]][0]]
    if c["clip"]:
        lines += [f"    clip value {CLIP_VALUE};", f"    clip per_parameter_norm {CLIP_PER_PARAMETER_NORM};",
                  f"    clip norm {CLIP_NORM};"]
    if "dropout" in c:
        lines += [f"    seed {DROPOUT_SEED};"]
    lines += ["    precision float64;", "}", ""]
    return "\n".join(lines)


# ---- the network -------------------------------------------------------------------------------

class PeepholeLSTM(nn.Module):
    """nn.LSTM(I, H, num_layers, batch_first=True) written from its equations, with TensorFlow
    LSTMCell's options (docs/language.md 4.3):
        a = W_ih x + b_ih + W_hh h + b_hh = [a_i; a_f; a_g; a_o]
        i = sig(a_i + w_ci * c),  f = sig(a_f + w_cf * c),  g = tanh(a_g)
        c' = clamp(f * c + i * g, -clip, clip)
        o = sig(a_o + w_co * c'),  h' = o * tanh(c')
    without the w_c* terms when peepholes is False and without the clamp when clip is None.
    Parameters per layer, in state_dict order: weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k},
    bias_hh_l{k}, then weight_ci_l{k}, weight_cf_l{k}, weight_co_l{k} [H] with peepholes.
    pre_clip collects every pre-clamp c' of the forward passes (for the draw's checks)."""

    def __init__(self, input_size, hidden_size, num_layers, peepholes, clip):
        super().__init__()
        self.hidden_size, self.num_layers, self.peepholes, self.clip = hidden_size, num_layers, peepholes, clip
        self.pre_clip = []
        for l in range(num_layers):
            inputs = input_size if l == 0 else hidden_size
            self.register_parameter(f"weight_ih_l{l}", nn.Parameter(torch.empty(4 * hidden_size, inputs)))
            self.register_parameter(f"weight_hh_l{l}", nn.Parameter(torch.empty(4 * hidden_size, hidden_size)))
            self.register_parameter(f"bias_ih_l{l}", nn.Parameter(torch.empty(4 * hidden_size)))
            self.register_parameter(f"bias_hh_l{l}", nn.Parameter(torch.empty(4 * hidden_size)))
            if peepholes:
                for gate in "ifo":
                    self.register_parameter(f"weight_c{gate}_l{l}", nn.Parameter(torch.empty(hidden_size)))

    def forward(self, seq, state):
        p = dict(self.named_parameters())
        h, c = list(state[0].unbind(0)), list(state[1].unbind(0))
        outs = []
        for t in range(seq.shape[1]):
            x = seq[:, t, :]
            for l in range(self.num_layers):
                a = x @ p[f"weight_ih_l{l}"].T + p[f"bias_ih_l{l}"] + h[l] @ p[f"weight_hh_l{l}"].T + p[f"bias_hh_l{l}"]
                ai, af, ag, ao = a.split(self.hidden_size, dim=1)
                if self.peepholes:
                    ai = ai + p[f"weight_ci_l{l}"] * c[l]
                    af = af + p[f"weight_cf_l{l}"] * c[l]
                i, f, g = torch.sigmoid(ai), torch.sigmoid(af), torch.tanh(ag)
                cn = f * c[l] + i * g
                if self.clip is not None:
                    self.pre_clip.append(cn.detach().clone())
                    cn = torch.clamp(cn, -self.clip, self.clip)
                if self.peepholes:
                    ao = ao + p[f"weight_co_l{l}"] * cn
                h[l] = torch.sigmoid(ao) * torch.tanh(cn)
                c[l] = cn
                x = h[l]
            outs.append(x)
        return torch.stack(outs, dim=1), (torch.stack(h), torch.stack(c))


class ChoGRU(nn.Module):
    """nn.GRU(I, H, num_layers, batch_first=True) in the original form of Cho et al. (2014)
    (Keras reset_after=False, ONNX linear_before_reset=0), written from its equations:
        r = sig(W_ir x + b_ir + W_hr h + b_hr),  z = sig(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + W_hn (r * h) + b_hn),  h' = (1 - z) * n + z * h
    with nn.GRU's parameters (names, shapes, gate order r, z, n)."""

    def __init__(self, input_size, hidden_size, num_layers):
        super().__init__()
        self.hidden_size, self.num_layers = hidden_size, num_layers
        for l in range(num_layers):
            inputs = input_size if l == 0 else hidden_size
            self.register_parameter(f"weight_ih_l{l}", nn.Parameter(torch.empty(3 * hidden_size, inputs)))
            self.register_parameter(f"weight_hh_l{l}", nn.Parameter(torch.empty(3 * hidden_size, hidden_size)))
            self.register_parameter(f"bias_ih_l{l}", nn.Parameter(torch.empty(3 * hidden_size)))
            self.register_parameter(f"bias_hh_l{l}", nn.Parameter(torch.empty(3 * hidden_size)))

    def forward(self, seq, state):
        p = dict(self.named_parameters())
        H_ = self.hidden_size
        h = list(state.unbind(0))
        outs = []
        for t in range(seq.shape[1]):
            x = seq[:, t, :]
            for l in range(self.num_layers):
                ir, iz, in_ = (x @ p[f"weight_ih_l{l}"].T + p[f"bias_ih_l{l}"]).split(H_, dim=1)
                w_hr, w_hz, w_hn = p[f"weight_hh_l{l}"].split(H_, dim=0)
                b_hr, b_hz, b_hn = p[f"bias_hh_l{l}"].split(H_)
                r = torch.sigmoid(ir + h[l] @ w_hr.T + b_hr)
                z = torch.sigmoid(iz + h[l] @ w_hz.T + b_hz)
                n = torch.tanh(in_ + (r * h[l]) @ w_hn.T + b_hn)
                h[l] = (1 - z) * n + z * h[l]
                x = h[l]
            outs.append(x)
        return torch.stack(outs, dim=1), torch.stack(h)


def recurrent_module(cell, layers):
    if cell in ("rnn_tanh", "rnn_relu"):
        return nn.RNN(input_size=I, hidden_size=H, num_layers=layers, batch_first=True, nonlinearity=cell[4:])
    if cell == "lstm":
        return nn.LSTM(input_size=I, hidden_size=H, num_layers=layers, batch_first=True)
    if cell == "gru":
        return nn.GRU(input_size=I, hidden_size=H, num_layers=layers, batch_first=True)
    if cell == "gru_cho":
        return ChoGRU(I, H, layers)
    return PeepholeLSTM(I, H, layers, peepholes="peepholes" in cell,
                        clip=CELL_CLIP if "cell_clip" in cell else None)


def layer_output_size(direction):
    return 2 * H if direction == "concat" else H


def build_bidirectional(c):
    """One module per layer, its tensors named as in one stacked module; returns (model, names, generator)."""
    torch.manual_seed(c["seed"])
    modules = []
    size = I
    for d in c["directions"]:
        kind = {"rnn_tanh": nn.RNN, "rnn_relu": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[c["cell"]]
        extra = {"nonlinearity": c["cell"][4:]} if c["cell"].startswith("rnn") else {}
        modules.append(kind(input_size=size, hidden_size=H, num_layers=1, batch_first=True,
                            bidirectional=d != "forward", **extra))
        size = layer_output_size(d)
    head = nn.Linear(size, O)
    model = nn.ModuleDict({"layers": nn.ModuleList(modules), "head": head})
    names = {}
    for k, m in enumerate(modules):
        for n, p in m.named_parameters():
            names["rnn." + n.replace("_l0", f"_l{k}")] = p
    for n, p in head.named_parameters():
        names["head." + n] = p
    g = torch.Generator().manual_seed(c["seed"])
    with torch.no_grad():
        for n, p in names.items():
            p.uniform_(-0.5, 0.5, generator=g)
            if c["cell"] == "rnn_relu" and n.startswith("rnn.bias"):
                p.add_(0.5)  # (0, 1): with twice the units, draws without a dead relu unit are rare otherwise
            assert bool((p != 0).all())
    return model, names, g


def forward_bidirectional(c, model, x, train=True):
    """Layer after layer over the whole sequence; the head reads every step, or the top layer's final states.
    With train and dropout, each layer passes on its output times its mask (c["masks"]), the final states of a
    bidirectional top layer read once times theirs: nn.Dropout(p) with the masks fixed."""
    seq = dense_input(c, x)
    directions = c["directions"]
    masks = c.get("masks", {}) if train else {}
    for k, (module, d) in enumerate(zip(model["layers"], directions)):
        h0 = torch.zeros(1 if d == "forward" else 2, B, H)
        out, hn = module(seq, (h0, torch.zeros_like(h0)) if c["cell"] == "lstm" else h0)
        if c["cell"] == "lstm":
            hn = hn[0]
        if d == "sum":
            out = out[..., :H] + out[..., H:]
        seq = out
        if f"mask.l{k}" in masks and not final_only(c, k):
            seq = out * masks[f"mask.l{k}"]
    top = directions[-1]
    if c["topology"] == "many_to_many":
        feature = seq
    elif top == "forward":
        feature = seq[:, -1:, :]
    else:
        # h_n: the forward direction after the last step, the backward one after reading back to step 0
        if top == "concat":
            assert torch.equal(hn[1], out[:, 0, H:]) and torch.equal(hn[0], out[:, -1, :H])
        feature = (torch.cat([hn[0], hn[1]], dim=1) if top == "concat" else hn[0] + hn[1]).unsqueeze(1)
        top_mask = f"mask.l{len(directions) - 1}"
        if top_mask in masks:
            feature = feature * masks[top_mask].unsqueeze(1)
    z = model["head"](feature)
    return z, activate(c["head"], z)


def cell_step(cell, gi, gh, h, cs):
    if cell == "rnn_tanh":
        return torch.tanh(gi + gh), cs, math.inf
    if cell == "rnn_relu":
        a = gi + gh
        return torch.clamp(a, min=0), cs, float(a.abs().min())
    if cell == "lstm":
        gi_, gf, gg, go = (gi + gh).split(H, dim=1)
        cs = torch.sigmoid(gf) * cs + torch.sigmoid(gi_) * torch.tanh(gg)
        return torch.sigmoid(go) * torch.tanh(cs), cs, math.inf
    ir, iz, in_ = gi.split(H, dim=1)
    hr, hz, hn = gh.split(H, dim=1)
    r = torch.sigmoid(ir + hr)
    u = torch.sigmoid(iz + hz)
    n = torch.tanh(in_ + r * hn)
    return (1 - u) * n + u * h, cs, math.inf


def forward_bidirectional_manual(c, names, x):
    """The same network from the cell equations, each direction a loop of its own (the self-check)."""
    p = {n: v.detach() for n, v in names.items()}
    seq = dense_input(c, x).detach()
    steps = seq.shape[1]
    relu_margin = math.inf
    final = None
    for k, d in enumerate(c["directions"]):
        outputs = []
        finals = []
        for suffix, order in [("", range(steps))] + ([] if d == "forward" else [("_reverse", range(steps - 1, -1, -1))]):
            h, cs = torch.zeros(B, H), torch.zeros(B, H)
            hs = [None] * steps
            for t in order:
                gi = seq[:, t, :] @ p[f"rnn.weight_ih_l{k}{suffix}"].T + p[f"rnn.bias_ih_l{k}{suffix}"]
                gh = h @ p[f"rnn.weight_hh_l{k}{suffix}"].T + p[f"rnn.bias_hh_l{k}{suffix}"]
                h, cs, margin = cell_step(c["cell"], gi, gh, h, cs)
                relu_margin = min(relu_margin, margin)
                hs[t] = h
            outputs.append(torch.stack(hs, dim=1))
            finals.append(h)
        if d == "forward":
            seq = outputs[0]
            final = outputs[0][:, -1, :]
        elif d == "concat":
            seq = torch.cat(outputs, dim=2)
            final = torch.cat(finals, dim=1)
        else:
            seq = outputs[0] + outputs[1]
            final = finals[0] + finals[1]
        mask = c.get("masks", {}).get(f"mask.l{k}")
        if mask is not None:  # element by element, as the language reference writes it
            if final_only(c, k):
                final = torch.stack([torch.stack([final[b, j] * mask[b, j] for j in range(final.shape[1])])
                                     for b in range(B)])
            else:
                seq = torch.stack([torch.stack([torch.stack([seq[b, t, j] * mask[b, t, j]
                                                             for j in range(seq.shape[2])])
                                                for t in range(steps)]) for b in range(B)])
                final = seq[:, -1, :]
    feature = seq if c["topology"] == "many_to_many" else final.unsqueeze(1)
    return feature @ p["head.weight"].T + p["head.bias"], relu_margin


def check_stacked_module(c, names, x, z):
    """A concat stack is one nn.X(num_layers=L, bidirectional=True): its state_dict has exactly these names."""
    kind = {"rnn_tanh": nn.RNN, "rnn_relu": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[c["cell"]]
    extra = {"nonlinearity": c["cell"][4:]} if c["cell"].startswith("rnn") else {}
    stacked = kind(input_size=I, hidden_size=H, num_layers=c["layers"], batch_first=True, bidirectional=True,
                   **extra)
    state = {n[len("rnn."):]: v.detach() for n, v in names.items() if n.startswith("rnn.")}
    assert list(stacked.state_dict().keys()) == list(state.keys()), (list(stacked.state_dict().keys()), list(state))
    stacked.load_state_dict(state)
    with torch.no_grad():
        h0 = torch.zeros(2 * c["layers"], B, H)
        out, hn = stacked(dense_input(c, x).detach(), (h0, torch.zeros_like(h0)) if c["cell"] == "lstm" else h0)
        if c["cell"] == "lstm":
            hn = hn[0]
        feature = out if c["topology"] == "many_to_many" else torch.cat([hn[-2], hn[-1]], dim=1).unsqueeze(1)
        zz = feature @ names["head.weight"].detach().T + names["head.bias"].detach()
    assert torch.allclose(zz, z.detach(), rtol=1e-12, atol=1e-13), c["name"]


def build(c):
    torch.manual_seed(c["seed"])  # PyTorch's default init, then every value replaced below
    if c["cell"] in VARIANT_CELLS:
        rnn = recurrent_module(c["cell"], c["layers"])
    elif c["cell"] in ("rnn_tanh", "rnn_relu"):
        rnn = nn.RNN(input_size=I, hidden_size=H, num_layers=c["layers"], batch_first=True,
                     nonlinearity=c["cell"][4:])
    elif c["cell"] == "lstm":
        rnn = nn.LSTM(input_size=I, hidden_size=H, num_layers=c["layers"], batch_first=True)
    else:
        rnn = nn.GRU(input_size=I, hidden_size=H, num_layers=c["layers"], batch_first=True)
    head = nn.Linear(H, O)
    modules = {"rnn": rnn, "head": head}
    if c["encoding"] == "embedding":  # first, as a module defining it first would list it in its state_dict
        modules = {"embedding": nn.Embedding(EMB_V, I), **modules}
    model = nn.ModuleDict(modules)
    g = torch.Generator().manual_seed(c["seed"])
    with torch.no_grad():
        for _, p in model.named_parameters():
            p.uniform_(-0.5, 0.5, generator=g)
            assert bool((p != 0).all())
    return model, g


def make_data(c, g):
    t_in, t_out = c["input_steps"], c["output_steps"]
    if c["encoding"] == "one_hot":
        x = torch.randint(0, I, (B, t_in), generator=g, dtype=torch.int64)
    elif c["encoding"] == "embedding":
        x = torch.randint(0, EMB_V, (B, t_in), generator=g, dtype=torch.int64)
    else:
        x = torch.rand(B, t_in, I, generator=g) * 2 - 1
    if c["head"] == "softmax":
        target = torch.randint(0, O, (B, t_out), generator=g, dtype=torch.int64)
    elif c["head"] == "sigmoid":
        target = torch.rand(B, t_out, O, generator=g)
    else:
        target = torch.rand(B, t_out, O, generator=g) * 2 - 1
    return x, target


def activate(head, z):
    if head == "softmax":
        return torch.softmax(z, dim=-1)
    if head == "sigmoid":
        return torch.sigmoid(z)
    if head == "tanh":
        return torch.tanh(z)
    return z


def dense_input(c, x, model=None):
    """What the recurrent module reads: x, its one-hot vectors, or its rows of the nn.Embedding."""
    if c["encoding"] == "embedding":
        return model["embedding"](x)
    return F.one_hot(x, I).double() if c["encoding"] == "one_hot" else x


def initial_state(c):
    h0 = torch.zeros(c["layers"], B, H)
    return (h0, torch.zeros(c["layers"], B, H)) if c["cell"].startswith("lstm") else h0


def forward_full(c, model, x):
    """The whole sequence through the module at once (every topology but feedback)."""
    assert c["topology"] != "one_to_many_feedback"
    seq = dense_input(c, x, model)
    if c["topology"] == "one_to_many":
        seq = torch.cat([seq, torch.zeros(B, c["steps"] - 1, I)], dim=1)
    out, _ = model["rnn"](seq, initial_state(c))
    if c["topology"] in ("one_to_one", "many_to_one"):
        out = out[:, -1:, :]
    z = model["head"](out)
    return z, activate(c["head"], z)


def forward_steps(c, model, x, feedback):
    """one_to_many run one step at a time; the next input is y_t (feedback) or zeros."""
    state = initial_state(c)
    inp = dense_input(c, x, model)[:, 0:1, :]
    zs, ys = [], []
    for t in range(c["steps"]):
        out, state = model["rnn"](inp, state)
        z = model["head"](out)
        y = activate(c["head"], z)
        zs.append(z)
        ys.append(y)
        inp = y if feedback else torch.zeros(B, 1, I)
    return torch.cat(zs, dim=1), torch.cat(ys, dim=1)


def forward(c, model, x):
    if c["topology"] == "one_to_many_feedback":
        return forward_steps(c, model, x, feedback=True)
    return forward_full(c, model, x)


def loss_of(c, z, y, target):
    if c["head"] == "softmax":
        return F.cross_entropy(z.reshape(-1, O), target.reshape(-1))
    if c["head"] == "sigmoid":
        return F.binary_cross_entropy_with_logits(z, target)
    return F.mse_loss(y, target)


def forward_manual(c, model, x):
    """The cell equations written out by hand, for checking the modules (and relu margins)."""
    p = {n: v.detach() for n, v in model.named_parameters()}
    L = c["layers"]
    h = [torch.zeros(B, H) for _ in range(L)]
    cs = [torch.zeros(B, H) for _ in range(L)]
    # the embedding by hand: row x of the table
    seq = p["embedding.weight"][x] if c["encoding"] == "embedding" else dense_input(c, x).detach()
    feedback = c["topology"] == "one_to_many_feedback"
    relu_margin = math.inf
    zs = []
    inp = seq[:, 0, :]
    for t in range(c["steps"]):
        below = inp
        for l in range(L):
            gi = below @ p[f"rnn.weight_ih_l{l}"].T + p[f"rnn.bias_ih_l{l}"]
            gh = h[l] @ p[f"rnn.weight_hh_l{l}"].T + p[f"rnn.bias_hh_l{l}"]
            if c["cell"] == "rnn_tanh":
                h[l] = torch.tanh(gi + gh)
            elif c["cell"] == "rnn_relu":
                a = gi + gh
                relu_margin = min(relu_margin, float(a.abs().min()))
                h[l] = torch.clamp(a, min=0)
            elif c["cell"] == "lstm":
                gi_, gf, gg, go = (gi + gh).split(H, dim=1)
                cs[l] = torch.sigmoid(gf) * cs[l] + torch.sigmoid(gi_) * torch.tanh(gg)
                h[l] = torch.sigmoid(go) * torch.tanh(cs[l])
            elif c["cell"].startswith("lstm"):  # peepholes and/or clip, one unit at a time
                a = gi + gh
                c_new, h_new = torch.zeros(B, H), torch.zeros(B, H)
                for j in range(H):
                    peep = {g: (p[f"rnn.weight_c{g}_l{l}"][j] if "peepholes" in c["cell"] else 0.0) for g in "ifo"}
                    i_j = torch.sigmoid(a[:, j] + peep["i"] * cs[l][:, j])
                    f_j = torch.sigmoid(a[:, H + j] + peep["f"] * cs[l][:, j])
                    c_j = f_j * cs[l][:, j] + i_j * torch.tanh(a[:, 2 * H + j])
                    if "cell_clip" in c["cell"]:
                        c_j = torch.where(c_j > CELL_CLIP, torch.full_like(c_j, CELL_CLIP),
                                          torch.where(c_j < -CELL_CLIP, torch.full_like(c_j, -CELL_CLIP), c_j))
                    c_new[:, j] = c_j
                    h_new[:, j] = torch.sigmoid(a[:, 3 * H + j] + peep["o"] * c_j) * torch.tanh(c_j)
                cs[l], h[l] = c_new, h_new
            elif c["cell"] == "gru_cho":  # the reset before W_hn, one unit at a time
                w_hh, b_hh = p[f"rnn.weight_hh_l{l}"], p[f"rnn.bias_hh_l{l}"]
                r = torch.sigmoid(gi[:, :H] + gh[:, :H])
                u = torch.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
                n = torch.zeros(B, H)
                for j in range(H):
                    n[:, j] = torch.tanh(gi[:, 2 * H + j] + b_hh[2 * H + j]
                                         + sum(w_hh[2 * H + j, k] * r[:, k] * h[l][:, k] for k in range(H)))
                h[l] = (1 - u) * n + u * h[l]
            else:
                ir, iz, in_ = gi.split(H, dim=1)
                hr, hz, hn = gh.split(H, dim=1)
                r = torch.sigmoid(ir + hr)
                u = torch.sigmoid(iz + hz)
                n = torch.tanh(in_ + r * hn)
                h[l] = (1 - u) * n + u * h[l]
            below = h[l]
        z = h[L - 1] @ p["head.weight"].T + p["head.bias"]
        zs.append(z)
        if t + 1 < c["steps"]:
            if feedback:
                inp = activate(c["head"], z)
            elif c["topology"] == "one_to_many":
                inp = torch.zeros(B, I)
            else:
                inp = seq[:, t + 1, :]
    z = torch.stack(zs, dim=1)
    if c["topology"] in ("one_to_one", "many_to_one"):
        z = z[:, -1:, :]
    return z, relu_margin


# ---- clipping ----------------------------------------------------------------------------------

def clip_value(grads):
    return {n: g.clamp(-CLIP_VALUE, CLIP_VALUE) for n, g in grads.items()}


def clip_per_parameter(grads):
    out = {}
    for n, g in grads.items():
        factor = min(1.0, CLIP_PER_PARAMETER_NORM / (float(torch.linalg.vector_norm(g, 2)) + CLIP_EPS))
        out[n] = g * factor
    return out


def clip_norm(grads):
    # torch.nn.utils.clip_grad_norm_ itself, on copies
    copies = {n: nn.Parameter(torch.zeros_like(g)) for n, g in grads.items()}
    for n, p in copies.items():
        p.grad = grads[n].clone()
    torch.nn.utils.clip_grad_norm_(list(copies.values()), CLIP_NORM)
    return {n: p.grad.detach().clone() for n, p in copies.items()}


def clip_value_torch(grads):
    copies = {n: nn.Parameter(torch.zeros_like(g)) for n, g in grads.items()}
    for n, p in copies.items():
        p.grad = grads[n].clone()
    torch.nn.utils.clip_grad_value_(list(copies.values()), CLIP_VALUE)
    return {n: p.grad.detach().clone() for n, p in copies.items()}


# ---- one case ----------------------------------------------------------------------------------

def allowed_zero_gradients(c, x, model, names=None):
    """Gradient elements that are zero by construction, whatever the weights."""
    named = names if names is not None else dict(model.named_parameters())
    allowed = {n: torch.zeros_like(p, dtype=torch.bool) for n, p in named.items()}
    forget = slice(H, 2 * H)  # LSTM gate order i, f, g, o
    for l in range(c["layers"]):
        if c["topology"] == "one_to_one":  # h0 = 0 (and c0 = 0): one step never sees the state
            for suffix in ("", "_reverse") if f"rnn.weight_hh_l{l}_reverse" in allowed else ("",):
                allowed[f"rnn.weight_hh_l{l}{suffix}"][:] = True
                if c["cell"] == "lstm":
                    for n in ("weight_ih", "bias_ih", "bias_hh"):
                        allowed[f"rnn.{n}_l{l}{suffix}"][forget] = True
    if c["topology"] == "one_to_many" and c["cell"] == "lstm":  # layer 0 only sees input at step 1, when c0 = 0
        allowed["rnn.weight_ih_l0"][forget] = True
    if c["encoding"] == "one_hot" and c["topology"] != "one_to_many_feedback":
        for k in range(I):  # a symbol that never occurs contributes nothing to its column
            if not bool((x == k).any()):
                allowed["rnn.weight_ih_l0"][:, k] = True
    if c["encoding"] == "embedding":
        for k in range(EMB_V):  # nor to its row of the embedding
            if not bool((x == k).any()):
                allowed["embedding.weight"][k, :] = True
    return allowed


def variant_self_check(c, model, x):
    """The equation-written modules against PyTorch's where they must agree: PeepholeLSTM without
    peepholes or clip is nn.LSTM; ChoGRU with W_hn = 0 and b_hn = 0 is nn.GRU (both n = tanh(W_in x + b_in))."""
    seq = dense_input(c, x).detach()
    params = {n: v.detach().clone() for n, v in model["rnn"].named_parameters()}
    if c["cell"] == "gru_cho":
        for l in range(c["layers"]):
            params[f"weight_hh_l{l}"][2 * H:] = 0
            params[f"bias_hh_l{l}"][2 * H:] = 0
        ours, theirs = ChoGRU(I, H, c["layers"]), nn.GRU(I, H, num_layers=c["layers"], batch_first=True)
    else:
        ours = PeepholeLSTM(I, H, c["layers"], peepholes=False, clip=None)
        theirs = nn.LSTM(I, H, num_layers=c["layers"], batch_first=True)
    with torch.no_grad():
        for module in (ours, theirs):
            for n, v in module.named_parameters():
                v.copy_(params[n])
        a, _ = ours(seq, initial_state(c))
        b, _ = theirs(seq, initial_state(c))
    assert torch.allclose(a, b, rtol=1e-12, atol=1e-13), c["name"]


def clip_statistics(c, model):
    """Pre-clamp cell states of the last forward pass: how many the clamp changed, and the closest to the clip."""
    pre = torch.cat([v.reshape(-1) for v in model["rnn"].pre_clip])
    active = int((pre.abs() > CELL_CLIP).sum())
    return active, pre.numel() - active, float((pre.abs() - CELL_CLIP).abs().min())


def attempt_bidirectional_case(c):
    """attempt_case for a bidirectional case (and for a dropout case: one module per layer, masks between)."""
    c["masks"] = dropout_masks(c)
    model, named, g = build_bidirectional(c)
    x, target = make_data(c, g)
    if c["encoding"] == "dense":
        x.requires_grad_(True)
    z, y = forward_bidirectional(c, model, x)
    loss = loss_of(c, z, y, target)
    model.zero_grad()
    loss.backward()
    names = list(named)
    grads = {n: p.grad.detach().clone() for n, p in named.items()}
    zm, relu_margin = forward_bidirectional_manual(c, named, x)
    assert torch.allclose(zm, z.detach(), rtol=1e-12, atol=1e-13), c["name"]
    if "dropout" in c:
        with torch.no_grad():
            c["eval"] = forward_bidirectional(c, model, x.detach(), train=False)
    if all(d == "concat" for d in c["directions"]):
        # without its masks, a dropout stack is the stacked module in eval mode
        check_stacked_module(c, named, x, c["eval"][0] if "dropout" in c else z)
    allowed = allowed_zero_gradients(c, x.detach(), model, named)
    allow_dropped_inputs(c, allowed)
    if "dropout" in c:
        allow_masked_paths(c, allowed)
    unexpected = sum(int(((grads[n] == 0) & ~allowed[n]).sum()) for n in names)
    if unexpected or relu_margin < 1e-4:
        return None
    return named, x, target, z, y, loss, names, grads, relu_margin, {}


def build_variable_length(c):
    """One stacked module, nn.X(I, H, num_layers=L, bidirectional=...), and the head; returns (model, names, g)."""
    torch.manual_seed(c["seed"])
    kind = {"rnn_tanh": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[c["cell"]]
    extra = {"nonlinearity": "tanh"} if c["cell"] == "rnn_tanh" else {}
    rnn = kind(input_size=I, hidden_size=H, num_layers=c["layers"], batch_first=True,
               bidirectional=c["bidirectional"], **extra)
    head = nn.Linear(2 * H if c["bidirectional"] else H, O)
    model = nn.ModuleDict({"rnn": rnn, "head": head})
    names = dict(model.named_parameters())
    g = torch.Generator().manual_seed(c["seed"])
    with torch.no_grad():
        for p in names.values():
            p.uniform_(-0.5, 0.5, generator=g)
            assert bool((p != 0).all())
    return model, names, g


def make_variable_length_data(c, g):
    """Padded inputs and targets [B, T, ...]; the padding holds random values too, which nothing may read."""
    b, steps = c["batch"], c["steps"]
    if c["encoding"] == "one_hot":
        x = torch.randint(0, I, (b, steps), generator=g, dtype=torch.int64)
    else:
        x = torch.rand(b, steps, I, generator=g) * 2 - 1
    t_out = steps if c["topology"] == "many_to_many" else 1
    if c["head"] == "softmax":
        target = torch.randint(0, O, (b, t_out), generator=g, dtype=torch.int64)
    elif c["head"] == "sigmoid":
        target = torch.rand(b, t_out, O, generator=g)
    else:
        target = torch.rand(b, t_out, O, generator=g) * 2 - 1
    return x, target


def forward_variable_length(c, model, x):
    """pack_padded_sequence through the stacked module; returns (z, y, loss-inputs, h_n) as the case needs."""
    lengths = torch.tensor(c["lengths"], dtype=torch.int64)
    seq = F.one_hot(x, I).double() if c["encoding"] == "one_hot" else x
    packed = nn.utils.rnn.pack_padded_sequence(seq, lengths, batch_first=True, enforce_sorted=False)
    out, hn = model["rnn"](packed)
    if c["cell"] == "lstm":
        hn = hn[0]
    if c["topology"] == "many_to_many":
        z_packed = model["head"](out.data)
        y_packed = activate(c["head"], z_packed)
        pad = lambda d: nn.utils.rnn.pad_packed_sequence(out._replace(data=d), batch_first=True,
                                                         total_length=c["steps"])[0]
        return pad(z_packed), pad(y_packed), (z_packed, y_packed, out), hn
    feature = torch.cat([hn[-2], hn[-1]], dim=1) if c["bidirectional"] else hn[-1]
    z = model["head"](feature).unsqueeze(1)
    return z, activate(c["head"], z), None, hn


def variable_length_loss(c, z, y, packed, target):
    """PyTorch's 'mean' over the real steps: the loss of the packed outputs against the packed targets."""
    if packed is None:
        return loss_of(c, z, y, target)
    z_packed, y_packed, out = packed
    lengths = torch.tensor(c["lengths"], dtype=torch.int64)
    t = nn.utils.rnn.pack_padded_sequence(target, lengths, batch_first=True, enforce_sorted=False)
    assert torch.equal(t.sorted_indices, out.sorted_indices)
    if c["head"] == "softmax":
        return F.cross_entropy(z_packed, t.data)
    if c["head"] == "sigmoid":
        return F.binary_cross_entropy_with_logits(z_packed, t.data)
    return F.mse_loss(y_packed, t.data)


def attempt_variable_length_case(c):
    """attempt_case for a variable-length case (every draw is kept: tanh cells have no kinks)."""
    model, named, g = build_variable_length(c)
    x, target = make_variable_length_data(c, g)
    if c["encoding"] == "dense":
        x.requires_grad_(True)
    z, y, packed, hn = forward_variable_length(c, model, x)
    loss = variable_length_loss(c, z, y, packed, target)
    model.zero_grad()
    loss.backward()
    names = list(named)
    grads = {n: p.grad.detach().clone() for n, p in named.items()}
    # self-check: each sequence alone, unpadded, gives the same outputs and final states
    with torch.no_grad():
        seq = F.one_hot(x, I).double() if c["encoding"] == "one_hot" else x.detach()
        for b, length in enumerate(c["lengths"]):
            alone, hb = model["rnn"](seq[b:b + 1, :length])
            if c["cell"] == "lstm":
                hb = hb[0]
            assert torch.allclose(hb[:, 0], hn[:, b], rtol=1e-13, atol=1e-14), c["name"]
            if c["topology"] == "many_to_many":
                zb = model["head"](alone)[0]
                assert torch.allclose(zb, z[b, :length].detach(), rtol=1e-13, atol=1e-14), c["name"]
                assert bool((z[b, length:] == 0).all()) and bool((y[b, length:] == 0).all()), c["name"]
    if c["encoding"] == "dense":
        for b, length in enumerate(c["lengths"]):
            assert bool((x.grad[b, length:] == 0).all()), c["name"]
    return named, x, target, z, y, loss, names, grads, math.inf

def allow_masked_paths(c, allowed):
    """Masks combine into zeros no column rule lists (an LSTM forget row reading a unit kept only where the
    gradient reaching the row was itself dropped): a gradient element that is exactly zero for three other
    draws of weights and data under the same masks is zero by the masks' structure."""
    seed = c["seed"]
    zero = None
    for k in range(1, 4):
        c["seed"] = (seed + 104729 * k) % (1 << 32)
        model, named, g = build_bidirectional(c)
        x, target = make_data(c, g)
        z, y = forward_bidirectional(c, model, x)
        model.zero_grad()
        loss_of(c, z, y, target).backward()
        now = {n: p.grad == 0 for n, p in named.items()}
        zero = now if zero is None else {n: zero[n] & now[n] for n in now}
    c["seed"] = seed
    for n in allowed:
        allowed[n] |= zero[n]


def allow_dropped_inputs(c, allowed):
    """A unit dropped at every step the next layer (or the head) reads, in every sequence, leaves that reader's
    weight column exactly zero."""
    for name, mask in c.get("masks", {}).items():
        k = int(name[len("mask.l"):])
        if k + 1 < len(c["directions"]):
            read = mask
            columns = [f"rnn.weight_ih_l{k + 1}"] + ([f"rnn.weight_ih_l{k + 1}_reverse"]
                                                     if c["directions"][k + 1] != "forward" else [])
        else:
            read = mask if c["topology"] == "many_to_many" or final_only(c, k) else mask[:, -1:, :]
            columns = ["head.weight"]
        dead = (read.reshape(-1, read.shape[-1]) == 0).all(dim=0)
        for n in columns:
            allowed[n][:, dead] = True
            if c["cell"] == "lstm" and n != "head.weight" and read.shape[1] > 1:
                # an LSTM's forget rows see nothing of the pass's first step (c_prev = 0 there): a unit dropped at
                # every other step leaves them zero
                rest = read[:, :-1, :] if n.endswith("_reverse") else read[:, 1:, :]
                allowed[n][H:2 * H, (rest.reshape(-1, rest.shape[-1]) == 0).all(dim=0)] = True


def attempt_case(c):
    """One draw of weights and data; returns None when the draw is rejected (see run_case)."""
    if "directions" in c:
        return attempt_bidirectional_case(c)
    if "lengths" in c:
        return attempt_variable_length_case(c)
    model, g = build(c)
    x, target = make_data(c, g)
    if c["encoding"] == "dense":
        x.requires_grad_(True)
    if "cell_clip" in c["cell"]:
        model["rnn"].pre_clip = []
    z, y = forward(c, model, x)
    loss = loss_of(c, z, y, target)
    model.zero_grad()
    loss.backward()

    names = [n for n, _ in model.named_parameters()]
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}

    # self-check: the hand-written equations give the same logits
    zm, relu_margin = forward_manual(c, model, x)
    assert torch.allclose(zm, z.detach(), rtol=1e-12, atol=1e-13), c["name"]

    # self-check: step by step without feedback equals the full-sequence module
    if c["topology"] == "one_to_many":
        with torch.no_grad():
            zs, ys = forward_steps(c, model, x, feedback=False)
        assert torch.allclose(zs, z.detach(), rtol=1e-13, atol=1e-14), c["name"]
        assert torch.allclose(ys, y.detach(), rtol=1e-13, atol=1e-14), c["name"]

    if c["cell"] in VARIANT_CELLS:
        variant_self_check(c, model, x)
    clip_notes = {}
    if "cell_clip" in c["cell"]:  # the clamp must change some elements and not others, none of them narrowly
        active, inactive, margin = clip_statistics(c, model)
        if not active or not inactive or margin < CLIP_MARGIN:
            return None
        clip_notes = {"cell_clip_active": active, "cell_clip_inactive": inactive, "cell_clip_margin": margin}

    # reject draws with dead relu units (gradients zero where the structure does not force it) or a
    # relu pre-activation so close to 0 that rounding could flip its branch
    allowed = allowed_zero_gradients(c, x.detach(), model)
    unexpected = sum(int(((grads[n] == 0) & ~allowed[n]).sum()) for n in names)
    if unexpected or relu_margin < 1e-4:
        return None
    if c["clip"]:  # each clipping must actually do something, or the case tests nothing
        norms = [float(torch.linalg.vector_norm(grads[n], 2)) for n in names]
        if (not any(bool((grads[n].abs() > CLIP_VALUE).any()) for n in names)
                or not any(v > CLIP_PER_PARAMETER_NORM for v in norms)
                or not any(v <= CLIP_PER_PARAMETER_NORM for v in norms)
                or math.sqrt(sum(v * v for v in norms)) <= CLIP_NORM):
            return None
    return model, x, target, z, y, loss, names, grads, relu_margin, clip_notes


def run_case(c):
    """Draws weights and data for a case, retrying with the next seed when a draw is rejected."""
    base = zlib.crc32(c["name"].encode("utf-8"))
    for attempt in range(1000):
        c["seed"] = (base + 7919 * attempt) % (1 << 32)
        c["attempt"] = attempt
        result = attempt_case(c)
        if result is not None:
            break
    else:
        raise AssertionError(f"no acceptable draw for {c['name']}")
    if len(result) == 9:  # bidirectional and variable-length cases have no clip notes
        result = (*result, {})
    model, x, target, z, y, loss, names, grads, relu_margin, clip_notes = result

    tensors = {"x": x.detach().clone(), "target": target.clone(), "logits": z.detach().clone(),
               "y": y.detach().clone(), "loss": loss.detach().reshape(1).clone()}
    if "dropout" in c:
        # training used the masks; inference (forward, loss) uses none, as model.eval()
        with torch.no_grad():
            ze, ye = c["eval"]
            tensors.update({"logits": ze.clone(), "y": ye.clone(),
                            "loss_eval": loss_of(c, ze, ye, target).reshape(1).clone(),
                            "y_train": y.detach().clone()})
        tensors.update({n: m.clone() for n, m in c["masks"].items()})
    named = model if "directions" in c or "lengths" in c else dict(model.named_parameters())
    for n in names:
        tensors["param." + n] = named[n].detach().clone()
        tensors["grad." + n] = grads[n]
    if c["encoding"] == "dense":
        tensors["grad.x"] = x.grad.detach().clone()
    if "lengths" in c:
        tensors["lengths"] = torch.tensor(c["lengths"], dtype=torch.int64)

    notes = {}
    if c["clip"]:
        v = clip_value(grads)
        vt = clip_value_torch(grads)
        assert all(torch.equal(v[n], vt[n]) for n in names)
        per = clip_per_parameter(grads)
        glob = clip_norm(grads)
        both = clip_norm(clip_per_parameter(clip_value(grads)))
        for prefix, gs in (("clip_value", v), ("clip_per_parameter", per), ("clip_norm", glob), ("clip_all", both)):
            for n in names:
                tensors[f"{prefix}.grad.{n}"] = gs[n]
        norms = [float(torch.linalg.vector_norm(grads[n], 2)) for n in names]
        total = math.sqrt(sum(nv * nv for nv in norms))
        notes = {"elements_value_clipped": sum(int((grads[n].abs() > CLIP_VALUE).sum()) for n in names),
                 "parameters_norm_clipped": sum(nv > CLIP_PER_PARAMETER_NORM for nv in norms),
                 "parameters": len(names), "global_norm": total}

    if "optimizer" in c:
        notes["rows_updated"] = train_updates(c, model, torch.Generator().manual_seed(c["seed"] + 1), tensors)

    zero_grad_elements = sum(int((grads[n] == 0).sum()) for n in names)
    return tensors, names, {"zero_grad_elements": zero_grad_elements, "relu_margin": relu_margin,
                            "attempt": c["attempt"], "cell_clip": clip_notes, **notes}


def train_updates(c, model, g, tensors):
    """UPDATE_STEPS optimizer steps, each on a new batch whose symbols come from its UPDATE_WINDOWS window, from the
    case's weights: update{k}.x, update{k}.target, update{k}.loss (before the step) and update{k}.param.<name>
    (after it). PyTorch's nn.Embedding gives a dense gradient (zero in the rows not read) and the optimizer updates
    every row: these are the numbers the generated model's row-sparse update must reproduce. Returns, per step, how
    many rows of the table changed."""
    optimizer = EMB_OPTIMIZERS[c["optimizer"]][1](model.parameters())
    changed = []
    for k in range(1, UPDATE_STEPS + 1):
        lo, hi = UPDATE_WINDOWS[k - 1]
        x = torch.randint(lo, hi, (B, c["input_steps"]), generator=g, dtype=torch.int64)
        _, target = make_data(c, g)
        before = model["embedding"].weight.detach().clone()
        optimizer.zero_grad()
        z, y = forward(c, model, x)
        loss = loss_of(c, z, y, target)
        loss.backward()
        optimizer.step()
        changed.append(int((model["embedding"].weight.detach() != before).any(dim=1).sum()))
        tensors[f"update{k}.x"] = x
        tensors[f"update{k}.target"] = target.clone()
        tensors[f"update{k}.loss"] = loss.detach().reshape(1).clone()
        for n, p in model.named_parameters():
            tensors[f"update{k}.param.{n}"] = p.detach().clone()
    return changed


def finite_difference_check(c, eps=1e-6):
    if "lengths" in c:
        model, named, g = build_variable_length(c)
        x, target = make_variable_length_data(c, g)

        def loss_fn():
            z, y, packed, _ = forward_variable_length(c, model, x)
            return variable_length_loss(c, z, y, packed, target)
    else:
        if "directions" in c:
            model, named, g = build_bidirectional(c)
            run = forward_bidirectional
        else:
            model, g = build(c)
            named = dict(model.named_parameters())
            run = forward
        x, target = make_data(c, g)

        def loss_fn():
            z, y = run(c, model, x)
            return loss_of(c, z, y, target)
    if c["encoding"] == "dense":
        x.requires_grad_(True)
    loss_fn().backward()

    def loss_now():
        with torch.no_grad():
            return float(loss_fn())

    worst = 0.0
    leaves = list(named.items())
    if c["encoding"] == "dense":
        leaves.append(("x", x))
    for n, p in leaves:
        analytic = p.grad.detach().clone().reshape(-1)
        flat = p.data.view(-1)
        for k in range(flat.numel()):
            keep = float(flat[k])
            flat[k] = keep + eps
            up = loss_now()
            flat[k] = keep - eps
            down = loss_now()
            flat[k] = keep
            numeric = (up - down) / (2 * eps)
            err = abs(numeric - float(analytic[k])) / max(1.0, abs(numeric))
            worst = max(worst, err)
            assert err < 1e-7, (c["name"], n, k, numeric, float(analytic[k]))
    return worst


# ---- safetensors -------------------------------------------------------------------------------

DTYPES = {torch.float64: ("F64", "<f8"), torch.int64: ("I64", "<i8")}


def safetensors_bytes(tensors, metadata):
    header = {"__metadata__": {k: metadata[k] for k in sorted(metadata)}}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        dtype, np_dtype = DTYPES[t.dtype]
        data = t.numpy().astype(np_dtype, copy=False).tobytes(order="C")
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    head += b" " * ((8 - len(head) % 8) % 8)
    return struct.pack("<Q", len(head)) + head + b"".join(chunks)


def read_safetensors(blob):
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__")
    body = blob[8 + n:]
    out = {}
    end = 0
    for name, info in header.items():
        b, e = info["data_offsets"]
        dtype = {"F64": torch.float64, "I64": torch.int64}[info["dtype"]]
        t = torch.frombuffer(bytearray(body[b:e]), dtype=dtype) if e > b else torch.zeros(0, dtype=dtype)
        out[name] = t.reshape(info["shape"])
        end = max(end, e)
    assert end == len(body)
    return out, metadata


# ---- encoder-decoders ---------------------------------------------------------------------------
#
# many_to_many input_steps ED_TX output_steps ED_TY (docs/language.md 5.5): two recurrent modules of
# the same kind and depth, encoder = nn.X(I, H) and decoder = nn.X(ED_O, H), and a head
# nn.Linear(H, ED_O) on the decoder; the decoder starts from the encoder's final states (h_n, and
# c_n for an LSTM). Written to ED_OUT_DIR (pytorch-encdec/), with its own manifest.json. Tensors:
#     param.<name> / grad.<name>   encoder.weight_ih_l0 ..., decoder.weight_ih_l0 ..., head.weight, head.bias
#     x, target, logits, y, loss, grad.x   as above, with teacher forcing: the decoder's input at step s is
#                                  zeros at s = 0, then one-hot(target[:, s-1]) for class targets (softmax
#                                  head, cross_entropy), target[:, s-1] for vector targets
#     greedy.y                     [B, TY, O] the head's output when the decoder reads its own previous
#                                  output instead: one-hot(argmax z) for softmax, y itself otherwise
#     beam.symbols, beam.logp      softmax cases: beam search of width ED_BEAM on each sequence, written here
#                                  step by step over the PyTorch modules: [B, K, TY] classes (I64) and [B, K]
#                                  summed log_softmax, best first; equal scores ordered by the extended
#                                  hypothesis, then the class, lowest first
# The rnn_relu cases shift every recurrent bias by +0.5 after the draw, to (0, 1), as the bidirectional ones.
# A draw is also rejected when any greedy step's two largest logits, or any two of the best ED_BEAM + 1
# candidates of a beam step, are within ED_GAP of each other (so that float32 cannot reorder them).
# Self-checks: the hand-written cells (cell_step) give the same logits (core cells); beam search of width
# ED_O^(TY-1), which is exhaustive, gives the same best sequences and log-probabilities as enumerating all
# ED_O^TY sequences through the teacher-forced module; one case against central differences.

ED_O, ED_TX, ED_TY, ED_BEAM, ED_GAP = 5, 3, 4, 3, 1e-3
ED_CONFIGS = [("softmax", "dense"), ("softmax", "one_hot"), ("sigmoid", "dense"), ("linear", "dense"),
              ("tanh", "dense")]
ED_VARIANTS = ["lstm_peepholes", "gru_cho"]
ED_OUT_DIR = REPO / "compiler" / "src" / "test" / "resources" / "fixtures" / "pytorch-encdec"
ED_FINITE_DIFFERENCE_CASES = ["encdec-lstm-l2-softmax-one_hot", "encdec-gru-l1-tanh-dense"]


def encdec_cases():
    cases = []
    for cell in CELLS + ED_VARIANTS:
        for layers in LAYERS:
            for head, encoding in (ED_CONFIGS if cell in CELLS else [("softmax", "dense")]):
                cases.append(dict(cell=cell, layers=layers, head=head, encoding=encoding, topology="encoder_decoder",
                                  name=f"encdec-{cell}-l{layers}-{head}-{encoding}"))
    return sorted(cases, key=lambda c: c["name"])


def encdec_spec(c):
    layer = {"rnn_tanh": f"rnn {H} tanh;", "rnn_relu": f"rnn {H} relu;", "lstm": f"lstm {H};", "gru": f"gru {H};",
             "lstm_peepholes": f"lstm {H} peepholes;", "gru_cho": f"gru {H} cho;"}[c["cell"]]
    lines = ["package fixtures.encdec;", "", f"model {model_name(c['name'])} {{",
             f"    input {I}{' one_hot' if c['encoding'] == 'one_hot' else ''};"]
    lines += [f"    {layer}"] * c["layers"]
    lines += [f"    output {ED_O} {c['head']};", f"    many_to_many input_steps {ED_TX} output_steps {ED_TY};",
              f"    loss {LOSS_OF_HEAD[c['head']]};", f"    batch {B};", "    precision float64;", "}", ""]
    return "\n".join(lines)


def encdec_module(cell, layers, inputs):
    if cell in ("rnn_tanh", "rnn_relu"):
        return nn.RNN(input_size=inputs, hidden_size=H, num_layers=layers, batch_first=True, nonlinearity=cell[4:])
    if cell == "lstm":
        return nn.LSTM(input_size=inputs, hidden_size=H, num_layers=layers, batch_first=True)
    if cell == "gru":
        return nn.GRU(input_size=inputs, hidden_size=H, num_layers=layers, batch_first=True)
    if cell == "gru_cho":
        return ChoGRU(inputs, H, layers)
    return PeepholeLSTM(inputs, H, layers, peepholes=True, clip=None)


def build_encdec(c):
    torch.manual_seed(c["seed"])
    model = nn.ModuleDict({"encoder": encdec_module(c["cell"], c["layers"], I),
                           "decoder": encdec_module(c["cell"], c["layers"], ED_O), "head": nn.Linear(H, ED_O)})
    g = torch.Generator().manual_seed(c["seed"])
    with torch.no_grad():
        for n, p in model.named_parameters():
            p.uniform_(-0.5, 0.5, generator=g)
            if c["cell"] == "rnn_relu" and ".bias" in n and not n.startswith("head."):
                p.add_(0.5)  # (0, 1), as the bidirectional cases: otherwise most draws have a dead relu unit
            assert bool((p != 0).all())
    return model, g


def encdec_data(c, g):
    if c["encoding"] == "one_hot":
        x = torch.randint(0, I, (B, ED_TX), generator=g, dtype=torch.int64)
    else:
        x = torch.rand(B, ED_TX, I, generator=g) * 2 - 1
    if c["head"] == "softmax":
        target = torch.randint(0, ED_O, (B, ED_TY), generator=g, dtype=torch.int64)
    elif c["head"] == "sigmoid":
        target = torch.rand(B, ED_TY, ED_O, generator=g)
    else:
        target = torch.rand(B, ED_TY, ED_O, generator=g) * 2 - 1
    return x, target


def encdec_state(c, batch):
    h0 = torch.zeros(c["layers"], batch, H)
    return (h0, torch.zeros(c["layers"], batch, H)) if c["cell"].startswith("lstm") else h0


def encdec_previous(c, values):
    """What the decoder reads for the given targets or outputs of the steps before: one-hot classes or vectors."""
    return F.one_hot(values, ED_O).double() if c["head"] == "softmax" else values


def encdec_teacher_forced(c, model, x, target):
    """The decoder reads zeros, then the targets of the steps before (teacher forcing)."""
    _, state = model["encoder"](dense_input(c, x, model), encdec_state(c, x.shape[0]))
    start = torch.zeros(target.shape[0], 1, ED_O)
    out, _ = model["decoder"](torch.cat([start, encdec_previous(c, target[:, :-1])], dim=1), state)
    z = model["head"](out)
    return z, activate(c["head"], z)


def encdec_loss(c, z, y, target):
    if c["head"] == "softmax":
        return F.cross_entropy(z.reshape(-1, ED_O), target.reshape(-1))
    if c["head"] == "sigmoid":
        return F.binary_cross_entropy_with_logits(z, target)
    return F.mse_loss(y, target)


def encdec_greedy(c, model, x):
    """The decoder reads its own previous output, one step at a time; returns y and the smallest top-2 logit gap."""
    with torch.no_grad():
        _, state = model["encoder"](dense_input(c, x, model), encdec_state(c, B))
        inp = torch.zeros(B, 1, ED_O)
        ys, gap = [], math.inf
        for s in range(ED_TY):
            out, state = model["decoder"](inp, state)
            z = model["head"](out)
            y = activate(c["head"], z)
            ys.append(y)
            if c["head"] == "softmax":
                top = torch.topk(z, 2, dim=-1).values
                gap = min(gap, float((top[..., 0] - top[..., 1]).min()))
                inp = F.one_hot(z.argmax(-1), ED_O).double()
            else:
                inp = y
        return torch.cat(ys, dim=1), gap


def encdec_beam(c, model, x, width):
    """Beam search over one sequence x [1, TX(, I)]: [(symbols, log p)] best first, and the smallest gap among the
    best width + 1 candidates of any step."""
    with torch.no_grad():
        _, state = model["encoder"](dense_input(c, x, model), encdec_state(c, 1))
        beams = [([], 0.0, state)]
        gap = math.inf
        for s in range(ED_TY):
            candidates = []
            for k, (symbols, score, st) in enumerate(beams):
                inp = torch.zeros(1, 1, ED_O) if s == 0 else F.one_hot(torch.tensor([[symbols[-1]]]), ED_O).double()
                out, after = model["decoder"](inp, st)
                logp = F.log_softmax(model["head"](out)[0, 0], dim=-1)
                for o in range(ED_O):
                    candidates.append((score + float(logp[o]), k, o, after))
            candidates.sort(key=lambda t: (-t[0], t[1], t[2]))
            best = [t[0] for t in candidates[:width + 1]]
            gap = min([gap] + [best[i] - best[i + 1] for i in range(len(best) - 1)])
            beams = [(beams[k][0] + [o], score, after) for score, k, o, after in candidates[:width]]
        return [(symbols, score) for symbols, score, _ in beams], gap


def encdec_enumerate(c, model, x, count):
    """The count most probable sequences of one input, by scoring all ED_O^TY of them with teacher forcing."""
    with torch.no_grad():
        everything = torch.cartesian_prod(*[torch.arange(ED_O)] * ED_TY)
        n = everything.shape[0]
        z, _ = encdec_teacher_forced(dict(c, head="softmax"), model, x.expand(n, *x.shape[1:]), everything)
        logp = F.log_softmax(z, dim=-1).gather(2, everything.unsqueeze(2)).squeeze(2).sum(1)
        order = sorted(range(n), key=lambda i: (-float(logp[i]), everything[i].tolist()))
        return [(everything[i].tolist(), float(logp[i])) for i in order[:count]]


def encdec_manual(c, model, x, target):
    """The teacher-forced logits from the cell equations (cell_step), and the smallest relu pre-activation."""
    p = {n: v.detach() for n, v in model.named_parameters()}
    margin = math.inf
    hs, cs = [torch.zeros(B, H) for _ in range(c["layers"])], [torch.zeros(B, H) for _ in range(c["layers"])]
    seq = dense_input(c, x).detach()
    prev = encdec_previous(c, target[:, :-1])
    zs = []
    for part, steps in (("encoder", ED_TX), ("decoder", ED_TY)):
        for t in range(steps):
            if part == "encoder":
                below = seq[:, t, :]
            else:
                below = torch.zeros(B, ED_O) if t == 0 else prev[:, t - 1, :]
            for l in range(c["layers"]):
                gi = below @ p[f"{part}.weight_ih_l{l}"].T + p[f"{part}.bias_ih_l{l}"]
                gh = hs[l] @ p[f"{part}.weight_hh_l{l}"].T + p[f"{part}.bias_hh_l{l}"]
                hs[l], cs[l], m = cell_step(c["cell"], gi, gh, hs[l], cs[l])
                margin = min(margin, m)
                below = hs[l]
            if part == "decoder":
                zs.append(below @ p["head.weight"].T + p["head.bias"])
    return torch.stack(zs, dim=1), margin


def encdec_allowed_zeros(c, x, target, model):
    allowed = {n: torch.zeros_like(p, dtype=torch.bool) for n, p in model.named_parameters()}
    if c["encoding"] == "one_hot":
        for k in range(I):
            if not bool((x == k).any()):
                allowed["encoder.weight_ih_l0"][:, k] = True
    if c["head"] == "softmax":  # a class that is no step's previous target: its column of the decoder's W_ih
        for o in range(ED_O):
            if not bool((target[:, :-1] == o).any()):
                allowed["decoder.weight_ih_l0"][:, o] = True
    return allowed


def attempt_encdec_case(c):
    model, g = build_encdec(c)
    x, target = encdec_data(c, g)
    if c["encoding"] == "dense":
        x.requires_grad_(True)
    z, y = encdec_teacher_forced(c, model, x, target)
    loss = encdec_loss(c, z, y, target)
    model.zero_grad()
    loss.backward()
    names = [n for n, _ in model.named_parameters()]
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
    margin = math.inf
    if c["cell"] in CELLS:
        zm, margin = encdec_manual(c, model, x, target)
        assert torch.allclose(zm, z.detach(), rtol=1e-12, atol=1e-13), c["name"]
    allowed = encdec_allowed_zeros(c, x.detach(), target, model)
    if sum(int(((grads[n] == 0) & ~allowed[n]).sum()) for n in names) or margin < 1e-4:
        return None
    greedy, gap = encdec_greedy(c, model, x.detach())
    beams = []
    for b in range(B):
        if c["head"] != "softmax":
            break
        found, beam_gap = encdec_beam(c, model, x.detach()[b:b + 1], ED_BEAM)
        beams.append(found)
        gap = min(gap, beam_gap)
    if gap < ED_GAP:
        return None
    return model, x, target, z, y, loss, names, grads, greedy, beams, margin


def run_encdec_case(c):
    base = zlib.crc32(c["name"].encode("utf-8"))
    for attempt in range(1000):
        c["seed"] = (base + 7919 * attempt) % (1 << 32)
        c["attempt"] = attempt
        result = attempt_encdec_case(c)
        if result is not None:
            break
    else:
        raise AssertionError(f"no acceptable draw for {c['name']}")
    model, x, target, z, y, loss, names, grads, greedy, beams, margin = result
    tensors = {"x": x.detach().clone(), "target": target.clone(), "logits": z.detach().clone(),
               "y": y.detach().clone(), "loss": loss.detach().reshape(1).clone(), "greedy.y": greedy.clone()}
    named = dict(model.named_parameters())
    for n in names:
        tensors["param." + n] = named[n].detach().clone()
        tensors["grad." + n] = grads[n]
    if c["encoding"] == "dense":
        tensors["grad.x"] = x.grad.detach().clone()
    if beams:
        tensors["beam.symbols"] = torch.tensor([[s for s, _ in found] for found in beams], dtype=torch.int64)
        tensors["beam.logp"] = torch.tensor([[lp for _, lp in found] for found in beams])
    metadata = {
        "case": c["name"], "model": model_name(c["name"]), "seed": str(c["seed"]), "cell": c["cell"],
        "layers": str(c["layers"]), "topology": "encoder_decoder", "head": c["head"], "loss": LOSS_OF_HEAD[c["head"]],
        "input": c["encoding"], "batch": str(B), "input_steps": str(ED_TX), "output_steps": str(ED_TY),
        "input_size": str(I), "hidden_size": str(H), "output_size": str(ED_O),
        "parameters": ",".join(names), "spec": encdec_spec(c),
        "teacher_forcing": "zeros, then " + ("one_hot(target[:, s-1])" if c["head"] == "softmax" else "target[:, s-1]"),
        "greedy_feedback": "one_hot(argmax z)" if c["head"] == "softmax" else "y",
        **({"beam_width": str(ED_BEAM)} if beams else {}),
    }
    if c["cell"] in ED_VARIANTS:
        metadata["variant"] = "written from its equations: " + ("ChoGRU" if c["cell"] == "gru_cho" else "PeepholeLSTM")
    return tensors, metadata, margin


def encdec_self_check_beam():
    """Beam search wide enough to be exhaustive equals enumerating every sequence."""
    c = dict(cell="gru", layers=2, head="softmax", encoding="dense", name="encdec-self-check", seed=11)
    model, g = build_encdec(c)
    x, _ = encdec_data(c, g)
    found, _ = encdec_beam(c, model, x[:1], ED_O ** (ED_TY - 1))
    expected = encdec_enumerate(c, model, x[:1], ED_BEAM)
    for (s1, l1), (s2, l2) in zip(found[:ED_BEAM], expected):
        assert s1 == s2 and abs(l1 - l2) < 1e-12, (found[:ED_BEAM], expected)


def encdec_finite_differences(c, eps=1e-6):
    model, g = build_encdec(c)
    x, target = encdec_data(c, g)
    if c["encoding"] == "dense":
        x.requires_grad_(True)
    z, y = encdec_teacher_forced(c, model, x, target)
    encdec_loss(c, z, y, target).backward()
    leaves = list(model.named_parameters()) + ([("x", x)] if c["encoding"] == "dense" else [])
    worst = 0.0
    for n, p in leaves:
        analytic = p.grad.detach().clone().reshape(-1)
        flat = p.data.view(-1)
        for k in range(flat.numel()):
            keep = float(flat[k])
            values = []
            for v in (keep + eps, keep - eps):
                flat[k] = v
                with torch.no_grad():
                    zz, yy = encdec_teacher_forced(c, model, x, target)
                    values.append(float(encdec_loss(c, zz, yy, target)))
            flat[k] = keep
            numeric = (values[0] - values[1]) / (2 * eps)
            err = abs(numeric - float(analytic[k])) / max(1.0, abs(numeric))
            worst = max(worst, err)
            assert err < 1e-7, (c["name"], n, k, numeric, float(analytic[k]))
    return worst


def write_encoder_decoders(out, finite_differences):
    encdec_self_check_beam()
    cases = encdec_cases()
    files, manifest = {}, []
    for c in cases:
        tensors, metadata, _ = run_encdec_case(c)
        blob = safetensors_bytes(tensors, metadata)
        back, meta_back = read_safetensors(blob)
        assert meta_back == metadata and sorted(back) == sorted(tensors)
        for k, t in tensors.items():
            assert back[k].dtype == t.dtype and torch.equal(back[k], t.detach()), (c["name"], k)
        files[c["name"] + ".safetensors"] = blob
        manifest.append({"name": c["name"], "file": c["name"] + ".safetensors", "metadata": metadata})
        if c["attempt"]:
            print(f"redrawn: {c['name']}: accepted draw {c['attempt']}")
    if finite_differences:
        for n in ED_FINITE_DIFFERENCE_CASES:
            worst = encdec_finite_differences(next(c for c in cases if c["name"] == n))
            print(f"finite differences {n}: worst relative error {worst:.2e}")
    out.mkdir(parents=True, exist_ok=True)
    for old in sorted(out.glob("*.safetensors")):
        old.unlink()
    for fname, blob in files.items():
        (out / fname).write_bytes(blob)
    (out / "manifest.json").write_bytes((json.dumps({"format": "safetensors", "cases": manifest}, indent=2,
                                                    sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))
    print(f"wrote {len(files)} encoder-decoder cases + manifest.json to {out}")


# ---- variable-length encoder-decoders -----------------------------------------------------------
#
# many_to_many input_steps VE_TX output_steps VE_TY variable_length (docs/language.md 5.5, 5.6): the modules
# of the encoder-decoder cases, over a batch of VE_B sequences, each with its own input length
# (VE_INPUT_LENGTHS) and target length (VE_TARGET_LENGTHS). The encoder reads x through pack_padded_sequence,
# so that the decoder starts from each sequence's h_n (and c_n) after its own last real step; the decoder
# reads its teacher-forced inputs through pack_padded_sequence at the target lengths, and the loss is masked:
#     cross_entropy: sum over real target steps of CE / sum(target lengths)
#     mse:           sum over real target steps and outputs of (y - t)^2 / (sum(target lengths) * O)
# Padding that nothing may read: dense inputs and mse targets hold VE_PAD at padded steps, one-hot inputs and
# class targets hold -1 (clamped to 0 for PyTorch's one_hot, whose values then never count). Written to
# VE_OUT_DIR (pytorch-encdec-varlen/). Tensors, beside param.* and grad.* (grad.x: zero at padded steps):
#     x, target, y (teacher forced, zero past each target length), loss
#     greedy.y        [B, TY, O] greedy decoding from each input's own length, all TY steps
#     softmax cases, with the end class VE_END (the last class):
#     end.symbols, end.lengths   greedy decoding that stops after the step whose argmax is VE_END: [B, TY] classes
#                                (-1 past the length) and [B] lengths
#     beam.symbols, beam.lengths, beam.logp   beam search of width VE_BEAM with the end class, as docs/language.md
#                                5.5 says: [B, K, TY] (-1 past each length), [B, K] and [B, K]
# A draw is rejected when two logits a greedy step compares, or two candidates of a beam step near a cut, are
# within ED_GAP (so that float32 cannot reorder them), or the draws end no greedy or beam sequence early.

VE_B, VE_TX, VE_TY, VE_BEAM, VE_PAD = 4, 4, 4, 3, 1000.0
VE_INPUT_LENGTHS = [4, 1, 3, 2]
VE_TARGET_LENGTHS = [2, 4, 1, 3]
VE_END = ED_O - 1
VE_CONFIGS = [("softmax", "one_hot"), ("linear", "dense")]
VE_CELLS = ["rnn_tanh", "lstm", "gru"]
VE_OUT_DIR = REPO / "compiler" / "src" / "test" / "resources" / "fixtures" / "pytorch-encdec-varlen"


def varlen_encdec_cases():
    cases = []
    for cell in VE_CELLS:
        for layers in LAYERS:
            for head, encoding in VE_CONFIGS:
                cases.append(dict(cell=cell, layers=layers, head=head, encoding=encoding,
                                  name=f"encdec-varlen-{cell}-l{layers}-{head}-{encoding}"))
    return sorted(cases, key=lambda c: c["name"])


def varlen_encdec_spec(c):
    return (encdec_spec(c).replace("package fixtures.encdec;", "package fixtures.encdecvarlen;")
            .replace(f"many_to_many input_steps {ED_TX} output_steps {ED_TY};",
                     f"many_to_many input_steps {VE_TX} output_steps {VE_TY} variable_length;")
            .replace(f"batch {B};", f"batch {VE_B};"))


def varlen_encdec_data(c, g):
    lengths, tlengths = torch.tensor(VE_INPUT_LENGTHS), torch.tensor(VE_TARGET_LENGTHS)
    real_x = torch.arange(VE_TX)[None, :] < lengths[:, None]
    real_t = torch.arange(VE_TY)[None, :] < tlengths[:, None]
    if c["encoding"] == "one_hot":
        x = torch.randint(0, I, (VE_B, VE_TX), generator=g, dtype=torch.int64).masked_fill(~real_x, -1)
    else:
        x = (torch.rand(VE_B, VE_TX, I, generator=g) * 2 - 1).masked_fill(~real_x[..., None], VE_PAD)
    if c["head"] == "softmax":
        target = torch.randint(0, ED_O, (VE_B, VE_TY), generator=g, dtype=torch.int64).masked_fill(~real_t, -1)
    else:
        target = (torch.rand(VE_B, VE_TY, ED_O, generator=g) * 2 - 1).masked_fill(~real_t[..., None], VE_PAD)
    return x, target


def varlen_encode(c, model, x, lengths):
    """The encoder through pack_padded_sequence: its h_n (and c_n), after each sequence's own last step."""
    seq = x if c["encoding"] == "dense" else dense_input(c, x.clamp(min=0), model)  # padding: never read
    packed = nn.utils.rnn.pack_padded_sequence(seq, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
    _, state = model["encoder"](packed, encdec_state(c, x.shape[0]))
    return state


def varlen_previous(c, target):
    """The decoder's teacher-forced input: zeros, then the previous targets (padding clamped, never used)."""
    prev = F.one_hot(target[:, :-1].clamp(min=0), ED_O).double() if c["head"] == "softmax" else target[:, :-1]
    return torch.cat([torch.zeros(target.shape[0], 1, ED_O), prev], dim=1)


def varlen_teacher_forced(c, model, x, target):
    state = varlen_encode(c, model, x, VE_INPUT_LENGTHS)
    packed = nn.utils.rnn.pack_padded_sequence(varlen_previous(c, target), torch.tensor(VE_TARGET_LENGTHS),
                                               batch_first=True, enforce_sorted=False)
    out, _ = model["decoder"](packed, state)
    out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=VE_TY)
    z = model["head"](out)
    mask = (torch.arange(VE_TY)[None, :] < torch.tensor(VE_TARGET_LENGTHS)[:, None]).double()
    y = activate(c["head"], z) * mask[..., None]  # outputs at padded steps are zero
    if c["head"] == "softmax":
        ce = F.cross_entropy(z.reshape(-1, ED_O), target.clamp(min=0).reshape(-1), reduction="none")
        loss = (ce * mask.reshape(-1)).sum() / mask.sum()
    else:
        loss = (((y - target.masked_fill(mask[..., None] == 0, 0)) ** 2) * mask[..., None]).sum() / (mask.sum() * ED_O)
    return z, y, loss


def varlen_decoder_step(c, model, inp, state):
    out, state = model["decoder"](inp, state)
    return model["head"](out)[:, 0], state


def varlen_greedy(c, model, x, end):
    """Greedy decoding of every sequence from its own input length; with an end class (softmax), stop after it.
    Returns y [B, TY, O] (zero past each length), the symbols and lengths, and the smallest top-2 logit gap."""
    with torch.no_grad():
        ys = torch.zeros(VE_B, VE_TY, ED_O)
        symbols = torch.full((VE_B, VE_TY), -1, dtype=torch.int64)
        lengths = torch.zeros(VE_B, dtype=torch.int64)
        gap = math.inf
        for b in range(VE_B):
            state = varlen_encode(c, model, x[b:b + 1], [VE_INPUT_LENGTHS[b]])
            inp = torch.zeros(1, 1, ED_O)
            for s in range(VE_TY):
                z, state = varlen_decoder_step(c, model, inp, state)
                ys[b, s] = activate(c["head"], z)[0]
                lengths[b] = s + 1
                if c["head"] == "softmax":
                    top = torch.topk(z[0], 2).values
                    gap = min(gap, float(top[0] - top[1]))
                    k = int(z[0].argmax())
                    symbols[b, s] = k
                    inp = F.one_hot(torch.tensor([[k]]), ED_O).double()
                    if k == end:
                        break
                else:
                    inp = ys[b, s].reshape(1, 1, ED_O)
        return ys, symbols, lengths, gap


def varlen_beam(c, model, x, length, width, end):
    """Beam search with an end class over one sequence x [1, TX(, I)] read to its length, as language.md 5.5
    says: the candidates of a step ranked by score, then hypothesis, then class; an end candidate among the width
    best is finished; the width best others stay alive; stop when none is alive, after TY steps, or when width are
    finished and the best alive scores below the width-th finished; the result is the width best of the finished
    (in the order they finished) and the alive, by total log-probability. Returns it and the smallest gap
    between candidates ranked next to each other among the best width + 1 of any step."""
    with torch.no_grad():
        beams = [([], 0.0, varlen_encode(c, model, x, [length]))]
        finished, gap = [], math.inf
        for s in range(VE_TY):
            candidates = []
            for k, (symbols, score, st) in enumerate(beams):
                inp = torch.zeros(1, 1, ED_O) if s == 0 else F.one_hot(torch.tensor([[symbols[-1]]]), ED_O).double()
                z, after = varlen_decoder_step(c, model, inp, st)
                logp = F.log_softmax(z[0], dim=-1)
                for o in range(ED_O):
                    candidates.append((score + float(logp[o]), k, o, after))
            candidates.sort(key=lambda t: (-t[0], t[1], t[2]))
            best = [t[0] for t in candidates[:width + 1]]
            gap = min([gap] + [best[i] - best[i + 1] for i in range(len(best) - 1)])
            alive = []
            for rank, (score, k, o, after) in enumerate(candidates):
                if o == end:
                    if rank < width:
                        finished.append((beams[k][0] + [o], score))
                elif len(alive) < width:
                    alive.append((beams[k][0] + [o], score, after))
            beams = alive
            if not beams:
                break
            kth = sorted([f[1] for f in finished], reverse=True)
            if len(kth) >= width and beams[0][1] < kth[width - 1]:
                break
        every = finished + [(symbols, score) for symbols, score, _ in beams]
        every = sorted(every, key=lambda t: -t[1])  # stable: the finished first, in the order they finished
        return every[:width], gap


def varlen_allowed_zeros(c, x, target, model):
    allowed = {n: torch.zeros_like(p, dtype=torch.bool) for n, p in model.named_parameters()}
    if c["encoding"] == "one_hot":
        for k in range(I):
            if not bool((x == k).any()):
                allowed["encoder.weight_ih_l0"][:, k] = True
    if c["head"] == "softmax":
        used = torch.zeros(ED_O, dtype=torch.bool)
        for b in range(VE_B):
            for s in range(1, VE_TARGET_LENGTHS[b]):
                used[target[b, s - 1]] = True
        for o in range(ED_O):
            if not bool(used[o]):
                allowed["decoder.weight_ih_l0"][:, o] = True
    return allowed


def attempt_varlen_encdec_case(c):
    model, g = build_encdec(c)
    x, target = varlen_encdec_data(c, g)
    if c["encoding"] == "dense":
        x.requires_grad_(True)
    z, y, loss = varlen_teacher_forced(c, model, x, target)
    model.zero_grad()
    loss.backward()
    names = [n for n, _ in model.named_parameters()]
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
    allowed = varlen_allowed_zeros(c, x.detach(), target, model)
    if sum(int(((grads[n] == 0) & ~allowed[n]).sum()) for n in names):
        return None
    end = VE_END if c["head"] == "softmax" else -1
    greedy, _, _, gap = varlen_greedy(c, model, x.detach(), -1)
    beams = []
    ended = None
    if c["head"] == "softmax":
        _, symbols, lengths, gap_end = varlen_greedy(c, model, x.detach(), end)
        gap = min(gap, gap_end)
        ended = (symbols, lengths)
        for b in range(VE_B):
            found, beam_gap = varlen_beam(c, model, x.detach()[b:b + 1], VE_INPUT_LENGTHS[b], VE_BEAM, end)
            beams.append(found)
            gap = min(gap, beam_gap)
        # the draw must exercise the end class: a greedy sequence and a kept beam hypothesis that stop early
        if not bool((lengths < VE_TY).any()) or not any(len(s) < VE_TY for found in beams for s, _ in found):
            return None
        if any(len(found) < VE_BEAM for found in beams):
            return None
    if gap < ED_GAP:
        return None
    return model, x, target, z, y, loss, names, grads, greedy, ended, beams


def run_varlen_encdec_case(c):
    base = zlib.crc32(c["name"].encode("utf-8"))
    for attempt in range(2000):
        c["seed"] = (base + 7919 * attempt) % (1 << 32)
        c["attempt"] = attempt
        result = attempt_varlen_encdec_case(c)
        if result is not None:
            break
    else:
        raise AssertionError(f"no acceptable draw for {c['name']}")
    model, x, target, z, y, loss, names, grads, greedy, ended, beams = result
    tensors = {"x": x.detach().clone(), "target": target.clone(), "y": y.detach().clone(),
               "loss": loss.detach().reshape(1).clone(), "greedy.y": greedy.clone()}
    named = dict(model.named_parameters())
    for n in names:
        tensors["param." + n] = named[n].detach().clone()
        tensors["grad." + n] = grads[n]
    if c["encoding"] == "dense":
        tensors["grad.x"] = x.grad.detach().clone()
        assert bool((tensors["grad.x"][x.detach() == VE_PAD] == 0).all()), "a padded input has a gradient"
    if ended is not None:
        tensors["end.symbols"], tensors["end.lengths"] = ended
        symbols = torch.full((VE_B, VE_BEAM, VE_TY), -1, dtype=torch.int64)
        for b, found in enumerate(beams):
            for k, (s, _) in enumerate(found):
                symbols[b, k, :len(s)] = torch.tensor(s)
        tensors["beam.symbols"] = symbols
        tensors["beam.lengths"] = torch.tensor([[len(s) for s, _ in found] for found in beams], dtype=torch.int64)
        tensors["beam.logp"] = torch.tensor([[lp for _, lp in found] for found in beams])
    metadata = {
        "case": c["name"], "model": model_name(c["name"]), "seed": str(c["seed"]), "cell": c["cell"],
        "layers": str(c["layers"]), "topology": "encoder_decoder", "head": c["head"], "loss": LOSS_OF_HEAD[c["head"]],
        "input": c["encoding"], "batch": str(VE_B), "input_steps": str(VE_TX), "output_steps": str(VE_TY),
        "input_size": str(I), "hidden_size": str(H), "output_size": str(ED_O),
        "input_lengths": ",".join(map(str, VE_INPUT_LENGTHS)), "target_lengths": ",".join(map(str, VE_TARGET_LENGTHS)),
        "parameters": ",".join(names), "spec": varlen_encdec_spec(c),
        "loss_mean": "over the real target steps" + ("" if c["head"] == "softmax" else " times the output size"),
        **({"end_class": str(VE_END), "beam_width": str(VE_BEAM)} if ended is not None else {}),
    }
    return tensors, metadata


def varlen_encdec_self_check():
    """Beam search of width ED_O^TY with the end class finds the most probable of all sequences that stop at
    their first end class (or after TY steps), found by enumerating them."""
    c = dict(cell="gru", layers=2, head="softmax", encoding="one_hot", name="encdec-varlen-self-check", seed=5)
    model, g = build_encdec(c)
    x, target = varlen_encdec_data(c, g)
    b = 1
    with torch.no_grad():
        found, _ = varlen_beam(c, model, x[b:b + 1], VE_INPUT_LENGTHS[b], ED_O ** VE_TY, VE_END)
        state0 = varlen_encode(c, model, x[b:b + 1], [VE_INPUT_LENGTHS[b]])
        scored = {}
        for seq in torch.cartesian_prod(*[torch.arange(ED_O)] * VE_TY).tolist():
            seq = tuple(seq[:seq.index(VE_END) + 1] if VE_END in seq else seq)
            if seq in scored:
                continue
            state, inp, total = state0, torch.zeros(1, 1, ED_O), 0.0
            for k in seq:
                zz, state = varlen_decoder_step(c, model, inp, state)
                total += float(F.log_softmax(zz[0], dim=-1)[k])
                inp = F.one_hot(torch.tensor([[k]]), ED_O).double()
            scored[seq] = total
        top = max(scored.items(), key=lambda t: t[1])
        assert list(top[0]) == found[0][0] and abs(top[1] - found[0][1]) < 1e-12, (top, found[0])


def write_varlen_encoder_decoders(out):
    varlen_encdec_self_check()
    files, manifest = {}, []
    for c in varlen_encdec_cases():
        tensors, metadata = run_varlen_encdec_case(c)
        blob = safetensors_bytes(tensors, metadata)
        back, meta_back = read_safetensors(blob)
        assert meta_back == metadata and sorted(back) == sorted(tensors)
        files[c["name"] + ".safetensors"] = blob
        manifest.append({"name": c["name"], "file": c["name"] + ".safetensors", "metadata": metadata})
        if c["attempt"]:
            print(f"redrawn: {c['name']}: accepted draw {c['attempt']}")
    out.mkdir(parents=True, exist_ok=True)
    for old in sorted(out.glob("*.safetensors")):
        old.unlink()
    for fname, blob in files.items():
        (out / fname).write_bytes(blob)
    (out / "manifest.json").write_bytes((json.dumps({"format": "safetensors", "cases": manifest}, indent=2,
                                                    sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))
    print(f"wrote {len(files)} variable-length encoder-decoder cases + manifest.json to {out}")


# ---- main --------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=OUT_DIR, help="output folder (default: %(default)s)")
    ap.add_argument("--check-specs", metavar="JAR", type=Path,
                    help="also run `java -jar JAR check` on every spec (must exit 0)")
    ap.add_argument("--skip-finite-differences", action="store_true")
    ap.add_argument("--encdec-out", type=Path, default=ED_OUT_DIR,
                    help="output folder of the encoder-decoder cases (default: %(default)s)")
    ap.add_argument("--only-encoder-decoders", action="store_true",
                    help="write the encoder-decoder cases only, leaving the others as they are")
    ap.add_argument("--varlen-encdec-out", type=Path, default=VE_OUT_DIR,
                    help="output folder of the variable-length encoder-decoder cases (default: %(default)s)")
    ap.add_argument("--only-variable-length-encoder-decoders", action="store_true",
                    help="write the variable-length encoder-decoder cases only, leaving the others as they are")
    args = ap.parse_args()
    if args.only_variable_length_encoder_decoders:
        write_varlen_encoder_decoders(args.varlen_encdec_out)
        return
    if args.only_encoder_decoders:
        write_encoder_decoders(args.encdec_out, not args.skip_finite_differences)
        return

    cases = all_cases()
    names_seen = {c["name"] for c in cases}
    assert len(names_seen) == len(cases)
    for n in FINITE_DIFFERENCE_CASES:
        assert n in names_seen, n

    files = {}
    manifest = []
    summary = {"zero_grad_elements": {}, "relu_margin": math.inf, "clip": {}, "redrawn": {}, "cell_clip": {}}
    for c in cases:
        tensors, param_names, notes = run_case(c)
        metadata = {
            "case": c["name"], "model": model_name(c["name"]), "seed": str(c["seed"]),
            "cell": c["cell"], "layers": str(c["layers"]), "topology": c["topology"], "head": c["head"],
            **({"directions": ",".join(c["directions"])} if "directions" in c else {}),
            **({"lengths": ",".join(str(n) for n in c["lengths"]),
                "directions": ",".join(["concat" if c["bidirectional"] else "forward"] * c["layers"])}
               if "lengths" in c else {}),
            **({"dropout": ",".join(str(p) for p in c["dropout"]), "dropout_seed": str(DROPOUT_SEED)}
               if "dropout" in c else {}),
            "loss": LOSS_OF_HEAD[c["head"]], "input": c["encoding"], "batch": str(c.get("batch", B)),
            "steps": str(c["steps"]),
            "input_steps": str(c["input_steps"]), "output_steps": str(c["output_steps"]),
            "input_size": str(I), "hidden_size": str(H), "output_size": str(O),
            "parameters": ",".join(param_names), "spec": spec_text(c),
        }
        if "optimizer" in c:
            metadata.update({"vocabulary": str(EMB_V), "embedding_size": str(I), "update_steps": str(UPDATE_STEPS),
                             "optimizer": EMB_OPTIMIZERS[c["optimizer"]][0]})
            summary.setdefault("rows_updated", {})[c["name"]] = notes["rows_updated"]
        if c["clip"]:
            metadata.update({"clip_value": str(CLIP_VALUE), "clip_per_parameter_norm": str(CLIP_PER_PARAMETER_NORM),
                             "clip_norm": str(CLIP_NORM), "clip_order": "value,per_parameter_norm,norm"})
            summary["clip"][c["name"]] = {k: notes[k] for k in
                                          ("elements_value_clipped", "parameters_norm_clipped", "parameters",
                                           "global_norm")}
        if c["cell"] in VARIANT_CELLS:
            metadata["variant"] = "written from its equations: " + ("ChoGRU" if c["cell"] == "gru_cho" else "PeepholeLSTM")
        if "cell_clip" in c["cell"]:
            metadata["cell_clip"] = str(CELL_CLIP)
            summary["cell_clip"][c["name"]] = notes["cell_clip"]
        if notes["attempt"]:
            summary["redrawn"][c["name"]] = notes["attempt"]
        if notes["zero_grad_elements"]:
            summary["zero_grad_elements"][c["name"]] = notes["zero_grad_elements"]
        summary["relu_margin"] = min(summary["relu_margin"], notes["relu_margin"])
        blob = safetensors_bytes(tensors, metadata)
        back, meta_back = read_safetensors(blob)
        assert meta_back == metadata
        assert sorted(back) == sorted(tensors)
        for k, t in tensors.items():
            assert back[k].dtype == t.dtype and torch.equal(back[k], t.detach()), (c["name"], k)
        files[c["name"] + ".safetensors"] = blob
        manifest.append({"name": c["name"], "file": c["name"] + ".safetensors", "metadata": metadata})

    # after run_case, which fixed each case's seed
    if not args.skip_finite_differences:
        for n in FINITE_DIFFERENCE_CASES:
            worst = finite_difference_check(next(c for c in cases if c["name"] == n))
            print(f"finite differences {n}: worst relative error {worst:.2e}")

    manifest_bytes = (json.dumps({"format": "safetensors", "cases": manifest}, indent=2, sort_keys=True,
                                 ensure_ascii=False) + "\n").encode("utf-8")

    if args.check_specs:
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for c in cases:
                path = Path(tmp) / (model_name(c["name"]) + ".rnn")
                path.write_text(spec_text(c), encoding="utf-8")
                paths.append(str(path))
            r = subprocess.run(["java", "-jar", str(args.check_specs), "check", *paths],
                               capture_output=True, text=True)
            if r.stderr.strip():
                print(r.stderr, file=sys.stderr)
            assert r.returncode == 0, f"spec check failed with exit {r.returncode}"
            print(f"checked {len(paths)} specs with {args.check_specs}: exit 0")

    args.out.mkdir(parents=True, exist_ok=True)
    for old in sorted(args.out.glob("*.safetensors")):
        old.unlink()
    for fname, blob in files.items():
        (args.out / fname).write_bytes(blob)
    (args.out / "manifest.json").write_bytes(manifest_bytes)

    total = sum(len(b) for b in files.values()) + len(manifest_bytes)
    print(f"wrote {len(files)} cases + manifest.json to {args.out} ({total} bytes)")
    print(f"smallest relu pre-activation magnitude: {summary['relu_margin']:.3e}")
    for n, k in summary["redrawn"].items():
        print(f"redrawn: {n}: accepted draw {k}")
    for n, k in summary["zero_grad_elements"].items():
        print(f"exactly-zero gradient elements: {n}: {k}")
    for n, s in summary["clip"].items():
        print(f"clip {n}: {s}")
    for n, s in summary["cell_clip"].items():
        print(f"cell_clip {n}: {s}")
    for n, s in summary.get("rows_updated", {}).items():
        print(f"embedding rows changed per update {n}: {s} of {EMB_V}")
    write_encoder_decoders(args.encdec_out, not args.skip_finite_differences)
    write_varlen_encoder_decoders(args.varlen_encdec_out)


if __name__ == "__main__":
    main()
