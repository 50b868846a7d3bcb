#!/usr/bin/env python3
"""Two open-set scores combined, by the protocol of scripts/open-set-cv.sh, from the fold CSVs it leaves.

Each fold.csv (calibrate --scores: path, label, set, score, best probability, predicted label) holds the training
similarity (column 4), the best calibrated probability (column 5) and the label the answer names (column 6; older
files without it skip the per-label score) of the fold's held-out clips (label set) and of the out-of-domain clips
(label empty). For held-out fold f, each score of a clip becomes an empirical in-domain p-value: the fraction of the
OTHER folds' held-out clips that score no higher on it (for one of those clips itself, the fraction of the others). The combined score is the smaller p-value (or, reported beside
it, their product). The per-label score is the best probability's p-value among the other folds' held-out clips given
the same label (all of them for a label with fewer than 8). As in open-set-cv.sh, fold f's threshold is the largest that rejects at most 4 % of the other folds'
held-out clips on that score, and the rates are measured on fold f's own clips, which chose nothing; no out-of-domain
clip is used to build any score or threshold.

Usage: scripts/open-set-combined.py OUT-DIR   (the out-dir open-set-cv.sh wrote, with SCORE=probability)
"""
import bisect
import csv
import glob
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


if __name__ == "__main__":
    main()
