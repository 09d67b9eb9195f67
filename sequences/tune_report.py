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

__all__ = ["write_tune_report"]

#: The best trials whose learning curves are drawn.
BEST_SHOWN = 3


def _study(folder: Path):
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    from seqnest.sequences.tune import JOURNAL
    path = folder / JOURNAL
    if not path.is_file():
        raise RunDirError(f"missing file: {path}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        return optuna.load_study(study_name="seqnest",
                                 storage=JournalStorage(JournalFileBackend(str(path))))
    except Exception as exc:      # noqa: BLE001 - a damaged or foreign journal
        raise RunDirError(f"cannot read the study in {path}: "
                          f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                          ) from None


def _curves(folder: Path, spec, trial) -> tuple[np.ndarray, np.ndarray] | None:
    """(episodes, the mean over the trial's seeds of the family's learning curve):
    from the points' run directories, else from what their pruning monitors recorded
    in the study (a study kept without its runs)."""
    from seqnest.sequences.sweep.points import expand
    from seqnest.sequences.tune import _batch_spec
    from seqnest.sequences.tune_pruning import curve_key
    name = _curve_name(spec)
    curves = []
    for p in expand(_batch_spec(spec, [trial.params])):
        metrics = folder / "runs" / p.key / "metrics.json"
        if metrics.is_file():
            curve = np.asarray(read_json(metrics).get(name) or [], dtype=float)
            if curve.size:
                curves.append(curve)
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


def _feasible(trial) -> bool:
    """Whether a finished trial meets the study's constraints (Optuna's: all <= 0)."""
    return all(v <= 0 for v in trial.constraints.values())


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
             values: np.ndarray, names: list, minimize: bool, objective: str) -> list:
    """The report's figures; returns the best feasible trials (best first)."""
    numbers = np.array([t.number for t in complete])
    ok = np.array([_feasible(t) for t in complete])
    worst = np.inf if minimize else -np.inf
    best_so_far = (np.minimum if minimize else np.maximum).accumulate(
        np.where(ok, values, worst))

    def history(ax):
        ax.plot(numbers[ok], values[ok], "o", ms=4, alpha=0.6, label="trial")
        if not ok.all():
            ax.plot(numbers[~ok], values[~ok], "x", ms=4, color="0.5",
                    label="outside the constraints")
        ax.step(numbers, best_so_far, where="post", color="k", lw=1.2, label="best so far")
        ax.set_xlabel("trial")
        ax.set_ylabel(objective)
        ax.legend(fontsize=8)
    figs.add("tune_history", f"Optimisation history: {objective} of every finished trial "
             f"({'lower' if minimize else 'higher'} is better) and the best so far.", history)

    def against(*axes):
        for ax, name in zip(axes, names):
            x = [t.params.get(name) for t in complete]
            if all(isinstance(v, (int, float)) for v in x):
                ax.plot(x, values, "o", ms=4, alpha=0.6)
            else:
                labels = sorted({str(v) for v in x})
                ax.plot([labels.index(str(v)) for v in x], values, "o", ms=4, alpha=0.6)
                ax.set_xticks(range(len(labels)), labels, rotation=30, fontsize=7)
            ax.set_xlabel(name, fontsize=8)
        axes[0].set_ylabel(objective)
        for ax in axes[len(names):]:
            ax.axis("off")
    ncols = min(4, len(names))
    nrows = -(-len(names) // ncols)
    figs.add("tune_parameters", f"{objective} against each searched parameter.", against,
             ncols=ncols, nrows=nrows, size=(3.4 * ncols, 2.9 * nrows))

    importances = {}
    if len(complete) >= 3 and names and np.ptp(values) > 0:
        import warnings

        import optuna
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                importances = optuna.importance.get_param_importances(
                    study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0))
        except Exception:          # noqa: BLE001 - too few distinct trials: no figure
            importances = {}
    if importances:
        def importance(ax):
            keys = list(importances)[::-1]
            ax.barh(keys, [importances[k] for k in keys], color="0.5")
            ax.set_xlabel("importance (fANOVA, sums to 1)")
        figs.add("tune_importance", "Each parameter's share of the objective's variance "
                 "over the finished trials (Optuna's fANOVA).", importance,
                 size=(6.0, 0.5 + 0.45 * len(importances)))

    ranked = sorted([t for t in complete if _feasible(t)], key=lambda t: t.value,
                    reverse=not minimize)[:BEST_SHOWN]
    curves = {t.number: _curves(folder, spec, t) for t in ranked}
    name = _curve_name(spec)
    pruned = [t for t in study.trials if t.state.name == "PRUNED"]
    if any(c is not None for c in curves.values()):
        def learning(ax):
            for t in pruned:                    # where the pruner stopped the others
                found = _curves(folder, spec, t)
                if found is not None:
                    ax.plot(*found, color="0.8", lw=0.8, zorder=1)
            for number, curve in curves.items():
                if curve is not None:
                    ax.plot(*curve, label=f"trial {number}", zorder=2)
            ax.set_xlabel("episode")
            ax.set_ylabel(f"{name} (mean over seeds)")
            ax.legend(fontsize=8)
        figs.add("tune_best_curves", f"Learning curves ({name}) of the {len(ranked)} best "
                 "trials (mean over each trial's seeds)"
                 + (f"; grey: the {len(pruned)} pruned trials up to where they were stopped"
                    if pruned else "") + ".", learning)

    return ranked


