# SPDX-License-Identifier: GPL-2.0-or-later
"""Tune specs (``seqnest tune``): reading and checking a search before anything runs.

A tune spec is a sweep spec (family, task, episodes, base ``config``, ``cluster``;
:mod:`seqnest.sequences.sweep`) whose ``vary`` section is replaced by the search:

.. code-block:: yaml

    task: set1
    episodes: 20
    config: {network: {n_E: 100, rho: 10}}
    search:                                  # group.key: a range or choices
      synapse.lambda_plus: {low: 0.02, high: 0.3, log: true}
      synapse.lambda_h: {low: 0.0, high: 0.05}
      network.rho: {low: 5, high: 20, integer: true}
      run.synapse: {choices: [stdsp, tristate_stm]}
    objective: {key: tail_error_mean, direction: minimize}   # a summary key of results.csv
    seeds: [11, 12, 13]                      # each trial: the mean over these networks
    trials: 40                               # trials the study should have finished
    sampler_seed: 1
    sampler: {startup_trials: 10, multivariate: false}       # optional (Optuna's TPE)
    pruner: {type: median, warmup_episodes: 10}              # optional (tune_pruning)
    constraints: [{key: wall_time_s, max: 60}]               # optional: max or min
    validate: {top: 5, seeds: [21, 22, 23]}                  # optional (tune_validate)
    warm_start: ../earlier_study             # optional: a tune directory (tune_warm)

``objective`` may also be a list of them: the study then searches their Pareto
front (each trial of the front written as ``OUT/pareto/trial-N.json``).

Every value of the search is checked before anything runs: both ends of each range
and every choice are resolved as ``seqnest learn --set`` resolves them, so an
unknown parameter, an impossible value, an empty, inverted or (log) non-positive
range and an objective the runs do not write are one-line errors.
"""
from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from seqnest.params import ParameterError, read_parameter_file
from seqnest.sequences.sweep.points import expand
from seqnest.sequences.sweep.spec import SweepSpec, spec_from_mapping
from seqnest.sequences.tune_pruning import PrunerSpec, pruner_spec
from seqnest.sequences.tune_validate import ValidateSpec, validate_spec

__all__ = ["TuneSpec", "Dimension", "Constraint", "load_tune_spec", "load_tune_spec_data",
           "trial_sweep", "feasible", "TUNE_KEYS"]

#: Top-level keys of a tune spec besides a sweep spec's.
TUNE_KEYS = {"search", "objective", "seeds", "trials", "sampler_seed", "sampler", "pruner",
             "constraints", "validate", "warm_start"}
#: The file that marks a tune directory (its spec), and the study's journal.
TUNE_MARKER = "tune.json"
JOURNAL = "study.journal"
#: Keys a continued study may change: none changes what a finished trial measured.
CHANGEABLE = ("trials", "pruner", "sampler", "validate")
#: Keys a warm start's study may differ in besides those: the search (whose ranges
#: must hold the other's), the sampler's seed, the cluster.
WARM_FREE = CHANGEABLE + ("search", "sampler_seed", "cluster", "warm_start")
#: The sampler's keys: Optuna's TPE, its random start and whether it models the
#: parameters jointly (multivariate) or one by one.
SAMPLER_KEYS = {"startup_trials", "multivariate"}
DIRECTIONS = ("minimize", "maximize")


@dataclass(frozen=True)
class Dimension:
    """One searched parameter: a float or integer range (log scale optional) or choices."""

    key: str                    # group.key
    low: float | None = None
    high: float | None = None
    log: bool = False
    integer: bool = False
    choices: tuple | None = None

    def suggest(self, trial) -> Any:
        if self.choices is not None:
            return trial.suggest_categorical(self.key, list(self.choices))
        if self.integer:
            return trial.suggest_int(self.key, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.key, float(self.low), float(self.high), log=self.log)

    def corners(self) -> list:
        """The values that bound the search (checked before anything runs)."""
        return list(self.choices) if self.choices is not None else [self.low, self.high]


