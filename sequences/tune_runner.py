# SPDX-License-Identifier: GPL-2.0-or-later
"""Running a study's trials on the sweep's cluster without idle workers.

Every worker runs one point (one trial on one seed) at a time. Whenever a worker
is free, the next point waiting is submitted; when none waits and the study wants
more trials, a new trial is asked (Optuna's constant liar sees the trials still
running) and its points join the queue. A trial is told to the study when its
last point is back. A point already complete in ``OUT/runs`` is reused; a point
another trial of the same values is running is waited for, not run twice.

The runner measures what the search costs on top of its runs: the time a worker
slot waits for the client (a point's bookkeeping, the sampler's next trial) and the
time the points spend in their pruning monitor, against the points' own time.
"""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqnest.params import ParameterError
from seqnest.sequences.rundir import check_free_space
from seqnest.sequences.sweep.points import Point

__all__ = ["run_trials", "cost_summary", "IMPOSSIBLE"]

#: The problem of a trial whose values are each in range but impossible together
#: (e.g. a window's lower bound above its upper): told failed, nothing runs.
IMPOSSIBLE = "impossible"


@dataclass
class _Open:
    """A trial asked and not yet told: its values, its points still out, why any
    of them stopped or failed."""

    trial: Any
    values: dict
    left: set[str]
    problems: dict[str, str] = field(default_factory=dict)


class _Runner:
    """The client side of :func:`run_trials` (see there)."""

    def __init__(self, study, spec, runs: Path, target: int, running,
                 finished: Callable[[], int], points_of: Callable[[dict], list[Point]],
                 tell: Callable[[Any, dict, dict[str, str]], None], journal: Path,
                 local_workers: int | None, known: tuple[list[Point], dict] = ((), {}),
                 spent: Callable[[dict], None] | None = None):
        from distributed import as_completed
        self.study, self.spec, self.runs, self.target = study, spec, runs, target
        self.client, self.slots = running.client, running.slots
        self.finished, self.points_of, self.tell = finished, points_of, tell
        self.journal, self.local_workers = str(journal), local_workers
        self.queue: deque[Point] = deque()
        self.waiting: dict[str, list[int]] = {}     # point key -> trials waiting for it
        self.open: dict[int, _Open] = {}
        self.futures: dict[Any, str] = {}
        # the study's points (earlier commands' too), for results.csv and failures.json
        self.seen: dict[str, Point] = {p.key: p for p in known[0]}
        self.rows: dict[str, dict] = dict(known[1])
        self.failures: dict[str, dict] = _earlier_failures(runs, self.seen, self.rows)
        self.results = as_completed([])
        self.told, self.spent = 0, spent
        self.free_since = [time.perf_counter()] * self.slots   # when each free slot freed
        self.cost = {"points": 0, "point_s": 0.0, "monitor_s": 0.0, "client_wait_s": 0.0}

    def ask(self) -> None:
        """Ask a trial; queue its points that are neither complete nor running."""
        from seqnest.sequences.rundir import remove_stale_temporaries
        from seqnest.sequences.sweep.run import reuse_scan
        family = self.spec.sweep.family
        trial = self.study.ask()
        values = {d.key: d.suggest(trial) for d in self.spec.dimensions}
        try:
            points = self.points_of(values)
        except ParameterError as exc:
            entry = self.open[trial.number] = _Open(trial, values, set(), {IMPOSSIBLE: str(exc)})
            self.close(entry)
            return
        remove_stale_temporaries(self.runs, {p.key for p in points})
        todo = reuse_scan(self.spec.sweep, self.runs, points)[1]   # as a sweep reuses
        fresh = [p for p in todo if p.key not in self.waiting]
        if self.local_workers is not None:
            for p in fresh:
                family.check_resources(p.config, self.local_workers)
        if fresh and family.run_bytes is not None:
            check_free_space(self.runs, sum(family.run_bytes(p.config) for p in fresh),
                             f"the run directories of trial {trial.number}")
        entry = _Open(trial, values, {p.key for p in todo})
        self.open[trial.number] = entry
        for p in todo:
            self.seen[p.key] = p
            if p.key not in self.waiting:
                self.waiting[p.key] = []
                self.queue.append(p)
            self.waiting[p.key].append(trial.number)
        if not entry.left:                     # every point of it is complete already
            self.close(entry)

    def close(self, entry: _Open) -> None:
        del self.open[entry.trial.number]
        self.tell(entry.trial, entry.values, entry.problems)
        self.told += 1
        if self.spent is not None:            # the cost so far, after every trial
            self.spent(cost_summary(self.cost, self.told))

    def submit(self, p: Point) -> None:
        from seqnest.sequences.sweep.run import on_worker
        from seqnest.sequences.tune_pruning import PointWatch, tune_point
        spec = self.spec
        number = self.waiting[p.key][0]
        group, key = spec.sweep.family.run_keys["episodes"].split(".")
        watch = (PointWatch(self.journal, number, int(p.config.run.seed), tuple(spec.seeds),
                            spec.pruner, spec.direction, spec.sweep.family.episode_word,
                            last=int(getattr(getattr(p.config, group), key)))
                 if spec.pruner is not None else None)
        future = self.client.submit(on_worker, tune_point, watch, p.config.to_dict(),
                                    str(self.runs / p.key), key=f"trial-{number}-{p.key}",
                                    pure=False)
        if self.free_since:                    # the slot waited for the client since then
            self.cost["client_wait_s"] += time.perf_counter() - self.free_since.pop(0)
        self.futures[future] = p.key
        self.results.add(future)

    def fill(self) -> None:
        """Keep every worker busy while trials are wanted."""
        while len(self.futures) < self.slots:
            if self.queue:
                self.submit(self.queue.popleft())
            elif self.finished() + len(self.open) < self.target:
                self.ask()
            else:
                break

    def back(self, future) -> None:
        """A point is back: record it, and tell the trials it completes."""
        from seqnest.sequences.sweep.results import write_results
        from seqnest.sequences.sweep.run import point_failure
        from seqnest.sequences.tune_pruning import STOPPED, TIMING
        self.free_since.append(time.perf_counter())
        key = self.futures.pop(future)
        try:
            row, problem = future.result(), None
        except Exception as exc:   # noqa: BLE001 - any failure of a point is recorded
            row, problem = None, point_failure(exc)
        if isinstance(row, dict) and isinstance(row.get(TIMING), dict):
            timing = row.pop(TIMING)
            self.cost["points"] += 1
            self.cost["point_s"] += float(timing.get("point_s", 0.0))
            self.cost["monitor_s"] += float(timing.get("monitor_s", 0.0))
        if problem is None and isinstance(row, dict) and STOPPED in row:
            problem = f"{STOPPED}: {row[STOPPED]}"
        if problem is None:
            self.rows[key] = row
            self.failures.pop(key, None)
        else:
            self.failures[key] = {"varied": self.seen[key].varied, "reason": problem}
        write_results(self.runs, list(self.seen.values()), self.rows, self.failures,
                      self.spec.sweep.family.summary_keys)
        for number in self.waiting.pop(key):
            entry = self.open[number]
            entry.left.discard(key)
            if problem is not None:
                entry.problems[key] = problem
            if not entry.left:
                self.close(entry)


