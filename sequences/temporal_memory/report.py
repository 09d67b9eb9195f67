# SPDX-License-Identifier: GPL-2.0-or-later
"""A self-contained HTML report of a temporal-memory run directory (no NEST needed).

:func:`write_report` reads only the run directory's files (``params.json``,
``env.json``, ``metrics.json``, ``schedule.json``, ``spikes.nix``,
``connectivity.npz`` and, if present, ``replay/``), computes the analyses of
:mod:`seqnest.sequences.analysis` on neo objects, draws the figures of
:mod:`seqnest.sequences.temporal_memory.figures`, and writes ``RUN_DIR/report.html``
(images embedded, opens offline) with the PNG and SVG files in ``RUN_DIR/report/``
through :func:`seqnest.sequences.html.publish` (an interrupted report leaves the
previous one, or nothing, in place).
"""
from __future__ import annotations

import html
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import quantities as pq

from seqnest.sequences import analysis
from seqnest.sequences.html import (Figures, check_report_output, figures_html, html_page,
                                    parameter_tables, publish, table)
from seqnest.sequences.rundir import (TEMPORAL_MEMORY, RunDirError, check_run_dir,
                                      load_connectivity_arrays, load_segment,
                                      population_arrays_optional, population_train, read_json,
                                      run_family, train_arrays)
from seqnest.sequences.temporal_memory import figures
from seqnest.sequences.temporal_memory.metrics import with_stability
from seqnest.sequences.temporal_memory.rundir import find_replays, load_config

__all__ = ["write_report", "write_replay_report", "REPORT_BIN_MS", "RESPONSE_WINDOW_MS"]

#: Bin width (ms) of the correlation and PSTH analyses: one volley of an
#: element (synchronous within ~2 ms) falls into one bin.
REPORT_BIN_MS = 5.0
#: Window (ms) after an element's onset in which its responses are counted
#: (as the active fraction of seqnest.sequences.temporal_memory.metrics).
RESPONSE_WINDOW_MS = 20.0


@dataclass
class _Training:
    """What the report reads of the training segment of a run directory."""

    cfg: Any
    metrics: dict
    env: dict
    conn: dict
    vocab: list
    n_E: int
    start: float                  # ms, simulation time of the first episode
    starts: list                  # ms, episode boundaries (n_episodes + 1)
    exc_train: Any                # the compact E population train
    neuron: np.ndarray
    times: np.ndarray
    dap: Any                      # (neuron, times) of dAP onsets, or None
    stimuli: list                 # (time ms, element)
    trains: list                  # one neo SpikeTrain per E neuron

    @property
    def n_episodes(self) -> int:
        return len(self.starts) - 1


@dataclass
class _Replay:
    """One replay directory of the run: its record, the branch statistics of trials,
    its spikes and the orders ASSET found in repeated replays."""

    folder: Path
    label: str                    # its path relative to the run (or its name)
    record: dict
    branches: dict | None = None
    neuron: Any = None
    times: Any = None
    dap: Any = None
    detected: list | None = None

    @property
    def trials(self) -> bool:
        return self.record.get("mode") == "trials" or self.branches is not None

    @property
    def slug(self) -> str:
        """The prefix of its figure files (``replay`` for ``RUN/replay``)."""
        return re.sub(r"[^A-Za-z0-9_-]+", "_", self.label).strip("_") or "replay"


def _load_training(run_dir: Path) -> _Training:
    from seqnest.pynest_ext.neo_convert import split_population

    cfg = load_config(run_dir)
    schedule = read_json(run_dir / "schedule.json")
    episode = float(schedule["episode_duration"])
    start = float(schedule["start"])
    # episode boundaries (ms); runs written before episodes could differ in length lack them
    starts = [float(t) for t in schedule.get("episode_starts") or
              [start + k * episode for k in range(int(schedule["episodes"]) + 1)]]
    segment = load_segment(run_dir / "spikes.nix", "training")
    exc_train = population_train(segment, "E")
    neuron, times = train_arrays(exc_train)
    stim = next((e for e in segment.events if e.name == "stimuli"), None)
    stimuli = ([] if stim is None else
               list(zip(stim.times.rescale(pq.ms).magnitude.tolist(), stim.labels.tolist())))
    return _Training(cfg, read_json(run_dir / "metrics.json"), read_json(run_dir / "env.json"),
                     load_connectivity_arrays(run_dir), list(cfg.sequence_set.vocabulary),
                     int(cfg.network.n_E), start, starts, exc_train, neuron, times,
                     population_arrays_optional(segment, "E_dAP"), stimuli,
                     split_population(exc_train))


