# SPDX-License-Identifier: GPL-2.0-or-later
"""HTML report of a coincidence-detection run directory (no NEST needed).

Learning curve, accuracy in NEST against the RRAM read noise (every
``eval/*/eval.json`` found), the delay histogram, the confusion matrix of the
noise-free evaluation and example membrane traces of the outputs, computed by
the trainer's forward pass (which NEST reproduces; see ``agreement`` in
eval.json).
"""
from __future__ import annotations

import html
import json
import math
import os
from pathlib import Path

import numpy as np

from seqnest.sequences.html import (Figures, check_report_output, figures_html, html_page, publish,
                                    table)
from seqnest.sequences.rundir import read_json
from seqnest.sequences.tasks.spike_data import SpikeDataset
from seqnest.sequences.coincidence.rundir import load_evaluations, load_model
from seqnest.sequences.coincidence.model import forward

__all__ = ["write_cd_report"]


def _result_figures(figs: Figures, metrics: dict, evals: list, model) -> None:
    """The learning curve, accuracy against read noise, the delays and the confusion
    matrix of the noise-free evaluation."""
    history = metrics.get("history", [])
    if history:
        def curve(ax):
            ep = [r["epoch"] for r in history]
            ax.plot(ep, [100 * r["test_accuracy"] for r in history], "o-", ms=3)
            ax.axhline(100 * metrics["chance"], color="0.6", ls="--", label="chance")
            ax.set(xlabel="epoch", ylabel="test accuracy (%)", title="training (trainer)")
            ax.legend(frameon=False)
        figs.add("learning_curve", "Test accuracy of the trainer's model after each epoch.",
                 curve)

    if evals:
        def noise(ax):
            s = np.array([e["sigma"] for e in evals]) * 100
            acc = np.array([e["accuracy"] for e in evals]) * 100
            ci = np.array([e["ci95"] for e in evals]) * 100
            ax.errorbar(s, acc, yerr=[acc - ci[:, 0], ci[:, 1] - acc], fmt="o-", capsize=3)
            ax.axhline(100 * metrics["chance"], color="0.6", ls="--", label="chance")
            ax.set(xlabel="RRAM read noise sigma (% of max|w|)", ylabel="accuracy in NEST (%)",
                   title="accuracy vs weight noise")
            ax.legend(frameon=False)
        figs.add("accuracy_vs_noise", "Accuracy of the NEST network against the RRAM read "
                 "noise (95 % Wilson intervals), one point per evaluation in eval/.", noise)

    delays_ms = model["delays"].ravel() * float(model["dt"])

    def hist(ax):
        ax.hist(delays_ms, bins=min(60, max(5, len(np.unique(delays_ms)))), color="C2")
        ax.set(xlabel="delay (ms)", ylabel="branches", title=f"{delays_ms.size} RRAM delays")
    figs.add("delays", "Delays of all dendritic branches (tau = C R_HRS, rounded, capped).",
             hist)

    zero = [e for e in evals if e.get("sigma") == 0.0]
    if zero:
        conf = np.asarray(zero[0]["confusion"], dtype=float)

        def confusion(ax):
            rows = conf / np.maximum(conf.sum(axis=1, keepdims=True), 1)
            im = ax.imshow(rows, vmin=0, vmax=1, cmap="viridis")
            ax.set(xlabel="predicted class", ylabel="true class",
                   title="confusion (NEST, sigma 0)")
            figs.plt.colorbar(im, ax=ax, fraction=0.046)
        figs.add("confusion", "Confusion matrix of the noise-free NEST evaluation (rows "
                 "normalised).", confusion, size=(4.6, 4.0))


def _trace_figure(figs: Figures, model, test: SpikeDataset) -> None:
    """The outputs' membrane values for the first test samples (trainer's model)."""
    n_show = min(2, len(test))
    if not n_show:
        return
    decay = math.exp(-float(model["dt"]) / float(model["tau_m"]))
    fw = forward(model["weights"], model["bias"], model["delays"], decay,
                 test.batch(np.arange(n_show)), test.n_steps, test.windows)
    t = np.arange(test.n_steps) * test.dt

    def traces(*axes):
        for k, ax in enumerate(axes):
            for n in range(fw.V.shape[1]):
                ax.plot(t, fw.V[k, n], lw=1, label=f"output {n}" if fw.V.shape[1] <= 4
                        else None)
            for a, b in test.windows:
                ax.axvspan(a * test.dt, b * test.dt, color="0.9", zorder=0)
            ax.set(xlabel="time (ms)", ylabel="V", title=f"test sample {k}, labels "
                   f"{test.labels[k].tolist()}")
        if fw.V.shape[1] <= 4:
            axes[0].legend(frameon=False, fontsize=8)
    figs.add("traces", "Membrane values of the outputs for the first test samples "
             "(grey: readout windows; the score is the maximum within each).", traces,
             ncols=n_show, size=(5.0 * n_show, 3.2))


def write_cd_report(run_dir: str | os.PathLike, out: str | os.PathLike | None = None) -> Path:
    """Write ``OUT/report.html`` and ``OUT/report/*.png`` (OUT: the run directory)."""
    run = Path(run_dir)
    config, params, model = load_model(run)
    metrics = read_json(run / "metrics.json")
    folder = check_report_output(out if out is not None else run)
    test = SpikeDataset.load(run / "test_data.npz")
    evals = load_evaluations(run)
    figs = Figures()
    _result_figures(figs, metrics, evals, model)
    _trace_figure(figs, model, test)

    rows = [("task", config.task), ("weights", metrics["n_weights"]),
            ("inputs x outputs x delays", f"{metrics['n_inputs']} x {metrics['n_outputs']} x "
                                          f"{metrics['n_d']}"),
            ("delays", config.network.delays), ("tau_m (ms)", config.network.tau_m),
            ("trainer test accuracy", f"{100 * metrics['test_accuracy']:.1f} %"),
            ("chance", f"{100 * metrics['chance']:.0f} %"), ("seed", params.get("seed"))]
    eval_rows = "".join(
        f"<tr><td>{e['name']}</td><td>{e['sigma']:g}</td><td>{e['trials']}</td>"
        f"<td>{100 * e['accuracy']:.1f} % ({100 * e['ci95'][0]:.1f}-{100 * e['ci95'][1]:.1f})"
        f"</td><td>{e.get('agreement', {}).get('max_rel_diff', '')}</td></tr>" for e in evals)
    body = [f"<h1>Dendritic coincidence detection: {html.escape(str(run))}</h1>",
            table(rows), "<h2>NEST evaluations</h2>",
            ("<table><tr><th>name</th><th>sigma</th><th>trials</th><th>accuracy (95 % CI)</th>"
             f"<th>max rel. diff. to trainer</th></tr>{eval_rows}</table>" if evals
             else "<p>none yet: run <code>seqnest cd-eval RUN_DIR</code></p>")]
    body += ["<h2>Figures</h2>", figures_html(figs), "<h2>Parameters</h2>",
             f"<pre>{html.escape(json.dumps(params, indent=1, default=str))}</pre>"]
    page = html_page(f"seqnest coincidence report: {run.name}", body)
    return publish(folder, figs, page)