def _earlier_failures(runs: Path, seen: dict[str, Point], rows: dict) -> dict[str, dict]:
    """What failures.json says of the points ``seen`` that have no row."""
    import json
    try:
        found = json.loads((runs / "failures.json").read_text())
    except (OSError, ValueError):
        return {}
    return {f["point"]: {k: v for k, v in f.items() if k != "point"}
            for f in found if isinstance(f, dict) and f.get("point") in seen
            and f["point"] not in rows}


def run_trials(study, spec, runs: Path, target: int, running, finished: Callable[[], int],
               points_of: Callable[[dict], list[Point]],
               tell: Callable[[Any, dict, dict[str, str]], None], journal: Path,
               progress: bool = False, local_workers: int | None = None,
               known: tuple[list[Point], dict] = ((), {}),
               spent: Callable[[dict], None] | None = None) -> tuple[int, dict]:
    """Run trials of ``spec`` (a :class:`~seqnest.sequences.tune_spec.TuneSpec`) on
    ``running`` (a :class:`~seqnest.sequences.sweep.run.RunningCluster`) until
    ``finished()`` reaches ``target``; return the trials told here.
    ``points_of(values)``: a trial's points; ``tell(trial, values, problems)`` tells
    the study a trial whose points are all back (``problems``: point key -> why it
    stopped or failed); also returned: what the search cost (:func:`cost_summary`).
    ``journal``: the study's journal file, to which the points
    of a pruned search report. ``local_workers``: the worker processes on this
    machine (their memory is checked per point), None on SLURM. ``known``: the
    points of the trials told before and the rows of those complete, so that
    results.csv and failures.json cover the whole study. ``spent(cost)`` is told
    the search's cost so far (:func:`cost_summary`) after every trial."""
    from tqdm import tqdm
    runner = _Runner(study, spec, runs, target, running, finished, points_of, tell, journal,
                     local_workers, known, spent)
    bar = tqdm(total=max(0, target - finished()), desc="tune", unit="trial",
               disable=None if progress else True)
    try:
        runner.fill()
        bar.update(runner.told)
        for future in runner.results:
            before = runner.told
            runner.back(future)
            runner.fill()
            bar.update(runner.told - before)
    finally:
        bar.close()
    return runner.told, cost_summary(runner.cost, runner.told)


def cost_summary(cost: dict, trials: int) -> dict:
    """The search's cost on top of its runs, from the runner's ``cost``: per trial
    told, the seconds worker slots waited for the client and the seconds points spent
    in their pruning monitor, and their sum as a percentage of the points' own time
    (a trial's points are its runs)."""
    runs = cost["point_s"] - cost["monitor_s"]
    added = cost["client_wait_s"] + cost["monitor_s"]
    return {**{k: round(v, 4) if isinstance(v, float) else v for k, v in cost.items()},
            "per_trial_s": round(added / trials, 4) if trials else None,
            "percent_of_runs": round(100.0 * added / runs, 3) if runs > 0 else None}
