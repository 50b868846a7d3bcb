#!/usr/bin/env python3
"""Two open-set scores combined, by the protocol of scripts/open-set-cv.sh, from the fold CSVs it leaves.

Each fold.csv (calibrate --scores: path, label, set, score, best probability, predicted label) holds the training
similarity (column 4), the best calibrated probability (column 5) and the label the answer names (column 6; older
files without it skip the per-label score) of the fold's held-out clips (label set) and of the out-of-domain clips
(label empty). For held-out fold f, each score of a clip becomes an empirical in-domain p-value: the fraction of the
OTHER folds' held-out clips that score no higher on it (for one of those clips itself, the fraction of the others).
The combined score is the smaller p-value (or, reported beside it, their product). The per-label score is the best
probability's p-value among the other folds' held-out clips given the same label (all of them for a label with fewer
than 8). As in open-set-cv.sh, fold f's threshold is the largest that rejects at most 4 % of the other folds'
held-out clips on that score, and the rates are measured on fold f's own clips, which chose nothing; no out-of-domain
clip is used to build any score or threshold.

With every label's uncalibrated probability in the files (columns 7 on, "p:<label>"), it also compares two ways of
giving a model trained on every fold its temperature: the mean of the folds' own fits (each on about 40 clips, what
open-set-cv.sh prints) and one fit on the pooled clips the folds fitted on. For each fold, both come from the OTHER
folds only and are judged by the negative log-likelihood and expected calibration error of the fold's own clips.

Usage: scripts/open-set-combined.py OUT-DIR   (the out-dir open-set-cv.sh wrote, with SCORE=probability)
"""
import bisect
import csv
import glob
import json
import math
import os
import re
import sys

REJECT_AT_MOST = 0.04
MIN_PER_LABEL = 8


def read_fold(path):
    """(in-domain rows, out-of-domain rows), each a list of (similarity, probability, predicted label or None)."""
    ins, oods = [], []
    with open(path, newline="") as f:
        rows = csv.reader(f)
        next(rows)
        for row in rows:
            clip = (float(row[3]), float(row[4]), row[5] if len(row) > 5 else None)
            (ins if row[1] else oods).append(clip)
    return ins, oods


def threshold(scores):
    """The largest threshold rejecting (score < t) at most 4 % of these scores (open-set-cv.sh's rule, which prints
    it to six decimals)."""
    s = sorted(scores)
    t = round(s[int(REJECT_AT_MOST * len(s))] - 1e-6, 6)
    return max(t, -1.0)


def auroc(ins, oods):
    """P(an in-domain score is above an out-of-domain one), ties counted half."""
    values = sorted([(v, 1) for v in ins] + [(v, 0) for v in oods])
    rank_sum, i = 0.0, 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1][0] == values[i][0]:
            j += 1
        rank = (i + j) / 2 + 1
        rank_sum += sum(rank for k in range(i, j + 1) if values[k][1])
        i = j + 1
    n1, n0 = len(ins), len(oods)
    return (rank_sum - n1 * (n1 + 1) / 2) / (n1 * n0)


def p_value(reference_sorted, x, member=False):
    """Fraction of the reference scores no higher than x; for a member of the reference (member=True), of the OTHER
    reference scores, so that a reference clip and a new clip are measured alike (a clip does not count itself)."""
    if member:
        return (bisect.bisect_right(reference_sorted, x) - 1) / (len(reference_sorted) - 1)
    return bisect.bisect_right(reference_sorted, x) / len(reference_sorted)


def calibrated(probabilities, temperature):
    """The engine's calibration: each probability's log divided by the temperature, then normalised."""
    logs = [math.log(max(p, 1e-30)) / temperature for p in probabilities]
    top = max(logs)
    e = [math.exp(v - top) for v in logs]
    return [v / sum(e) for v in e]


def nll(clips, temperature):
    return sum(-math.log(max(calibrated(p, temperature)[y], 1e-12)) for p, y in clips) / len(clips)


def ece(clips, temperature, bins=15):
    rows = []
    for p, y in clips:
        q = calibrated(p, temperature)
        best = q.index(max(q))
        rows.append((q[best], 1.0 if best == y else 0.0))
    total = 0.0
    for b in range(bins):
        inside = [r for r in rows if b / bins < r[0] <= (b + 1) / bins]
        if inside:
            total += len(inside) / len(rows) * abs(sum(r[0] for r in inside) / len(inside) - sum(r[1] for r in inside) / len(inside))
    return total