@dataclass(frozen=True)
class Constraint:
    """A bound on a summary metric (the mean over a trial's seeds): a trial outside it
    is infeasible; the best trial is the best feasible one."""

    key: str
    max: float | None = None
    min: float | None = None

    @property
    def name(self) -> str:
        return f"{self.key} <= {self.max:g}" if self.max is not None else \
            f"{self.key} >= {self.min:g}"

    def violation(self, value: float) -> float:
        """Optuna's constraint value: <= 0 where the bound holds."""
        return value - self.max if self.max is not None else self.min - value


def feasible(trial) -> bool:
    """Whether an Optuna trial meets the constraints told to it (all values <= 0; a
    trial without constraints does)."""
    return all(v <= 0 for v in trial.constraints.values())


def _objectives(data: Any, keys: tuple[str, ...], path: Path) -> list[tuple[str, str]]:
    """``objective``: one {key, direction} or a list of them (a Pareto front)."""
    items = data if isinstance(data, list) and data else [data]
    found = []
    for item in items:
        if not isinstance(item, dict) or set(item) - {"key", "direction"} or "key" not in item:
            _fail(path, "'objective' must be {key: <summary metric>, direction: "
                        "minimize|maximize} or a list of them")
        key, direction = item["key"], item.get("direction", "minimize")
        if key not in keys:
            _fail(path, f"objective {key!r} is not a summary metric the runs write "
                        f"(known: {', '.join(keys)})")
        if direction not in DIRECTIONS:
            _fail(path, f"objective direction must be minimize or maximize, got {direction!r}")
        if key in (k for k, _ in found):
            _fail(path, f"objective {key!r} is named twice")
        found.append((key, direction))
    return found


def _constraints(data: Any, keys: tuple[str, ...], path: Path) -> list[Constraint]:
    if data is None:
        return []
    if isinstance(data, Mapping):
        data = [data]
    if not isinstance(data, list) or not data:
        _fail(path, "'constraints' must be a list of {key: <summary metric>, max|min: number}")
    found = []
    for item in data:
        if not isinstance(item, Mapping) or set(item) - {"key", "max", "min"} \
                or "key" not in item or len(set(item) & {"max", "min"}) != 1:
            _fail(path, f"constraint {item!r} must be {{key: <summary metric>, max: number}} or "
                        "{key: ..., min: number}")
        if item["key"] not in keys:
            _fail(path, f"constraint key {item['key']!r} is not a summary metric the runs write "
                        f"(known: {', '.join(keys)})")
        bound = item.get("max", item.get("min"))
        if not (isinstance(bound, (int, float)) and not isinstance(bound, bool)
                and math.isfinite(bound)):
            _fail(path, f"constraint on {item['key']}: the bound must be a finite number, "
                        f"got {bound!r}")
        found.append(Constraint(item["key"], *((float(bound), None) if "max" in item
                                               else (None, float(bound)))))
    return found


@dataclass
class TuneSpec:
    sweep: SweepSpec            # family, base configuration, cluster
    dimensions: list[Dimension]
    objective: str              # the first objective's key and direction
    direction: str
    seeds: list[int]
    trials: int
    sampler_seed: int
    data: dict                  # the spec as written (recorded in tune.json)
    pruner: PrunerSpec | None = None
    sampler: dict = field(default_factory=dict)    # TPESampler options
    constraints: list[Constraint] = field(default_factory=list)
    #: every objective (key, direction); more than one: a Pareto front is searched
    objectives: tuple[tuple[str, str], ...] = ()
    #: the best trials rescored on other seeds after the search (None: not rescored)
    validate: ValidateSpec | None = None
    #: a tune directory whose trials start this study (None: a study of its own)
    warm_start: Path | None = None

    def comparable(self) -> dict:
        """The spec as recorded in ``tune.json``: without what a continued study may
        change (:data:`CHANGEABLE`); a ``config`` file recorded by its content."""
        kept = {k: v for k, v in self.data.items() if k not in CHANGEABLE}
        if "config" in kept:
            kept["config"] = self.sweep.config
        return kept

    @property
    def multi(self) -> bool:
        return len(self.objectives) > 1

    def make_sampler(self, skip: int):
        """Optuna's TPE sampler of this spec, seeded past the ``skip`` trials a
        continued study holds; a trial is asked while others run, and sees them as
        running (constant liar), so they do not repeat one another."""
        import optuna
        return optuna.samplers.TPESampler(
            seed=self.sampler_seed + skip, constant_liar=True,
            n_startup_trials=self.sampler.get("startup_trials", 10),
            multivariate=self.sampler.get("multivariate", False))


