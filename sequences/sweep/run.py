# SPDX-License-Identifier: GPL-2.0-or-later
"""Running a sweep: the client (reuse scan, resource checks, Dask cluster, one
point per worker process at a time) and the worker side (:func:`run_point`)."""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqnest.params import ParameterError
from seqnest.sequences.rundir import PATTERNS, RunDirError, family_name, read_json, require_writable
from seqnest.sequences.sweep.points import expand
from seqnest.sequences.sweep.results import replay_row, summary, write_results
from seqnest.sequences.sweep.slurm import check_slurm_submission, job_shape, slurm_cluster
from seqnest.sequences.sweep.spec import Condition, SweepSpec
from seqnest.sequences.temporal_memory.config import RunConfig, config_from_dict

if TYPE_CHECKING:
    from seqnest.pynest_ext.buildcache import BuiltModule

__all__ = ["run_point", "run_sweep", "check_sweep_output"]


def run_point(config_record: dict, run_dir: str, replays: dict | None = None) -> dict[str, Any]:
    """Train one point with a fresh kernel and write its run directory, unless it is
    there already; then replay it under each condition of ``replays`` not yet
    replayed (worker side)."""
    from seqnest.sequences.temporal_memory.learn import train
    from seqnest.sequences.temporal_memory.rundir import write_training_run

    patterns = family_name(config_record.get("family")) == PATTERNS
    if patterns:
        from seqnest.sequences.pattern_sequences.config import PatternConfig
        from seqnest.sequences.pattern_sequences.learn import train_patterns, write_pattern_run
        config = PatternConfig.from_dict(config_record)
    else:
        config = config_from_dict(config_record)
    try:
        metrics = read_json(Path(run_dir) / "metrics.json")
    except RunDirError:
        if patterns:
            result = train_patterns(config, progress=False)
            write_pattern_run(result, run_dir, force=True)
        else:
            result = train(config, progress=False)
            write_training_run(result, run_dir, force=True)
        metrics = result.metrics
    row = summary(metrics)
    if replays:
        row["replays"] = _run_replays(config, Path(run_dir), replays)
    return row


def _branches_file(run_dir: Path, cond: Condition) -> Path:
    return run_dir / "replays" / cond.name / "branches.json"


def _stored_replays(run_dir: Path, replays: dict) -> dict[str, dict]:
    return {c.name: {**c.as_dict(), **replay_row(read_json(_branches_file(run_dir, c)))}
            for c in replays["conditions"]}


def _replay_missing(run_dir: Path, replays: dict | None) -> bool:
    return bool(replays) and any(not _branches_file(run_dir, c).is_file()
                                 for c in replays["conditions"])


def _run_replays(config: RunConfig, run_dir: Path, replays: dict) -> dict[str, dict]:
    """Replay ``run_dir`` under every condition still missing; rows of all."""
    from seqnest.pynest_ext.noise import NoiseParams

    from seqnest.sequences.temporal_memory.replay import replay_trials
    folder = run_dir / "replays"
    folder.mkdir(exist_ok=True)
    _remove_stale_temporaries(folder, {c.name for c in replays["conditions"]})
    for cond in replays["conditions"]:
        if not _branches_file(run_dir, cond).is_file():
            replay_trials(run_dir, replays["trials"], NoiseParams(cond.noise),
                          out=folder / cond.name, cue=replays["cue"], seed=replays["seed"],
                          replay_params=config.replay.replace(**cond.replay))
    return _stored_replays(run_dir, replays)


def _local_cluster(workers: int):
    from distributed import LocalCluster
    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                        dashboard_address=None, silence_logs=40)


def _remove_stale_temporaries(folder: Path, names: set[str]) -> None:
    """Remove the hidden temporary directories that a killed or interrupted worker left
    behind in ``folder`` for one of ``names`` (``.<name>.tmp-*``, ``.<name>.old-*``,
    written by :func:`seqnest.sequences.rundir.atomic_directory`; the random suffix has no dot)."""
    import shutil
    for d in folder.glob(".*.*-*"):
        name, _, rest = d.name[1:].rpartition(".")
        if d.is_dir() and name in names and rest.startswith(("tmp-", "old-")):
            shutil.rmtree(d, ignore_errors=True)


