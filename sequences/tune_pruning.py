# SPDX-License-Identifier: GPL-2.0-or-later
"""Pruning of a search's trials from their learning curves (``pruner`` in a tune spec).

.. code-block:: yaml

    pruner:
      type: median           # median | percentile | threshold
      curve: error           # a per-episode curve of the family (default: its first)
      warmup_episodes: 10    # no trial is stopped before this episode
      startup_trials: 5      # median, percentile: finished trials before any is stopped
      interval: 1            # judge every k episodes
      percentile: 25         # percentile only: stop below this percentile of the others
      upper: 0.9             # threshold only: stop a curve above upper / below lower
      patience: 0            # stop only after this many episodes without improvement
      smooth: 1              # judge the mean of each seed's last k values (noisy curves)

The worker side: each point of a trial (one seed) tells the study's journal its
curve value after every episode; the trial's intermediate value at episode k is
the mean over the trial's seeds that have reached k; Optuna's pruner compares it
with the finished trials at the same episode. A trial it judges hopeless is marked
(``pruned_at``) and every point of it stops after its episode, leaving no run
directory; the client then tells the study the trial was pruned. The journal
(a file with a lock) is shared by the workers as by the client: on SLURM it lies
on the shared file system like the runs.
"""
from __future__ import annotations

import collections
import functools
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from seqnest.errors import TrainingStopped

__all__ = ["PrunerSpec", "pruner_spec", "section", "journal_storage", "PointWatch",
           "TrialMonitor", "tune_point", "PRUNED_AT", "STOPPED", "TIMING", "curve_key"]

#: The user attribute that marks a trial its pruner stopped (the episode).
PRUNED_AT = "pruned_at"
#: The key of the row a point returns when its trial's pruner stopped it: the point is
#: recorded in failures.json as ``stopped: <why>``, not as a result.
STOPPED = "stopped"
#: The key of a point's row that holds what the point cost on its worker (popped by
#: the client, never written to results.csv): ``point_s`` the whole point,
#: ``monitor_s`` the part spent reporting to the study and asking its pruner.
TIMING = "tuner_timing"
TYPES = ("median", "percentile", "threshold")
_KEYS = {"type", "curve", "warmup_episodes", "startup_trials", "interval", "percentile",
         "upper", "lower", "patience", "smooth"}


def curve_key(seed: int, episode: int) -> str:
    """The user attribute of one seed's curve value at one episode."""
    return f"curve:{seed}:{episode}"


@dataclass(frozen=True)
class PrunerSpec:
    """A checked ``pruner`` section."""

    type: str
    curve: str
    better: str                 # the curve's better direction: minimize or maximize
    warmup_episodes: int = 0
    startup_trials: int = 5
    interval: int = 1
    percentile: float = 25.0
    upper: float | None = None
    lower: float | None = None
    patience: int = 0
    smooth: int = 1

    def make(self, direction: str):
        """Optuna's pruner of this spec, for a study of ``direction``."""
        import optuna
        if self.type == "threshold":
            # the bounds are in the curve's units; the study sees -curve where the
            # curve's better direction is not the study's
            lower, upper = (self.lower, self.upper) if self.better == direction else (
                None if self.upper is None else -self.upper,
                None if self.lower is None else -self.lower)
            pruner = optuna.pruners.ThresholdPruner(lower=lower, upper=upper,
                                                    n_warmup_steps=self.warmup_episodes,
                                                    interval_steps=self.interval)
        else:
            percentile = 50.0 if self.type == "median" else self.percentile
            pruner = optuna.pruners.PercentilePruner(
                percentile, n_startup_trials=self.startup_trials,
                n_warmup_steps=self.warmup_episodes, interval_steps=self.interval)
        if self.patience:
            pruner = optuna.pruners.PatientPruner(pruner, patience=self.patience)
        return pruner


def _whole(value: Any, name: str, least: int, fail: Callable[[str], None]) -> int:
    if not (isinstance(value, int) and not isinstance(value, bool) and value >= least):
        fail(f"pruner.{name} must be a whole number >= {least}, got {value!r}")
    return value


