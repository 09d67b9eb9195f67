# SPDX-License-Identifier: GPL-2.0-or-later
"""Run a parameter sweep from its spec and write the sweep report, from Python.

Points already in --out are reused, so an interrupted sweep continues where it
stopped. The same as ``seqnest sweep SPEC --out DIR`` then ``seqnest report DIR``.

    python examples/sweep_and_report.py --spec examples/sweep_lambda_plus.yaml \\
        --out runs/sweep-lambda [--workers 2]
"""
import argparse
import csv
from pathlib import Path

import seqnest

def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--spec", default=str(Path(__file__).with_name("sweep_lambda_plus.yaml")))
    p.add_argument("--out", default="runs/sweep-lambda", help="sweep directory")
    p.add_argument("--workers", type=int, default=2, help="local worker processes")
    args = p.parse_args()

    summary = seqnest.sweep(args.spec, args.out, workers=args.workers, progress=True)
    print(f"{summary['points']} points: ran {summary['ran']}, reused {summary['reused']}, "
          f"failed {len(summary['failed'])}")
    with open(Path(args.out) / "results.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            print(f"  lambda_plus {row['synapse.lambda_plus']:>5}  seed {row['run.seed']}  "
                  f"final error {float(row['final_error']):.2f}")
    print(f"report: {seqnest.report(args.out)}")


if __name__ == "__main__":   # dask workers import this file
    main()
