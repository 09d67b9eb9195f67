# SPDX-License-Identifier: GPL-2.0-or-later
"""Running a study's trials on the sweep's cluster without idle workers.

Every worker runs one point (one trial on one seed) at a time. Whenever a worker
is free, the next point waiting is submitted; when none waits and the study wants
more trials, a new trial is asked (Optuna's constant liar sees the trials still
running) and its points join the queue. A trial is told to the study when its
last point is back. A point already complete in ``OUT/runs`` is reused; a point
another trial of the same values is running is waited for, not run twice.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqnest.sequences.rundir import RunDirError, check_free_space, read_json
from seqnest.sequences.sweep.points import Point, expand

__all__ = ["run_trials"]


@dataclass
class _Open:
    """A trial asked and not yet told: its values, its points still out, why any
    of them stopped or failed."""

    trial: Any
    values: dict
    points: list[Point]
    left: set[str]
    problems: dict[str, str] = field(default_factory=dict)


def run_trials(study, spec, runs: Path, target: int, running, finished: Callable[[], int],
               say: Callable[[str], None], progress: bool = False,
               local_workers: int | None = None) -> int:
    """Run trials of ``spec`` on ``running`` (a :class:`~seqnest.sequences.sweep.run.RunningCluster`)
    until ``finished()`` reaches ``target``; return the trials told here.
    ``local_workers``: the worker processes on this machine (their memory is checked
    per point), None on SLURM."""
    from distributed import as_completed
    from tqdm import tqdm

    from seqnest.sequences.rundir import remove_stale_temporaries
    from seqnest.sequences.sweep.results import write_results
    from seqnest.sequences.sweep.run import STOPPED, on_worker, point_failure
    from seqnest.sequences.tune import JOURNAL, _batch_spec, tell_trial
    from seqnest.sequences.tune_pruning import PointWatch, tune_point

    family = spec.sweep.family
    client, slots = running.client, running.slots
    queue: deque[Point] = deque()
    waiting: dict[str, list[int]] = {}         # point key -> trials waiting for it
    open_trials: dict[int, _Open] = {}
    futures: dict[Any, str] = {}
    seen: dict[str, Point] = {}                # this run's points, for results.csv
    rows: dict[str, dict] = {}
    failures: dict[str, dict] = {}
    told = 0
    bar = tqdm(total=max(0, target - finished()), desc="tune", unit="trial",
               disable=None if progress else True)
    journal = str(runs.parent / JOURNAL)

    def complete(key: str) -> bool:
        try:
            read_json(runs / key / "metrics.json")
            return True
        except RunDirError:
            return False

    def ask() -> None:
        trial = study.ask()
        values = {d.key: d.suggest(trial) for d in spec.dimensions}
        points = expand(_batch_spec(spec, [values]))
        remove_stale_temporaries(runs, {p.key for p in points})
        todo = [p for p in points if not complete(p.key)]
        fresh = [p for p in todo if p.key not in waiting]
        if local_workers is not None:
            for p in fresh:
                family.check_resources(p.config, local_workers)
        if fresh and family.run_bytes is not None:
            check_free_space(runs, sum(family.run_bytes(p.config) for p in fresh),
                             f"the run directories of trial {trial.number}")
        entry = _Open(trial, values, points, {p.key for p in todo})
        open_trials[trial.number] = entry
        for p in todo:
            seen[p.key] = p
            if p.key not in waiting:
                waiting[p.key] = []
                queue.append(p)
            waiting[p.key].append(trial.number)
        if not entry.left:                     # every point of it is complete already
            close(entry)

    def close(entry: _Open) -> None:
        nonlocal told
        del open_trials[entry.trial.number]
        tell_trial(study, spec, runs, entry.trial, entry.values, entry.problems, say)
        told += 1
        bar.update(1)

    def submit(p: Point) -> None:
        trial = open_trials[waiting[p.key][0]].trial
        watch = (PointWatch(journal, trial.number, int(p.config.run.seed), tuple(spec.seeds),
                            spec.pruner, spec.direction) if spec.pruner is not None else None)
        future = client.submit(on_worker, tune_point, watch, p.config.to_dict(),
                               str(runs / p.key), key=f"trial-{trial.number}-{p.key}",
                               pure=False)
        futures[future] = p.key
        results.add(future)

    def fill() -> None:
        while len(futures) < slots:
            if queue:
                submit(queue.popleft())
            elif finished() + len(open_trials) < target:
                ask()
            else:
                break

    results = as_completed([])
    try:
        fill()
        for future in results:
            key = futures.pop(future)
            try:
                row, problem = future.result(), None
            except Exception as exc:   # noqa: BLE001 - any failure of a point is recorded
                row, problem = None, point_failure(exc)
            if problem is None and isinstance(row, dict) and STOPPED in row:
                problem = f"{STOPPED}: {row[STOPPED]}"
            if problem is None:
                rows[key] = row
                failures.pop(key, None)
            else:
                failures[key] = {"varied": seen[key].varied, "reason": problem}
            write_results(runs, list(seen.values()), rows, failures, family.summary_keys)
            for number in waiting.pop(key):
                entry = open_trials[number]
                entry.left.discard(key)
                if problem is not None:
                    entry.problems[key] = problem
                if not entry.left:
                    close(entry)
            fill()
    finally:
        bar.close()
    return told
