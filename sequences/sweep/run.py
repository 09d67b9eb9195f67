# SPDX-License-Identifier: GPL-2.0-or-later
"""Running a sweep: the client (reuse scan, resource checks, Dask cluster, one
point per worker process at a time) and the worker side (:func:`run_point`)."""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqnest.params import ParameterError
from seqnest.sequences.rundir import (RunDirError, check_free_space, read_json,
                                      remove_stale_temporaries,
                                      require_writable)
from seqnest.sequences.sweep.family import family_of_record
from seqnest.sequences.sweep.points import expand
from seqnest.sequences.sweep.results import write_results
from seqnest.sequences.sweep.slurm import check_slurm_submission, job_shape, slurm_cluster
from seqnest.sequences.sweep.spec import SweepSpec

if TYPE_CHECKING:
    from seqnest.pynest_ext.buildcache import BuiltModule

__all__ = ["run_point", "run_sweep", "check_sweep_output", "sweep_cluster", "RunningCluster",
           "on_worker", "point_failure", "reuse_scan"]


def run_point(record: dict, run_dir: str, replays: dict | None = None) -> dict[str, Any]:
    """Worker side: the point of ``record`` (a configuration's ``to_dict()``) run by its
    family's :attr:`SweepFamily.point` (trains and writes ``run_dir`` unless complete,
    replays what is missing); returns its summary row."""
    return family_of_record(record).point(record, run_dir, replays)


def on_worker(point_fn: Callable[..., dict], *args) -> dict:
    """Run ``point_fn(*args)`` on a worker; the client has already said whether the
    threads exceed the cores (once, for all workers)."""
    import warnings

    from seqnest.pynest_ext.resources import CoresWarning
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CoresWarning)
        return point_fn(*args)


@contextlib.contextmanager
def _workers_ignore_ctrl_c():
    """Start the local worker processes with SIGINT blocked (they inherit the mask):
    Ctrl-C reaches the whole foreground process group, and only the client answers
    it, by ending the workers (:func:`_end_local_workers`). A Ctrl-C while the
    workers start is answered when they have started."""
    if threading.current_thread() is not threading.main_thread() \
            or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker from this process, before the local
    workers, without its warning about the semaphores it removes at the end: workers
    killed at Ctrl-C cannot release theirs, and the tracker removes them (nothing is
    left in /dev/shm). A tracker already running is left as it is."""
    from multiprocessing import resource_tracker
    quiet = "ignore:resource_tracker:UserWarning"   # passed to the tracker as -W
    sys.warnoptions.append(quiet)
    try:
        resource_tracker.ensure_running()
    finally:
        sys.warnoptions.remove(quiet)


def _end_local_workers(dask_cluster) -> None:
    """Ctrl-C: kill the local worker processes at once, and wait until they are gone
    (a point they were writing is left as a temporary the sweep removes; finished
    points are complete)."""
    import logging

    import psutil
    for name in ("distributed", "tornado"):     # the nannies report their workers' deaths
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    procs = []
    for nanny in list(getattr(dask_cluster, "workers", {}).values()):
        with contextlib.suppress(Exception):
            nanny.close_gracefully(reason="interrupted")      # do not start a new worker
            procs.append(psutil.Process(nanny.pid))
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(procs, timeout=5)


def _local_cluster(workers: int):
    from distributed import LocalCluster
    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                        dashboard_address=":0", silence_logs=40)   # any free port


def check_sweep_output(out: str | os.PathLike) -> Path:
    """Create (if needed) the sweep directory and check that it takes new files."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ParameterError(f"sweep output {out} exists and is not a directory")
    return require_writable(out, f"cannot write the sweep directory {out}")


def reuse_scan(spec: SweepSpec, out: Path, points: list) -> tuple[dict[str, dict], list]:
    """Rows of the points already complete in ``out`` and the points still to run
    (missing, truncated or corrupt run directories, or replays missing)."""
    family, rows, todo = spec.family, {}, []
    for p in points:
        metrics = out / p.key / "metrics.json"
        try:
            record = read_json(metrics)
            if not isinstance(record, dict):
                raise RunDirError(f"corrupt metrics record: {metrics}")
            rows[p.key] = family.row(record)
            if spec.replay:
                stored = family.replays.stored(out / p.key, spec.replay)
                if stored is None:
                    todo.append(p)
                else:
                    rows[p.key]["replays"] = stored
        except RunDirError:                   # missing, truncated or corrupt: run it again
            todo.append(p)
    return rows, todo


def _dask_cluster(spec: SweepSpec, cluster: str, workers: int, out: Path):
    """The Dask cluster and the points it runs at once."""
    import dask
    # a worker that dies (NEST aborts, the job is cancelled or reaches its walltime)
    # fails its point at once instead of taking the next worker down with it
    dask.config.set({"distributed.scheduler.allowed-failures": 0,
                     # one point per worker process: no point waits behind another
                     # on a busy worker while an idle one (a job just started) waits
                     "distributed.scheduler.worker-saturation": 1.0})
    if cluster == "local":
        return _local_cluster(workers), max(1, workers)
    dask_cluster = slurm_cluster(spec, workers, out)
    dask_cluster.scale(jobs=max(1, workers))
    return dask_cluster, max(1, workers) * job_shape(spec, workers)[1]


