# SPDX-License-Identifier: GPL-2.0-or-later
"""What `seqnest tune` adds to the runs of its trials.

    python bench/tune_overhead.py [--trials 6] [--workers 1] [--episodes 40] [--n-E 150]
                                  [--pruner] [--repeats 2]

Runs a search of set I's two learning rates (objective: tail_error_mean, one seed
per trial) with `seqnest.tune`, the code of the command, into a temporary
directory; then the same configurations as a plain sweep (`seqnest.sweep`, its
`vary.points` the trials' values) into another; ``--repeats`` times, alternating.
Two figures of the tuner's cost per trial:

- measured by the search itself (``cost`` in its summary.json): the seconds worker
  slots waited for the client (bookkeeping of a finished point, the sampler's next
  trial) plus the seconds the points spent in their pruning monitor, against the
  points' own time;
- the difference of the wall times, search against sweep (the median over the
  repeats; noisy: runs of the same configuration differ by several percent).

With ``--pruner`` every point also reports its curve to the study after each
episode and asks a pruner (a threshold no curve crosses, so that the same runs are
compared): the cost of pruning's bookkeeping.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def _once(tmp: Path, args) -> tuple[float, float, dict]:
    """One search and the plain sweep of its trials' values: both wall times, the
    search's summary."""
    import seqnest
    spec = tmp / "search.yaml"
    spec.write_text(json.dumps({
        "task": "set1", "episodes": args.episodes,
        "config": {"network": {"n_E": args.n_E, "rho": max(1, args.n_E * 20 // 150)}},
        "search": {"synapse.lambda_plus": {"low": 0.02, "high": 0.3, "log": True},
                   "synapse.lambda_minus": {"low": 0.0005, "high": 0.005}},
        "objective": {"key": "tail_error_mean", "direction": "minimize"},
        "seeds": [1], "trials": args.trials,
        **({"pruner": {"type": "threshold", "upper": 2.0}} if args.pruner else {})}))
    spec = spec.rename(spec.with_suffix(".json"))
    started = time.perf_counter()
    summary = seqnest.tune(spec, tmp / "study", workers=args.workers)
    tuned = time.perf_counter() - started
    import optuna

    from seqnest.sequences.tune_pruning import journal_storage
    study = optuna.load_study(study_name="seqnest",
                              storage=journal_storage(tmp / "study" / "study.journal"))
    plain = json.loads(spec.read_text())
    plain.pop("search"), plain.pop("objective"), plain.pop("trials")
    plain.pop("pruner", None)
    plain["vary"] = {"points": [t.params for t in study.trials], "seeds": plain.pop("seeds")}
    sweep_spec = tmp / "sweep.json"
    sweep_spec.write_text(json.dumps(plain))
    started = time.perf_counter()
    seqnest.sweep(sweep_spec, tmp / "sweep", workers=args.workers)
    return tuned, time.perf_counter() - started, summary


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=6)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--episodes", type=int, default=40)
    p.add_argument("--n-E", type=int, default=150)
    p.add_argument("--pruner", action="store_true",
                   help="report every episode to a pruner that never stops a trial")
    p.add_argument("--repeats", type=int, default=2, help="searches and sweeps, alternating")
    args = p.parse_args(argv)

    import statistics

    import seqnest
    seqnest.build()
    walls, costs = [], []
    for repeat in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            tuned, plain_wall, summary = _once(Path(tmp), args)
        n = summary["trials"]
        walls.append((tuned - plain_wall) / n)
        costs.append(summary["cost"])
        print(f"repeat {repeat + 1}: seqnest tune {tuned:.1f} s, the same {n} runs as a sweep "
              f"{plain_wall:.1f} s ({plain_wall / n:.2f} s per run); the search's own "
              f"cost {summary['cost']['per_trial_s']:.3f} s per trial "
              f"(slots waiting for the client {summary['cost']['client_wait_s']:.2f} s, monitors "
              f"{summary['cost']['monitor_s']:.2f} s in all)", flush=True)
    print(f"{args.trials} trials, {args.workers} worker(s), set I, n_E = {args.n_E}, "
          f"{args.episodes} episodes" + (", every episode reported to a pruner"
                                          if args.pruner else ""))
    own = statistics.median(c["per_trial_s"] for c in costs)
    share = statistics.median(c["percent_of_runs"] for c in costs)
    print(f"tuner per trial, measured by the search: {own:.3f} s = {share:.2f} % of its runs")
    print(f"tuner per trial, search wall - sweep wall: median {statistics.median(walls):.2f} s "
          f"(repeats: {', '.join(f'{w:.2f}' for w in walls)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
