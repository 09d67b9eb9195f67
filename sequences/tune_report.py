# SPDX-License-Identifier: GPL-2.0-or-later
"""The HTML report of a tune directory (``seqnest report DIR``; no NEST needed):
the optimisation history, each parameter's importance (Optuna's fANOVA), the
objective against each parameter, the best trials' learning curves (mean over
their seeds) and the table of trials."""
from __future__ import annotations

import html
import os
import time
from pathlib import Path

import numpy as np

from seqnest.sequences.html import (Figures, check_report_output, figures_html,
                                    header_table, html_page, publish, table)
from seqnest.sequences.rundir import RunDirError, check_run_dir, read_json
from seqnest.sequences.tune_spec import feasible

__all__ = ["write_tune_report"]

#: The best trials whose learning curves are drawn.
BEST_SHOWN = 3


def _study(folder: Path):
    import optuna

    from seqnest.sequences.tune_pruning import journal_storage
    from seqnest.sequences.tune_spec import JOURNAL
    path = folder / JOURNAL
    if not path.is_file():
        raise RunDirError(f"missing file: {path}")
    try:
        return optuna.load_study(study_name="seqnest", storage=journal_storage(path))
    except Exception as exc:      # noqa: BLE001 - a damaged or foreign journal
        raise RunDirError(f"cannot read the study in {path}: "
                          f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                          ) from None


def _curves(folder: Path, spec, trial) -> tuple[np.ndarray, np.ndarray] | None:
    """(episodes, the mean over the trial's seeds of the family's learning curve):
    from the points' run directories, else from what their pruning monitors recorded
    in the study (a study kept without its runs)."""
    from seqnest.sequences.sweep.points import expand
    from seqnest.sequences.tune_spec import trial_sweep
    from seqnest.sequences.tune_pruning import curve_key
    name = _curve_name(spec)
    curves = []
    for p in expand(trial_sweep(spec, [trial.params])):
        metrics = folder / "runs" / p.key / "metrics.json"
        if metrics.is_file():
            curve = np.asarray(read_json(metrics).get(name) or [], dtype=float)
            if curve.size:
                curves.append(_smoothed(curve, spec.pruner.smooth if spec.pruner else 1))
    if curves:
        n = min(len(c) for c in curves)
        start = 1 + _first_episode(spec, n)
        return np.arange(start, start + n), np.mean([c[:n] for c in curves], axis=0)
    steps = sorted({int(k.split(":")[2]) for k in trial.user_attrs if k.startswith("curve:")})
    if not steps:
        return None
    means = [np.mean([trial.user_attrs[curve_key(s, k)] for s in spec.seeds
                      if curve_key(s, k) in trial.user_attrs]) for k in steps]
    return np.asarray(steps), np.asarray(means)


def _smoothed(curve: np.ndarray, k: int) -> np.ndarray:
    """The mean of each value and the k - 1 before it, as the pruner judged the curve."""
    if k <= 1:
        return curve
    sums = np.cumsum(np.insert(curve, 0, 0.0))
    idx = np.arange(1, curve.size + 1)
    return (sums[idx] - sums[np.maximum(idx - k, 0)]) / np.minimum(idx, k)


def _curve_name(spec) -> str:
    """The curve the report draws: the pruner's, else the family's learning curve."""
    if spec.pruner is not None:
        return spec.pruner.curve
    return next(iter(spec.sweep.family.curves), "error")


def _first_episode(spec, n: int) -> int:
    """Episodes before a curve of ``n`` values starts (pattern sequences score phase 2
    only: their curve ends at the last iteration)."""
    episodes = spec.sweep.episodes
    return max(0, int(episodes) - n) if episodes is not None else 0


