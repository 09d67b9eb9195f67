# SPDX-License-Identifier: GPL-2.0-or-later
"""A self-contained HTML report of a run directory (no NEST needed).

:func:`write_report` reads only the run directory's files (``params.json``,
``env.json``, ``metrics.json``, ``schedule.json``, ``spikes.nix``,
``connectivity.npz`` and, if present, ``replay/``), computes the analyses of
:mod:`seqnest.sequences.analysis` on neo objects, draws the figures of
:mod:`seqnest.sequences.figures`, and writes ``RUN_DIR/report.html`` (images embedded,
opens offline) with the PNG files in ``RUN_DIR/report/``. Both are written to
temporary names first and renamed, so an interrupted report leaves the
previous one (or nothing) in place.
"""
from __future__ import annotations

import base64
import html
import io
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import quantities as pq

from . import analysis, figures
from .metrics import with_stability
from .rundir import (RunDirError, check_run_dir, load_connectivity_arrays, load_spikes,
                     population_arrays_optional, population_train, read_json, require_writable,
                     train_arrays)
from .temporal_memory.rundir import load_config

__all__ = ["write_report", "write_sweep_report", "check_report_output", "REPORT_BIN_MS"]

#: Bin width (ms) of the correlation and PSTH analyses: one volley of an
#: element (synchronous within ~2 ms) falls into one bin.
REPORT_BIN_MS = 5.0
#: Window (ms) after an element's onset in which its responses are counted
#: (as the active fraction of seqnest.sequences.metrics).
RESPONSE_WINDOW_MS = 20.0


def _png(fig, fmt: str = "png") -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=100, bbox_inches="tight")
    return buf.getvalue()


class _Figures:
    """Collects named figures as PNG bytes (embedded in the page) and SVG (vector
    copies written beside them)."""

    def __init__(self):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        self.plt = plt
        self.items: list[tuple[str, str, bytes]] = []
        self.vectors: dict[str, bytes] = {}

    def add(self, name: str, caption: str, draw, ncols: int = 1, size=(7.0, 3.6),
            nrows: int = 1) -> None:
        fig, axes = self.plt.subplots(nrows, ncols, figsize=size, constrained_layout=True,
                                      squeeze=False)
        draw(*axes.ravel())
        self.items.append((name, caption, _png(fig)))
        self.vectors[name] = _png(fig, "svg")
        self.plt.close(fig)


