#!/usr/bin/env python3
"""Scores a C# training run's final weights in PyTorch on the held-out fold of `audioclf-train inputs` data.

If the two frameworks evaluate alike, this prints the accuracy and loss the run's test_metrics.json holds (to float
rounding): then any accuracy gap between paired runs comes from training, not from how either side evaluates.
Usage: scripts/parity/evaluate_checkpoint.py RUN_DIR INPUTS_DIR --test-fold 4
"""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn

from same_start import read_torchsharp_state_dict
from torch_reference import build_model


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run")
    p.add_argument("inputs")
    p.add_argument("--test-fold", type=int, required=True)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    config = json.load(open(f"{a.run}/config.json"))
    mean, std = config["input_normalization"]["mean"], config["input_normalization"]["std"]
    classes = [c for c in open(f"{a.inputs}/classes.txt").read().split("\n") if c]
    model = build_model(len(classes), 0.0)
    wanted = model.state_dict()
    state = {}
    for name, tensor in read_torchsharp_state_dict(f"{a.run}/best.dat").items():
        if name in ("input_mean", "input_std"):
            continue  # the C# network standardises inside; here the inputs are standardised below, as in same_start.py
        key = name if name in wanted else name.replace("fc.", "fc.1.", 1)
        if key not in wanted:
            raise SystemExit(f"{name}: no such tensor in torchvision's ResNet18 as built here")
        state[key] = tensor
    model.load_state_dict(state, strict=True)
    x = np.load(f"{a.inputs}/inputs.npy").astype(np.float32)
    y = torch.from_numpy(np.load(f"{a.inputs}/labels.npy").astype(np.int64))
    test = torch.from_numpy(np.load(f"{a.inputs}/folds.npy") == a.test_fold)
    xs = ((torch.from_numpy(x).unsqueeze(1) - np.float32(mean)) / np.float32(std))[test]
    ys = y[test]
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(xs[i:i + 32]) for i in range(0, len(ys), 32)])
    measured = json.load(open(f"{a.run}/test_metrics.json"))["evaluation"]
    print(json.dumps({
        "pytorch": {"accuracy": float((logits.argmax(1) == ys).float().mean()), "loss": float(nn.functional.cross_entropy(logits, ys))},
        "audioclf-train": {"accuracy": measured["accuracy"], "loss": measured["loss"]},
    }))


if __name__ == "__main__":
    main()
