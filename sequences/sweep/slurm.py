# SPDX-License-Identifier: GPL-2.0-or-later
"""SLURM through dask-jobqueue: the job script, and the checks that refuse, before
anything is written, a sweep whose jobs could not start."""
from __future__ import annotations

from pathlib import Path

from seqnest.params import ParameterError
from seqnest.sequences.sweep.spec import SweepSpec, require

__all__ = ["slurm_job_script", "slurm_cluster", "job_shape", "check_slurm_submission",
           "check_scheduler_interface"]


def slurm_job_script(spec: SweepSpec, workers: int) -> str:
    """The job script that ``--cluster slurm`` would submit (nothing is submitted)."""
    cluster = slurm_cluster(spec, workers)
    try:
        return cluster.job_script()
    finally:
        cluster.close()


def job_shape(spec: SweepSpec, workers: int) -> tuple[int, int]:
    """CPUs booked per SLURM job and worker processes per job (each runs one point at
    a time)."""
    cpus = int(spec.slurm.get("cores", workers * spec.threads))
    return cpus, int(spec.slurm.get("processes", max(1, cpus // spec.threads)))


def _import_slurm_cluster():
    """``dask_jobqueue.SLURMCluster``, with this process's Ctrl-C handler kept.

    Importing dask_jobqueue sets SIGINT's handler to ``sys.exit()`` (its job
    runner's), so Ctrl-C during a sweep ended the process with exit code 0 and
    no KeyboardInterrupt; the handler in place before the import is put back."""
    import signal
    import threading
    main = threading.current_thread() is threading.main_thread()
    before = signal.getsignal(signal.SIGINT) if main else None
    from dask_jobqueue import SLURMCluster
    if before is not None:
        signal.signal(signal.SIGINT, before)
    return SLURMCluster


def slurm_cluster(spec: SweepSpec, workers: int, out: Path | None = None):
    SLURMCluster = _import_slurm_cluster()
    cpus, processes = job_shape(spec, workers)
    opts = {k: v for k, v in spec.slurm.items() if k not in ("cores", "processes", "memory")}
    if out is not None and "log_directory" not in opts:
        # the jobs' SLURM output files go with the sweep, not into the working directory
        opts["log_directory"] = str(Path(out).resolve() / "slurm-logs")
    memory = spec.slurm.get("memory", "4GB")
    # the scheduler's HTTP server (dashboard) on a free port unless the spec names one:
    # on the default 8787, a second sweep on the same login node warns that it is taken
    opts["scheduler_options"] = {"dashboard_address": ":0",
                                 **(opts.get("scheduler_options") or {})}
    check_scheduler_interface(spec)
    # One Dask thread per worker process (NEST allows one kernel per process, so a
    # process runs one point at a time); the CPUs booked cover NEST's own threads.
    try:
        return SLURMCluster(cores=processes, processes=processes, job_cpu=cpus, memory=memory,
                            **opts)
    except (RuntimeError, ValueError, OSError) as exc:
        causes = [exc]                        # the innermost cause names the problem
        while causes[-1].__cause__ or causes[-1].__context__:
            causes.append(causes[-1].__cause__ or causes[-1].__context__)
        cause = next((c for c in reversed(causes) if str(c).strip()), exc)
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        raise ParameterError(f"sweep spec {spec.path}: the sweep's Dask scheduler could not "
                             f"start with 'cluster.slurm': {first}") from None


def check_slurm_submission(spec: SweepSpec, workers: int) -> None:
    """Refuse, in one line and before anything is written, a SLURM sweep whose jobs
    could not be submitted: no ``sbatch`` here, no controller that answers, or a
    job script that SLURM rejects (partition, account, time or memory limits;
    ``sbatch --test-only``, which submits nothing). Without this, dask-jobqueue
    retries the submission in the background and the sweep waits for ever."""
    import shutil
    import subprocess
    import tempfile
    check_scheduler_interface(spec)
    if shutil.which("sbatch") is None:
        raise ParameterError("--cluster slurm: sbatch not found on this machine (run the "
                             "sweep where SLURM's client commands are, e.g. a login node)")
    script = slurm_job_script(spec, workers)
    with tempfile.NamedTemporaryFile("w", suffix=".sh", prefix="seqnest-job-") as fh:
        fh.write(script)
        fh.flush()
        try:
            proc = subprocess.run(["sbatch", "--test-only", fh.name], capture_output=True,
                                  text=True, timeout=60)
        except subprocess.TimeoutExpired:
            raise ParameterError("--cluster slurm: sbatch --test-only did not answer within "
                                 "60 s (is the SLURM controller up?)") from None
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
        worst = [ln for ln in lines if "fatal" in ln or "error" in ln] or lines or ["(no output)"]
        raise ParameterError(f"sweep spec {spec.path}: SLURM would not accept the job script "
                             f"(sbatch --test-only): {worst[-1]}")


def check_scheduler_interface(spec: SweepSpec) -> None:
    """The network interface on which the client's Dask scheduler listens must exist
    here (``scheduler_options.interface``, else ``interface``, which dask-jobqueue
    also gives the workers)."""
    options = spec.slurm.get("scheduler_options") or {}
    key = "scheduler_options.interface" if "interface" in options else "interface"
    name = options.get("interface", spec.slurm.get("interface"))
    if name is None:
        return
    import psutil
    here = sorted(psutil.net_if_addrs())
    require(name in here, spec.path,
            f"'cluster.slurm.{key}': no network interface {name!r} on this machine, where "
            f"the sweep's Dask scheduler listens (it has: {', '.join(here)}); give the "
            f"workers' interface as 'interface' and this machine's as "
            f"'scheduler_options: {{interface: ...}}'")
