#!/usr/bin/env python3
"""Step-for-step parity check: PyTorch and the C# trainer from the very same start.

torch_reference.py compares the two frameworks over seeds, where every seed draws its own weights, batch order and
dropout masks in each framework, so a gap of a point or two cannot tell arithmetic from luck. This script removes the
luck: it draws torchvision's initial weights for a seed, writes them as a TorchSharp state dict for
`audioclf-train train --init <file>`, and trains them in PyTorch in the very batch order the C# trainer uses (its
`new Random(seed)` replayed: .NET's seeded generator is Knuth's subtractive one). With --dropout 0 (on both sides; the recipe's 0.25 is the default) the
only remaining difference is floating-point rounding, so the per-epoch training losses in the C# run's metrics.jsonl
must agree with the ones printed here until rounding differences grow over many steps.

Needs Debian's python3-torch and python3-torchvision (apt), numpy. Prints one JSON line per epoch and a final one.
"""
import argparse
import json
import struct

import numpy as np
import torch
import torch.nn as nn

from torch_reference import add_recipe_arguments, build_model


class DotNetRandom:
    """System.Random(seed) as .NET runs it for an explicit seed (the legacy subtractive generator), Next() only."""
    MBIG, MSEED = 2147483647, 161803398

    def __init__(self, seed: int):
        # .NET's set-up wraps around in int32 arithmetic beyond this; Python's integers do not, so such seeds would
        # replay another order.
        if abs(seed) > self.MSEED:
            raise ValueError(f"seed {seed}: only seeds within ±{self.MSEED} are replayed exactly")
        seeds = [0] * 56
        mj = self.MSEED - (self.MBIG if seed == -2**31 else abs(seed))
        seeds[55] = mj
        mk, ii = 1, 0
        for i in range(1, 55):
            ii = (ii + 21) % 55
            seeds[ii] = mk
            mk = mj - mk
            if mk < 0:
                mk += self.MBIG
            mj = seeds[ii]
        for _ in range(4):
            for i in range(1, 56):
                n = i + 30
                if n >= 55:
                    n -= 55
                seeds[i] -= seeds[1 + n]
                if seeds[i] < 0:
                    seeds[i] += self.MBIG
        self.seeds, self.inext, self.inextp = seeds, 0, 21

    def next(self) -> int:
        a = self.inext + 1 if self.inext + 1 < 56 else 1
        b = self.inextp + 1 if self.inextp + 1 < 56 else 1
        value = self.seeds[a] - self.seeds[b]
        if value == self.MBIG:
            value -= 1
        if value < 0:
            value += self.MBIG
        self.seeds[a], self.inext, self.inextp = value, a, b
        return value


