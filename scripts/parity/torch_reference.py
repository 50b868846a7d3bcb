#!/usr/bin/env python3
"""PyTorch reference for the trainer under equal settings (issue: parity with PyTorch).

Trains torchvision's ResNet18 (random initialisation, 1-channel conv1, Dropout before the Linear head) on the model
inputs `audioclf-train inputs` wrote (the very arrays the C# trainer feeds, so only the framework differs), with the
seed tutorial notebook's recipe: SGD lr 0.005 momentum 0.9, StepLR(7, 0.1) per epoch, batch 8, no augmentation.
All folds but --test-fold train; the last epoch is scored once on the held-out fold (nothing is selected on it).

Needs Debian's python3-torch and python3-torchvision (apt), numpy. Prints one JSON line per seed.
"""
import argparse
import json
import time

import numpy as np
import torch
import torch.nn as nn
import torchvision


def build_model(classes: int, dropout: float) -> nn.Module:
    model = torchvision.models.resnet18(weights=None, num_classes=classes)
    # A one-channel stem initialised as torchvision initialises every convolution (Kaiming-normal, fan-out, ReLU).
    model.conv1 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    nn.init.kaiming_normal_(model.conv1.weight, mode="fan_out", nonlinearity="relu")
    model.fc = nn.Sequential(nn.Dropout(dropout), model.fc)
    return model


def add_recipe_arguments(p: argparse.ArgumentParser) -> None:
    """The seed tutorial's recipe as options (also used by same_start.py)."""
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=0.005)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--step-size", type=int, default=7)
    p.add_argument("--gamma", type=float, default=0.1)
    p.add_argument("--dropout", type=float, default=0.25)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--inputs", required=True, help="folder written by `audioclf-train inputs`")
    p.add_argument("--test-fold", type=int, required=True)
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    add_recipe_arguments(p)
    p.add_argument("--mean", type=float, help="input standardisation mean (default: over the training inputs)")
    p.add_argument("--std", type=float, help="input standardisation std (default: over the training inputs)")
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    x = np.load(f"{a.inputs}/inputs.npy").astype(np.float32)
    y = np.load(f"{a.inputs}/labels.npy").astype(np.int64)
    folds = np.load(f"{a.inputs}/folds.npy").astype(np.int64)
    classes = open(f"{a.inputs}/classes.txt").read().split("\n")
    classes = [c for c in classes if c]
    train, test = folds != a.test_fold, folds == a.test_fold
    mean = a.mean if a.mean is not None else float(x[train].mean())
    std = a.std if a.std is not None else float(x[train].std())
    xs = torch.from_numpy((x - mean) / std).unsqueeze(1)
    ys = torch.from_numpy(y)
    x_train, y_train, x_test, y_test = xs[train], ys[train], xs[test], ys[test]

    for seed in a.seeds:
        torch.manual_seed(seed)
        model = build_model(len(classes), a.dropout)
        optimizer = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=a.step_size, gamma=a.gamma)
        loss_fn = nn.CrossEntropyLoss()
        started = time.time()
        for epoch in range(a.epochs):
            model.train()
            order = torch.randperm(len(y_train))
            for start in range(0, len(order), a.batch_size):
                idx = order[start:start + a.batch_size]
                optimizer.zero_grad()
                loss = loss_fn(model(x_train[idx]), y_train[idx])
                loss.backward()
                optimizer.step()
            scheduler.step()
        model.eval()
        with torch.no_grad():
            predicted = torch.cat([model(x_test[i:i + 32]).argmax(1) for i in range(0, len(y_test), 32)])
        accuracy = float((predicted == y_test).float().mean())
        print(json.dumps({"framework": f"pytorch {torch.__version__} torchvision {torchvision.__version__}", "seed": seed,
                          "test_fold": a.test_fold, "epochs": a.epochs, "train_clips": int(train.sum()),
                          "test_clips": int(test.sum()), "accuracy": round(accuracy, 4), "mean": mean, "std": std,
                          "seconds": round(time.time() - started, 1)}), flush=True)


if __name__ == "__main__":
    main()