def _load_replay(folder: Path, label: str) -> _Replay:
    from seqnest.pynest_ext.neo_convert import split_population

    record = read_json(folder / "replay.json")
    segment = load_segment(folder / "spikes.nix", "replay")
    exc = population_train(segment, "E")
    neuron, times = train_arrays(exc)
    rep = _Replay(folder, label, record, None, neuron, times,
                  population_arrays_optional(segment, "E_dAP"), [])
    if (folder / "branches.json").is_file():
        rep.branches = read_json(folder / "branches.json")
    elif rep.trials:
        raise RunDirError(f"missing file: {folder / 'branches.json'}")
    elif record.get("settings", {}).get("repetitions", 1) >= 2:
        rep.detected = analysis.detect_sequences(split_population(exc))
    return rep


def _efficiency(run: _Training) -> list[tuple[str, str, str]]:
    """Per element shown in the last episode: the silent fraction of its subpopulation
    and the E->E synaptic events its responses deliver."""
    out_degree = np.bincount(run.conn["source"], minlength=run.n_E * len(run.vocab))
    last0, last1 = run.starts[-2], run.starts[-1]
    rows = []
    for t, el in run.stimuli:
        if not last0 <= t < last1 or el not in run.vocab:
            continue
        k = run.vocab.index(el)
        sel = (run.times >= t) & (run.times < t + RESPONSE_WINDOW_MS)
        counts = np.bincount(run.neuron[sel], minlength=run.n_E * len(run.vocab))
        mine = counts[k * run.n_E:(k + 1) * run.n_E]
        rows.append((f"{el} at {t:.0f} ms", f"{analysis.activation_sparsity(mine, run.n_E):.3f}",
                     f"{analysis.synaptic_events(counts, out_degree):,}"))
    return rows


