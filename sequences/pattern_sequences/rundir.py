# SPDX-License-Identifier: GPL-2.0-or-later
"""The run directory of a pattern-sequence run: ``params.json`` (family
"patterns"; "stp" in runs of earlier versions), ``env.json``, ``metrics.json``,
``stream.json``, ``spikes.npz``, ``input_weights.npz`` (initial, final,
assemblies) and ``ee_weights.npz``; written atomically, read back without NEST."""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from seqnest.sequences.directories import require_kind
from seqnest.sequences.rundir import (PATTERNS, atomic_directory, read_json, read_npz,
                                      run_family, write_json, write_run_record)

__all__ = ["FAMILY", "write_pattern_run", "is_pattern_run", "load_pattern_run"]

FAMILY = PATTERNS


def write_pattern_run(result: Any, out: str | os.PathLike, force: bool = False):
    """Write the run directory of ``result`` (a
    :class:`~seqnest.sequences.pattern_sequences.learn.PatternResult`): params.json,
    env.json, metrics.json, stream.json, spikes.npz, input_weights.npz (initial, final,
    assemblies), ee_weights.npz."""
    cfg = result.config
    with atomic_directory(out, force) as tmp:
        write_run_record(tmp, FAMILY, cfg, result.module_key, result.metrics)
        s = result.stream
        write_json(tmp / "stream.json", {
            "vocabulary": list(s.vocabulary), "sequences": [list(q) for q in s.sequences],
            "onsets": s.onsets, "items": s.items, "sequence": s.sequence,
            "position": s.position, "iteration": s.iteration,
            "iteration_starts": s.iteration_starts, "item_ms": s.item_ms})
        np.savez_compressed(tmp / "spikes.npz", exc_index=result.exc_spikes[0],
                            exc_times=result.exc_spikes[1], inh_index=result.inh_spikes[0],
                            inh_times=result.inh_spikes[1], input_channels=s.channels,
                            input_times=s.times)
        extra = {} if result.oracle_items is None else {"oracle_items": result.oracle_items}
        np.savez_compressed(tmp / "input_weights.npz", assembly=result.assembly,
                            initial_weight=result.input_initial.weight,
                            **result.input_final.as_arrays(), **extra)
        np.savez_compressed(tmp / "ee_weights.npz", **result.ee_final)
    return out


def is_pattern_run(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` holds a spatio-temporal-pattern run."""
    return run_family(folder) == PATTERNS


def load_pattern_run(run_dir: str | os.PathLike) -> dict:
    """params, metrics, stream, spikes, input weights of a run directory."""
    run = require_kind(run_dir, PATTERNS)
    out = {"params": read_json(run / "params.json")["params"],
           "metrics": read_json(run / "metrics.json"),
           "stream": read_json(run / "stream.json")}
    out["spikes"] = read_npz(run / "spikes.npz", "spikes file")
    out["inputs"] = read_npz(run / "input_weights.npz", "input weights file")
    return out
