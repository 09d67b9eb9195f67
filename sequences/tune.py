# SPDX-License-Identifier: GPL-2.0-or-later
"""A model-based search of a family's parameters (``seqnest tune``), with Optuna.

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

``objective`` may also be a list of them: the study then searches their Pareto
front (each trial of the front written as ``OUT/pareto/trial-N.json``).

Every value of the search is checked before anything runs: both ends of each range
and every choice are resolved as ``seqnest learn --set`` resolves them, so an
unknown parameter, an impossible value, an empty, inverted or (log) non-positive
range and an objective the runs do not write are one-line errors.

Trials run on the sweep's cluster (local Dask, or SLURM as the spec's ``cluster``
says), a point (one trial on one seed, a normal run directory in
``OUT/runs/<hash>/``) per worker at a time, a new trial asked whenever a worker is
free (:mod:`seqnest.sequences.tune_runner`); a point already complete is never run
again. The study is Optuna's journal in ``OUT/study.journal`` (appended
record by record): a killed client or worker loses only unfinished points, and the
same command continues the study; a trial left running by a killed client is
counted as failed and its parameters are asked again (its finished points are
reused). ``OUT/tune.json`` marks the directory and holds the spec.
"""
from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from seqnest.params import ParameterError, read_parameter_file
from seqnest.sequences.rundir import RunDirError, read_json, require_writable, write_json
from seqnest.sequences.sweep.points import expand
from seqnest.sequences.sweep.spec import SweepSpec, spec_from_mapping
from seqnest.sequences.tune_pruning import PRUNED_AT, PrunerSpec, pruner_spec

__all__ = ["TuneSpec", "Dimension", "load_tune_spec", "load_tune_spec_data", "run_tune",
           "TUNE_MARKER"]

#: The file that marks a tune directory (its spec), and the study's journal.
TUNE_MARKER = "tune.json"
JOURNAL = "study.journal"
#: Top-level keys of a tune spec besides a sweep spec's.
TUNE_KEYS = {"search", "objective", "seeds", "trials", "sampler_seed", "sampler", "pruner",
             "constraints"}
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
    spec = TuneSpec(sweep, dimensions, key, direction, list(seeds), trials, sampler_seed, data,
                    pruner, dict(sampler), constraints, tuple(objectives))
    # every bound and choice resolved as the command line would (one point each)
    corners = [{d.key: v} for d in dimensions for v in d.corners()]
    try:
        expand(_batch_spec(spec, corners))
    except ParameterError as exc:
        raise ParameterError(str(exc).replace("sweep spec", "tune spec", 1)) from None
    return spec


def _batch_spec(spec: TuneSpec, values: list[dict]) -> SweepSpec:
    """The sweep of trials of these values: each trial's values on each seed."""
    return replace(spec.sweep, grid={}, points=values, seeds=list(spec.seeds))


def _objective(spec: TuneSpec, runs: Path, values: dict,
               key: str | None = None) -> float | None:
    """The trial's objective (or the summary metric ``key``): the mean over its points
    (None: a point failed or does not report it)."""
    points = expand(_batch_spec(spec, [values]))
    found = []
    for p in points:
        try:
            row = spec.sweep.family.row(read_json(runs / p.key / "metrics.json"))
        except RunDirError:
            return None
        value = row.get(key or spec.objective)
        if value is None or not isinstance(value, (int, float)) or not math.isfinite(value):
            return None
        found.append(float(value))
    return sum(found) / len(found) if found else None


def check_tune_output(out: Path, spec: TuneSpec) -> Path:
    """``out`` new, or a tune directory of the same spec (it is continued)."""
    marker = out / TUNE_MARKER
    if out.exists() and not out.is_dir():
        raise RunDirError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not marker.is_file():
            raise RunDirError(f"{out} exists and is not a tune directory seqnest wrote "
                              f"(no {TUNE_MARKER}): choose another --out")
        stored = read_json(marker).get("spec")
        if stored != _comparable(spec):
            raise RunDirError(f"{out} holds a study of another spec: choose another --out "
                              "(or continue it with its own spec)")
    return require_writable(out, f"cannot write the tune directory {out}")