def _training_figures(figs: Figures, run: _Training, stability: dict, corr, isi) -> None:
    n_E, vocab, start = run.n_E, run.vocab, run.start
    for label, ep in (("first", 0), ("last", run.n_episodes - 1)):
        window = (run.starts[ep] - start, run.starts[ep + 1] - start)
        daps_here = run.dap is not None and bool(np.any((run.dap[1] >= window[0])
                                                        & (run.dap[1] < window[1])))
        note = ("orange: dAP onsets." if daps_here else
                "dAP onsets are recorded in the last training episode only."
                if ep < run.n_episodes - 1 else "no dAP onsets recorded.")
        figs.add(f"raster_{label}_episode", f"Spikes in the {label} training episode "
                 f"(episode {ep + 1}); triangles: stimuli; {note}",
                 lambda ax, w=window, e=ep: figures.raster(
                     ax, run.neuron, run.times, n_E, vocab, w, run.stimuli, dap=run.dap,
                     title=f"episode {e + 1}"))
    last_window = ((run.starts[-2] - start) * pq.ms, (run.starts[-1] - start) * pq.ms)
    by_element = {el: [st for st in run.trains if st.annotations["element"] == el] for el in vocab}
    figs.add("psth_last_episode", f"Population rate per subpopulation in the last episode "
             f"({REPORT_BIN_MS:g} ms bins, Elephant time_histogram).",
             lambda ax: figures.psth(ax, {el: analysis.population_psth(
                 sts, REPORT_BIN_MS * pq.ms, *last_window) for el, sts in by_element.items()}),
             size=(10, 3.2))
    ev = run.cfg.evaluation
    figs.add("learning_curves", "Prediction error, false positives and negatives, active "
             f"fraction of the last elements and context overlap per episode; dashed: the "
             f"first episode with error < {ev.convergence_error:g}; shaded: the episodes from "
             "which it stays below to the end; dotted: rho/n_E, the active fraction of a "
             "predicted element (Bouhadjar et al. 2022).",
             lambda ax: figures.learning_curves(ax, stability,
                                                sparse_fraction=float(run.cfg.network.rho) / n_E,
                                                threshold=ev.convergence_error),
             size=(8.0, 4.0))

    def before_after(initial: str, final: str, label: str):
        def draw(a, b):
            for ax, key, when in ((a, initial, "before"), (b, final, "after")):
                figures.connectivity_matrix(ax, run.conn["source"], run.conn["target"],
                                            run.conn[key], n_E, vocab, label, when)
        return draw

    figs.add("permanence_matrices", "Mean plastic state (permanence, or X of the tristate "
             "synapse) between subpopulations before and after learning.",
             before_after("initial_permanence", "permanence", "mean state"),
             ncols=2, size=(10, 4))
    figs.add("weight_matrices", "Mean weight (pA) between subpopulations before and after "
             "learning.", before_after("initial_weight", "weight", "mean weight (pA)"),
             ncols=2, size=(10, 4))
    per_neuron_rate = np.array([len(st) for st in run.trains]) / float(
        run.exc_train.t_stop.rescale(pq.s).magnitude)
    figs.add("rate_and_cv", "Firing rates and ISI CV of the excitatory neurons (training).",
             lambda a, b: (figures.histogram(a, per_neuron_rate, "rate (Hz)"),
                           figures.histogram(b, isi.cv, "ISI CV")), ncols=2, size=(10, 3.4))
    figs.add("correlation", f"Correlation coefficients of the binned trains "
             f"({REPORT_BIN_MS:g} ms bins), neurons grouped by subpopulation.",
             lambda ax: figures.correlation_image(ax, corr, n_E, vocab), size=(6, 5))


def _replay_figures(figs: Figures, n_E: int, vocab: list, rep: _Replay) -> None:
    settings = rep.record["settings"]
    where = "" if rep.label == "replay" else f" ({rep.label})"
    if rep.trials:
        branches = rep.branches
        figs.add(f"{rep.slug}_branches", f"Replay trials{where}: probability of each branch "
                 "(95 % Wilson interval) against its training frequency, and the latency from "
                 "the cue to the branch head.",
                 lambda a, b: (figures.branch_probabilities(a, branches),
                               figures.latency_distributions(b, branches)),
                 ncols=2, size=(11, 3.8))
        shown = settings["cue_times"][:4]
        window = (shown[0] - 5.0, shown[-1] + settings["cue_interval"])
        figs.add(f"{rep.slug}_raster", f"The first {len(shown)} replay trials{where} "
                 f"({branches['noise_description']}); triangles: cues.",
                 lambda ax: figures.raster(ax, rep.neuron, rep.times, n_E, vocab, window,
                                           [(t, rep.record["cue"]) for t in shown],
                                           title=f"replay trials{where}"), size=(10, 3.6))
    else:
        cue_times = settings["cue_times"]
        window = (0.0, cue_times[-1] + settings["cue_interval"])
        decoded = [(el, t) for cue in rep.record["cues"] for el, t in cue["element_times_ms"]]
        cues = [(t, c["cue"]) for t, c in zip(cue_times, rep.record["cues"])]
        figs.add(f"{rep.slug}_raster", f"Replay with frozen weights{where}; red letters: "
                 "decoded elements; orange: dAP onsets.",
                 lambda ax: figures.raster(ax, rep.neuron, rep.times, n_E, vocab, window,
                                           cues, dap=rep.dap, decoded=decoded,
                                           title=f"replay{where}"), size=(10, 3.6))
    if rep.detected:
        figs.add(f"{rep.slug}_asset", f"ASSET (Elephant) on the repeated replays{where}: every "
                 "diagonal structure of the intersection matrix, its events' times in one "
                 "replay against the repetition, labelled with the subpopulation of the "
                 "majority of the event's neurons.",
                 lambda ax: figures.asset_structures(ax, rep.detected), size=(6, 5))


