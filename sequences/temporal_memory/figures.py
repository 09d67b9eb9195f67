# SPDX-License-Identifier: GPL-2.0-or-later
"""Figures of a run (matplotlib, no NEST). Each function draws into ``ax`` and returns it.

Neurons are identified by their 0-based excitatory index; neuron ``k`` belongs
to subpopulation ``k // n_E``, labelled by ``vocabulary[k // n_E]``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["raster", "learning_curves", "psth", "connectivity_matrix", "histogram",
           "correlation_image", "branch_probabilities", "latency_distributions"]


def _subpopulation_axis(ax, n_E: int, vocabulary: Sequence[str], axis: str = "y") -> None:
    ticks = [(k + 0.5) * n_E for k in range(len(vocabulary))]
    set_ticks = ax.set_yticks if axis == "y" else ax.set_xticks
    set_ticks(ticks, list(vocabulary))
    line = ax.axhline if axis == "y" else ax.axvline
    for k in range(1, len(vocabulary)):
        line(k * n_E, color="0.85", lw=0.6, zorder=0)


def raster(ax, neuron: np.ndarray, times_ms: np.ndarray, n_E: int, vocabulary: Sequence[str],
           window: tuple[float, float], stimuli: Sequence[tuple[float, str]] = (),
           dap: tuple[np.ndarray, np.ndarray] | None = None, title: str = "",
           decoded: Sequence[tuple[str, float]] = ()):
    """Spike raster ordered by subpopulation.

    ``stimuli``: (time, element) markers; ``dap``: (neuron, onset time) of
    dendritic action potentials; ``decoded``: (element, time) of replayed
    elements, annotated on the plot.
    """
    t0, t1 = window
    sel = (times_ms >= t0) & (times_ms < t1)
    ax.plot(times_ms[sel], neuron[sel], "|", ms=2.5, color="k", label="spikes")
    if dap is not None:
        d_n, d_t = dap
        dsel = (d_t >= t0) & (d_t < t1)
        ax.plot(d_t[dsel], d_n[dsel], ".", ms=1.5, color="tab:orange", label="dAP onsets")
    pop = {el: k for k, el in enumerate(vocabulary)}
    for t, el in stimuli:
        if t0 <= t < t1 and el in pop:
            ax.plot([t], [(pop[el] + 1) * n_E + 0.02 * n_E * len(vocabulary)], "v",
                    color="tab:blue", ms=4)
    for el, t in decoded:
        if t0 <= t < t1 and el in pop:
            ax.annotate(el, (t, (pop[el] + 0.5) * n_E), color="tab:red", fontsize=8,
                        xytext=(3, 0), textcoords="offset points")
    ax.set_xlim(t0, t1)
    ax.set_ylim(0, n_E * len(vocabulary) * 1.05)
    _subpopulation_axis(ax, n_E, vocabulary)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("subpopulation")
    if title:
        ax.set_title(title)
    return ax


def learning_curves(ax, metrics: Mapping[str, Sequence[float | None]],
                    sparse_fraction: float | None = None, threshold: float = 0.01):
    """Error, false positives/negatives, active fraction and overlap per episode.

    With the convergence episode (first error below ``threshold``, from
    ``metrics["episodes_to_convergence"]``) as a vertical line, the episodes from
    which the error stays below it (``metrics["stays_converged_from"]``) shaded, and
    ``sparse_fraction`` = rho/n_E, the active fraction of a predicted element in
    Bouhadjar et al. (2022), as a horizontal line.
    """
    keys = ("error", "false_positives", "false_negatives", "active_fraction", "overlap")
    for key in keys:
        values = metrics.get(key)
        if values is None:
            continue
        y = np.array([np.nan if v is None else v for v in values], dtype=float)
        ax.plot(np.arange(1, y.size + 1), y, marker=".", ms=3, label=key.replace("_", " "))
    conv = metrics.get("episodes_to_convergence")
    if conv is not None:
        ax.axvline(conv, color="k", ls="--", lw=0.8,
                   label=f"first error < {threshold:g}: episode {conv}")
    stays = metrics.get("stays_converged_from")
    if stays is not None:
        n = len(metrics.get("error") or [])
        ax.axvspan(stays - 0.5, n + 0.5, color="tab:green", alpha=0.08, lw=0,
                   label=f"stays < {threshold:g} from episode {stays}")
    if sparse_fraction is not None:
        ax.axhline(sparse_fraction, color="grey", ls=":", lw=1,
                   label=f"paper: active fraction once predicted, rho/n_E = {sparse_fraction:.2f}")
    ax.set_xlabel("episode")
    ax.set_ylabel("value")
    ax.legend(fontsize=7)
    return ax


def asset_structures(ax, detected: Sequence):
    """ASSET's diagonal structures: each event's time in the first occurrence against
    its time in the repetition, labelled with the element its neurons belong to."""
    for k, seq in enumerate(detected):
        if not seq.times_ms:
            continue
        t = np.asarray(seq.times_ms, dtype=float)
        ax.plot(t[:, 0], t[:, 1], "o-", ms=4, color=f"C{k % 10}",
                label=f"structure {seq.cluster}: {' '.join(seq.order)}")
        for (x, y), el in zip(t, seq.elements or [""] * len(t)):
            ax.annotate(el, (x, y), textcoords="offset points", xytext=(3, 3), fontsize=7)
    ax.set_xlabel("time of the event (ms)")
    ax.set_ylabel("time of its repetition (ms)")
    if detected:
        ax.legend(fontsize=7)
    return ax


def psth(ax, signals: Mapping[str, object], title: str = ""):
    """Population rates (neo AnalogSignals in Hz), one line per label."""
    for label, sig in signals.items():
        t = sig.times.rescale("ms").magnitude + 0.5 * sig.sampling_period.rescale("ms").magnitude
        ax.plot(t, sig.rescale("Hz").magnitude.ravel(), lw=1, label=label)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("rate per neuron (Hz)")
    ax.legend(fontsize=8, ncol=min(len(signals), 7))
    if title:
        ax.set_title(title)
    return ax


def connectivity_matrix(ax, source: np.ndarray, target: np.ndarray, values: np.ndarray,
                        n_E: int, vocabulary: Sequence[str], label: str, title: str = ""):
    """Mean of ``values`` over the synapses between each pair of subpopulations."""
    m = len(vocabulary)
    s, t = np.asarray(source) // n_E, np.asarray(target) // n_E
    total = np.zeros((m, m))
    count = np.zeros((m, m))
    np.add.at(total, (t, s), np.asarray(values, dtype=float))
    np.add.at(count, (t, s), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    im = ax.imshow(mean, cmap="viridis", origin="lower")
    ax.set_xticks(range(m), list(vocabulary))
    ax.set_yticks(range(m), list(vocabulary))
    ax.set_xlabel("presynaptic subpopulation")
    ax.set_ylabel("postsynaptic subpopulation")
    ax.figure.colorbar(im, ax=ax, label=label, shrink=0.8)
    if title:
        ax.set_title(title)
    return ax


def histogram(ax, values: np.ndarray, label: str, bins: int = 30, title: str = ""):
    """Histogram of ``values`` (NaNs dropped)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    ax.hist(values, bins=bins, color="tab:blue", alpha=0.8)
    ax.set_xlabel(label)
    ax.set_ylabel("neurons")
    if title:
        ax.set_title(title)
    return ax