def section(data: Any, name: str, keys: set[str], needs: str,
            fail: Callable[[str], None]) -> Mapping | None:
    """The optional section ``name`` of a tune spec (None when absent), checked to be
    a mapping of ``keys`` only; ``needs`` says what it must hold."""
    if data is None:
        return None
    if not isinstance(data, Mapping):
        fail(f"'{name}' must be a mapping with {needs}")
    extra = sorted(set(data) - keys)
    if extra:
        fail(f"unknown key {extra[0]!r} in {name} (known: {', '.join(sorted(keys))})")
    return data


def pruner_spec(data: Any, curves: Mapping[str, str], family: str,
                fail: Callable[[str], None]) -> PrunerSpec | None:
    """The checked ``pruner`` section ``data`` of a spec of ``family`` (whose
    per-episode ``curves`` map to their better direction); ``fail(message)`` raises."""
    if section(data, "pruner", _KEYS, "a type (median, percentile or threshold)", fail) is None:
        return None
    kind = data.get("type", "median")
    if kind not in TYPES:
        fail(f"pruner.type must be one of {', '.join(TYPES)}, got {kind!r}")
    if not curves:
        fail(f"the {family} family reports no per-episode curve to prune on")
    curve = data.get("curve", next(iter(curves)))
    if curve not in curves:
        fail(f"pruner.curve {curve!r} is not a per-episode curve of the {family} family "
             f"(known: {', '.join(curves)})")
    spec = {"warmup_episodes": _whole(data.get("warmup_episodes", 0), "warmup_episodes", 0, fail),
            "startup_trials": _whole(data.get("startup_trials", 5), "startup_trials", 0, fail),
            "interval": _whole(data.get("interval", 1), "interval", 1, fail),
            "patience": _whole(data.get("patience", 0), "patience", 0, fail),
            "smooth": _whole(data.get("smooth", 1), "smooth", 1, fail)}
    numbers = {}
    for name in ("percentile", "upper", "lower"):
        value = data.get(name)
        if value is not None and not (isinstance(value, (int, float))
                                      and not isinstance(value, bool) and math.isfinite(value)):
            fail(f"pruner.{name} must be a finite number, got {value!r}")
        numbers[name] = None if value is None else float(value)
    if kind == "percentile":
        if numbers["percentile"] is None or not 0.0 < numbers["percentile"] < 100.0:
            fail("pruner.percentile must be above 0 and below 100 for type percentile")
    elif numbers["percentile"] is not None:
        fail(f"pruner.percentile belongs to type percentile, not {kind}")
    if kind == "threshold":
        if numbers["upper"] is None and numbers["lower"] is None:
            fail("a threshold pruner needs upper, lower or both")
        if None not in (numbers["upper"], numbers["lower"]) and \
                not numbers["lower"] < numbers["upper"]:
            fail(f"pruner: lower {numbers['lower']} must be below upper {numbers['upper']}")
    elif numbers["upper"] is not None or numbers["lower"] is not None:
        fail(f"pruner.upper and pruner.lower belong to type threshold, not {kind}")
    return PrunerSpec(kind, curve, curves[curve], percentile=numbers["percentile"] or 25.0,
                      upper=numbers["upper"], lower=numbers["lower"], **spec)


@dataclass(frozen=True)
class PointWatch:
    """What one point of a trial needs to report to the study (sent to its worker)."""

    journal: str
    trial: int                  # the trial's number
    seed: int
    seeds: tuple[int, ...]      # all seeds of the trial
    pruner: PrunerSpec
    direction: str              # the study's
    episode_word: str = "episode"   # what the family calls an episode
    last: int | None = None     # the run's last episode: once a seed of the trial has
                                # reached it, nothing is judged (stopping the other
                                # seeds would throw a complete run away)


def journal_storage(journal: str | os.PathLike):
    """Optuna's storage of a study's journal file (a file with a lock, shared by the
    client and the workers), Optuna's own messages below warnings."""
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalStorage
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return JournalStorage(JournalFileBackend(str(journal)))


@functools.lru_cache(maxsize=4)
def _study(journal: str):
    """The study of ``journal`` and its storage in this worker process (opened once:
    the journal storage then reads only what was appended since)."""
    import optuna
    storage = journal_storage(journal)
    return optuna.load_study(study_name="seqnest", storage=storage), storage