def _replay_rows(rep: _Replay) -> list[tuple[str, Any]]:
    """The summary rows of one replay."""
    seed = rep.record.get("seed", rep.record.get("settings", {}).get("seed"))
    how = f"seed {seed}" if seed is not None else ""
    if rep.trials:
        b = rep.branches
        shares = ", ".join(f"{r['sequence']} {r['probability']:.2f} (trained "
                           f"{r['training_frequency']:.2f})" for r in b["branches"])
        return [(f"replay trials: {rep.label}",
                 f"{b['trials']} cues of {b['cue']}, {b['noise_description']}, {how}: "
                 f"{shares}; simultaneous {b['simultaneous']['probability']:.2f}, failure "
                 f"{b['failure']['probability']:.2f}")]
    rows = [(f"replay: {rep.label}", f"{rep.record['n_correct']} of {rep.record['n_cues']} "
             f"cues correct" + (f" ({how})" if how else ""))]
    if rep.detected:
        rows.append((f"ASSET: replayed orders ({rep.label})",
                     "; ".join(sorted({" ".join(d.order) for d in rep.detected}))))
    return rows


def _summary_rows(run: _Training, replays: list[_Replay], stability: dict, rates, isi,
                  within: float, between: float) -> list[tuple[str, Any]]:
    metrics, synapse = run.metrics, run.cfg.synapse
    mature = synapse.mature(run.conn["permanence"], run.conn["weight"])
    n_mature = int(np.count_nonzero(mature))
    state_bytes = run.conn["source"].size * synapse.state_bits / 8
    rows = [
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
         f"{n_mature:,} / {mature.size:,} (connection sparsity "
         f"{analysis.connection_sparsity(n_mature, mature.size):.4f})"),
        ("plastic state per synapse", f"{synapse.state_bits:g} bits; "
         f"{state_bytes / 1024:.1f} KiB for all E->E synapses"),
        ("mean rate per subpopulation (Hz)",
         ", ".join(f"{el} {float(r.magnitude):.2f}" for el, r in rates.items())),
        ("ISI CV / CV2 / LV (median, neurons with >= 3 spikes)",
         " / ".join(f"{np.median(x):.2f}" if x.size else "-" for x in (isi.cv, isi.cv2, isi.lv))),
        ("correlation within / between subpopulations", f"{within:.3f} / {between:.3f}"),
        ("simulate / readout / evaluation / synapse read / wall time (s)",
         " / ".join(f"{metrics.get(k, float('nan')):.1f}" for k in (
             "simulate_time_s", "readout_time_s", "evaluation_time_s", "synapse_read_time_s",
             "wall_time_s"))),
        ("peak memory (MB)", f"{metrics.get('peak_rss_mb', float('nan')):.0f}"),
    ]
    for rep in replays:
        rows += _replay_rows(rep)
    return rows


def _label(folder: Path, run_dir: Path) -> str:
    try:
        return folder.relative_to(run_dir).as_posix()
    except ValueError:
        return folder.name


