#!/usr/bin/env python3
"""Recipe sweep on a GPU: the trainer's default ESC-10 recipe re-implemented in PyTorch, and variants of it, each
scored by honest 4-fold cross-validation (each fold held out, trained on the other three for a fixed number of epochs,
the last epoch scored once on the held-out fold: `cv --val-fraction 0`).

Why: a cross-validation of the C# trainer takes 23 minutes on the project's 2-core VM, so only a few recipe changes can
be measured per session; on a GPU this takes seconds. A variant that helps here is a candidate, implemented in the C#
trainer and measured there by its own cross-validation with seeds not used here (the only figures the docs adopt
recipes on). The sweep's own seeds are 101, 102, 103.

Inputs (made on the VM): --data, an .npz with x [clips, 128, 216] (dB, float16), y and folds, packed by --pack from
the folder `audioclf-train inputs` writes for the default spec (12 MB for ESC-10, small enough to carry to a GPU
host); --init, the ImageNet initialisation from imagenet_to_npz.py. Writes one JSON line per run to
--out/results.jsonl as runs finish and a summary table at the end; stops starting runs after --budget seconds.

    dotnet run -c Release --project src/AudioClassifier.Trainer -- inputs --dataset ../shared/datasets/esc10 --out /tmp/sw/inputs
    python3 scripts/parity/recipe_sweep.py --pack /tmp/sw/inputs /tmp/sw/esc10.npz
    python3 scripts/parity/recipe_sweep.py --data esc10.npz --init imagenet.npz --out /tmp/sweep --workers 8 --budget 150
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F
import torchvision

BASE = dict(epochs=30, batch=32, opt="adamw", lr=1e-3, wd=1e-2, dropout=0.5, mixup=0.2, mix_domain="db", gain_db=20.0,
            eq_db=10.0, top_db=80.0, fmasks=2, fwidth=24, tmasks=2, twidth=40, label_smoothing=0.0, backbone_lr=1.0,
            pool="avg", warmup=0, cutmix=0.0)

# Each variant changes the default recipe in the fields it names.
VARIANTS = {
    "base": {},
    "epochs60": {"epochs": 60},
    "label-smoothing0.1": {"label_smoothing": 0.1},
    "sgd-nesterov-lr0.01": {"opt": "sgd", "lr": 0.01, "wd": 5e-4},
    "backbone-lr0.1x": {"backbone_lr": 0.1},
    "lr5e-4": {"lr": 5e-4},
    "wd0.05": {"wd": 0.05},
    "no-mixup": {"mixup": 0.0},
    "mixup-power-domain": {"mix_domain": "power"},
    "bc-power-alpha1": {"mix_domain": "power", "mixup": 1.0},
    "cutmix-time": {"mixup": 0.0, "cutmix": 1.0},
    "pool-panns": {"pool": "panns"},
    "batch16": {"batch": 16},
    "epochs100-mixup0.4": {"epochs": 100, "mixup": 0.4},
    "no-colouring": {"eq_db": 0.0},
    "lr2e-3-warmup3": {"lr": 2e-3, "warmup": 3},
    "no-specaugment": {"fmasks": 0, "tmasks": 0},
    "sgd-nesterov-lr0.03": {"opt": "sgd", "lr": 0.03, "wd": 5e-4},
    "backbone-lr0.1x-epochs60": {"backbone_lr": 0.1, "epochs": 60},
}


class PannsPool(nn.Module):
    """Mean over frequency, then max + mean over time (PANNs' clip pooling) instead of the global average."""

    def forward(self, x):
        x = x.mean(2)
        return x.max(2).values + x.mean(2)


def build(cfg, init, mean, std, classes, device):
    model = torchvision.models.resnet18(weights=None, num_classes=classes)
    model.conv1 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    state = model.state_dict()
    for k, v in init.items():
        assert state[k].shape == v.shape, k
        state[k] = torch.from_numpy(v.astype(np.float32))
    model.load_state_dict(state)
    model.fc = nn.Sequential(nn.Dropout(cfg["dropout"]), nn.Linear(512, classes))
    if cfg["pool"] == "panns":
        model.avgpool = nn.Sequential(PannsPool(), nn.Unflatten(1, (512, 1)))
    model.register_buffer("input_mean", torch.tensor(mean))
    model.register_buffer("input_std", torch.tensor(std))
    inner = model.forward
    model.forward = lambda x: inner((x - model.input_mean) / model.input_std)
    return model.to(device)


def augment(x, cfg, fill, g):
    """x [b, mels, frames] in dB -> augmented copy: level, colouring re-floored at top_db, SpecAugment masks."""
    b, mels, frames = x.shape
    dev = x.device
    level = (torch.rand(b, 1, 1, device=dev, generator=g) * 2 - 1) * cfg["gain_db"]
    out = x + level
    if cfg["eq_db"] > 0:
        w = torch.rand(b, 3, device=dev, generator=g) * 2 - 1
        pos = math.pi * (torch.arange(mels, device=dev) + 0.5) / mels
        basis = torch.stack([torch.cos(pos), torch.cos(2 * pos), torch.cos(3 * pos)])  # [3, mels]
        curve = w @ basis
        peak = curve.abs().amax(1, keepdim=True).clamp_min(1e-12)
        curve = curve * (cfg["eq_db"] * torch.rand(b, 1, device=dev, generator=g) / peak)
        out = out + curve[:, :, None]
        floor = (x + curve[:, :, None]).amax((1, 2), keepdim=True) + level - cfg["top_db"]
        out = torch.maximum(out, floor)
    rows = torch.arange(mels, device=dev)[None, :, None]
    cols = torch.arange(frames, device=dev)[None, None, :]
    for _ in range(cfg["fmasks"]):
        width = torch.randint(0, cfg["fwidth"] + 1, (b, 1, 1), device=dev, generator=g)
        start = (torch.rand(b, 1, 1, device=dev, generator=g) * (mels - width).clamp_min(1)).long()
        out = torch.where((rows >= start) & (rows < start + width), torch.full_like(out, fill), out)
    for _ in range(cfg["tmasks"]):
        width = torch.randint(0, cfg["twidth"] + 1, (b, 1, 1), device=dev, generator=g)
        start = (torch.rand(b, 1, 1, device=dev, generator=g) * (frames - width).clamp_min(1)).long()
        out = torch.where((cols >= start) & (cols < start + width), torch.full_like(out, fill), out)
    return out


def mix(x, cfg, g, nrng):
    """Returns mixed x, lambda (per example), partner permutation; None when neither mixup nor cutmix is on."""
    b = x.shape[0]
    if cfg["cutmix"] > 0:
        lam = float(nrng.beta(cfg["cutmix"], cfg["cutmix"]))
        perm = torch.randperm(b, device=x.device, generator=g)
        frames = x.shape[2]
        width = int(round((1 - lam) * frames))
        start = int(nrng.integers(0, frames - width + 1))
        out = x.clone()
        out[:, :, start:start + width] = x[perm][:, :, start:start + width]
        return out, torch.full((b,), 1 - width / frames, device=x.device), perm
    if cfg["mixup"] <= 0:
        return x, None, None
    lam = float(nrng.beta(cfg["mixup"], cfg["mixup"]))
    perm = torch.randperm(b, device=x.device, generator=g)
    if cfg["mix_domain"] == "power":
        # Sum of the two sounds' powers at gains lam and 1-lam, in dB.
        a = x + 10 * math.log10(max(lam, 1e-6))
        c = x[perm] + 10 * math.log10(max(1 - lam, 1e-6))
        out = torch.logaddexp(a * (math.log(10) / 10), c * (math.log(10) / 10)) * (10 / math.log(10))
    else:
        out = lam * x + (1 - lam) * x[perm]
    return out, torch.full((b,), lam, device=x.device), perm


def run_fold(cfg, data, init, test_fold, seed, device):
    x, y, folds = data
    train = folds != test_fold
    xt, yt = x[train], y[train]
    mean, std = float(xt.mean()), float(xt.std(unbiased=False))
    torch.manual_seed(seed * 100 + test_fold)
    g = torch.Generator(device=device)
    g.manual_seed(seed * 100 + test_fold)
    nrng = np.random.default_rng(seed * 100 + test_fold)
    model = build(cfg, init, mean, std, int(y.max()) + 1, device)
    head = [p for n, p in model.named_parameters() if n.startswith("fc.")]
    body = [p for n, p in model.named_parameters() if not n.startswith("fc.")]
    groups = [{"params": body, "lr": cfg["lr"] * cfg["backbone_lr"]}, {"params": head, "lr": cfg["lr"]}]
    if cfg["opt"] == "sgd":
        opt = torch.optim.SGD(groups, lr=cfg["lr"], momentum=0.9, nesterov=True, weight_decay=cfg["wd"])
    else:
        opt = torch.optim.AdamW(groups, lr=cfg["lr"], weight_decay=cfg["wd"])
    base_lrs = [group["lr"] for group in opt.param_groups]
    n = len(yt)
    for epoch in range(cfg["epochs"]):
        # Cosine to zero over the epochs (stepped per epoch, as CosineAnnealingLR in the trainer), linear warm-up first.
        factor = 0.5 * (1 + math.cos(math.pi * epoch / cfg["epochs"]))
        if epoch < cfg["warmup"]:
            factor *= (epoch + 1) / (cfg["warmup"] + 1)
        for group, base in zip(opt.param_groups, base_lrs):
            group["lr"] = base * factor
        model.train()
        order = torch.randperm(n, device=device, generator=g)
        for start in range(0, n, cfg["batch"]):
            idx = order[start:start + cfg["batch"]]
            xb = augment(xt[idx], cfg, mean, g)
            yb = yt[idx]
            xb, lam, perm = mix(xb, cfg, g, nrng)
            logits = model(xb.unsqueeze(1))
            ce = F.cross_entropy(logits, yb, reduction="none", label_smoothing=cfg["label_smoothing"])
            if lam is not None:
                ce = lam * ce + (1 - lam) * F.cross_entropy(logits, yb[perm], reduction="none", label_smoothing=cfg["label_smoothing"])
            loss = ce.mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    model.eval()
    test = folds == test_fold
    xs, ys = x[test], y[test]
    result = {}
    with torch.no_grad():
        p = F.softmax(model(xs.unsqueeze(1)), 1)
        result["accuracy"] = float((p.argmax(1) == ys).float().mean())
        result["quieter"] = float((model((xs - 20).unsqueeze(1)).argmax(1) == ys).float().mean())
        # Test-time averaging over four circular time shifts of the window (a multi-crop stand-in).
        q = sum(F.softmax(model(torch.roll(xs, s, 2).unsqueeze(1)), 1) for s in (0, 54, 108, 162))
        result["tta_roll"] = float((q.argmax(1) == ys).float().mean())
        result["wrong"] = [[int(t), int(pr)] for t, pr in zip(ys.tolist(), p.argmax(1).tolist()) if t != pr]
    return result


def worker(job):
    name, seed, deadline, data_path, init_path = job
    if time.time() > deadline:
        return {"variant": name, "seed": seed, "skipped": True}
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.set_num_threads(2)
    torch.backends.cudnn.benchmark = True
    try:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    except Exception:
        pass
    global _cache
    if "_cache" not in globals():
        d = np.load(data_path)
        x = torch.from_numpy(d["x"].astype(np.float32)).to(device)
        data = (x, torch.from_numpy(d["y"].astype(np.int64)).to(device), torch.from_numpy(d["folds"].astype(np.int64)).to(device))
        init = {k: v for k, v in np.load(init_path).items()}
        _cache = (data, init)
    data, init = _cache
    cfg = dict(BASE, **VARIANTS[name])
    if os.environ.get("SWEEP_EPOCHS"):
        cfg["epochs"] = int(os.environ["SWEEP_EPOCHS"])
    started = time.time()
    folds = sorted(set(data[2].tolist()))
    per_fold = {f: run_fold(cfg, data, init, f, seed, device) for f in folds}
    acc = [per_fold[f]["accuracy"] for f in folds]
    return {"variant": name, "seed": seed, "folds": acc, "mean": float(np.mean(acc)),
            "quieter": float(np.mean([per_fold[f]["quieter"] for f in folds])),
            "tta_roll": float(np.mean([per_fold[f]["tta_roll"] for f in folds])),
            "wrong": {str(f): per_fold[f]["wrong"] for f in folds}, "seconds": round(time.time() - started, 1)}


def pack(inputs, target):
    x = np.load(os.path.join(inputs, "inputs.npy"))
    np.savez_compressed(target, x=x.astype(np.float16), y=np.load(os.path.join(inputs, "labels.npy")).astype(np.int64),
                        folds=np.load(os.path.join(inputs, "folds.npy")).astype(np.int64))
    print(f"{x.shape[0]} clips -> {target}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pack", nargs=2, metavar=("INPUTS_DIR", "NPZ"), help="pack an `audioclf-train inputs` folder and exit")
    p.add_argument("--data")
    p.add_argument("--init")
    p.add_argument("--out")
    p.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103])
    p.add_argument("--variants", nargs="+", default=list(VARIANTS))
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--budget", type=float, default=300, help="seconds after which no new run starts")
    a = p.parse_args()
    if a.pack:
        pack(*a.pack)
        return
    if not (a.data and a.init and a.out):
        p.error("--data, --init and --out are needed (or --pack)")
    os.makedirs(a.out, exist_ok=True)
    deadline = time.time() + a.budget
    # Seed-major order: every variant gets its first seed before any gets a second, so a cut-short sweep stays balanced.
    jobs = [(v, s, deadline, a.data, a.init) for s in a.seeds for v in a.variants]
    results = []
    ctx = mp.get_context("spawn")
    with ctx.Pool(a.workers) as pool, open(os.path.join(a.out, "results.jsonl"), "a") as log:
        for r in pool.imap_unordered(worker, jobs):
            results.append(r)
            log.write(json.dumps(r) + "\n")
            log.flush()
            if not r.get("skipped"):
                print(f"{r['variant']:<24} seed {r['seed']}: {100 * r['mean']:.2f} % folds {[round(100 * f, 2) for f in r['folds']]} "
                      f"quieter {100 * r['quieter']:.2f} tta {100 * r['tta_roll']:.2f} ({r['seconds']} s)", flush=True)
    print("\nvariant                   seeds  mean %   per seed                 quieter %  tta-roll %")
    for v in a.variants:
        rs = [r for r in results if r["variant"] == v and not r.get("skipped")]
        if not rs:
            print(f"{v:<24} no run finished")
            continue
        m = [100 * r["mean"] for r in rs]
        print(f"{v:<24} {len(rs):>5}  {np.mean(m):6.2f}   {' '.join(f'{x:6.2f}' for x in m):<24} "
              f"{np.mean([100 * r['quieter'] for r in rs]):8.2f}  {np.mean([100 * r['tta_roll'] for r in rs]):8.2f}")


if __name__ == "__main__":
    main()