def correlation_image(ax, matrix: np.ndarray, n_per_group: int, labels: Sequence[str],
                      title: str = ""):
    """Correlation matrix of neurons grouped by subpopulation."""
    im = ax.imshow(matrix, cmap="RdBu_r", vmin=-1, vmax=1, origin="lower",
                   interpolation="nearest")
    ticks = [(k + 0.5) * n_per_group for k in range(len(labels))]
    ax.set_xticks(ticks, list(labels))
    ax.set_yticks(ticks, list(labels))
    ax.set_xlabel("neuron (by subpopulation)")
    ax.set_ylabel("neuron (by subpopulation)")
    ax.figure.colorbar(im, ax=ax, label="correlation coefficient", shrink=0.8)
    if title:
        ax.set_title(title)
    return ax


def branch_probabilities(ax, stats: Mapping, title: str = ""):
    """Replay probability of each branch (95 % Wilson interval) next to its training
    frequency, then the simultaneous and failure rates (``branches.json``)."""
    rows = list(stats["branches"])
    labels = [r["head"] for r in rows] + ["simult.", "failure"]
    replay = [r["probability"] or 0.0 for r in rows] + [stats["simultaneous"]["probability"],
                                                        stats["failure"]["probability"]]
    ci = [r["ci95"] for r in rows] + [stats["simultaneous"]["ci95"], stats["failure"]["ci95"]]
    x = np.arange(len(labels))
    ax.bar(x[:len(rows)] - 0.2, [r["training_frequency"] for r in rows], 0.4, color="0.75",
           label="training frequency")
    err = np.clip(np.array([[p - lo, hi - p] for p, (lo, hi) in zip(replay, ci)]).T, 0.0, None)
    ax.bar(x + 0.2, replay, 0.4, yerr=err, capsize=3, color="C0",
           label=f"replay ({stats['trials']} trials, 95 % CI)")
    ax.set_xticks(x, labels)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("probability")
    ax.legend(fontsize=8)
    ax.set_title(title or f"cue {stats['cue']}: {stats.get('noise_description', '')}")
    return ax


def latency_distributions(ax, stats: Mapping, bins: int = 20):
    """Latency from the cue to the replayed branch head, per outcome (``branches.json``)."""
    detail = stats.get("trials_detail", [])
    outcomes = [r["sequence"] for r in stats["branches"]] + ["simultaneous"]
    values = {o: [d["latency_ms"] for d in detail if d["outcome"] == o and d["latency_ms"]
                  is not None] for o in outcomes}
    values = {o: v for o, v in values.items() if v}
    if values:
        allv = np.concatenate([np.asarray(v, dtype=float) for v in values.values()])
        lo, hi = float(allv.min()), float(allv.max())
        if hi - lo < 2.0:                       # at least 2 ms wide, 0.1-ms bins or wider
            lo, hi = lo - 1.0, hi + 1.0
        edges = np.linspace(lo, hi, bins + 1)
        for o, v in values.items():
            ax.hist(v, bins=edges, histtype="step", lw=1.5, label=f"{o} ({len(v)})")
        ax.legend(fontsize=8)
    ax.set_xlabel("latency cue -> branch head (ms)")
    ax.set_ylabel("trials")
    return ax
