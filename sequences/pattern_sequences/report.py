# SPDX-License-Identifier: GPL-2.0-or-later
"""HTML report of a spatio-temporal-pattern run directory (no NEST needed).

Last-element accuracy per phase-2 iteration with the overlap of the
predictive sets, the input weight matrix (E neurons sorted by assembly x
input channels) before and after learning, assembly sizes and selectivity,
and a raster of the last iteration sorted by assembly.
"""
from __future__ import annotations

import html
import json
import os
from pathlib import Path

import numpy as np

from seqnest.pynest_ext.networks.pattern_sequences import InputWeights

from seqnest.sequences.html import (Figures, check_report_output, figures_html, html_page, publish,
                                    table)
from seqnest.sequences.pattern_sequences.rundir import load_pattern_run

__all__ = ["write_pattern_report"]


def _curve_figure(figs: Figures, metrics: dict, n1: int) -> None:
    acc = metrics.get("accuracy", [])
    if acc:
        def curve(ax):
            its = np.arange(n1, n1 + len(acc))
            ax.plot(its, acc, "o-", ms=3, label="last-element accuracy")
            overlap = [np.nan if v is None else v for v in metrics["prediction_overlap"]]
            ax.plot(its, overlap, "s-", ms=2, color="C1", label="overlap of predictive sets")
            ax.axhline(metrics["chance"], color="0.6", ls="--", label="chance")
            ax.set(xlabel="iteration", ylabel="fraction", ylim=(-0.05, 1.05),
                   title="phase 2: sequence learning")
            ax.legend(frameon=False, fontsize=8)
        figs.add("learning_curve", "Last-element accuracy (mean over sequences) and the "
                 "Jaccard overlap of the neurons predicting the last elements of different "
                 "sequences, per phase-2 iteration.", curve)


def _weight_figure(figs: Figures, data: dict, params: dict, vocab) -> np.ndarray:
    """The input weight matrix before and after learning; returns the neuron order
    (by assembly) the figures share."""
    inputs = data["inputs"]
    assembly = inputs["assembly"]
    n_e, n_in = assembly.size, int(params["inputs"]["n_in"])
    order = np.lexsort((np.arange(n_e), np.where(assembly < 0, len(vocab), assembly)))

    def matrix(values):
        return InputWeights(inputs["target"], inputs["channel"], inputs["delay"],
                            values).matrix(n_e, n_in)[order]

    def weights(ax_before, ax_after):
        top = max(float(inputs["initial_weight"].max(initial=0)),
                  float(inputs["weight"].max(initial=0)), 1e-9)
        for ax, values, title in ((ax_before, inputs["initial_weight"], "before learning"),
                                  (ax_after, inputs["weight"], "after learning")):
            im = ax.imshow(matrix(values), aspect="auto", interpolation="nearest",
                           cmap="viridis", vmin=0, vmax=top)
            ax.set(xlabel="input channel", ylabel="E neuron (sorted by assembly)", title=title)
            bounds = np.cumsum(np.bincount(assembly[assembly >= 0], minlength=len(vocab)))
            for b in bounds[:-1]:
                ax.axhline(b - 0.5, color="w", lw=0.5)
        figs.plt.colorbar(im, ax=ax_after, fraction=0.046, label="weight (pA)")
    figs.add("input_weights", "Input weight matrix (summed over the connections of each "
             "channel-neuron pair), neurons sorted by assembly (white lines); unassigned "
             "neurons at the bottom.", weights, ncols=2, size=(11.0, 4.5))

    return order


def _raster_figure(figs: Figures, data: dict, stream: dict, order: np.ndarray, vocab) -> None:
    n_e = order.size
    sp = data["spikes"]
    starts = stream["iteration_starts"]
    if len(starts) >= 2 and sp["exc_times"].size:
        t0, t1 = starts[-2], starts[-1]
        rank = np.empty(n_e, dtype=int)
        rank[order] = np.arange(n_e)

        def raster(ax):
            sel = (sp["exc_times"] >= t0) & (sp["exc_times"] < t1)
            ax.plot(sp["exc_times"][sel], rank[sp["exc_index"][sel]], "|", ms=2, color="k")
            for on, item in zip(stream["onsets"], stream["items"]):
                if t0 <= on < t1:
                    ax.axvspan(on, on + stream["item_ms"], color="C0", alpha=0.1)
                    ax.text(on, n_e, vocab[item], va="bottom", fontsize=8)
            ax.set(xlabel="time (ms)", ylabel="E neuron (sorted by assembly)",
                   title="last iteration")
        figs.add("raster", "Excitatory spikes in the last iteration (shaded: items).", raster,
                 size=(10.0, 4.0))


def write_pattern_report(run_dir: str | os.PathLike, out: str | os.PathLike | None = None) -> Path:
    """Write ``OUT/report.html`` and ``OUT/report/*.png`` (OUT: the run directory)."""
    run = Path(run_dir)
    data = load_pattern_run(run)
    params, metrics, stream = data["params"], data["metrics"], data["stream"]
    folder = check_report_output(out if out is not None else run)
    figs = Figures()
    vocab = stream["vocabulary"]
    n1 = int(metrics["phase1_iterations"])
    _curve_figure(figs, metrics, n1)
    order = _weight_figure(figs, data, params, vocab)
    _raster_figure(figs, data, stream, order, vocab)
    sel1 = metrics.get("selectivity_phase1") or {}
    self_final = metrics.get("selectivity_final") or {}
    item_rows = "".join(
        f"<tr><td>{html.escape(el)}</td><td>{metrics['assembly_sizes'].get(el, 0)}</td>"
        f"<td>{_fmt(sel1.get(el))}</td><td>{_fmt(self_final.get(el))}</td></tr>"
        for el in vocab)
    rows = [("sequences", "; ".join(metrics["sequences"])), ("coding", metrics["coding"]),
            ("iterations (phase 1)", f"{metrics['iterations']} ({n1})"),
            ("final last-element accuracy", _fmt(metrics["final_accuracy"])),
            ("chance", _fmt(metrics["chance"])),
            ("all correct from phase-2 iteration", metrics.get("converged_at")),
            ("STP-detection score (phase 1)", _fmt(metrics.get("stp_detection"))),
            ("overlap of predictive sets (final)", _fmt(metrics.get("final_prediction_overlap"))),
            ("N_E / N_I", f"{metrics['n_E']} / {metrics['n_I']}"),
            ("wall time", f"{metrics['wall_time_s']:.1f} s ({metrics['threads']} threads)")]
    body = [f"<h1>Spatio-temporal pattern sequences: {html.escape(str(run))}</h1>",
            table(rows), "<h2>Assemblies</h2>",
            "<table><tr><th>item</th><th>neurons</th><th>selectivity (phase 1)</th>"
            f"<th>selectivity (end)</th></tr>{item_rows}</table>",
            "<h2>Figures</h2>", figures_html(figs), "<h2>Parameters</h2>",
            f"<pre>{html.escape(json.dumps(params, indent=1, default=str))}</pre>"]
    return publish(folder, figs, html_page(f"seqnest pattern-sequence report: {run.name}",
                                           body))


def _fmt(value) -> str:
    if value is None:
        return "-"
    try:
        return f"{float(value):.3f}"
    except (TypeError, ValueError):
        return str(value)