def _fail(path: Path, message: str):
    raise ParameterError(f"tune spec {path}: {message}")


def _dimension(key: str, value: Any, path: Path) -> Dimension:
    if not isinstance(key, str) or key.count(".") != 1:
        _fail(path, f"search key {key!r} must be group.key")
    if not isinstance(value, Mapping):
        _fail(path, f"search.{key} must be {{low, high[, log, integer]}} or {{choices: [...]}}")
    allowed = {"low", "high", "log", "integer"} if "choices" not in value else {"choices"}
    extra = sorted(set(value) - allowed)
    if extra:
        _fail(path, f"unknown key {extra[0]!r} in search.{key}")
    if "choices" in value:
        choices = value["choices"]
        if not isinstance(choices, list) or not choices:
            _fail(path, f"search.{key}.choices must be a non-empty list")
        return Dimension(key, choices=tuple(choices))
    if "low" not in value or "high" not in value:
        _fail(path, f"search.{key} needs low and high")
    low, high = value["low"], value["high"]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
               for v in (low, high)):
        _fail(path, f"search.{key}: low and high must be finite numbers")
    if not low < high:
        _fail(path, f"search.{key}: empty or inverted range [{low}, {high}]")
    log, integer = bool(value.get("log", False)), bool(value.get("integer", False))
    if log and low <= 0:
        _fail(path, f"search.{key}: a log range must be above 0, got low = {low}")
    if integer and not (float(low).is_integer() and float(high).is_integer()):
        _fail(path, f"search.{key}: an integer range needs whole bounds")
    return Dimension(key, float(low), float(high), log, integer)


def _contains(ours: Dimension, theirs: Dimension) -> bool:
    """Whether every value of ``theirs`` is a value of ``ours``."""
    if ours.choices is not None or theirs.choices is not None:
        return ours.choices is not None and theirs.choices is not None \
            and set(theirs.choices) <= set(ours.choices)
    return (ours.log, ours.integer) == (theirs.log, theirs.integer) \
        and ours.low <= theirs.low and theirs.high <= ours.high


def _warm_start(value: Any, spec: TuneSpec, path: Path) -> Path:
    """The checked tune directory of ``warm_start``: a study that measured what this
    one measures (the same family, task, configuration, protocol, objectives, seeds
    and constraints) over the same parameters, within this search's ranges."""
    from seqnest.sequences.rundir import RunDirError, read_json
    if not isinstance(value, str) or not value:
        _fail(path, "'warm_start' must be the path of a tune directory")
    folder = Path(value) if Path(value).is_absolute() else path.parent / value
    try:
        theirs = read_json(folder / TUNE_MARKER)["spec"]
    except (RunDirError, KeyError, TypeError):
        _fail(path, f"warm_start {value}: not a tune directory seqnest wrote "
                    f"(no readable {folder / TUNE_MARKER})")
    if not (folder / JOURNAL).is_file():
        _fail(path, f"warm_start {value}: no {JOURNAL} in it")
    ours = spec.comparable()
    for key in sorted((set(ours) | set(theirs)) - set(WARM_FREE)):
        if ours.get(key) != theirs.get(key):
            _fail(path, f"warm_start {value}: its study differs in {key!r} "
                        f"({theirs.get(key)!r}, here {ours.get(key)!r})")
    mine = {d.key: d for d in spec.dimensions}
    other = [_dimension(k, v, path) for k, v in (theirs.get("search") or {}).items()]
    if sorted(d.key for d in other) != sorted(mine):
        _fail(path, f"warm_start {value}: its study searched other parameters "
                    f"({', '.join(sorted(d.key for d in other))})")
    for d in other:
        if not _contains(mine[d.key], d):
            _fail(path, f"warm_start {value}: its range of {d.key} is not within this "
                        "search's (a warm start may only widen a range)")
    return folder.resolve()


