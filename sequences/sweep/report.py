# SPDX-License-Identifier: GPL-2.0-or-later
"""The HTML report of a sweep directory (no NEST needed): each summary metric of
``results.csv`` against each swept parameter, the points that differ only in their
seed summarised across those network realisations (:mod:`.seeds`), and the table
of points; where the points were replayed under noise (``replays.csv``), the
outcome of the replay trials under each condition and the table of replays."""
from __future__ import annotations

import csv
import html
import os
import time
from pathlib import Path

import numpy as np

from seqnest.sequences.html import (Figures, check_report_output, figures_html,
                                    header_table, html_page, publish)
from seqnest.sequences.rundir import RunDirError, check_run_dir, read_json
from seqnest.sequences.sweep.seeds import number, seeds_section

__all__ = ["write_sweep_report"]

#: The sweep page is wider, its table denser, than a run's.
WIDE_STYLE = "body{max-width:1400px}table{font-size:85%}th,td{padding:2px 6px}"


def _read_csv(path: Path) -> tuple[list[dict], list[str]]:
    """(rows, header) of a CSV file the sweep wrote; one line if it is damaged."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except (csv.Error, UnicodeDecodeError) as exc:
        raise RunDirError(f"corrupt file {path}: {exc}") from None
    return rows, list(rows[0].keys()) if rows else []


def _replay_outcomes(figs: Figures, rows: list[dict], header: list[str]) -> None:
    """One panel per replay condition: the probability of each branch, of a
    simultaneous replay and of a failure over the points (dots), their mean (bar),
    and each branch's training frequency (line)."""
    conditions = list(dict.fromkeys(r["condition"] for r in rows))
    branches = sorted({h.split("_")[0] for h in header
                       if h.startswith("branch") and h.endswith("_probability")})
    outcomes = [f"{b}_probability" for b in branches] + ["simultaneous", "failure"]
    labels = branches + ["simultaneous", "failure"]

    def draw(*axes):
        for ax, cond in zip(axes, conditions):
            mine = [r for r in rows if r["condition"] == cond]
            for i, key in enumerate(outcomes):
                y = np.array([number(r.get(key)) for r in mine])
                ax.bar(i, np.nanmean(y) if np.any(np.isfinite(y)) else 0.0, color="0.8")
                ax.plot(np.full(y.size, i), y, "o", ms=3, alpha=0.6, color="k")
                if key.startswith("branch"):
                    freq = np.nanmean([number(r.get(key.replace("probability", "frequency")))
                                       for r in mine])
                    ax.hlines(freq, i - 0.4, i + 0.4, colors="tab:red", lw=1.5)
            ax.set_xticks(range(len(labels)), labels, rotation=45, fontsize=7)
            ax.set_ylim(0, 1)
            ax.set_title(cond, fontsize=8)
        axes[0].set_ylabel("probability over trials")
        for ax in axes[len(conditions):]:
            ax.axis("off")
    ncols = min(4, len(conditions))
    nrows = -(-len(conditions) // ncols)
    figs.add("sweep_replays", "Replay trials under each noise condition: probability of each "
             "branch, of a simultaneous replay and of a failure (dots: points, every seed; "
             "bar: mean); red: the branch's training frequency.", draw,
             ncols=ncols, nrows=nrows, size=(3.6 * ncols, 3.2 * nrows))


def write_sweep_report(sweep_dir: str | os.PathLike,
                       out: str | os.PathLike | None = None) -> Path:
    """Write ``OUT/report.html`` (``OUT`` defaults to the sweep directory): the table of
    points and each summary metric against each swept parameter (mean over the other
    parameters, every point shown)."""
    started = time.perf_counter()
    sweep_dir = check_run_dir(sweep_dir)
    out = check_report_output(sweep_dir if out is None else out)
    path = sweep_dir / "results.csv"
    if not path.is_file():
        raise RunDirError(f"missing file: {path}")
    table, header = _read_csv(path)
    if not table or "point" not in header:
        raise RunDirError(f"{path}: no finished points")
    # varied keys are group.key, summary metrics plain names; the seed repeats a point
    varied = [h for h in header if "." in h and h.split(".")[-1] != "seed"]
    metrics = [h for h in header if h != "point" and "." not in h
               and any(np.isfinite(number(r[h])) for r in table)]
    failures = read_json(sweep_dir / "failures.json") if (sweep_dir / "failures.json").is_file() \
        else []

    figs = Figures()
    for param in varied:
        values = sorted({r[param] for r in table}, key=lambda v: (number(v), v))
        pos = {v: i for i, v in enumerate(values)}

        def draw(*axes, param=param, values=values, pos=pos):
            for ax, metric in zip(axes, metrics):
                x = np.array([pos[r[param]] for r in table], dtype=float)
                y = np.array([number(r[metric]) for r in table])
                ax.plot(x, y, "o", alpha=0.5, ms=4, label="point")
                means = [np.nanmean(y[x == i]) if np.any(np.isfinite(y[x == i])) else np.nan
                         for i in range(len(values))]
                ax.plot(range(len(values)), means, "-", color="k", lw=1, label="mean")
                ax.set_xticks(range(len(values)), values, rotation=45, fontsize=7)
                ax.set_xlabel(param)
                ax.set_title(metric.replace("_", " "), fontsize=9)
            axes[0].legend(fontsize=7)
            for ax in axes[len(metrics):]:
                ax.axis("off")
        ncols = min(4, len(metrics))
        nrows = -(-len(metrics) // ncols)
        figs.add(f"sweep_{param.replace('.', '_')}", f"Summary metrics against {param} (dots: "
                 "points, every seed; line: mean over seeds and the other parameters).", draw,
                 ncols=ncols, nrows=nrows, size=(3.6 * ncols, 2.9 * nrows))
    realisations = seeds_section(figs, sweep_dir, table, varied, metrics)
    replays, replay_header = ([], [])
    if (sweep_dir / "replays.csv").is_file():
        replays, replay_header = _read_csv(sweep_dir / "replays.csv")
    if replays and "condition" in replay_header:
        _replay_outcomes(figs, replays, replay_header)
    body = [
        f"<h1>seqnest sweep {html.escape(sweep_dir.name)}</h1>",
        f"<p>{len(table)} finished points, {len(failures)} failed "
        f"(see failures.json); run directories: {html.escape(str(sweep_dir))}/&lt;point&gt;/.</p>",
        "<h2>Figures</h2>", figures_html(figs), *realisations,
        "<h2>Points</h2>", header_table(header, table),
        *(["<h2>Replays (replays.csv)</h2>",
           f"<p>Noisy replay trials of each point: {html.escape(str(sweep_dir))}/&lt;point&gt;"
           "/replays/&lt;condition&gt;/ (the report of a point shows them).</p>",
           header_table(replay_header, replays)] if replays else []),
        f"<p>Report written in {time.perf_counter() - started:.1f} s.</p>",
    ]
    return publish(out, figs, html_page(f"seqnest sweep report: {sweep_dir.name}", body,
                                        style=WIDE_STYLE))
