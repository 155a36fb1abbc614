#!/usr/bin/python3
"""Writes the ONNX import fixtures of unroll-onnx's tests: what torch.onnx.export writes.

Run from the repository root with Debian's python3-torch (1.13):

    /usr/bin/python3 onnx/src/test/python/make_fixtures.py

For each case it writes, under onnx/src/test/resources/fixtures/:
  <case>.onnx               the exported model (opset 14, constant folding on)
  <case>.io.safetensors     'x' (the graph's input, as fed), 'h0'/'c0' when the graph takes
                            initial states, 'y' (PyTorch's output for x), and the module's
                            state_dict under 'torch.<name>' (for the bit-identical weight check)
and bad/pickle.pt, a torch.save() file the importer must refuse. Every random number comes from
fixed seeds, so a rerun writes the same tensors (the .onnx bytes may differ between torch versions).
The build never runs this script; the outputs are committed.
"""
import json
import os
import struct
import sys
import zlib

import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "fixtures")
STEPS, BATCH, INPUT = 7, 3, 3


def save_safetensors(path, tensors):
    """The safetensors format with the standard library only: header length, JSON header, data."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        dtype = {torch.float32: ("F32", "f"), torch.float64: ("F64", "d")}[t.dtype]
        data = struct.pack("<%d%s" % (t.numel(), dtype[1]), *t.flatten().tolist())
        header[name] = {"dtype": dtype[0], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


ACTIVATIONS = {"linear": lambda z: z, "softmax": lambda z: torch.softmax(z, -1),
               "sigmoid": torch.sigmoid, "tanh": torch.tanh}


class Net(nn.Module):
    """A recurrent module and an nn.Linear head, read at every step or at the last one."""

    def __init__(self, cell, hidden, layers, bidirectional, head, activation, last, batch_first,
                 states, nonlinearity):
        super().__init__()
        kinds = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
        extra = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
        self.rnn = kinds[cell](INPUT, hidden, num_layers=layers, bidirectional=bidirectional,
                               batch_first=batch_first, **extra)
        self.fc = nn.Linear(hidden * (2 if bidirectional and last != "h_n_sum" else 1), head)
        self.cell, self.activation, self.last, self.batch_first, self.states = \
            cell, activation, last, batch_first, states

    def forward(self, x, *states):
        if self.states:
            state = (states[0], states[1]) if self.cell == "lstm" else states[0]
            y, hn = self.rnn(x, state)
        else:
            y, hn = self.rnn(x)
        if self.last == "y_h":       # the last layer's final hidden state (forward-only layers)
            h = (hn[0] if self.cell == "lstm" else hn)[-1]
        elif self.last == "h_n":     # a bidirectional last layer's final states side by side (Unroll's many_to_one)
            hn = hn[0] if self.cell == "lstm" else hn
            h = torch.cat([hn[-2], hn[-1]], 1)
        elif self.last == "h_n_sum": # ... or summed ('bidirectional sum')
            hn = hn[0] if self.cell == "lstm" else hn
            h = hn[-2] + hn[-1]
        elif self.last == "y_last":  # the output at the last step (refused for a bidirectional last layer)
            h = y[:, -1] if self.batch_first else y[-1]
        else:                        # every step
            h = y
        return ACTIVATIONS[self.activation](self.fc(h))


# name: cell, hidden, layers, bidirectional, head size, activation, last, batch_first, states,
#       rnn nonlinearity, dtype
CASES = {
    "lstm_l1":           ("lstm", 5, 1, False, 4, "linear", "all", False, False, None, torch.float32),
    "lstm_l2_bi_softmax": ("lstm", 5, 2, True, 4, "softmax", "all", True, False, None, torch.float32),
    "lstm_l1_states_last_sigmoid": ("lstm", 5, 1, False, 2, "sigmoid", "y_last", False, True, None, torch.float32),
    "lstm_l2_yh_tanh":   ("lstm", 4, 2, False, 3, "tanh", "y_h", True, False, None, torch.float32),
    "lstm_l2_bi_states_hn": ("lstm", 4, 2, True, 3, "linear", "h_n", True, True, None, torch.float32),
    "gru_l1_yh_tanh":    ("gru", 6, 1, False, 3, "tanh", "y_h", False, False, None, torch.float32),
    "gru_l2_bi_hn_softmax": ("gru", 4, 2, True, 5, "softmax", "h_n", True, False, None, torch.float32),
    "gru_l1_bi_hn_sum_tanh": ("gru", 4, 1, True, 3, "tanh", "h_n_sum", False, False, None, torch.float32),
    "lstm_l1_bi_hn_f64": ("lstm", 3, 1, True, 2, "sigmoid", "h_n", False, False, None, torch.float64),
    "gru_l1_states":     ("gru", 5, 1, False, 2, "linear", "all", False, True, None, torch.float32),
    "gru_l2_bi_states":  ("gru", 3, 2, True, 2, "sigmoid", "all", False, True, None, torch.float32),
    "rnn_l1_tanh":       ("rnn", 5, 1, False, 4, "linear", "all", False, False, "tanh", torch.float32),
    "rnn_l2_bi_relu_hn_sigmoid": ("rnn", 4, 2, True, 1, "sigmoid", "h_n", True, False, "relu", torch.float32),
    "rnn_l1_states_yh":  ("rnn", 5, 1, False, 3, "softmax", "y_h", False, True, "tanh", torch.float32),
    "lstm_l2_bi_f64":    ("lstm", 5, 2, True, 3, "tanh", "all", False, False, None, torch.float64),
    "gru_l1_states_last_f64": ("gru", 5, 1, False, 3, "softmax", "y_last", True, True, None, torch.float64),
    "rnn_l2_f64":        ("rnn", 4, 2, False, 2, "linear", "all", False, False, "tanh", torch.float64),
    "gru_l2_softmax":    ("gru", 4, 2, False, 3, "softmax", "all", True, False, None, torch.float32),
    "lstm_l1_last_f64":  ("lstm", 5, 1, False, 2, "sigmoid", "y_last", False, False, None, torch.float64),
    "gru_l2_yh_f64":     ("gru", 3, 2, False, 2, "tanh", "y_h", True, False, None, torch.float64),
}


def main():
    os.makedirs(os.path.join(OUT, "bad"), exist_ok=True)
    for name, args in sorted(CASES.items()):
        *net_args, dtype = args
        torch.manual_seed(zlib.crc32(name.encode("utf-8")))  # per case, so adding one changes no other
        net = Net(*net_args).to(dtype).eval()
        cell, hidden, layers, bidirectional, _, _, _, batch_first, states, _ = net_args
        x = torch.randn((BATCH, STEPS, INPUT) if batch_first else (STEPS, BATCH, INPUT), dtype=dtype)
        dirs = 2 if bidirectional else 1
        inputs, names = [x], ["x"]
        if states:
            inputs.append(torch.randn(layers * dirs, BATCH, hidden, dtype=dtype))
            names.append("h0")
            if cell == "lstm":
                inputs.append(torch.randn(layers * dirs, BATCH, hidden, dtype=dtype))
                names.append("c0")
        with torch.no_grad():
            y = net(*inputs)
        torch.onnx.export(net, tuple(inputs), os.path.join(OUT, name + ".onnx"), opset_version=14,
                          input_names=names, output_names=["y"], do_constant_folding=True)
        io = dict(zip(names, inputs))
        io["y"] = y
        for k, v in net.state_dict().items():
            io["torch." + k] = v
        save_safetensors(os.path.join(OUT, name + ".io.safetensors"), io)
        print(name, tuple(y.shape), file=sys.stderr)
    torch.manual_seed(1)
    torch.save(nn.LSTM(2, 2).state_dict(), os.path.join(OUT, "bad", "pickle.pt"))
    # The output at the last step of a bidirectional layer, [h_fwd(T-1); h_bwd(T-1)], is not Unroll's many_to_one
    # (which reads h_n, [h_fwd(T-1); h_bwd(0)]): the importer must refuse it.
    torch.manual_seed(2)
    net = Net("gru", 3, 1, True, 2, "linear", "y_last", True, False, None).eval()
    torch.onnx.export(net, (torch.randn(BATCH, STEPS, INPUT),), os.path.join(OUT, "bad", "gru_bi_y_last.onnx"),
                      opset_version=14, input_names=["x"], output_names=["y"], do_constant_folding=True)


if __name__ == "__main__":
    main()
