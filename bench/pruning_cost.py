# SPDX-License-Identifier: GPL-2.0-or-later
"""What pruning costs a point per episode: the monitor of a search's point
(`seqnest.sequences.tune_pruning.TrialMonitor`, the code the points of
`seqnest tune` run) against a study journal that already holds finished trials.

    python bench/pruning_cost.py [--finished 100] [--episodes 80] [--seeds 3]

Per episode the monitor appends the point's curve value and the trial's
intermediate value to the journal (a file with a lock), reads what others
appended, and asks Optuna's median pruner, which looks at every finished trial.
Compare the figure with the time of one episode of your runs (set I at n_E = 150:
about 160 ms; a pattern-sequence iteration: about 1 s).
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--finished", type=int, default=100, help="finished trials in the study")
    p.add_argument("--episodes", type=int, default=80)
    p.add_argument("--seeds", type=int, default=3, help="seeds per trial")
    args = p.parse_args(argv)

    import optuna

    from seqnest.sequences.tune_pruning import (PointWatch, PrunerSpec, TrialMonitor,
                                                journal_storage)
    with tempfile.TemporaryDirectory() as tmp:
        journal = os.path.join(tmp, "study.journal")
        study = optuna.create_study(study_name="seqnest", storage=journal_storage(journal))
        for _ in range(args.finished):                 # finished trials: error 1/k
            trial = study.ask()
            for k in range(1, args.episodes + 1):
                trial.report(1.0 / k, k)
            study.tell(trial, 1.0 / args.episodes)
        trial = study.ask()                            # a better one: never pruned
        spec = PrunerSpec("median", "error", "minimize", warmup_episodes=1, startup_trials=1)
        monitor = TrialMonitor(PointWatch(journal, trial.number, 1,
                                          tuple(range(1, args.seeds + 1)), spec, "minimize"))
        started = time.perf_counter()
        for k in range(1, args.episodes + 1):
            monitor(k, {"error": 0.5 / k})
        per_episode = (time.perf_counter() - started) / args.episodes
        size = os.path.getsize(journal)
    print(f"monitor: {per_episode * 1e3:.2f} ms per episode ({args.finished} finished trials "
          f"of {args.episodes} episodes in the journal, {size / 1e6:.1f} MB; median pruner)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
