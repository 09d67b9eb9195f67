# SPDX-License-Identifier: GPL-2.0-or-later
"""What a sweep keeps of each point: the summary columns of ``results.csv``, the
rows of ``replays.csv`` and ``failures.json`` (each file replaced atomically)."""
from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from seqnest.sequences.rundir import PATTERNS, family_name
from seqnest.sequences.sweep.points import Point
from seqnest.sequences.temporal_memory.metrics import with_stability

__all__ = ["SUMMARY_KEYS", "PATTERN_SUMMARY_KEYS", "ALL_SUMMARY_KEYS", "summary", "replay_row",
           "write_results"]


#: Summary metrics copied from each point's metrics.json into results.csv.
SUMMARY_KEYS = ("final_error", "episodes_to_convergence", "stays_converged_from",
                "relapses_after_convergence", "tail_error_mean", "tail_active_fraction_mean",
                "final_false_positives",
                "final_false_negatives", "final_active_fraction", "mature_synapses_final",
                "simulate_time_s", "readout_time_s", "wall_time_s", "peak_rss_mb")


#: The same for pattern-sequence runs (metrics family "patterns").
PATTERN_SUMMARY_KEYS = ("final_accuracy", "converged_at", "stp_detection", "final_prediction_overlap",
                        "unassigned", "simulate_time_s", "readout_time_s", "wall_time_s",
                        "peak_rss_mb")


#: Every column results.csv can hold besides the point and its varied values.
ALL_SUMMARY_KEYS = tuple(dict.fromkeys(SUMMARY_KEYS + PATTERN_SUMMARY_KEYS))


def _summary_keys(patterns: bool) -> tuple[str, ...]:
    return PATTERN_SUMMARY_KEYS if patterns else SUMMARY_KEYS


def summary(metrics: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    patterns = family_name(metrics.get("family")) == PATTERNS
    if not patterns:
        # a point trained before these keys existed: the same summary from its curve
        metrics = with_stability(metrics)
    for key in _summary_keys(patterns):
        if key.startswith("final_") and key not in metrics:
            series = metrics.get(key[len("final_"):])
            out[key] = series[-1] if series else None
        else:
            out[key] = metrics.get(key)
    return out


def replay_row(stats: Mapping[str, Any]) -> dict[str, Any]:
    """The figures of one replay condition that replays.csv shows."""
    row = {"trials": stats["trials"], "simultaneous": stats["simultaneous"]["probability"],
           "failure": stats["failure"]["probability"],
           "matching_tv_distance": stats["matching_tv_distance"],
           "most_frequent_share": stats["most_frequent_share"],
           "interacting_trials": stats["interacting_trials"]}
    # the race between the heads (absent in records older than it)
    race = (stats.get("race") or {}).get("heads") or [{}] * len(stats["branches"])
    for k, (b, r) in enumerate(zip(stats["branches"], race), 1):
        row[f"branch{k}_frequency"] = b["training_frequency"]
        row[f"branch{k}_probability"] = b["probability"]
        row[f"branch{k}_share"] = b["share_of_single"]
        row[f"branch{k}_latency_ms"] = b["latency_ms"]["median"]
        for key in ("dap_latency_ms", "dap_gap_ms", "first_spike_gap_ms", "dap_neurons"):
            row[f"branch{k}_{key}"] = (r.get(key) or {}).get("mean")
    # the trials decided by heads alone (absent in records older than the two decisions)
    by_head = stats.get("by_head")
    if by_head:
        n = stats["trials"]
        for k, b in enumerate(stats["branches"], 1):
            row[f"branch{k}_by_head"] = by_head[b["sequence"]] / n
        row["simultaneous_by_head"] = by_head["simultaneous"] / n
        row["failure_by_head"] = by_head["failure"] / n
    return row


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_results(out: Path, points: Sequence[Point], rows: Mapping[str, dict],
                  failures: Mapping[str, dict]) -> None:
    varied = sorted({k for p in points for k in p.varied})
    keys = _summary_keys(bool(points) and hasattr(points[0].config, "coding"))
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["point", *varied, *keys])
    for p in points:
        if p.key in rows:
            writer.writerow([p.key, *(p.varied.get(k, "") for k in varied),
                             *(rows[p.key].get(k) for k in keys)])
    _atomic_text(out / "results.csv", buf.getvalue())
    _atomic_text(out / "failures.json", json.dumps(
        [{"point": k, **v} for k, v in failures.items()], indent=1) + "\n")
    replay_rows = [(p, r) for p in points if p.key in rows
                   for r in (rows[p.key].get("replays") or {}).values()]
    if replay_rows:
        noise_keys = sorted({k for _, r in replay_rows for k in r["noise"]})
        replay_keys = sorted({k for _, r in replay_rows for k in r["replay"]})
        figures = list(dict.fromkeys(k for _, r in replay_rows for k in r
                                     if k not in ("name", "noise", "replay")))
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["point", *varied, "condition", *(f"noise.{k}" for k in noise_keys),
                         *(f"replay.{k}" for k in replay_keys), *figures])
        for p, r in replay_rows:
            writer.writerow([p.key, *(p.varied.get(k, "") for k in varied), r["name"],
                             *(r["noise"].get(k, "") for k in noise_keys),
                             *(r["replay"].get(k, "") for k in replay_keys),
                             *(r.get(k, "") for k in figures)])
        _atomic_text(out / "replays.csv", buf.getvalue())
