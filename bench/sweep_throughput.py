# SPDX-License-Identifier: GPL-2.0-or-later
"""Sweep throughput: points per minute with 1 and 2 local Dask workers.

    python bench/sweep_throughput.py [--points 6] [--episodes 10]

Runs the same sweep (set I, n_E = 150, ``--episodes`` episodes, seeds 1..N, one
NEST thread per point) into fresh directories with 1 and then 2 worker
processes, and prints the wall time, points per minute and the ratio. The
module is built (or found in the cache) before timing.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from seqnest.sequences.sweep import load_spec, run_sweep

SPEC = """
task: set1
episodes: {episodes}
vary:
  seeds: [{seeds}]
cluster:
  threads: 1
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--points", type=int, default=6)
    p.add_argument("--episodes", type=int, default=10)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = p.parse_args(argv)
    from seqnest.pynest_ext.buildcache import build
    build()
    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spec.yaml"
        path.write_text(SPEC.format(episodes=args.episodes,
                                    seeds=", ".join(str(s) for s in range(1, args.points + 1))))
        spec = load_spec(path)
        for n in args.workers:
            t0 = time.perf_counter()
            summary = run_sweep(spec, Path(tmp) / f"w{n}", workers=n, progress=False)
            dt = time.perf_counter() - t0
            if summary["failed"]:
                print(f"{n} workers: {len(summary['failed'])} points failed", file=sys.stderr)
                return 1
            rates[n] = summary["ran"] / dt * 60
            print(f"{n} worker(s): {summary['ran']} points in {dt:.1f} s = "
                  f"{rates[n]:.2f} points/min")
    if 1 in rates and 2 in rates:
        print(f"ratio 2 workers / 1 worker: {rates[2] / rates[1]:.2f} (goal >= 1.7)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