def write_report(run_dir: str | os.PathLike, out: str | os.PathLike | None = None) -> Path:
    """Write ``OUT/report.html`` and ``OUT/report/*.png`` (``OUT`` defaults to the run
    directory, which may then be read-only if ``out`` is given); return the HTML path.
    Every replay of the run (:func:`find_replays`) has its section."""
    started = time.perf_counter()
    run_dir = check_run_dir(run_dir)
    out = check_report_output(run_dir if out is None else out)
    run = _load_training(run_dir)
    replays = [_load_replay(folder, _label(folder, run_dir)) for folder in find_replays(run_dir)]
    rates = analysis.subpopulation_rates(run.trains)
    isi = analysis.isi_variability(run.trains)
    corr = analysis.correlation_matrix(run.trains, REPORT_BIN_MS * pq.ms)
    within, between = analysis.correlation_by_group(
        corr, [st.annotations["element"] for st in run.trains])
    # runs written before these keys existed: the same summary from their curves
    stability = with_stability(run.metrics, run.cfg.evaluation)

    figs = Figures()
    _training_figures(figs, run, stability, corr, isi)
    for rep in replays:
        _replay_figures(figs, run.n_E, run.vocab, rep)
    efficiency = "".join(f"<tr><td>{a}</td><td>{b}</td><td>{c}</td></tr>"
                         for a, b, c in _efficiency(run))
    body = [
        f"<h1>seqnest run {html.escape(run_dir.name)}</h1>",
        "<h2>Summary</h2>",
        table(_summary_rows(run, replays, stability, rates, isi, within, between)),
        "<h2>Efficiency in the last episode (per element)</h2>",
        "<table><tr><th>element</th><th>activation sparsity (silent fraction of its "
        f"subpopulation)</th><th>synaptic events delivered (E->E)</th></tr>{efficiency}</table>",
        "<h2>Figures</h2>", figures_html(figs),
        "<h2>Parameters</h2>", parameter_tables(run.cfg),
        "<h2>Environment</h2>",
        f"<pre>{html.escape(json.dumps(run.env, indent=1, default=str))}</pre>",
        f"<p>Report written in {time.perf_counter() - started:.1f} s.</p>",
    ]
    return publish(out, figs, html_page(f"seqnest report: {run_dir.name}", body))


def replayed_run(replay_dir: Path) -> Path:
    """The temporal-memory run a replay directory replays: the one its ``replay.json``
    names, else the folder it lies in (``RUN/replay-x``) or that folder's parent (a
    sweep point's ``RUN/replays/<condition>``)."""
    record = read_json(replay_dir / "replay.json")
    named = record.get("run_dir")
    candidates = ([Path(named)] if named else []) + [replay_dir.parent, replay_dir.parent.parent]
    for run in candidates:
        if run.is_dir() and run_family(run) == TEMPORAL_MEMORY:
            return run
    where = f"{named} (named in replay.json)" if named else f"{replay_dir.parent}"
    raise RunDirError(f"{replay_dir}: the run it replays is not there ({where}); its report "
                      "needs the run's parameters")


def write_replay_report(replay_dir: str | os.PathLike,
                        out: str | os.PathLike | None = None) -> Path:
    """Write the report of one replay directory (plain or noisy trials) into ``OUT``
    (default: the replay directory): its figures and summary, with the parameters of
    the run it replays (:func:`replayed_run`); return the HTML path."""
    started = time.perf_counter()
    replay_dir = check_run_dir(replay_dir)
    out = check_report_output(replay_dir if out is None else out)
    run_dir = replayed_run(replay_dir)
    cfg = load_config(run_dir)
    rep = _load_replay(replay_dir, _label(replay_dir, run_dir))
    figs = Figures()
    _replay_figures(figs, int(cfg.network.n_E), list(cfg.sequence_set.vocabulary), rep)
    rows = [("run", str(run_dir.resolve())),
            ("sequences", "; ".join(" ".join(s) for s in cfg.sequence_set.sequences)),
            ("synapse", cfg.synapse.KIND)] + _replay_rows(rep)
    rows.append(("threads / wall time (s)",
                 f"{rep.record.get('threads', rep.record.get('settings', {}).get('threads'))}"
                 f" / {rep.record.get('wall_time_s', float('nan')):.1f}"))
    body = [
        f"<h1>seqnest replay {html.escape(rep.label)} of run {html.escape(run_dir.name)}</h1>",
        "<h2>Summary</h2>", table(rows),
        "<h2>Figures</h2>", figures_html(figs),
        "<h2>Replay settings</h2>",
        f"<pre>{html.escape(json.dumps(rep.record.get('settings', {}), indent=1, default=str))}"
        "</pre>",
        "<h2>Parameters of the run</h2>", parameter_tables(cfg),
        f"<p>Report written in {time.perf_counter() - started:.1f} s.</p>",
    ]
    return publish(out, figs, html_page(f"seqnest replay report: {rep.label}", body))