def _figures(figs: Figures, folder: Path, spec, study, complete: list,
             names: list) -> tuple[list, dict]:
    """The report's figures; returns the best feasible trials (best first; with several
    objectives, the Pareto front by the first) and each objective's importances."""
    values = np.array([t.values for t in complete], dtype=float)        # trials x objectives
    _history(figs, spec, complete, values)
    front = {t.number for t in study.best_trials} if spec.multi else set()
    if spec.multi:
        _pareto(figs, spec, complete, values, front)
    _against(figs, spec, complete, values, names)
    importances = {key: _importances(study, j, values[:, j], names)
                   for j, (key, _) in enumerate(spec.objectives)}
    importances = {k: v for k, v in importances.items() if v}
    if importances:
        def importance(*axes):
            for ax, (key, imp) in zip(axes, importances.items()):
                keys = list(imp)[::-1]
                ax.barh(keys, [imp[k] for k in keys], color="0.5")
                ax.set_xlabel(f"importance for {key} (fANOVA, sums to 1)", fontsize=8)
        figs.add("tune_importance", "Each parameter's share of the variance of "
                 + " and of ".join(importances) + " over the finished trials (Optuna's "
                 "fANOVA).", importance, ncols=len(importances),
                 size=(6.0 * len(importances), 0.5 + 0.45 * len(names)))
    low0 = spec.objectives[0][1] == "minimize"
    pool = ([t for t in complete if t.number in front] if spec.multi
            else [t for t in complete if feasible(t)])
    ranked = sorted(pool, key=lambda t: t.values[0], reverse=not low0)[:BEST_SHOWN]
    _best_curves(figs, folder, spec, study, ranked)
    return ranked, importances


def _history(figs: Figures, spec, complete: list, values: np.ndarray) -> None:
    """Each objective of every finished trial, and the best feasible so far."""
    aims = list(spec.objectives)
    numbers = np.array([t.number for t in complete])
    ok = np.array([feasible(t) for t in complete])

    def history(*axes):
        for ax, (j, (key, direction)) in zip(axes, enumerate(aims)):
            v, low = values[:, j], direction == "minimize"
            best = (np.minimum if low else np.maximum).accumulate(
                np.where(ok, v, np.inf if low else -np.inf))
            ax.plot(numbers[ok], v[ok], "o", ms=4, alpha=0.6, label="trial")
            if not ok.all():
                ax.plot(numbers[~ok], v[~ok], "x", ms=4, color="0.5",
                        label="outside the constraints")
            ax.step(numbers, best, where="post", color="k", lw=1.2, label="best so far")
            ax.set_xlabel("trial")
            ax.set_ylabel(f"{key} ({'lower' if low else 'higher'} is better)", fontsize=8)
        axes[0].legend(fontsize=8)
    figs.add("tune_history", "Optimisation history: "
             + ", ".join(k for k, _ in aims) + " of every finished trial and the best so far"
             + (" (each objective alone)" if spec.multi else "") + ".", history,
             ncols=len(aims), size=(5.0 * len(aims), 3.4))


def _pareto(figs: Figures, spec, complete: list, values: np.ndarray, front: set) -> None:
    """The finished trials in the plane of the first two objectives, the front marked."""
    on = np.array([t.number in front for t in complete])
    (first, _), (second, _) = spec.objectives[:2]

    def pareto(ax):
        ax.plot(values[~on, 0], values[~on, 1], "o", ms=4, alpha=0.4, color="0.6",
                label="trial")
        ax.plot(values[on, 0], values[on, 1], "o", ms=5, color="C3", label="Pareto front")
        ax.set_xlabel(first)
        ax.set_ylabel(second)
        ax.legend(fontsize=8)
    figs.add("tune_pareto", f"The finished trials in the plane of the first two "
             f"objectives; red: the Pareto front (feasible trials no other beats in "
             f"every objective), {len(front)} trials.", pareto)