def load_tune_spec(path: str | os.PathLike) -> TuneSpec:
    """Read a tune spec and check every value of its search (nothing runs)."""
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"tune spec not found: {path}")
    return load_tune_spec_data(read_parameter_file(path), path)


def load_tune_spec_data(data: Any, path: Path) -> TuneSpec:
    """The tune spec of the mapping ``data`` read from ``path``, checked as
    :func:`load_tune_spec` checks a file."""
    if not isinstance(data, dict):
        _fail(path, "expected a mapping at the top level")
    for key in ("vary", "replay"):
        if key in data:
            _fail(path, f"'{key}' is a sweep's; a tune spec searches with 'search'")
    try:
        sweep = spec_from_mapping({k: v for k, v in data.items() if k not in TUNE_KEYS}, path)
    except ParameterError as exc:
        raise ParameterError(str(exc).replace("sweep spec", "tune spec", 1)) from None
    search = data.get("search")
    if not isinstance(search, dict) or not search:
        _fail(path, "'search' must map group.key to a range or choices")
    dimensions = [_dimension(k, v, path) for k, v in search.items()]
    keys = sweep.family.summary_keys
    objectives = _objectives(data.get("objective"), keys, path)
    key, direction = objectives[0]
    seeds = data.get("seeds", [1])
    if not (isinstance(seeds, list) and seeds and all(
            isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in seeds)):
        _fail(path, "'seeds' must be a non-empty list of whole numbers >= 1")
    trials = data.get("trials", 20)
    if not (isinstance(trials, int) and not isinstance(trials, bool) and trials >= 1):
        _fail(path, "'trials' must be a whole number >= 1")
    sampler_seed = data.get("sampler_seed", 1)
    if not isinstance(sampler_seed, int) or isinstance(sampler_seed, bool):
        _fail(path, "'sampler_seed' must be a whole number")
    sampler = data.get("sampler", {})
    if not isinstance(sampler, dict) or set(sampler) - SAMPLER_KEYS:
        _fail(path, f"'sampler' takes {', '.join(sorted(SAMPLER_KEYS))}")
    startup = sampler.get("startup_trials", 10)
    if not (isinstance(startup, int) and not isinstance(startup, bool) and startup >= 0):
        _fail(path, "sampler.startup_trials must be a whole number >= 0")
    if not isinstance(sampler.get("multivariate", False), bool):
        _fail(path, "sampler.multivariate must be true or false")
    pruner = pruner_spec(data.get("pruner"), sweep.family.curves, sweep.family.name,
                         lambda message: _fail(path, message))
    constraints = _constraints(data.get("constraints"), keys, path)
    if pruner is not None and len(objectives) > 1:
        _fail(path, "a pruner judges one objective; a search of several takes none")
    validate = validate_spec(data.get("validate"), seeds, len(objectives),
                             lambda message: _fail(path, message))
    spec = TuneSpec(sweep, dimensions, key, direction, list(seeds), trials, sampler_seed, data,
                    pruner, dict(sampler), constraints, tuple(objectives), validate)
    if data.get("warm_start") is not None:
        spec.warm_start = _warm_start(data["warm_start"], spec, path)
    # every bound and choice resolved as the command line would (one point each)
    corners = [{d.key: v} for d in dimensions for v in d.corners()]
    try:
        expand(trial_sweep(spec, corners))
    except ParameterError as exc:
        raise ParameterError(str(exc).replace("sweep spec", "tune spec", 1)) from None
    return spec


def trial_sweep(spec: TuneSpec, values: list[dict]) -> SweepSpec:
    """The sweep of trials of these values: each trial's values on each seed."""
    return replace(spec.sweep, grid={}, points=values, seeds=list(spec.seeds))
