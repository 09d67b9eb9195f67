# SPDX-License-Identifier: GPL-2.0-or-later
"""Network realisations in a sweep report: the points that differ only in their seed.

A result is read over several networks, and a learning curve iteration by
iteration, not only as a final number: for each group of points with the same
values (every point of a seeds-only sweep is one group) this gives each summary
metric's mean, standard deviation, range and every seed's value, and each
point's learning curve (the family's first curve) with the group's mean,
also as means over blocks of episodes, one row per seed.
"""
from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqnest.sequences.html import Figures, header_table
from seqnest.sequences.rundir import RunDirError, read_json

__all__ = ["Curve", "number", "seed_groups", "metric_summary", "point_curve", "block_means",
           "seeds_section"]

#: Blocks a learning curve is cut into for the table of block means (at least this
#: many episodes each, a round number).
BLOCKS = 7
#: Groups whose learning curves are drawn (the first ones; the tables cover all).
DRAWN_GROUPS = 12


def number(text) -> float:
    """A value read from results.csv as a float (NaN if it is empty or not a number)."""
    try:
        return float(text)
    except (TypeError, ValueError):
        return float("nan")


def seed_groups(rows: Sequence[Mapping], varied: Sequence[str]) -> dict[tuple, list[Mapping]]:
    """The points by their values of ``varied`` (the swept keys other than the seed),
    in the order they first appear."""
    groups: dict[tuple, list[Mapping]] = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in varied), []).append(row)
    return groups


def metric_summary(rows: Sequence[Mapping], metric: str) -> dict[str, float] | None:
    """n, mean, sd (n - 1), min and max of ``metric`` over ``rows`` (finite values
    only); None if there is none."""
    values = np.array([number(r.get(metric)) for r in rows])
    values = values[np.isfinite(values)]
    if not values.size:
        return None
    return {"n": int(values.size), "mean": float(values.mean()),
            "sd": float(values.std(ddof=1)) if values.size > 1 else 0.0,
            "min": float(values.min()), "max": float(values.max())}


@dataclass(frozen=True)
class Curve:
    """A point's learning curve: the first curve its family names."""

    name: str                   # the metrics.json key
    word: str                   # what the family calls an episode
    episodes: np.ndarray        # counted from the run's start
    values: np.ndarray


def point_curve(run_dir: Path) -> Curve | None:
    """The learning curve of a point (pattern sequences score phase 2 only: their
    curve ends at the last iteration); None without a readable one."""
    from seqnest.params import ParameterError
    from seqnest.sequences.sweep.family import family_of_record
    try:
        metrics = read_json(run_dir / "metrics.json")
        family = family_of_record(metrics)
        name = next(iter(family.curves))
        values = np.asarray(metrics.get(name) or [], dtype=float)
        total = int(metrics.get("iterations") or metrics.get("episodes") or values.size)
    except (RunDirError, ParameterError, OSError, StopIteration, TypeError, ValueError):
        return None
    if values.ndim != 1 or not values.size:
        return None
    start = 1 + max(0, total - values.size)
    return Curve(name, family.episode_word, np.arange(start, start + values.size), values)


def block_means(episodes: np.ndarray, values: np.ndarray, size: int) -> dict[str, float]:
    """``{"a-b": mean of the values of episodes a..b}`` in blocks of ``size`` episodes
    from the curve's first (the last block may be shorter)."""
    out = {}
    for lo in range(0, values.size, size):
        part = slice(lo, min(lo + size, values.size))
        out[f"{episodes[part][0]}-{episodes[part][-1]}"] = float(np.nanmean(values[part]))
    return out


