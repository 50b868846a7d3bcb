#!/usr/bin/env python3
"""Accuracy per held-out fold of averaged predictions: test-time rolls and/or ensembles of fold models.

Reads `audioclf classify -k <classes>` CSVs named <prefix>out-f<fold>-r<roll>.csv in a folder, where each clip's path
ends in .../<'NNN - Label'>/<file> (the true label), averages every class probability over the given prefixes (models)
and rolls, and prints the accuracy of each fold and their mean ± sample std.
Usage: scripts/average-predictions.py DIR --models PREFIX [PREFIX ...] --rolls R [R ...] [--folds 1 2 3 4]
"""
import argparse, collections, csv, statistics

parser = argparse.ArgumentParser()
parser.add_argument("dir")
parser.add_argument("--models", nargs="+", required=True, help="file-name prefixes of each model's CSVs ('' for none)")
parser.add_argument("--rolls", nargs="+", type=int, default=[0])
parser.add_argument("--folds", nargs="+", type=int, default=[1, 2, 3, 4])
a = parser.parse_args()

accuracies = []
for fold in a.folds:
    totals = collections.defaultdict(collections.Counter)
    for model in a.models:
        for roll in a.rolls:
            with open(f"{a.dir}/{model}out-f{fold}-r{roll}.csv", newline="") as f:
                for row in csv.DictReader(f):
                    parts = row["path"].split("/")
                    clip = (parts[-2], parts[-1])
                    k = 1
                    while (f"label_{k}" if k > 1 else "label") in row:
                        label, score = row[f"label_{k}" if k > 1 else "label"], row[f"score_{k}" if k > 1 else "score"]
                        if label:
                            totals[clip][label] += float(score)
                        k += 1
    right = sum(c.most_common(1)[0][0] == folder.split(" - ", 1)[-1] for (folder, _), c in totals.items())
    accuracies.append(100 * right / len(totals))
print(" / ".join(f"{x:.2f}" for x in accuracies), f"mean {statistics.mean(accuracies):.2f} ± {statistics.stdev(accuracies):.2f}" if len(accuracies) > 1 else "")