def fit_temperature(clips):
    """The temperature minimising the clips' negative log-likelihood (OpenSetFitter.FitTemperature's search)."""
    lo, hi, phi = math.log(0.05), math.log(20), (math.sqrt(5) - 1) / 2
    a, b = hi - phi * (hi - lo), lo + phi * (hi - lo)
    fa, fb = nll(clips, math.exp(a)), nll(clips, math.exp(b))
    for _ in range(60):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - phi * (hi - lo)
            fa = nll(clips, math.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + phi * (hi - lo)
            fb = nll(clips, math.exp(b))
    return round(math.exp((lo + hi) / 2), 4)


def read_probabilities(path):
    """[(set, [uncalibrated probabilities], true label index)] of the in-domain rows, or None without the columns."""
    with open(path, newline="") as f:
        rows = csv.reader(f)
        header = next(rows)
        labels = [h[2:] for h in header[6:] if h.startswith("p:")]
        if not labels:
            return None
        return [(row[2], [float(v) for v in row[6:6 + len(labels)]], labels.index(row[1])) for row in rows if row[1]]


def temperatures(out, folds):
    data = {f: read_probabilities(os.path.join(out, f"fold{f}.csv")) for f in folds}
    if any(d is None for d in data.values()):
        return
    fitted = {f: json.load(open(os.path.join(out, f"fold{f}.json")))["temperature"] for f in folds}
    print()
    print("fold	mean of the other folds' fits	NLL	ECE	one fit on their pooled fitting clips	NLL	ECE")
    for f in folds:
        mean = round(sum(fitted[g] for g in folds if g != f) / (len(folds) - 1), 4)
        pooled = fit_temperature([(p, y) for g in folds if g != f for kind, p, y in data[g] if kind == "fit"])
        own = [(p, y) for _, p, y in data[f]]
        print(f"{f}	{mean}	{nll(own, mean):.6f}	{ece(own, mean):.4f}	{pooled}	{nll(own, pooled):.6f}	{ece(own, pooled):.4f}")
    everything = [(p, y) for f in folds for kind, p, y in data[f] if kind == "fit"]
    print(f"all folds: the folds' fits {' / '.join(str(fitted[f]) for f in folds)}, their mean "
          f"{round(sum(fitted.values()) / len(folds), 4)}; one fit on their {len(everything)} pooled fitting clips {fit_temperature(everything)}")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    folds = sorted(int(m.group(1)) for p in glob.glob(os.path.join(out, "fold*.csv"))
                   if (m := re.fullmatch(r"fold(\d+)\.csv", os.path.basename(p))))
    if len(folds) < 2:
        sys.exit(f"{out}: fewer than two fold CSVs")
    data = {f: read_fold(os.path.join(out, f"fold{f}.csv")) for f in folds}
    with_labels = all(c[2] is not None for f in folds for part in data[f] for c in part)
    kinds = ["probability", "similarity", "min p-value", "product of p-values"] + (["probability per label"] if with_labels else [])
    totals = {k: [0, 0, 0, 0] for k in kinds}
    print("score\tfold\tthreshold\tin-domain not recognised\tout-of-domain not recognised\tAUROC")
    per_fold_auroc = {k: [] for k in kinds}
    for f in folds:
        reference = [clip for g in folds if g != f for clip in data[g][0]]
        ref_sim = sorted(c[0] for c in reference)
        ref_prob = sorted(c[1] for c in reference)
        by_label = {}
        for c in reference:
            by_label.setdefault(c[2], []).append(c[1])
        by_label = {k: sorted(v) for k, v in by_label.items() if len(v) >= MIN_PER_LABEL}

        def score(kind, clip, member):
            sim, prob, label = clip
            if kind == "probability":
                return prob
            if kind == "similarity":
                return sim
            if kind == "probability per label":
                return p_value(by_label.get(label, ref_prob), prob, member)
            p_sim, p_prob = p_value(ref_sim, sim, member), p_value(ref_prob, prob, member)
            return min(p_sim, p_prob) if kind == "min p-value" else p_sim * p_prob

        def scored(clips, kind, member=False):
            return [score(kind, c, member) for c in clips]

        ins, oods = data[f]
        for kind in kinds:
            t = threshold(scored(reference, kind, member=True))
            s_in, s_ood = scored(ins, kind), scored(oods, kind)
            r_in, r_ood = sum(v < t for v in s_in), sum(v < t for v in s_ood)
            a = auroc(s_in, s_ood)
            per_fold_auroc[kind].append(a)
            tot = totals[kind]
            tot[0] += r_in; tot[1] += len(s_in); tot[2] += r_ood; tot[3] += len(s_ood)
            print(f"{kind}\t{f}\t{t:.6f}\t{r_in / len(s_in):.4f} ({r_in} of {len(s_in)})\t"
                  f"{r_ood / len(s_ood):.4f} ({r_ood} of {len(s_ood)})\t{a:.4f}")
    print()
    print("score\tin-domain not recognised\tout-of-domain not recognised\tAUROC (mean of folds)\tAUROC per fold")
    for kind, (r_in, n_in, r_ood, n_ood) in totals.items():
        aurocs = per_fold_auroc[kind]
        print(f"{kind}\t{r_in / n_in:.4f} ({r_in} of {n_in})\t{r_ood / n_ood:.4f} ({r_ood} of {n_ood})\t"
              f"{sum(aurocs) / len(aurocs):.4f}\t{' / '.join(f'{a:.3f}' for a in aurocs)}")
    temperatures(out, folds)


if __name__ == "__main__":
    main()