def _block_size(n: int) -> int:
    size = max(1, -(-n // BLOCKS))
    return next((r for r in (1, 2, 5, 10, 20, 25, 50, 100) if r >= size), size)


def _fmt(v: float) -> str:
    return f"{v:.3g}" if np.isfinite(v) else "-"


def _shown(text: str) -> str:
    """A swept value as read from results.csv, numbers to 4 significant digits."""
    v = number(text)
    return f"{v:.4g}" if np.isfinite(v) else str(text)


def seeds_section(figs: Figures, sweep_dir: Path, rows: Sequence[Mapping],
                  varied: Sequence[str], metrics: Sequence[str]) -> list[str]:
    """The HTML of the report's section on network realisations (and its figure of
    learning curves added to ``figs``); empty when no group has two seeds."""
    groups = seed_groups(rows, varied)
    if max((len(g) for g in groups.values()), default=0) < 2:
        return []
    parts = ["<h2>Across network realisations</h2>",
             "<p>Points with the same values and different seeds; sd with n - 1.</p>"]
    drawn = []
    for index, (values, group) in enumerate(groups.items(), 1):
        label = f"group {index}" if varied else "every point"
        shown = ", ".join(f"{k} = {_shown(v)}" for k, v in zip(varied, values))
        seeds = [r.get("run.seed", r["point"]) for r in group]
        summary = [{"metric": m, **{k: _fmt(v) if isinstance(v, float) else v
                                    for k, v in s.items()},
                    "each seed": " ".join(_fmt(number(r.get(m))) for r in group)}
                   for m in metrics if (s := metric_summary(group, m)) is not None]
        parts += [f"<h3>{html.escape(label)}{': ' * bool(shown)}{html.escape(shown)} "
                  f"({len(group)} networks; seeds "
                  f"{html.escape(' '.join(map(str, seeds)))})</h3>",
                  header_table(["metric", "n", "mean", "sd", "min", "max", "each seed"],
                               summary)]
        curves = [(seed, c) for seed, r in zip(seeds, group)
                  if (c := point_curve(sweep_dir / r["point"])) is not None]
        if curves:
            mean = _mean_curve(curves)
            parts.append(_blocks_table(curves, mean))
            drawn.append((label, curves, mean))
    if drawn:
        _draw_curves(figs, drawn[:DRAWN_GROUPS], len(drawn))
    return parts


def _mean_curve(curves: list) -> Curve:
    """The mean over the seeds' curves (over the episodes all of them have)."""
    n = min(c.values.size for _, c in curves)
    first = curves[0][1]
    return Curve(first.name, first.word, first.episodes[:n],
                 np.mean([c.values[:n] for _, c in curves], axis=0))


def _blocks_table(curves: list, mean: Curve) -> str:
    """Each seed's curve as means over blocks of episodes, and their mean."""
    size = _block_size(mean.values.size)
    n = mean.values.size
    table = [{"seed": seed, **{k: _fmt(v) for k, v in
                               block_means(c.episodes[:n], c.values[:n], size).items()}}
             for seed, c in curves]
    table.append({"seed": "mean", **{k: _fmt(v) for k, v in
                                     block_means(mean.episodes, mean.values, size).items()}})
    return (f"<p>{html.escape(mean.name)} of each network, the mean over blocks of {size} "
            f"{html.escape(mean.word)}s:</p>" + header_table(list(table[0]), table))


def _draw_curves(figs: Figures, drawn: list, groups: int) -> None:
    first = drawn[0][2]                 # name and word of the curves
    ncols = min(3, len(drawn))
    nrows = -(-len(drawn) // ncols)

    def draw(*axes):
        for ax, (label, curves, mean) in zip(axes, drawn):
            for _, c in curves:
                ax.plot(c.episodes, c.values, color="0.6", lw=0.6)
            ax.plot(mean.episodes, mean.values, color="k", lw=1.5,
                    label=f"mean of {len(curves)}")
            ax.set_title(label, fontsize=8)
            ax.set_xlabel(first.word)
            ax.set_ylabel(first.name.replace("_", " "))
            ax.legend(fontsize=7)
        for ax in axes[len(drawn):]:
            ax.axis("off")
    more = f" (the first {len(drawn)} of {groups} groups)" if groups > len(drawn) else ""
    figs.add("sweep_seed_curves", f"Learning curves ({first.name}) of every network (grey) "
             f"and their mean (black), per group of points that differ only in the seed{more}.",
             draw, ncols=ncols, nrows=nrows, size=(4.2 * ncols, 3.0 * nrows))