def check_sweep_output(out: str | os.PathLike) -> Path:
    """Create (if needed) the sweep directory and check that it takes new files."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ParameterError(f"sweep output {out} exists and is not a directory")
    return require_writable(out, f"cannot write the sweep directory {out}")


def run_sweep(spec: SweepSpec, out: str | os.PathLike, cluster: str = "local", workers: int = 2,
              progress: bool = True, point_fn: Callable[[dict, str], dict] = run_point,
              module: BuiltModule | Callable[[], BuiltModule] | None = None) -> dict:
    """Run the missing points of ``spec`` into ``out``; return counts and failures.

    With ``cluster="slurm"``, SLURM is first asked whether it would accept the
    job script (:func:`check_slurm_submission`), before anything is written.
    ``module``: the compiled module, or a callable that builds it (see
    :func:`seqnest.pynest_ext.buildcache.provide`), used once the checks passed.
    """
    from tqdm import tqdm

    from seqnest.pynest_ext.buildcache import provide

    points = expand(spec)
    if cluster == "slurm":
        check_slurm_submission(spec, workers)
    out = check_sweep_output(out)
    _remove_stale_temporaries(out, {p.key for p in points})
    rows: dict[str, dict] = {}
    todo = []
    for p in points:
        metrics = out / p.key / "metrics.json"
        try:
            record = read_json(metrics)
            if not isinstance(record, dict):
                raise RunDirError(f"corrupt metrics record: {metrics}")
            rows[p.key] = summary(record)
            if _replay_missing(out / p.key, spec.replay):
                todo.append(p)
            elif spec.replay:
                rows[p.key]["replays"] = _stored_replays(out / p.key, spec.replay)
        except RunDirError:                   # missing, truncated or corrupt: run it again
            todo.append(p)
    failures: dict[str, dict] = {}
    write_results(out, points, rows, failures)
    if not todo:
        return {"points": len(points), "ran": 0, "reused": len(rows), "failed": failures}
    if cluster == "local":                    # this machine runs `workers` points at once
        from seqnest.sequences.temporal_memory.learn import check_run_resources
        from seqnest.sequences.pattern_sequences.learn import check_pattern_resources
        for p in todo:
            processes = min(max(1, workers), len(todo))
            if spec.inputs is not None:
                check_pattern_resources(p.config, 0, processes)
            else:
                check_run_resources(p.config, processes=processes)
    provide(module)                           # once, before fan-out; workers reuse the cache
    started = time.perf_counter()
    import dask
    # a worker that dies (NEST aborts, the job is cancelled or reaches its walltime)
    # fails its point at once instead of taking the next worker down with it
    dask.config.set({"distributed.scheduler.allowed-failures": 0,
                     # one point per worker process: no point waits behind another
                     # on a busy worker while an idle one (a job just started) waits
                     "distributed.scheduler.worker-saturation": 1.0})
    if cluster == "local":
        dask_cluster = _local_cluster(workers)
        slots = max(1, workers)
    elif cluster == "slurm":
        dask_cluster = slurm_cluster(spec, workers, out)
        dask_cluster.scale(jobs=max(1, workers))
        slots = max(1, workers) * job_shape(spec, workers)[1]
    else:
        raise ParameterError(f"unknown cluster {cluster!r} (local or slurm)")
    from distributed import Client, as_completed
    bar = tqdm(total=len(todo), desc="sweep", unit="point", file=sys.stderr,
               disable=None if progress else True)
    try:
        with Client(dask_cluster) as client:
            # Points wait here, not in a worker's queue: a worker that dies takes
            # only the point it was running with it.
            waiting = list(todo)
            futures = {}

            def submit():
                p = waiting.pop(0)
                args = (p.config.to_dict(), str(out / p.key))
                if spec.replay:
                    args += (spec.replay,)
                f = client.submit(point_fn, *args, key=f"point-{p.key}", pure=False)
                futures[f] = p
                return f

            running = as_completed([submit() for _ in range(min(slots, len(waiting)))])
            for future in running:
                p = futures.pop(future)
                if waiting:
                    running.add(submit())
                try:
                    rows[p.key] = future.result()
                    failures.pop(p.key, None)
                except Exception as exc:   # noqa: BLE001 - any failure of a point is recorded
                    reason = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
                    failures[p.key] = {"varied": p.varied, "reason": reason}
                write_results(out, points, rows, failures)
                bar.update(1)
    finally:
        bar.close()
        dask_cluster.close()
        _remove_stale_temporaries(out, {p.key for p in points})
    return {"points": len(points), "ran": len(todo), "reused": len(points) - len(todo),
            "failed": failures, "seconds": time.perf_counter() - started}