def _comparable(spec: TuneSpec) -> dict:
    """The spec as recorded: the budget (trials) may grow and the pruner and sampler
    change when a study continues (none changes what a finished trial measured); a
    ``config`` file is recorded by its content."""
    kept = {k: v for k, v in spec.data.items() if k not in ("trials", "pruner", "sampler")}
    if "config" in kept:
        kept["config"] = spec.sweep.config
    return kept


def run_tune(spec: TuneSpec, out: str | os.PathLike, trials: int | None = None,
             cluster: str = "local", workers: int = 2, progress: bool = False,
             module=None, say: Callable[[str], None] = print) -> dict:
    """Run (or continue) the study of ``spec`` in ``out`` until ``trials`` trials
    (default: the spec's) have finished; return the best trial and the counts."""
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalStorage
    from optuna.trial import TrialState

    from seqnest.pynest_ext.buildcache import provide
    from seqnest.sequences.sweep.run import check_sweep_output, sweep_cluster
    from seqnest.sequences.sweep.slurm import check_slurm_submission

    target = spec.trials if trials is None else int(trials)
    if target < 1:
        raise ParameterError(f"--trials must be >= 1, got {target}")
    if cluster == "slurm":                                    # before anything is written
        check_slurm_submission(spec.sweep, workers)
    out = check_tune_output(Path(out), spec)
    write_json(out / TUNE_MARKER, {"spec": _comparable(spec),
                                   "pruner": spec.data.get("pruner"),   # the latest run's
                                   "objective": spec.objective,
                                   "direction": spec.direction, "seeds": spec.seeds,
                                   "objectives": [list(o) for o in spec.objectives]})
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = JournalStorage(JournalFileBackend(str(out / JOURNAL)))
    existing = len(optuna.create_study(study_name="seqnest", storage=storage,
                                       load_if_exists=True,
                                       directions=[d for _, d in spec.objectives]).trials)
    # a continued study draws on from where it stopped (same spec, same sequence of runs)
    study = optuna.load_study(study_name="seqnest", storage=storage,
                              sampler=spec.make_sampler(existing))
    for stale in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if PRUNED_AT in stale.user_attrs:                     # its pruner had stopped it
            study.tell(stale.number, state=TrialState.PRUNED)
            continue
        study.tell(stale.number, state=TrialState.FAIL)     # its client was killed
        study.enqueue_trial(stale.params)                     # asked again; points reused
    module = provide(module)                                  # once, before the workers
    runs = out / "runs"
    started, ran = time.perf_counter(), 0

    def finished() -> int:
        """Trials evaluated (a trial its killed client left is not: it is asked again)."""
        ended = (TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED)
        return sum(1 for t in study.get_trials(deepcopy=False, states=ended)
                   if t.user_attrs.get("evaluated") or PRUNED_AT in t.user_attrs)

    if finished() < target:
        from seqnest.sequences.tune_runner import run_trials
        check_sweep_output(runs)

        def told(line: str) -> None:          # each trial told: its line, the table
            say(line)
            write_trials_table(out, study, spec)
        # one cluster for the whole search: its workers stay busy from trial to trial
        with sweep_cluster(spec.sweep, cluster, workers, runs) as running:
            ran = run_trials(study, spec, runs, target, running, finished, told, progress,
                             local_workers=workers if cluster == "local" else None)

    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    pruned = study.get_trials(deepcopy=False, states=(TrialState.PRUNED,))
    summary = {"trials": finished(), "ran": ran, "complete": len(complete), "pruned": len(pruned),
               "best": None, "seconds": time.perf_counter() - started}
    if spec.multi:             # the Pareto front (feasible trials), each as a config file
        front = study.best_trials if complete else []
        summary["pareto"] = [{"number": t.number, "values": t.values, "params": t.params}
                             for t in front]
        folder = out / PARETO
        folder.mkdir(exist_ok=True)
        for old in folder.glob("trial-*.json"):       # files of an earlier front
            old.unlink()
        for t in front:
            write_json(folder / f"trial-{t.number}.json", _config_file(spec, t.params))
    else:
        try:
            best = study.best_trial if complete else None
        except ValueError:               # none of the finished trials meets the constraints
            best = None
        if best is not None:   # the best trial as a configuration file learn --config takes
            summary["best"] = {"number": best.number, "value": best.value,
                               "params": best.params}
            write_json(out / "best_config.json", _config_file(spec, best.params))
    write_json(out / "summary.json", summary)
    write_trials_table(out, study, spec)
    return summary


