# SPDX-License-Identifier: GPL-2.0-or-later
"""What `seqnest tune` adds to the runs of its trials.

    python bench/tune_overhead.py [--trials 6] [--workers 1] [--episodes 40] [--n-E 150]
                                  [--pruner]

Runs a search of set I's two learning rates (objective: tail_error_mean, one seed
per trial) with `seqnest.tune`, the code of the command, into a temporary
directory; then the same configurations as a plain sweep (`seqnest.sweep`, its
`vary.points` the trials' values) into another. The difference of the wall times
per trial is the tuner's cost: the sampler, the journal, and a sweep call (reuse
scan, results.csv) per batch of trials. With ``--pruner`` every point also reports
its curve to the study after each episode and asks a pruner (a threshold no curve
crosses, so that the same runs are compared): the cost of pruning's bookkeeping.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=6)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--episodes", type=int, default=40)
    p.add_argument("--n-E", type=int, default=150)
    p.add_argument("--pruner", action="store_true",
                   help="report every episode to a pruner that never stops a trial")
    args = p.parse_args(argv)

    import seqnest
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "search.yaml"
        spec.write_text(json.dumps({
            "task": "set1", "episodes": args.episodes,
            "config": {"network": {"n_E": args.n_E, "rho": max(1, args.n_E * 20 // 150)}},
            "search": {"synapse.lambda_plus": {"low": 0.02, "high": 0.3, "log": True},
                       "synapse.lambda_minus": {"low": 0.0005, "high": 0.005}},
            "objective": {"key": "tail_error_mean", "direction": "minimize"},
            "seeds": [1], "trials": args.trials,
            **({"pruner": {"type": "threshold", "upper": 2.0}} if args.pruner else {})}))
        spec = spec.rename(spec.with_suffix(".json"))
        seqnest.build()
        started = time.perf_counter()
        summary = seqnest.tune(spec, Path(tmp) / "study", workers=args.workers)
        tuned = time.perf_counter() - started
        import optuna
        from optuna.storages.journal import JournalFileBackend, JournalStorage
        study = optuna.load_study(study_name="seqnest", storage=JournalStorage(
            JournalFileBackend(str(Path(tmp) / "study" / "study.journal"))))
        plain = json.loads(spec.read_text())
        plain.pop("search"), plain.pop("objective"), plain.pop("trials")
        plain.pop("pruner", None)
        plain["vary"] = {"points": [t.params for t in study.trials],
                         "seeds": plain.pop("seeds")}
        sweep_spec = Path(tmp) / "sweep.json"
        sweep_spec.write_text(json.dumps(plain))
        started = time.perf_counter()
        swept = seqnest.sweep(sweep_spec, Path(tmp) / "sweep", workers=args.workers)
        plain_wall = time.perf_counter() - started
    n = summary["trials"]
    overhead = (tuned - plain_wall) / n
    print(f"{n} trials, {args.workers} worker(s), set I, n_E = {args.n_E}, "
          f"{args.episodes} episodes" + (", every episode reported to a pruner"
                                          if args.pruner else ""))
    print(f"seqnest tune {tuned:.1f} s; the same {swept['ran']} runs as a sweep "
          f"{plain_wall:.1f} s ({plain_wall / n:.2f} s per run)")
    print(f"tuner per trial: {overhead:.2f} s = {100 * overhead / (plain_wall / n):.1f} % "
          "of a trial")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