class TrialMonitor:
    """The monitor of one point (``on_episode`` of the training loops): records the
    point's curve value in the trial, sets the trial's intermediate value, asks the
    pruner and stops the point (:class:`TrainingStopped`) when the trial is pruned."""

    def __init__(self, watch: PointWatch):
        started = time.perf_counter()
        self.watch = watch
        self.study, self.storage = _study(watch.journal)
        self.trial_id = self.storage.get_trial_id_from_study_id_trial_number(
            self.storage.get_study_id_from_name("seqnest"), watch.trial)
        self.pruner = watch.pruner.make(watch.direction)
        self.sign = 1.0 if watch.pruner.better == watch.direction else -1.0
        self.recent: collections.deque = collections.deque(maxlen=watch.pruner.smooth)
        #: seconds spent in this monitor (opening the study, reporting, pruning)
        self.seconds = time.perf_counter() - started

    def _stop_if_ended(self, trial) -> None:
        if PRUNED_AT in trial.user_attrs:
            raise TrainingStopped(f"trial {self.watch.trial} pruned at "
                                  f"{self.watch.episode_word} {trial.user_attrs[PRUNED_AT]}")
        if trial.state.is_finished():
            raise TrainingStopped(f"trial {self.watch.trial} has ended ({trial.state.name})")

    def check(self) -> None:
        """Stop before anything is built when the trial is pruned already."""
        started = time.perf_counter()
        try:
            self._stop_if_ended(self.storage.get_trial(self.trial_id))
        finally:
            self.seconds += time.perf_counter() - started

    def __call__(self, episode: int, scores: Mapping[str, float]) -> None:
        started = time.perf_counter()
        try:
            self._report(episode, scores)
        finally:
            self.seconds += time.perf_counter() - started

    def _report(self, episode: int, scores: Mapping[str, float]) -> None:
        value = scores.get(self.watch.pruner.curve)
        if value is None or not math.isfinite(value):
            return                              # nothing to judge at this episode
        self.recent.append(float(value))
        value = sum(self.recent) / len(self.recent)
        storage, tid = self.storage, self.trial_id
        try:
            storage.set_trial_user_attr(tid, curve_key(self.watch.seed, episode), float(value))
        except RuntimeError:                    # the trial was finished meanwhile
            self._stop_if_ended(storage.get_trial(tid))
            raise
        trial = storage.get_trial(tid)
        self._stop_if_ended(trial)
        values = [trial.user_attrs.get(curve_key(s, episode)) for s in self.watch.seeds]
        values = [v for v in values if v is not None]
        storage.set_trial_intermediate_value(tid, episode, self.sign * sum(values) / len(values))
        trial = storage.get_trial(tid)
        if self.watch.last is not None and trial.last_step >= self.watch.last:
            return                  # a seed's run is complete: the others finish too
        if self.pruner.prune(self.study, trial):
            # the pruner judges the trial's last episode (another seed's may be ahead)
            step = trial.last_step
            storage.set_trial_user_attr(tid, PRUNED_AT, step)
            raise TrainingStopped(
                f"trial {self.watch.trial} pruned at {self.watch.episode_word} {step} "
                f"({self.watch.pruner.curve} "
                f"{self.sign * trial.intermediate_values[step]:.4g}, mean over the seeds there)")


def tune_point(watch: PointWatch | None, record: dict, run_dir: str,
               replays: Mapping | None = None) -> dict:
    """Worker side of a point of a search: the family's point, with the monitor of its
    trial when the search prunes (``watch``); a point its trial's pruner stops
    returns ``{STOPPED: why}``. The row also holds the point's cost (``TIMING``)."""
    from seqnest.sequences.sweep.family import family_of_record
    started = time.perf_counter()
    monitor = None
    try:
        if watch is not None:
            monitor = TrialMonitor(watch)
            monitor.check()
        row = dict(family_of_record(record).point(record, run_dir, replays, monitor=monitor))
    except TrainingStopped as exc:
        row = {STOPPED: str(exc)}
    row[TIMING] = {"point_s": time.perf_counter() - started,
                   "monitor_s": 0.0 if monitor is None else monitor.seconds}
    return row
