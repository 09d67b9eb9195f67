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

from seqnest.sequences.sweep.points import Point

__all__ = ["summary_row", "write_results", "atomic_text"]


def summary_row(metrics: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    """The ``keys`` of a point's metrics; a ``final_X`` missing from them is the last
    value of the series ``X``."""
    out = {}
    for key in keys:
        if key.startswith("final_") and key not in metrics:
            series = metrics.get(key[len("final_"):])
            out[key] = series[-1] if series else None
        else:
            out[key] = metrics.get(key)
    return out


def atomic_text(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (written to a hidden sibling, then renamed)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_results(out: Path, points: Sequence[Point], rows: Mapping[str, dict],
                  failures: Mapping[str, dict], keys: Sequence[str]) -> None:
    """``results.csv`` (a row per finished point: its varied values, then ``keys``),
    ``failures.json`` and, when points were replayed, ``replays.csv``."""
    varied = sorted({k for p in points for k in p.varied})
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["point", *varied, *keys])
    for p in points:
        if p.key in rows:
            writer.writerow([p.key, *(p.varied.get(k, "") for k in varied),
                             *(rows[p.key].get(k) for k in keys)])
    atomic_text(out / "results.csv", buf.getvalue())
    atomic_text(out / "failures.json", json.dumps(
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
        atomic_text(out / "replays.csv", buf.getvalue())