def _against(figs: Figures, spec, complete: list, values: np.ndarray, names: list) -> None:
    """The first objective against each searched parameter."""
    key0 = spec.objectives[0][0]

    def against(*axes):
        for ax, name in zip(axes, names):
            x = [t.params.get(name) for t in complete]
            if all(isinstance(v, (int, float)) for v in x):
                ax.plot(x, values[:, 0], "o", ms=4, alpha=0.6)
            else:
                labels = sorted({str(v) for v in x})
                ax.plot([labels.index(str(v)) for v in x], values[:, 0], "o", ms=4, alpha=0.6)
                ax.set_xticks(range(len(labels)), labels, rotation=30, fontsize=7)
            ax.set_xlabel(name, fontsize=8)
        axes[0].set_ylabel(key0)
        for ax in axes[len(names):]:
            ax.axis("off")
    ncols = min(4, len(names))
    nrows = -(-len(names) // ncols)
    figs.add("tune_parameters", f"{key0} against each searched parameter.", against,
             ncols=ncols, nrows=nrows, size=(3.4 * ncols, 2.9 * nrows))


def _best_curves(figs: Figures, folder: Path, spec, study, ranked: list) -> None:
    """The learning curves of the best trials, and where the pruned ones stopped."""
    curves = {t.number: _curves(folder, spec, t) for t in ranked}
    if not any(c is not None for c in curves.values()):
        return
    name = _curve_name(spec)
    pruned = [t for t in study.trials if t.state.name == "PRUNED"]

    def learning(ax):
        for t in pruned:                    # where the pruner stopped the others
            found = _curves(folder, spec, t)
            if found is not None:
                ax.plot(*found, color="0.8", lw=0.8, zorder=1)
        for number, curve in curves.items():
            if curve is not None:
                ax.plot(*curve, label=f"trial {number}", zorder=2)
        ax.set_xlabel(spec.sweep.family.episode_word)
        ax.set_ylabel(f"{name} (mean over seeds)")
        ax.legend(fontsize=8)
    figs.add("tune_best_curves", f"Learning curves ({name}) of the {len(ranked)} best "
             "trials" + (f" of the Pareto front by {spec.objectives[0][0]}"
                         if spec.multi else "")
             + " (mean over each trial's seeds"
             + (f"; each seed's curve the mean of its last {spec.pruner.smooth} values, as "
                "the pruner judged it" if spec.pruner and spec.pruner.smooth > 1 else "")
             + ")"
             + (f"; grey: the {len(pruned)} pruned trials up to where they were stopped"
                if pruned else "") + ".", learning)


def _importances(study, j: int, values: np.ndarray, names: list) -> dict:
    """fANOVA importances of the parameters for objective ``j`` ({} when there are
    too few distinct finished trials or the objective does not vary)."""
    if len(values) < 3 or not names or np.ptp(values) <= 0:
        return {}
    import warnings

    import optuna
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return optuna.importance.get_param_importances(
                study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0),
                target=lambda t: t.values[j])
    except Exception:          # noqa: BLE001 - too few distinct trials: no figure
        return {}


def _validation(folder: Path, spec) -> tuple[list, str] | None:
    """The summary rows and the table of the trials rescored on unseen seeds
    (``validation.csv``), None where the search has not rescored any."""
    import csv

    from seqnest.sequences.tune_validate import VALIDATION_TABLE
    path = folder / VALIDATION_TABLE
    if not path.is_file():
        return None
    with open(path, newline="") as fh:
        found = list(csv.DictReader(fh))
    key = f"validation_{spec.objective}"
    scored = [r for r in found if r.get(key)]
    if not scored:
        return [("rescored on unseen seeds", "no rescored trial finished")], ""
    best = (max if spec.direction == "maximize" else min)(scored, key=lambda r: float(r[key]))
    seeds = [k.removeprefix("seed_") for k in found[0] if k.startswith("seed_")]
    rows = [("rescored on unseen seeds", f"the {len(found)} best trials on seeds "
             f"{', '.join(seeds)}: best trial {best['trial']}, {float(best[key]):.4g} "
             f"(in the search {float(best[f'search_{spec.objective}']):.4g})"),
            ("as a configuration file", f"{folder / 'best_config.json'} (trial {best['trial']})")]
    return rows, header_table(list(found[0]), found)