#: The study's table: a row per trial (runs/results.csv holds this run's points).
TRIALS_TABLE = "trials.csv"


def write_trials_table(out: Path, study, spec: TuneSpec) -> None:
    """``OUT/trials.csv``: per trial its number, state, objective(s) (the mean over its
    seeds), whether it meets the constraints, the episode its pruner stopped it at,
    and its values."""
    import csv
    import io

    from seqnest.sequences.sweep.results import atomic_text
    names = [d.key for d in spec.dimensions]
    keys = [k for k, _ in spec.objectives]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["trial", "state", *keys,
                     *(["constraints"] if spec.constraints else []), "pruned_at", *names])
    for t in study.get_trials(deepcopy=False):
        values = t.values if t.values is not None and len(t.values) == len(keys) else None
        writer.writerow([t.number, t.state.name.lower(),
                         *(values if values is not None and t.state.name == "COMPLETE"
                           else [""] * len(keys)),
                         *([("met" if all(v <= 0 for v in t.constraints.values()) else "broken")
                            if t.constraints else ""] if spec.constraints else []),
                         t.user_attrs.get(PRUNED_AT, ""), *(t.params.get(n, "") for n in names)])
    atomic_text(out / TRIALS_TABLE, buf.getvalue())


#: The folder of a multi-objective study's Pareto-front configurations (trial-N.json).
PARETO = "pareto"


def _config_file(spec: TuneSpec, params: Mapping[str, Any]) -> dict[str, dict]:
    """The configuration of a trial's values that ``seqnest learn --config`` takes:
    the spec's ``config``, its top-level values where the family's points put them
    (e.g. episodes), the trial's values."""
    groups: dict[str, dict] = {g: dict(v) for g, v in spec.sweep.config.items()}
    top = {"episodes": spec.sweep.episodes, "threads": spec.sweep.threads, **spec.sweep.extra}
    for name, key in spec.sweep.family.run_keys.items():
        if top.get(name) is not None:
            group, field_name = key.split(".", 1)
            groups.setdefault(group, {})[field_name] = top[name]
    for key, value in params.items():
        group, name = key.split(".", 1)
        groups.setdefault(group, {})[name] = value
    return groups


def tell_trial(study, spec: TuneSpec, runs: Path, trial, values: dict,
               problems: Mapping[str, str], say: Callable[[str], None]) -> None:
    """Tell the study the outcome of ``trial`` (values ``values``) once all its points
    are back: pruned (its pruner, or that of a trial of the same values, stopped a
    point), failed (a point failed, see ``problems``: point key -> why), or its
    objective(s), the mean over its seeds, with its constraints."""
    from optuna.trial import TrialState

    from seqnest.sequences.sweep.run import STOPPED
    measured = [_objective(spec, runs, values, key) for key, _ in spec.objectives]
    value = None if None in measured else measured
    trial.set_user_attr("evaluated", True)
    # what the workers recorded (the asked Trial object caches its attributes)
    stored = next(t for t in study.get_trials(deepcopy=False) if t.number == trial.number)
    pruned_at = stored.user_attrs.get(PRUNED_AT)
    stopped = [why for why in problems.values() if why.startswith(STOPPED)]
    if pruned_at is not None or (value is None and stopped):
        study.tell(trial, state=TrialState.PRUNED)
        say(f"trial {trial.number}: {_shown(values)} -> pruned"
            + (f" at episode {pruned_at}" if pruned_at is not None else
               " (a trial of the same values was)"))
        return
    if value is None:
        study.tell(trial, state=TrialState.FAIL)
        say(f"trial {trial.number}: {_shown(values)} -> failed (see {runs}/failures.json)")
        return
    broken = []
    for c in spec.constraints:
        found = _objective(spec, runs, values, c.key)
        violation = math.inf if found is None else c.violation(found)
        trial.set_constraint(c.name, violation)
        if violation > 0:
            broken.append(f"{c.key} {found:.4g}" if found is not None else f"{c.key} missing")
    study.tell(trial, value if spec.multi else value[0])
    say(f"trial {trial.number}: {_shown(values)} -> "
        + ", ".join(f"{key} {x:.4g}" for (key, _), x in zip(spec.objectives, value))
        + (f" (infeasible: {', '.join(broken)})" if broken else ""))


def _shown(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in values.items())