def point_failure(exc: BaseException) -> str:
    """The one line failures.json keeps of a point's exception."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"


def _run_points(client, todo: list, slots: int, submit_args: Callable, point_fn: Callable,
                on_done: Callable) -> None:
    """Submit ``todo`` keeping ``slots`` points running; ``on_done(point, row, error)``.
    Points wait here, not in a worker's queue: a worker that dies takes only the
    point it was running with it."""
    from distributed import as_completed
    waiting, futures = list(todo), {}

    def submit():
        p = waiting.pop(0)
        f = client.submit(on_worker, point_fn, *submit_args(p), key=f"point-{p.key}",
                          pure=False)
        futures[f] = p
        return f

    running = as_completed([submit() for _ in range(min(slots, len(waiting)))])
    for future in running:
        p = futures.pop(future)
        if waiting:
            running.add(submit())
        try:
            on_done(p, future.result(), None)
        except Exception as exc:   # noqa: BLE001 - any failure of a point is recorded
            on_done(p, None, point_failure(exc))


@dataclass(frozen=True)
class RunningCluster:
    """A sweep's Dask client and how many points it runs at once."""

    client: Any
    slots: int


@contextlib.contextmanager
def sweep_cluster(spec: SweepSpec, cluster: str, workers: int, out: Path):
    """The Dask cluster of ``spec`` (local worker processes or SLURM jobs) and its
    client, ended on leaving; on Ctrl-C the local workers are killed at once."""
    from distributed import Client
    dask_cluster = client = None
    local = cluster == "local"
    try:
        if local:
            _start_resource_tracker()
        with _workers_ignore_ctrl_c() if local else contextlib.nullcontext():
            dask_cluster, slots = _dask_cluster(spec, cluster, workers, out)
            client = Client(dask_cluster)
        yield RunningCluster(client, slots)
    except KeyboardInterrupt:
        if local and dask_cluster is not None:
            _end_local_workers(dask_cluster)
        raise
    finally:
        if client is not None:
            client.close()
        if dask_cluster is not None:
            dask_cluster.close()


def run_sweep(spec: SweepSpec, out: str | os.PathLike, cluster: str = "local", workers: int = 2,
              progress: bool = True, point_fn: Callable[..., dict] | None = None,
              module: BuiltModule | Callable[[], BuiltModule] | None = None,
              running: "RunningCluster | None" = None) -> dict:
    """Run the missing points of ``spec`` into ``out``; return counts and failures.

    With ``cluster="slurm"``, SLURM is first asked whether it would accept the
    job script (:func:`check_slurm_submission`), before anything is written.
    ``point_fn``: the worker function (default: the family's
    :attr:`~seqnest.sequences.sweep.family.SweepFamily.point`). ``module``: the
    compiled module, or a callable that builds it (see
    :func:`seqnest.pynest_ext.buildcache.provide`), used once the checks passed.
    ``running``: a cluster of :func:`sweep_cluster` to run on (kept running
    afterwards); default: one started for this sweep and ended with it.
    """
    from tqdm import tqdm

    from seqnest.pynest_ext.buildcache import provide

    if cluster not in ("local", "slurm"):
        raise ParameterError(f"unknown cluster {cluster!r} (local or slurm)")
    points = expand(spec)
    if cluster == "slurm":
        check_slurm_submission(spec, workers)
    created = not Path(out).exists()
    out = check_sweep_output(out)
    remove_stale_temporaries(out, {p.key for p in points})
    rows, todo = reuse_scan(spec, out, points)
    if todo and spec.family.run_bytes is not None:     # the points' run directories must fit
        try:
            check_free_space(out, sum(spec.family.run_bytes(p.config) for p in todo),
                             f"the {len(todo)} run directories still to write")
        except RunDirError:
            if created:
                out.rmdir()                   # the empty folder this call made
            raise
    failures: dict[str, dict] = {}
    keys = spec.family.summary_keys
    write_results(out, points, rows, failures, keys)
    if not todo:
        return {"points": len(points), "ran": 0, "reused": len(rows), "failed": failures}
    if cluster == "local":                    # this machine runs `workers` points at once
        for p in todo:
            spec.family.check_resources(p.config, min(max(1, workers), len(todo)))
    provide(module)                           # once, before fan-out; workers reuse the cache
    started = time.perf_counter()
    bar = tqdm(total=len(todo), desc="sweep", unit="point", file=sys.stderr,
               disable=None if progress else True)

    def done(p, row, error) -> None:
        if error is None:
            rows[p.key] = row
            failures.pop(p.key, None)
        else:
            failures[p.key] = {"varied": p.varied, "reason": error}
        write_results(out, points, rows, failures, keys)
        bar.update(1)

    def submit_args(p) -> tuple:
        args = (p.config.to_dict(), str(out / p.key))
        return args + (spec.replay,) if spec.replay else args

    try:
        with (sweep_cluster(spec, cluster, workers, out) if running is None
              else contextlib.nullcontext(running)) as running:
            _run_points(running.client, todo, running.slots, submit_args,
                        point_fn or spec.family.point, done)
    finally:
        bar.close()
        remove_stale_temporaries(out, {p.key for p in points})
    return {"points": len(points), "ran": len(todo), "reused": len(points) - len(todo),
            "failed": failures, "seconds": time.perf_counter() - started}