def leb128(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def write_torchsharp_state_dict(state: dict, path: str) -> None:
    """TorchSharp's Module.save format (as its exportsd.py writes it): count, then name, dtype, shape, raw bytes."""
    codes = {torch.float32: 6, torch.int64: 4}
    with open(path, "wb") as f:
        f.write(leb128(len(state)))
        for name, tensor in state.items():
            encoded = name.encode("utf-8")
            f.write(leb128(len(encoded)) + encoded)  # a .NET BinaryWriter string: 7-bit length prefix
            f.write(leb128(codes[tensor.dtype]) + leb128(tensor.dim()))
            for d in tensor.shape:
                f.write(leb128(d))
            f.write(tensor.detach().contiguous().numpy().tobytes())


def read_leb128(f) -> int:
    value, shift = 0, 0
    while True:
        byte = f.read(1)[0]
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value


def read_torchsharp_state_dict(path: str) -> dict:
    """The format write_torchsharp_state_dict writes (and the C# trainer's checkpoints are in), as torch tensors."""
    dtypes = {6: np.float32, 4: np.int64}
    state = {}
    with open(path, "rb") as f:
        for _ in range(read_leb128(f)):
            name = f.read(read_leb128(f)).decode("utf-8")
            code, dims = read_leb128(f), read_leb128(f)
            shape = [read_leb128(f) for _ in range(dims)]
            if code not in dtypes:
                raise ValueError(f"{path}: tensor {name} has a dtype code ({code}) this reader does not know")
            count = int(np.prod(shape)) if shape else 1
            data = f.read(count * np.dtype(dtypes[code]).itemsize)
            state[name] = torch.from_numpy(np.frombuffer(data, dtype=dtypes[code]).reshape(shape).copy())
    return state


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--inputs", required=True, help="folder written by `audioclf-train inputs`")
    p.add_argument("--test-fold", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    add_recipe_arguments(p)
    p.add_argument("--mean", type=float, help="the C# run's input_normalization.mean (required to train)")
    p.add_argument("--std", type=float, help="the C# run's input_normalization.std (required to train)")
    p.add_argument("--write-init", help="write the initial weights here (TorchSharp state dict) and exit")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--init", help="train from this start (a file --write-init wrote) instead of the weights drawn here; "
                   "the generator is left where the draw leaves it, so the dropout masks follow as without it. For "
                   "another PyTorch version, whose draw for a seed need not be the same")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    classes = [c for c in open(f"{a.inputs}/classes.txt").read().split("\n") if c]
    model = build_model(len(classes), a.dropout)
    if a.write_init:
        state = {k.replace("fc.1.", "fc."): v for k, v in model.state_dict().items()}
        write_torchsharp_state_dict(state, a.write_init)
        print(json.dumps({"wrote": a.write_init, "tensors": len(state)}))
        return
    if a.init:
        wanted = model.state_dict()
        start = {}
        for name, tensor in read_torchsharp_state_dict(a.init).items():
            key = "fc.1." + name[len("fc."):] if name.startswith("fc.") else name
            if key not in wanted or wanted[key].shape != tensor.shape:
                raise SystemExit(f"{a.init}: {name} {tuple(tensor.shape)} has no counterpart in the PyTorch model")
            start[key] = tensor
        drawn = max(float((wanted[k].double() - v.double()).abs().max()) for k, v in start.items())
        model.load_state_dict(start, strict=True)
        print(json.dumps({"init": a.init, "torch": torch.__version__, "largest_difference_from_this_draw": drawn}), flush=True)

    x = np.load(f"{a.inputs}/inputs.npy").astype(np.float32)
    y = np.load(f"{a.inputs}/labels.npy").astype(np.int64)
    folds = np.load(f"{a.inputs}/folds.npy").astype(np.int64)
    train, test = folds != a.test_fold, folds == a.test_fold
    # The C# network standardises inside (x - mean) / std in float32, as here.
    xs = (torch.from_numpy(x).unsqueeze(1) - np.float32(a.mean)) / np.float32(a.std)
    ys = torch.from_numpy(y)
    x_train, y_train, x_test, y_test = xs[train], ys[train], xs[test], ys[test]

    optimizer = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=a.step_size, gamma=a.gamma)
    loss_fn = nn.CrossEntropyLoss()
    rng = DotNetRandom(a.seed)
    for epoch in range(1, a.epochs + 1):
        model.train()
        keys = [rng.next() for _ in range(len(y_train))]
        order = sorted(range(len(y_train)), key=lambda i: keys[i])  # Enumerable.OrderBy: a stable sort on the keys
        loss_sum, correct, first = 0.0, 0, None
        for start in range(0, len(order), a.batch_size):
            idx = torch.tensor(order[start:start + a.batch_size])
            logits = model(x_train[idx])
            loss = loss_fn(logits, y_train[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            first = float(loss) if first is None else first
            loss_sum += float(loss) * len(idx)
            correct += int((logits.argmax(1) == y_train[idx]).sum())
        scheduler.step()
        print(json.dumps({"epoch": epoch, "first_batch_loss": first, "train_loss": loss_sum / len(order),
                          "train_accuracy": correct / len(order)}), flush=True)
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(x_test[i:i + 32]) for i in range(0, len(y_test), 32)])
    print(json.dumps({"seed": a.seed, "test_accuracy": float((logits.argmax(1) == y_test).float().mean()),
                      "test_loss": float(nn.functional.cross_entropy(logits, y_test))}), flush=True)


if __name__ == "__main__":
    main()
