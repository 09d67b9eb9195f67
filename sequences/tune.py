# SPDX-License-Identifier: GPL-2.0-or-later
"""A model-based search of a family's parameters (``seqnest tune``), with Optuna.

The spec (:mod:`seqnest.sequences.tune_spec`) is a sweep spec whose ``vary``
section is replaced by the search, its objective(s), seeds, budget, and an
optional sampler, pruner (:mod:`seqnest.sequences.tune_pruning`) and constraints.

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

import contextlib
import math
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from seqnest.params import ParameterError
from seqnest.sequences.rundir import RunDirError, read_json, require_writable, write_json
from seqnest.sequences.sweep.points import expand
from seqnest.sequences.tune_pruning import PRUNED_AT, STOPPED, journal_storage
from seqnest.sequences.tune_runner import IMPOSSIBLE
from seqnest.sequences.tune_spec import (JOURNAL, TUNE_MARKER, Dimension, TuneSpec, feasible,
                                         load_tune_spec, load_tune_spec_data, trial_sweep)
from seqnest.sequences.tune_validate import run_validation, top_trials

__all__ = ["TuneSpec", "Dimension", "load_tune_spec", "load_tune_spec_data", "run_tune",
           "TUNE_MARKER", "tell_trial", "write_trials_table"]

#: The cost of the latest command's trials so far (rewritten after every trial).
COST = "cost.json"


def _means(spec: TuneSpec, runs: Path, values: dict, keys: list[str]) -> dict[str, float | None]:
    """Each summary metric of ``keys``, the mean over the points of the trial of
    ``values`` (each point's metrics read once; None for a key where a point failed
    or does not report it)."""
    from seqnest.sequences.sweep.run import reuse_scan
    found_rows, missing = reuse_scan(spec.sweep, runs, expand(trial_sweep(spec, [values])))
    if missing:
        return dict.fromkeys(keys)
    rows = list(found_rows.values())
    out: dict[str, float | None] = {}
    for key in keys:
        found = [row.get(key) for row in rows]
        ok = rows and all(isinstance(v, (int, float)) and math.isfinite(v) for v in found)
        out[key] = sum(found) / len(found) if ok else None
    return out


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
        if stored != spec.comparable():
            raise RunDirError(f"{out} holds a study of another spec: choose another --out "
                              "(or continue it with its own spec)")
    return require_writable(out, f"cannot write the tune directory {out}")


def run_tune(spec: TuneSpec, out: str | os.PathLike, trials: int | None = None,
             cluster: str = "local", workers: int = 2, progress: bool = False,
             module=None, say: Callable[[str], None] = print) -> dict:
    """Run (or continue) the study of ``spec`` in ``out`` until ``trials`` trials
    (default: the spec's) have finished; return the best trial and the counts."""
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
    write_json(out / TUNE_MARKER, {"spec": spec.comparable(),
                                   "pruner": spec.data.get("pruner"),   # the latest run's
                                   "objective": spec.objective,
                                   "direction": spec.direction, "seeds": spec.seeds,
                                   "objectives": [list(o) for o in spec.objectives]})
    study = _open_study(out / JOURNAL, spec)
    module = provide(module)                                  # once, before the workers
    runs = out / "runs"
    started, ran, cost = time.perf_counter(), 0, None

    def finished() -> int:
        """Trials evaluated (a trial its killed client left is not: it is asked again)."""
        ended = (TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED)
        return sum(1 for t in study.get_trials(deepcopy=False, states=ended)
                   if t.user_attrs.get("evaluated") or PRUNED_AT in t.user_attrs)

    validated = None
    with contextlib.ExitStack() as stack:
        running = None
        if finished() < target:
            from seqnest.sequences.tune_runner import run_trials
            check_sweep_output(runs)

            def told(line: str) -> None:          # each trial told: its line, the table
                say(line)
                write_trials_table(out, study, spec)
            # one cluster for the whole search: its workers stay busy from trial to trial
            running = stack.enter_context(sweep_cluster(spec.sweep, cluster, workers, runs))
            ran, cost = run_trials(
                study, spec, runs, target, running, finished,
                lambda values: expand(trial_sweep(spec, [values])),
                lambda trial, values, problems: tell_trial(study, spec, runs, trial, values,
                                                           problems, told),
                out / JOURNAL, progress, local_workers=workers if cluster == "local" else None,
                known=_told_points(study, spec, runs),
                spent=lambda so_far: write_json(out / COST, so_far))
        if spec.validate is not None and finished() >= spec.trials:
            # once the study has its budget; on the same cluster, or one of its own
            complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            validated = run_validation(spec, top_trials([t for t in complete if feasible(t)],
                                                        spec),
                                       out, running, module, cluster, workers)

    summary = _results(out, study, spec, {"trials": finished(), "ran": ran}, validated)
    if spec.validate is not None and summary["trials"] < spec.trials:
        summary["validation_waits"] = spec.trials       # the budget it waits for
    summary["seconds"] = time.perf_counter() - started
    summary["cost"] = cost                  # of this command's trials (None: none ran)
    write_json(out / "summary.json", summary)
    write_trials_table(out, study, spec)
    return summary


def _told_points(study, spec: TuneSpec, runs: Path) -> tuple[list, dict]:
    """The points of the trials the study was told of, and the rows of those complete."""
    from optuna.trial import TrialState

    from seqnest.sequences.sweep.run import reuse_scan
    ended = (TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED)
    values = [t.params for t in study.get_trials(deepcopy=False, states=ended)
              if t.params and IMPOSSIBLE not in t.user_attrs]
    if not values:
        return [], {}
    points = list({p.key: p for p in expand(trial_sweep(spec, values))}.values())
    return points, reuse_scan(spec.sweep, runs, points)[0]


def _open_study(journal: Path, spec: TuneSpec):
    """The study of ``journal`` (created if new), its sampler seeded past the trials it
    holds; trials a killed client left running are told: pruned where their pruner
    had stopped them, else failed and their values asked again (points reused)."""
    import optuna
    from optuna.trial import TrialState
    storage = journal_storage(journal)
    created = optuna.create_study(study_name="seqnest", storage=storage, load_if_exists=True,
                                  directions=[d for _, d in spec.objectives])
    if spec.warm_start is not None:       # a new study starts with the other's trials
        from seqnest.sequences.tune_warm import warm_start
        warm_start(created, spec)
    existing = len(created.trials)
    # a continued study draws on from where it stopped (same spec, same sequence of runs)
    study = optuna.load_study(study_name="seqnest", storage=storage,
                              sampler=spec.make_sampler(existing))
    for stale in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if PRUNED_AT in stale.user_attrs:
            study.tell(stale.number, state=TrialState.PRUNED)
            continue
        study.tell(stale.number, state=TrialState.FAIL)
        study.enqueue_trial(stale.params)
    return study


def _results(out: Path, study, spec: TuneSpec, counts: dict,
             validated: dict | None = None) -> dict:
    """The summary of the study (``counts`` and the trials by state, the best trial or
    the Pareto front, the rescored trials of ``validated``) and the best values as
    configuration files: ``best_config.json`` is the rescored best where the spec
    validates, else the best of the search."""
    from optuna.trial import TrialState
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    pruned = study.get_trials(deepcopy=False, states=(TrialState.PRUNED,))
    summary = {**counts, "complete": len(complete), "pruned": len(pruned), "best": None}
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
        return summary
    try:
        best = study.best_trial if complete else None
    except ValueError:                   # none of the finished trials meets the constraints
        best = None
    if best is not None:       # the best trial as a configuration file learn --config takes
        summary["best"] = {"number": best.number, "value": best.value, "params": best.params}
        write_json(out / "best_config.json", _config_file(spec, best.params))
    if validated is not None:
        summary["validation"] = validated
        chosen = validated["best"]
        if chosen is not None:
            write_json(out / "best_config.json",
                       _config_file(spec, chosen["params"], validated["episodes"]))
    return summary


#: The study's table: a row per trial (runs/results.csv: a row per point).
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
                         *([("met" if feasible(t) else "broken") if t.constraints else ""]
                           if spec.constraints else []),
                         t.user_attrs.get(PRUNED_AT, ""), *(t.params.get(n, "") for n in names)])
    atomic_text(out / TRIALS_TABLE, buf.getvalue())