def write_tune_report(folder: str | os.PathLike, out: str | os.PathLike | None = None) -> Path:
    """Write ``OUT/report.html`` (``OUT`` defaults to the tune directory)."""
    from optuna.trial import TrialState
    started = time.perf_counter()
    folder = check_run_dir(folder)
    out = check_report_output(folder if out is None else out)
    from seqnest.sequences.tune_spec import TUNE_MARKER, load_tune_spec_data
    record = read_json(folder / TUNE_MARKER)
    # a warm start's path is relative to the spec it was written in: not needed here
    data = {k: v for k, v in record["spec"].items() if k != "warm_start"}
    if record.get("pruner"):
        data["pruner"] = record["pruner"]
    spec = load_tune_spec_data(data, folder / TUNE_MARKER)
    study = _study(folder)
    complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
    if not complete:
        raise RunDirError(f"{folder}: no finished trial yet")
    names = sorted({k for t in complete for k in t.params})

    figs = Figures()
    ranked, importances = _figures(figs, folder, spec, study, complete, names)
    keys = [k for k, _ in spec.objectives]
    rows = [("objective" + ("s (a Pareto front)" if spec.multi else ""),
             "; ".join(f"{k} ({d})" for k, d in spec.objectives)
             + f", mean over seeds {', '.join(map(str, spec.seeds))}"),
            ("trials", f"{len(study.trials)} asked, {len(complete)} finished, "
                       f"{sum(t.state == TrialState.PRUNED for t in study.trials)} pruned"
                       + (f" ({spec.pruner.type} on {spec.pruner.curve}, from episode "
                          f"{spec.pruner.warmup_episodes})" if spec.pruner else "")),
            *([("constraints", "; ".join(c.name for c in spec.constraints)
                + f" (mean over the seeds): {sum(map(feasible, complete))} of {len(complete)} "
                  "finished trials meet them")] if spec.constraints else [])]
    rows += [(f"importance for {key} (fANOVA)",
              ", ".join(f"{name} {share:.2f}" for name, share in imp.items()))
             for key, imp in importances.items()]
    rescored = None
    if spec.multi:
        rows += [("Pareto front", f"{len(study.best_trials)} trials: "
                  + ", ".join(str(t.number) for t in study.best_trials)),
                 ("as configuration files", str(folder / "pareto") + "/trial-N.json")]
    elif ranked:
        best = ranked[0]
        rows += [("best trial", f"{best.number}: {best.value:.4g}"),
                 ("best values", ", ".join(f"{k} = {v}" for k, v in best.params.items()))]
        rescored = _validation(folder, spec)
        if rescored is None:
            rows.append(("as a configuration file", str(folder / "best_config.json")))
        else:
            rows += rescored[0]
    else:
        rows.append(("best trial", "none: no finished trial meets the constraints"))
    header = ["trial", "state", *keys, *(["constraints"] if spec.constraints else []),
              *names]
    trials = [dict(zip(header, [t.number, t.state.name.lower(),
                                *([f"{x:.4g}" for x in t.values]
                                  if t.values is not None and len(t.values) == len(keys)
                                  else [""] * len(keys)),
                                *([("met" if feasible(t) else "broken")
                                   if t.constraints else ""] if spec.constraints else []),
                                *[t.params.get(n, "") for n in names]]))
              for t in study.trials]
    body = [f"<h1>seqnest parameter search {html.escape(folder.name)}</h1>",
            "<h2>Summary</h2>", table(rows), "<h2>Figures</h2>", figures_html(figs),
            *(["<h2>Best trials rescored on unseen seeds</h2>", rescored[1]]
              if rescored is not None else []),
            "<h2>Trials</h2>", header_table(header, trials),
            f"<p>Report written in {time.perf_counter() - started:.1f} s.</p>"]
    return publish(out, figs, html_page(f"seqnest search report: {folder.name}", body))
