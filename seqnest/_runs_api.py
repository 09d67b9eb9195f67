# SPDX-License-Identifier: GPL-2.0-or-later
"""Public API on run and sweep directories of every family, re-exported as
``seqnest.report``, ``seqnest.export``, ``seqnest.read_export``, ``seqnest.sweep``
and ``seqnest.sweep_plan``."""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # pragma: no cover
    from seqnest.pynest_ext.buildcache import BuiltModule

__all__ = ["report", "export", "read_export", "sweep", "sweep_plan", "tune"]


def report(run_dir: str | os.PathLike, out: str | os.PathLike | None = None) -> Path:
    """Write the HTML report (Elephant analyses, figures as PNG and SVG) of what
    ``run_dir`` holds: a run of any family (its ``params.json["family"]``; a
    temporal-memory run's report shows every replay inside it), a replay directory
    (plain or noisy trials), a sweep directory or a parameter search
    (``seqnest tune``); return its path. Needs no NEST."""
    from seqnest.sequences.directories import directory_kind, require_kind
    from seqnest.sequences.rundir import COINCIDENCE, PATTERNS, TEMPORAL_MEMORY, check_run_dir
    from seqnest.sequences.sweep.report import write_sweep_report
    from seqnest.sequences.temporal_memory.report import write_report
    folder = check_run_dir(run_dir)
    family = directory_kind(folder)
    if family == "sweep":
        return write_sweep_report(folder, out)
    if family == "tune":
        from seqnest.sequences.tune_report import write_tune_report
        return write_tune_report(folder, out)
    if family in ("replay", "trials"):
        from seqnest.sequences.temporal_memory.report import write_replay_report
        return write_replay_report(folder, out)
    if family not in (COINCIDENCE, PATTERNS):
        require_kind(folder, TEMPORAL_MEMORY)     # what else it is, in one line
    if family == COINCIDENCE:
        from seqnest.sequences.coincidence.report import write_cd_report
        return write_cd_report(folder, out)
    if family == PATTERNS:
        from seqnest.sequences.pattern_sequences.report import write_pattern_report
        return write_pattern_report(folder, out)
    return write_report(folder, out)


def export(run_dir: str | os.PathLike, out: str | os.PathLike | None = None, *,
           format: str = "nix", force: bool = False) -> Path:
    """Write a temporal-memory run -- spikes, dAP onsets, stimuli, every replay and the
    E->E connectivity -- to one NIX file through neo's NIX I/O (default
    ``RUN_DIR/export.nix``); return its path. Needs no NEST.

    Each population is one SpikeTrain whose array annotation ``neuron`` names each
    spike's neuron (``seqnest.pynest_ext.neo_convert.split_population`` splits it).
    Read it back with :func:`read_export`, or with ``neo.io.NixIO(path, "ro")``
    (the connectivity is in the NIX DataArrays of type ``seqnest.connectivity``).

    Parameters
    ----------
    format : {"nix"}
        The file format.
    force : bool
        Replace ``out`` if it is an export seqnest wrote.
    """
    from seqnest.sequences.temporal_memory.export import export_run
    return export_run(run_dir, out, format, force=force)


def read_export(path: str | os.PathLike):
    """(neo Block, connectivity dict) of a NIX file :func:`export` wrote."""
    from seqnest.sequences.temporal_memory.export import read_export as _read
    return _read(path)


def sweep(spec: str | os.PathLike, out: str | os.PathLike, *, cluster: str = "local",
          workers: int = 2, progress: bool = False,
          module: "BuiltModule | Callable[[], BuiltModule] | None" = None) -> dict:
    """Run the missing points of a sweep spec (YAML/JSON/TOML) into ``out``.

    Every point is validated before anything runs; points whose run directory
    already holds results are reused; ``out/results.csv`` gets one row per point
    and ``out/failures.json`` the failed ones. :func:`report` on ``out`` writes
    the sweep report.

    Parameters
    ----------
    spec : str or path
        Sweep spec: ``task``, ``episodes``, ``config`` and ``vary`` (``grid``,
        ``points``, ``seeds``); see ``specs/`` for examples.
    out : str or path
        Sweep directory (created if needed).
    cluster : {"local", "slurm"}
        Dask cluster: local processes, or SLURM jobs through dask-jobqueue (the
        spec's ``slurm`` section).
    workers : int
        Dask workers (processes or jobs).
    progress : bool
        Progress bar on stderr.
    module : BuiltModule or callable, optional
        The compiled module, or a callable returning it (default: build or reuse),
        called once the checks passed.

    Returns
    -------
    dict
        ``points``, ``ran``, ``reused`` (counts) and ``failed`` (list).
    """
    from seqnest.sequences.sweep import load_spec, run_sweep
    # run_sweep validates every point, asks SLURM and checks the output before it
    # writes anything, then builds the module once (as `seqnest sweep` does)
    if module is None:
        from seqnest.pynest_ext.buildcache import build as module
    return run_sweep(load_spec(spec), out, cluster=cluster, workers=workers,
                     progress=progress, module=module)


def sweep_plan(spec: str | os.PathLike, *, workers: int = 2) -> dict:
    """Validate every point of a sweep spec and return ``{"points": n, "job_script":
    text}``: what ``cluster="slurm"`` would submit (nothing runs or is submitted)."""
    from seqnest.sequences.sweep import expand, load_spec, slurm_job_script
    loaded = load_spec(spec)
    return {"points": len(expand(loaded)), "job_script": slurm_job_script(loaded, workers)}


def tune_plan(spec: str | os.PathLike, *, workers: int = 2) -> dict:
    """Check a tune spec as :func:`tune` does and return ``{"spec": the loaded
    :class:`~seqnest.sequences.tune.TuneSpec`, "job_script": text}`` (the SLURM job
    script ``cluster="slurm"`` would submit); nothing runs or is submitted."""
    from seqnest.sequences.sweep import slurm_job_script
    from seqnest.sequences.tune_spec import load_tune_spec
    loaded = load_tune_spec(spec)
    return {"spec": loaded, "job_script": slurm_job_script(loaded.sweep, workers)}


def tune(spec: str | os.PathLike, out: str | os.PathLike, *, trials: int | None = None,
         cluster: str = "local", workers: int = 2, progress: bool = False,
         module: "BuiltModule | Callable[[], BuiltModule] | None" = None) -> dict:
    """Search a family's parameters with Optuna (the tune spec's ``search``, its
    ``objective`` averaged over its ``seeds``) until ``trials`` trials (default: the
    spec's) have finished in ``out``; return the best trial and the counts.

    Every value of the search is checked before anything runs; the trials' points
    (``out/runs/<hash>/`` run directories, reused when complete) run one per worker
    at a time on the local Dask cluster or SLURM (``cluster``); the study is
    Optuna's journal ``out/study.journal``, so the same call continues it after a
    crash. ``out/best_config.json`` holds the best values as a configuration file
    (``seqnest learn --config``). See :mod:`seqnest.sequences.tune`.
    """
    from seqnest.sequences.tune import load_tune_spec, run_tune
    loaded = load_tune_spec(spec)
    if cluster not in ("local", "slurm"):
        from seqnest.params import ParameterError
        raise ParameterError(f"unknown cluster {cluster!r} (local or slurm)")
    return run_tune(loaded, out, trials=trials, cluster=cluster, workers=workers,
                    progress=progress, module=module)