#: The folder of a multi-objective study's Pareto-front configurations (trial-N.json).
PARETO = "pareto"


def _config_file(spec: TuneSpec, params: Mapping[str, Any],
                 episodes: int | None = None) -> dict[str, dict]:
    """The configuration of a trial's values that ``seqnest learn --config`` takes:
    the spec's ``config``, its top-level values where the family's points put them
    (e.g. episodes; ``episodes`` replaces the spec's), the trial's values."""
    groups: dict[str, dict] = {g: dict(v) for g, v in spec.sweep.config.items()}
    top = {"episodes": episodes or spec.sweep.episodes, "threads": spec.sweep.threads,
           **spec.sweep.extra}
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

    if IMPOSSIBLE in problems:
        trial.set_user_attr("evaluated", True)
        trial.set_user_attr(IMPOSSIBLE, problems[IMPOSSIBLE])
        study.tell(trial, state=TrialState.FAIL)
        say(f"trial {trial.number}: {_shown(values)} -> impossible together: "
            f"{problems[IMPOSSIBLE]}")
        return
    means = _means(spec, runs, values, [k for k, _ in spec.objectives]
                   + [c.key for c in spec.constraints])
    measured = [means[key] for key, _ in spec.objectives]
    value = None if None in measured else measured
    trial.set_user_attr("evaluated", True)
    # what the workers recorded (the asked Trial object caches its attributes)
    stored = next(t for t in study.get_trials(deepcopy=False) if t.number == trial.number)
    pruned_at = stored.user_attrs.get(PRUNED_AT)
    stopped = [why for why in problems.values() if why.startswith(STOPPED)]
    if pruned_at is not None or (value is None and stopped):
        study.tell(trial, state=TrialState.PRUNED)
        say(f"trial {trial.number}: {_shown(values)} -> pruned"
            + (f" at {spec.sweep.family.episode_word} {pruned_at}" if pruned_at is not None else
               " (a trial of the same values was)"))
        return
    if value is None:
        study.tell(trial, state=TrialState.FAIL)
        say(f"trial {trial.number}: {_shown(values)} -> failed (see {runs}/failures.json)")
        return
    broken = []
    for c in spec.constraints:
        found = means[c.key]
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
