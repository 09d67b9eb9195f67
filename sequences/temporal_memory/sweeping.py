# SPDX-License-Identifier: GPL-2.0-or-later
"""The temporal memory in sweeps (:class:`seqnest.sequences.sweep.family.SweepFamily`,
registered in ``pyproject.toml``): a point is ``seqnest learn`` with its values, and
optionally ``seqnest replay --trials`` under each noise condition of the spec's
``replay`` section (``DIR/<point>/replays/<condition>/``)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from seqnest.sequences.rundir import RunDirError, read_json, remove_stale_temporaries
from seqnest.sequences.sweep.results import summary_row
from seqnest.sequences.sweep.family import ReplaySupport, SweepFamily
from seqnest.sequences.temporal_memory.config import RunConfig, config_from_dict, resolve_config
from seqnest.sequences.temporal_memory.metrics import with_stability

__all__ = ["FAMILY", "SUMMARY_KEYS", "replay_row"]

#: Summary metrics copied from each point's metrics.json into results.csv.
SUMMARY_KEYS = ("final_error", "episodes_to_convergence", "stays_converged_from",
                "relapses_after_convergence", "tail_error_mean", "tail_active_fraction_mean",
                "final_false_positives",
                "final_false_negatives", "final_active_fraction", "mature_synapses_final",
                "simulate_time_s", "readout_time_s", "wall_time_s", "peak_rss_mb")


def _resolve(spec, options: list[str], own: list[str]) -> RunConfig:
    # the spec's top-level frequencies, unless the point varies task.frequencies
    varied = any(o.startswith("task.frequencies=") for o in own)
    return resolve_config(task=spec.task, sequences=spec.sequences, set_options=options,
                          frequencies=None if varied else spec.extra.get("frequencies"))


def row(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The results.csv columns of a finished point (a point trained before the
    stability keys existed gets them from its curve)."""
    return summary_row(with_stability(metrics), SUMMARY_KEYS)


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


def _branches_file(run_dir: Path, name: str) -> Path:
    return run_dir / "replays" / name / "branches.json"


def _check_replays(plan: Mapping, cfg: RunConfig) -> None:
    """Each replay condition's replay.* values, and the cue, against this point."""
    from seqnest.pynest_ext.noise import NoiseParams
    from seqnest.sequences.temporal_memory.branches import branch_structure
    branch_structure(cfg.sequence_set, plan["cue"])
    for cond in plan["conditions"]:
        cfg.replay.replace(**cond.replay)
        NoiseParams(cond.noise).check_resolution(cfg.run.resolution)


def _stored_replays(run_dir: Path, plan: Mapping) -> dict[str, dict] | None:
    if any(not _branches_file(run_dir, c.name).is_file() for c in plan["conditions"]):
        return None
    return {c.name: {**c.as_dict(), **replay_row(read_json(_branches_file(run_dir, c.name)))}
            for c in plan["conditions"]}


def _run_replays(config: RunConfig, run_dir: Path, plan: Mapping) -> dict[str, dict]:
    """Replay ``run_dir`` under every condition still missing; rows of all."""
    from seqnest.pynest_ext.noise import NoiseParams
    from seqnest.sequences.temporal_memory.replay import replay_trials
    folder = run_dir / "replays"
    folder.mkdir(exist_ok=True)
    remove_stale_temporaries(folder, {c.name for c in plan["conditions"]})
    for cond in plan["conditions"]:
        if not _branches_file(run_dir, cond.name).is_file():
            replay_trials(run_dir, plan["trials"], NoiseParams(cond.noise),
                          out=folder / cond.name, cue=plan["cue"], seed=plan["seed"],
                          replay_params=config.replay.replace(**cond.replay))
    return _stored_replays(run_dir, plan)


