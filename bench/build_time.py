# SPDX-License-Identifier: GPL-2.0-or-later
"""Print the cold and the cached build time of the NESTML model module.

    python bench/build_time.py [--runs N]

The cold build uses an empty temporary cache (code generation + compilation,
exactly what a first `seqnest build` does); the cached build repeats the call
against the filled cache. Each cold run compiles from scratch.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="cold builds to time (default 1)")
    parser.add_argument("--cached-runs", type=int, default=20, help="cached look-ups to time")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.cached_runs < 1:
        parser.error("--runs and --cached-runs must be >= 1")

    from seqnest.pynest_ext.buildcache import build

    cold, cached = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="seqnest-bench-") as cache:
            os.environ["SEQNEST_CACHE_DIR"] = cache
            first = build()
            assert first.compiled
            cold.append(first.seconds)
            for _ in range(args.cached_runs):
                again = build()
                assert not again.compiled
                cached.append(again.seconds)
    print(f"cores available:      {len(os.sched_getaffinity(0))}")
    print(f"cold build (s):       median {statistics.median(cold):.1f}  "
          f"min {min(cold):.1f}  max {max(cold):.1f}  (n={len(cold)})")
    print(f"cached build (ms):    median {1e3 * statistics.median(cached):.1f}  "
          f"max {1e3 * max(cached):.1f}  (n={len(cached)})")
    print(f"speed-up:             {statistics.median(cold) / statistics.median(cached):.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