def check_report_output(folder: str | os.PathLike) -> Path:
    """Check, before any analysis, that ``folder/report.html`` and ``folder/report/`` can
    be written: the folder exists or can be created and takes new files, and what is
    there already under those names is a report this module wrote (a ``report/``
    folder of PNG and SVG files only), which is replaced; anything else is refused."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise RunDirError(f"report output is not a directory: {folder}")
    page, figures = folder / "report.html", folder / "report"
    if page.exists() and not page.is_file():
        raise RunDirError(f"{page} exists and is not a file: not replaced")
    if figures.exists() and not (figures.is_dir() and all(
            f.is_file() and f.suffix in (".png", ".svg") for f in figures.iterdir())):
        raise RunDirError(f"{figures} exists and is not a folder of report figures: "
                          "not replaced (choose another --out)")
    return require_writable(folder, f"cannot write the report into {folder} (use --out DIR)")


def _publish(folder: Path, figs: _Figures, page_html: str) -> Path:
    """Write ``folder/report/*.png`` and ``folder/report.html``, each via a temporary name
    (files and folder follow the user's umask)."""
    folder = check_report_output(folder)
    umask = os.umask(0)
    os.umask(umask)
    tmp_dir = Path(tempfile.mkdtemp(prefix=".report-", dir=folder))
    tmp_dir.chmod(0o777 & ~umask)
    old_dir = None
    try:
        for name, _, png in figs.items:
            (tmp_dir / f"{name}.png").write_bytes(png)
            if name in figs.vectors:
                (tmp_dir / f"{name}.svg").write_bytes(figs.vectors[name])
        target = folder / "report"
        if target.exists():               # a previous report (checked): set aside, then drop
            old_dir = Path(tempfile.mkdtemp(prefix=".report-old-", dir=folder))
            os.replace(target, old_dir / "report")
        os.replace(tmp_dir, target)
    finally:
        if tmp_dir.exists():
            shutil.rmtree(tmp_dir, ignore_errors=True)
        if old_dir is not None:
            shutil.rmtree(old_dir, ignore_errors=True)
    page = folder / "report.html"
    tmp_page = folder / ".report.html.tmp"
    try:
        tmp_page.write_text(page_html)
        os.replace(tmp_page, page)
    finally:
        tmp_page.unlink(missing_ok=True)
    return page


def figures_html(figs: _Figures) -> str:
    """The figures as HTML, images embedded (the page opens offline)."""
    parts = []
    for name, caption, png in figs.items:
        data = base64.b64encode(png).decode("ascii")
        parts.append(f"<figure><img alt='{name}' src='data:image/png;base64,{data}'>"
                     f"<figcaption>{html.escape(caption)} (report/{name}.png, "
                     f"vector: report/{name}.svg)</figcaption></figure>")
    return "".join(parts)


PAGE_STYLE = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
              "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;"
              "padding:3px 8px;text-align:left}img{max-width:100%}"
              "pre{background:#f6f6f6;padding:1em;font-size:80%}")


def html_page(title: str, body: list[str]) -> str:
    """A whole HTML page: ``title`` (escaped here) and the ``body`` parts (HTML)."""
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>"
            f"{html.escape(title)}</title><style>{PAGE_STYLE}</style></head><body>"
            + "".join(body) + "</body></html>")


def _table(rows) -> str:
    body = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in rows)
    return f"<table>{body}</table>"


def parameter_tables(cfg) -> str:
    """The run's resolved parameters as one HTML table per group: name, value, unit,
    meaning, source."""
    parts = []
    for name, group in cfg.groups.items():
        rows = "".join(
            f"<tr><td><code>{html.escape(key)}</code></td><td>{html.escape(_shown(group[key]))}"
            f"</td><td>{html.escape(spec.unit)}</td><td>{html.escape(spec.doc)}</td>"
            f"<td>{html.escape(spec.source)}</td></tr>"
            for key, spec in type(group).SPECS.items())
        parts.append(f"<h3>{html.escape(name)}</h3><table><tr><th>name</th><th>value</th>"
                     f"<th>unit</th><th>meaning</th><th>source</th></tr>{rows}</table>")
    return "".join(parts)


def _shown(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def write_report(run_dir: str | os.PathLike, out: str | os.PathLike | None = None) -> Path:
    """Write ``OUT/report.html`` and ``OUT/report/*.png`` (``OUT`` defaults to the run
    directory, which may then be read-only if ``out`` is given); return the HTML path."""
    from seqnest.pynest_ext.neo_convert import split_population

    started = time.perf_counter()
    run_dir = check_run_dir(run_dir)
    out = check_report_output(run_dir if out is None else out)
    cfg = load_config(run_dir)
    metrics = read_json(run_dir / "metrics.json")
    env = read_json(run_dir / "env.json")
    schedule = read_json(run_dir / "schedule.json")
    conn = load_connectivity_arrays(run_dir)
    block = load_spikes(run_dir)
    training = block.segments[0]

    vocab = list(cfg.sequence_set.vocabulary)
    n_E = int(cfg.network.n_E)
    episode = float(schedule["episode_duration"])
    n_episodes = int(schedule["episodes"])
    start = float(schedule["start"])
    # episode boundaries (ms); runs written before episodes could differ in length lack them
    starts = [float(t) for t in schedule.get("episode_starts") or
              [start + k * episode for k in range(n_episodes + 1)]]
    exc_train = population_train(training, "E")
    neuron, times = train_arrays(exc_train)
    dap = population_arrays_optional(training, "E_dAP")
    stim = next((e for e in training.events if e.name == "stimuli"), None)
    stimuli = ([] if stim is None else
               list(zip(stim.times.rescale(pq.ms).magnitude.tolist(), stim.labels.tolist())))
    trains = split_population(exc_train)

    # analyses (training)
    rates = analysis.subpopulation_rates(trains)
    isi = analysis.isi_variability(trains)
    corr = analysis.correlation_matrix(trains, REPORT_BIN_MS * pq.ms)
    within, between = analysis.correlation_by_group(corr, [st.annotations["element"]
                                                           for st in trains])
    out_degree = np.bincount(conn["source"], minlength=n_E * len(vocab))
    mature = cfg.synapse.mature(conn["permanence"], conn["weight"])
    last0, last1 = starts[-2], starts[-1]
    efficiency = []
    for t, el in stimuli:
        if not last0 <= t < last1 or el not in vocab:
            continue
        k = vocab.index(el)
        sel = (times >= t) & (times < t + RESPONSE_WINDOW_MS)
        counts = np.bincount(neuron[sel], minlength=n_E * len(vocab))
        mine = counts[k * n_E:(k + 1) * n_E]
        efficiency.append((f"{el} at {t:.0f} ms",
                           f"{analysis.activation_sparsity(mine, n_E):.3f}",
                           f"{analysis.synaptic_events(counts, out_degree):,}"))
    state_bytes = conn["source"].size * cfg.synapse.state_bits / 8

    # replay (optional)
    replay_dir = run_dir / "replay"
    replay = read_json(replay_dir / "replay.json") if (replay_dir / "replay.json").is_file() \
        else None
    detected = []
    if replay is not None:
        if len(block.segments) < 2:
            raise RunDirError(f"missing file: {replay_dir / 'spikes.nix'}")
        rexc = population_train(block.segments[1], "E")
        r_neuron, r_times = train_arrays(rexc)
        r_dap = population_arrays_optional(block.segments[1], "E_dAP")
        if replay.get("mode") != "trials" and replay.get("settings", {}).get("repetitions",
                                                                              1) >= 2:
            detected = analysis.detect_sequences(split_population(rexc))

    figs = _Figures()
    for label, ep in (("first", 0), ("last", n_episodes - 1)):
        window = (starts[ep] - start, starts[ep + 1] - start)
        daps_here = dap is not None and bool(np.any((dap[1] >= starts[ep] - start)
                                                    & (dap[1] < starts[ep + 1] - start)))
        note = ("orange: dAP onsets." if daps_here else
                "dAP onsets are recorded in the last training episode only." if ep < n_episodes - 1
                else "no dAP onsets recorded.")
        figs.add(f"raster_{label}_episode", f"Spikes in the {label} training episode "
                 f"(episode {ep + 1}); triangles: stimuli; {note}",
                 lambda ax, w=window, e=ep: figures.raster(
                     ax, neuron, times, n_E, vocab, w, stimuli, dap=dap,
                     title=f"episode {e + 1}"))
    last_window = ((last0 - start) * pq.ms, (last1 - start) * pq.ms)
    by_element = {el: [st for st in trains if st.annotations["element"] == el] for el in vocab}
    figs.add("psth_last_episode", f"Population rate per subpopulation in the last episode "
             f"({REPORT_BIN_MS:g} ms bins, Elephant time_histogram).",
             lambda ax: figures.psth(ax, {el: analysis.population_psth(
                 sts, REPORT_BIN_MS * pq.ms, *last_window) for el, sts in by_element.items()}),
             size=(10, 3.2))
    sparse = float(cfg.network.rho) / n_E
    ev = cfg.evaluation
    # runs written before these keys existed: the same summary from their curves
    stability = with_stability(metrics, ev)
    figs.add("learning_curves", "Prediction error, false positives and negatives, active "
             f"fraction of the last elements and context overlap per episode; dashed: the "
             f"first episode with error < {ev.convergence_error:g}; shaded: the episodes from "
             "which it stays below to the end; dotted: rho/n_E, the active fraction of a "
             "predicted element (Bouhadjar et al. 2022).",
             lambda ax: figures.learning_curves(ax, stability,
                                                sparse_fraction=sparse,
                                                threshold=ev.convergence_error),
             size=(8.0, 4.0))
    def before_after(initial: str, final: str, label: str):
        def draw(a, b):
            for ax, key, when in ((a, initial, "before"), (b, final, "after")):
                figures.connectivity_matrix(ax, conn["source"], conn["target"], conn[key], n_E,
                                            vocab, label, when)
        return draw

    figs.add("permanence_matrices", "Mean plastic state (permanence, or X of the tristate "
             "synapse) between subpopulations before and after learning.",
             before_after("initial_permanence", "permanence", "mean state"),
             ncols=2, size=(10, 4))
    figs.add("weight_matrices", "Mean weight (pA) between subpopulations before and after "
             "learning.", before_after("initial_weight", "weight", "mean weight (pA)"),
             ncols=2, size=(10, 4))
    per_neuron_rate = np.array([len(st) for st in trains]) / float(
        exc_train.t_stop.rescale(pq.s).magnitude)
    figs.add("rate_and_cv", "Firing rates and ISI CV of the excitatory neurons (training).",
             lambda a, b: (figures.histogram(a, per_neuron_rate, "rate (Hz)"),
                           figures.histogram(b, isi.cv, "ISI CV")), ncols=2, size=(10, 3.4))
    figs.add("correlation", f"Correlation coefficients of the binned trains "
             f"({REPORT_BIN_MS:g} ms bins), neurons grouped by subpopulation.",
             lambda ax: figures.correlation_image(ax, corr, n_E, vocab), size=(6, 5))
    trials = replay is not None and replay.get("mode") == "trials"
    if trials:
        branches = read_json(replay_dir / "branches.json")
        figs.add("replay_branches", "Replay trials: probability of each branch (95 % Wilson "
                 "interval) against its training frequency, and the latency from the cue to "
                 "the branch head.",
                 lambda a, b: (figures.branch_probabilities(a, branches),
                               figures.latency_distributions(b, branches)),
                 ncols=2, size=(11, 3.8))
        cue_times = replay["settings"]["cue_times"]
        shown = cue_times[:4]
        window = (shown[0] - 5.0, shown[-1] + replay["settings"]["cue_interval"])
        figs.add("replay_raster", f"The first {len(shown)} replay trials "
                 f"({branches['noise_description']}); triangles: cues.",
                 lambda ax: figures.raster(ax, r_neuron, r_times, n_E, vocab, window,
                                           [(t, replay["cue"]) for t in shown],
                                           title="replay trials"), size=(10, 3.6))
    elif replay is not None:
        cue_times = replay["settings"]["cue_times"]
        window = (0.0, cue_times[-1] + replay["settings"]["cue_interval"])
        decoded = [(el, t) for cue in replay["cues"] for el, t in cue["element_times_ms"]]
        figs.add("replay_raster", "Replay with frozen weights; red letters: decoded elements; "
                 "orange: dAP onsets.",
                 lambda ax: figures.raster(ax, r_neuron, r_times, n_E, vocab, window,
                                           [(t, c["cue"]) for t, c in zip(cue_times,
                                                                          replay["cues"])],
                                           dap=r_dap, decoded=decoded, title="replay"),
                 size=(10, 3.6))

    if detected:
        figs.add("asset", "ASSET (Elephant) on the repeated replays: every diagonal structure "
                 "of the intersection matrix, its events' times in one replay against the "
                 "repetition, labelled with the subpopulation of the majority of the event's "
                 "neurons.", lambda ax: figures.asset_structures(ax, detected), size=(6, 5))

    summary_rows = [
        ("sequences", "; ".join(metrics.get("sequences", []))),
        ("synapse", metrics.get("synapse", "stdsp")),
        ("episodes to convergence (first error below threshold)",
         stability["episodes_to_convergence"]),
        ("error stays below threshold from episode",
         stability["stays_converged_from"] if stability["stays_converged_from"] is not None
         else "not below in the last episode"),
        ("episodes above threshold after the first convergence",
         stability["relapses_after_convergence"]),
        (f"last {stability['tail_episodes']} episodes: mean (max) error, mean active fraction",
         f"{stability['tail_error_mean']:.3f} ({stability['tail_error_max']:.3f}), "
         f"{stability['tail_active_fraction_mean']:.3f}"),
        ("final error", metrics.get("final_error")),
        ("mature / potential synapses",
         f"{int(np.count_nonzero(mature)):,} / {mature.size:,} (connection sparsity "
         f"{analysis.connection_sparsity(int(np.count_nonzero(mature)), mature.size):.4f})"),
        ("plastic state per synapse", f"{cfg.synapse.state_bits:g} bits; "
         f"{state_bytes / 1024:.1f} KiB for all E->E synapses"),
        ("mean rate per subpopulation (Hz)",
         ", ".join(f"{el} {float(r.magnitude):.2f}" for el, r in rates.items())),
        ("ISI CV / CV2 / LV (median, neurons with >= 3 spikes)",
         " / ".join(f"{np.median(x):.2f}" if x.size else "-" for x in (isi.cv, isi.cv2, isi.lv))),
        ("correlation within / between subpopulations", f"{within:.3f} / {between:.3f}"),
        ("simulate / readout / evaluation / wall time (s)",
         " / ".join(f"{metrics.get(k, float('nan')):.1f}" for k in (
             "simulate_time_s", "readout_time_s", "evaluation_time_s", "wall_time_s"))),
        ("peak memory (MB)", f"{metrics.get('peak_rss_mb', float('nan')):.0f}"),
    ]
    if trials:
        shares = ", ".join(f"{r['sequence']} {r['probability']:.2f} (trained "
                           f"{r['training_frequency']:.2f})" for r in branches["branches"])
        summary_rows.append(("replay trials", f"{branches['trials']} cues of "
                             f"{branches['cue']}, {branches['noise_description']}: {shares}; "
                             f"simultaneous {branches['simultaneous']['probability']:.2f}, "
                             f"failure {branches['failure']['probability']:.2f}"))
    elif replay is not None:
        summary_rows.append(("replay", f"{replay['n_correct']} of {replay['n_cues']} cues correct"))
        if detected:
            summary_rows.append(("ASSET: replayed orders",
                                 "; ".join(sorted({" ".join(d.order) for d in detected}))))
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>seqnest report: {html.escape(run_dir.name)}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;}"
        "table{border-collapse:collapse;margin:1em 0;}th,td{border:1px solid #ccc;"
        "padding:3px 8px;text-align:left;vertical-align:top;}img{max-width:100%;}"
        "pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:80%;}</style></head><body>",
        f"<h1>seqnest run {html.escape(run_dir.name)}</h1>",
        "<h2>Summary</h2>", _table(summary_rows),
        "<h2>Efficiency in the last episode (per element)</h2>",
        "<table><tr><th>element</th><th>activation sparsity (silent fraction of its "
        "subpopulation)</th><th>synaptic events delivered (E->E)</th></tr>"
        + "".join(f"<tr><td>{a}</td><td>{b}</td><td>{c}</td></tr>" for a, b, c in efficiency)
        + "</table>",
        "<h2>Figures</h2>",
    ]
    parts.append(figures_html(figs))
    parts += ["<h2>Parameters</h2>", parameter_tables(cfg),
              "<h2>Environment</h2>",
              f"<pre>{html.escape(json.dumps(env, indent=1, default=str))}</pre>",
              f"<p>Report written in {time.perf_counter() - started:.1f} s.</p>",
              "</body></html>"]

    return _publish(out, figs, "".join(parts))


def _number(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return float("nan")


def write_sweep_report(sweep_dir: str | os.PathLike,
                       out: str | os.PathLike | None = None) -> Path:
    """Write ``OUT/report.html`` (``OUT`` defaults to the sweep directory): the table of
    points and each summary metric against each swept parameter (mean over the other
    parameters, every point shown)."""
    import csv

    from .sweep import ALL_SUMMARY_KEYS as SUMMARY_KEYS

    started = time.perf_counter()
    sweep_dir = check_run_dir(sweep_dir)
    out = check_report_output(sweep_dir if out is None else out)
    path = sweep_dir / "results.csv"
    if not path.is_file():
        raise RunDirError(f"missing file: {path}")
    try:
        with open(path, newline="") as f:
            table = list(csv.DictReader(f))
            header = list(table[0].keys()) if table else []
    except (csv.Error, UnicodeDecodeError) as exc:
        raise RunDirError(f"corrupt file {path}: {exc}") from None
    if not table or "point" not in header:
        raise RunDirError(f"{path}: no finished points")
    # the seed repeats a point; it is not a parameter whose effect is plotted
    varied = [h for h in header if h != "point" and h not in SUMMARY_KEYS
              and h.split(".")[-1] != "seed"]
    metrics = [k for k in SUMMARY_KEYS if k in header
               and any(np.isfinite(_number(r[k])) for r in table)]
    failures = read_json(sweep_dir / "failures.json") if (sweep_dir / "failures.json").is_file() \
        else []

    figs = _Figures()
    for param in varied:
        values = sorted({r[param] for r in table}, key=lambda v: (_number(v), v))
        pos = {v: i for i, v in enumerate(values)}

        def draw(*axes, param=param, values=values, pos=pos):
            for ax, metric in zip(axes, metrics):
                x = np.array([pos[r[param]] for r in table], dtype=float)
                y = np.array([_number(r[metric]) for r in table])
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
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r[h]))}</td>" for h in header)
                   + "</tr>" for r in table)
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>seqnest sweep report: {html.escape(sweep_dir.name)}</title>",
        "<style>body{font-family:sans-serif;max-width:1400px;margin:2em auto;}"
        "table{border-collapse:collapse;margin:1em 0;font-size:85%;}th,td{border:1px solid #ccc;"
        "padding:2px 6px;}img{max-width:100%;}</style></head><body>",
        f"<h1>seqnest sweep {html.escape(sweep_dir.name)}</h1>",
        f"<p>{len(table)} finished points, {len(failures)} failed "
        f"(see failures.json); run directories: {html.escape(str(sweep_dir))}/&lt;point&gt;/.</p>",
        "<h2>Figures</h2>",
    ]
    parts.append(figures_html(figs))
    parts += ["<h2>Points</h2>", f"<table><tr>{head}</tr>{body}</table>",
              f"<p>Report written in {time.perf_counter() - started:.1f} s.</p></body></html>"]
    return _publish(out, figs, "".join(parts))
