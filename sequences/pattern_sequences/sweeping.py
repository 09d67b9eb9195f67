# SPDX-License-Identifier: GPL-2.0-or-later
"""Pattern sequences in sweeps (:class:`seqnest.sequences.sweep.family.SweepFamily`,
registered in ``pyproject.toml``): a spec with ``inputs: spatial|temporal`` sweeps
``seqnest learn --inputs``; ``episodes`` are the iterations, ``task`` is ``s3`` or
``s4`` and ``sequences`` a custom set."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from seqnest.params import resolve_layers
from seqnest.sequences.rundir import PATTERNS, RunDirError, read_json
from seqnest.sequences.sweep.results import summary_row
from seqnest.sequences.sweep.family import SweepFamily
from seqnest.sequences.pattern_sequences.config import (PATTERN_GROUPS, PatternConfig,
                                                        resolve_pattern_config)

__all__ = ["FAMILY", "SUMMARY_KEYS"]

#: The same for pattern-sequence runs (metrics family "patterns").
SUMMARY_KEYS = ("final_accuracy", "converged_at", "stp_detection", "final_prediction_overlap",
                "unassigned", "simulate_time_s", "readout_time_s", "wall_time_s",
                "peak_rss_mb")


def _resolve(spec, options: list[str], own: list[str]) -> PatternConfig:
    return resolve_pattern_config(spec.extra["inputs"], spec.sequences or spec.task or "s3",
                                  sets=resolve_layers(PATTERN_GROUPS, options))


def row(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The results.csv columns of a finished point."""
    return summary_row(metrics, SUMMARY_KEYS)


def point(record: dict, run_dir: str, replays: Mapping | None = None,
          monitor: Callable[[int, dict], None] | None = None) -> dict[str, Any]:
    """Run both phases with a fresh kernel and write the run directory, unless it is
    there already (worker side); ``monitor`` is told each phase-2 iteration's scores."""
    from seqnest.sequences.pattern_sequences.learn import train_patterns
    from seqnest.sequences.pattern_sequences.rundir import write_pattern_run
    try:
        metrics = read_json(Path(run_dir) / "metrics.json")
    except RunDirError:
        result = train_patterns(PatternConfig.from_dict(record), progress=False, out=run_dir,
                                on_iteration=monitor)
        write_pattern_run(result, run_dir, force=True)
        metrics = result.metrics
    return row(metrics)


def _check_resources(config: PatternConfig, processes: int) -> None:
    from seqnest.sequences.pattern_sequences.learn import check_pattern_resources
    check_pattern_resources(config, 0, processes)


#: Registered as the ``patterns`` entry point of ``seqnest.sweep_families``.
FAMILY = SweepFamily(
    name=PATTERNS, selector="inputs", spec_keys=frozenset({"inputs"}),
    run_keys={"episodes": "protocol.iterations", "threads": "run.threads"},
    resolve=_resolve, point=point, row=row, summary_keys=SUMMARY_KEYS,
    check_resources=_check_resources,
    curves={"accuracy": "maximize", "prediction_overlap": "minimize"}, episode_word="iteration")
