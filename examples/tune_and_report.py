# SPDX-License-Identifier: GPL-2.0-or-later
"""Search parameters with Optuna from a tune spec and write the study's report, from Python.

The study lives in --out (Optuna's journal): run the script again to continue it,
or with a larger --trials to extend it. The same as ``seqnest tune SPEC --out
DIR`` then ``seqnest report DIR``.

    python examples/tune_and_report.py --spec examples/tune_learning_rates.yaml \\
        --out runs/tune-set1 [--trials 16] [--workers 2]
"""
import argparse
from pathlib import Path

import seqnest


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--spec", default=str(Path(__file__).with_name("tune_learning_rates.yaml")))
    p.add_argument("--out", default="runs/tune-set1", help="tune directory")
    p.add_argument("--trials", type=int, default=None, help="trials (default: the spec's)")
    p.add_argument("--workers", type=int, default=2, help="local worker processes")
    args = p.parse_args()

    summary = seqnest.tune(args.spec, args.out, trials=args.trials, workers=args.workers,
                           progress=True)
    print(f"{summary['trials']} trials: {summary['complete']} complete, "
          f"{summary['pruned']} pruned, {summary['ran']} run now")
    best = summary["best"]
    if best is not None:
        print(f"best of the search: trial {best['number']}, objective {best['value']:.3g}, "
              + ", ".join(f"{k} = {v:.3g}" for k, v in best["params"].items()))
    chosen = (summary.get("validation") or {}).get("best")
    if chosen is not None:
        print(f"best on the unseen seeds: trial {chosen['trial']}, {chosen['mean']:.3g}")
    if best is not None:
        print(f"its values: {Path(args.out) / 'best_config.json'} "
              "(seqnest learn --task ... --config)")
    print(f"report: {seqnest.report(args.out)}")


if __name__ == "__main__":   # dask workers import this file
    main()