def point(record: dict, run_dir: str, replays: Mapping | None = None,
          monitor: Callable[[int, dict], None] | None = None) -> dict[str, Any]:
    """Train one point with a fresh kernel and write its run directory, unless it is
    there already; then replay it under each condition not yet replayed (worker side).
    A point writes checkpoints (:func:`point_checkpoints`) and continues from its own
    when an earlier sweep was stopped while training it. ``monitor``: told each
    episode's scores; a point it stops leaves nothing (no run directory, no checkpoint)."""
    config = config_from_dict(record)
    try:
        metrics = read_json(Path(run_dir) / "metrics.json")
    except RunDirError:
        metrics = _train_point(config, Path(run_dir), monitor)
    out = row(metrics)
    if replays:
        out["replays"] = _run_replays(config, Path(run_dir), replays)
    return out


#: Environment variables that set the checkpoint intervals of sweep points (the
#: workers inherit them from the sweep's process or the batch job).
ENV_CHECKPOINT_EVERY = "SEQNEST_CHECKPOINT_EVERY"
ENV_CHECKPOINT_MINUTES = "SEQNEST_CHECKPOINT_MINUTES"


def point_checkpoints(run_dir: Path):
    """The checkpoint policy of the point ``run_dir``: every $SEQNEST_CHECKPOINT_EVERY
    episodes (default: not by episodes) and $SEQNEST_CHECKPOINT_MINUTES minutes
    (default: the learn command's); no signal handling (workers leave signals to
    the sweep)."""
    import os

    from seqnest.errors import ParameterError
    from seqnest.sequences.temporal_memory.checkpoint import (DEFAULT_EVERY_MINUTES,
                                                              CheckpointPolicy, checkpoint_path)
    try:
        every = int(os.environ.get(ENV_CHECKPOINT_EVERY) or 0)
        minutes = float(os.environ.get(ENV_CHECKPOINT_MINUTES) or DEFAULT_EVERY_MINUTES)
    except ValueError:
        raise ParameterError(f"{ENV_CHECKPOINT_EVERY} must be a whole number and "
                             f"{ENV_CHECKPOINT_MINUTES} a number of minutes") from None
    return CheckpointPolicy(checkpoint_path(run_dir), every, minutes, on_signal=False)


def _train_point(config: RunConfig, run_dir: Path, monitor=None) -> dict:
    """Train the point (from its checkpoint where one of this configuration is
    there), write its run directory, remove the checkpoint; its metrics."""
    from seqnest.errors import TrainingStopped
    from seqnest.sequences.temporal_memory.checkpoint import discard_stale, load_checkpoint
    from seqnest.sequences.temporal_memory.learn import train
    from seqnest.sequences.temporal_memory.rundir import write_training_run
    policy = point_checkpoints(run_dir)
    start = None
    if policy.path.is_file():
        try:
            start = load_checkpoint(policy.path)
        except RunDirError as exc:
            discard_stale(policy.path, f"cannot be read ({exc})")
        else:
            if start.config.hash() != config.hash():
                discard_stale(policy.path, "holds another configuration")
                start = None
    try:
        result = train(config, progress=False, checkpoint=policy, start=start,
                       on_episode=monitor)
    except TrainingStopped:
        policy.path.unlink(missing_ok=True)   # a stopped point is not continued
        raise
    write_training_run(result, run_dir, force=True)
    policy.path.unlink(missing_ok=True)
    return result.metrics


def _run_bytes(config: RunConfig) -> float:
    from seqnest.sequences.temporal_memory.rundir import run_directory_bytes
    return run_directory_bytes(config)


def _check_resources(config: RunConfig, processes: int) -> None:
    from seqnest.sequences.temporal_memory.learn import check_run_resources
    check_run_resources(config, processes=processes)


#: Registered as the ``temporal_memory`` entry point of ``seqnest.sweep_families``.
FAMILY = SweepFamily(
    name="temporal_memory", selector=None, spec_keys=frozenset({"synapse", "frequencies"}),
    run_keys={"episodes": "run.episodes", "threads": "run.threads", "synapse": "run.synapse"},
    resolve=_resolve, point=point, row=row, summary_keys=SUMMARY_KEYS,
    check_resources=_check_resources, replays=ReplaySupport(_check_replays, _stored_replays),
    run_bytes=_run_bytes,
    curves={"error": "minimize", "false_positives": "minimize", "false_negatives": "minimize"})