def write_tune_report(folder: str | os.PathLike, out: str | os.PathLike | None = None) -> Path:
    """Write ``OUT/report.html`` (``OUT`` defaults to the tune directory)."""
    from optuna.trial import TrialState
    started = time.perf_counter()
    folder = check_run_dir(folder)
    out = check_report_output(folder if out is None else out)
    from seqnest.sequences.tune import load_tune_spec_data
    record = read_json(folder / "tune.json")
    spec = load_tune_spec_data({**record["spec"], **({"pruner": record["pruner"]}
                                                      if record.get("pruner") else {})},
                               folder / "tune.json")
    study = _study(folder)
    complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
    if not complete:
        raise RunDirError(f"{folder}: no finished trial yet")
    minimize = record.get("direction", "minimize") == "minimize"
    objective = record.get("objective", "objective")
    values = np.array([t.value for t in complete], dtype=float)
    names = sorted({k for t in complete for k in t.params})

    figs = Figures()
    ranked = _figures(figs, folder, spec, study, complete, values, names, minimize, objective)
    rows = [("objective", f"{objective} ({record.get('direction', 'minimize')}), mean over "
                          f"seeds {record.get('seeds')}"),
            ("trials", f"{len(study.trials)} asked, {len(complete)} finished, "
                       f"{sum(t.state == TrialState.PRUNED for t in study.trials)} pruned"
                       + (f" ({spec.pruner.type} on {spec.pruner.curve}, from episode "
                          f"{spec.pruner.warmup_episodes})" if spec.pruner else "")),
            *([("constraints", "; ".join(c.name for c in spec.constraints)
                + f" (mean over the seeds): {sum(map(_feasible, complete))} of {len(complete)} "
                  "finished trials meet them")] if spec.constraints else [])]
    if ranked:
        best = ranked[0]
        rows += [("best trial", f"{best.number}: {best.value:.4g}"),
                 ("best values", ", ".join(f"{k} = {v}" for k, v in best.params.items())),
                 ("as a configuration file", str(folder / "best_config.json"))]
    else:
        rows.append(("best trial", "none: no finished trial meets the constraints"))
    header = ["trial", "state", objective, *(["constraints"] if spec.constraints else []),
              *names]
    trials = [dict(zip(header, [t.number, t.state.name.lower(),
                                "" if t.value is None else f"{t.value:.4g}",
                                *([("met" if _feasible(t) else "broken")
                                   if t.constraints else ""] if spec.constraints else []),
                                *[t.params.get(n, "") for n in names]]))
              for t in study.trials]
    body = [f"<h1>seqnest parameter search {html.escape(folder.name)}</h1>",
            "<h2>Summary</h2>", table(rows), "<h2>Figures</h2>", figures_html(figs),
            "<h2>Trials</h2>", header_table(header, trials),
            f"<p>Report written in {time.perf_counter() - started:.1f} s.</p>"]
    return publish(out, figs, html_page(f"seqnest search report: {folder.name}", body))
