#!/usr/bin/env python3
"""Paired parity summary: reads same_start.sh's results.jsonl and prints, per seed, both frameworks' held-out accuracy
and their difference, then the means over the seeds asked for, the mean paired difference (first framework - second:
C# - PyTorch by default), its standard
error and 95 % interval (Student's t), so the docs' tables and verdicts come from one command.

Usage: scripts/parity/summarise.py /tmp/same/results.jsonl [--seeds 1-18] [--frameworks audioclf-train pytorch]
(--frameworks names the two "framework" values to pair, first minus second: e.g. pytorch-2.6 for the PyTorch 2.6 runs.)
"""
import argparse
import json
import math
import statistics


def t_quantile(p, df):
    """Student's t quantile by bisection on a numerically integrated density (stdlib only; df >= 1)."""
    def cdf(x):
        # Simpson's rule from 0 to x on the density; symmetric about 0.
        c = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)
        f = lambda t: c * (1 + t * t / df) ** (-(df + 1) / 2)
        n = 2000
        h = x / n
        s = f(0) + f(x) + sum((4 if i % 2 else 2) * f(i * h) for i in range(1, n))
        return 0.5 + s * h / 3
    lo, hi = 0.0, 100.0
    for _ in range(100):
        mid = (lo + hi) / 2
        (lo, hi) = (mid, hi) if cdf(mid) < p else (lo, mid)
    return (lo + hi) / 2


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("--seeds", help="first-last (default: every seed both frameworks finished)")
    parser.add_argument("--frameworks", nargs=2, default=["audioclf-train", "pytorch"], metavar=("FIRST", "SECOND"),
                        help="the two frameworks to pair; the difference is FIRST - SECOND")
    args = parser.parse_args()
    runs = {}
    with open(args.results) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                seed, framework = int(r["seed"]), r["framework"]
                # same_start.sh appends: a second result for a seed would be a rerun, which the rules do not allow.
                if framework in runs.get(seed, {}):
                    raise SystemExit(f"seed {seed} has two {framework} results: a rerun; keep the first and remove the other by hand")
                runs.setdefault(seed, {})[framework] = float(r["accuracy"])
    first_name, second_name = args.frameworks
    seeds = sorted(s for s, r in runs.items() if {first_name, second_name} <= r.keys())
    if args.seeds:
        first, last = (int(x) for x in args.seeds.split("-"))
        missing = [s for s in range(first, last + 1) if s not in seeds]
        if missing:
            raise SystemExit(f"seeds without both frameworks' results: {missing}")
        seeds = list(range(first, last + 1))
    if len(seeds) < 2:
        raise SystemExit("at least two paired seeds are needed")
    firsts = [runs[s][first_name] for s in seeds]
    seconds = [runs[s][second_name] for s in seeds]
    diff = [a - b for a, b in zip(firsts, seconds)]
    w1, w2 = max(len(first_name), 7), max(len(second_name), 7)
    print(f"seed  {first_name:>{w1}}  {second_name:>{w2}}  difference")
    for s, a, b, d in zip(seeds, firsts, seconds, diff):
        print(f"{s:4d}  {a:{w1}.2f}  {b:{w2}.2f}  {d:+10.2f}")
    n = len(seeds)
    mean, sd = statistics.mean(diff), statistics.stdev(diff)
    se = sd / math.sqrt(n)
    half = t_quantile(0.975, n - 1) * se
    print(f"seeds {seeds[0]}-{seeds[-1]} ({n} pairs): {first_name} {statistics.mean(firsts):.2f} % (sd {statistics.stdev(firsts):.2f}), "
          f"{second_name} {statistics.mean(seconds):.2f} % (sd {statistics.stdev(seconds):.2f})")
    print(f"mean difference {mean:+.2f} points, sd {sd:.2f}, standard error {se:.2f}, 95 % interval [{mean - half:+.2f}, {mean + half:+.2f}]")
    print(f"mean difference over seeds {seeds[0]}-{seeds[-1]} within 1 point: {'yes' if abs(mean) <= 1 else 'no'}")


if __name__ == "__main__":
    main()
