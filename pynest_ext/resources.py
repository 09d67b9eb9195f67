# SPDX-License-Identifier: GPL-2.0-or-later
"""Will a network fit this machine? Checked before NEST sees it.

NEST answers an impossible size with ``std::bad_alloc`` (or the kernel's OOM
killer) after minutes, and accepts any number of threads. :func:`check_resources`
estimates the resident memory of a sequence network from its size and the
measured bytes per E->E synapse, compares it with the memory available now,
and compares the threads with the cores this process may use.
"""
from __future__ import annotations

import functools
import os
import resource
import sys
import warnings
from dataclasses import dataclass

from seqnest.params import ParameterError

__all__ = ["CoresWarning", "BYTES_PER_SYNAPSE", "BYTES_PER_NEURON", "GATHERED_BYTES_PER_SYNAPSE",
           "NetworkEstimate", "estimate_network",
           "available_memory_bytes", "available_cores", "check_resources", "check_threads",
           "MAX_THREADS_PER_CORE", "baseline_rss_mb", "current_rss_mb", "peak_rss_mb"]

#: Resident bytes per E->E synapse of a whole network, by synapse kind: the
#: largest of bench/scaling.py (stdsp: 408 at 162,000 synapses, 231 at 3 M) and
#: bench/synapse_memory.py (stdsp 224, reram 367, tristate/bistable 235 at
#: 162,000), rounded up.
BYTES_PER_SYNAPSE = {"stdsp": 420, "reram": 560, "tristate": 430, "bistable": 430}
#: Resident bytes per neuron (stm_neuron object, ring buffers, recorder share), rounded up.
BYTES_PER_NEURON = 20_000
#: Baseline of a process with NEST, NumPy and neo imported (bytes).
BASE_BYTES = 200 * 2**20
#: Under MPI, bytes per E->E synapse that every rank holds whatever its share: the
#: connections gathered from all ranks at the end of a run (source, target, weight,
#: state and the kind's per-synapse parameters as 8-byte columns, initial and final
#: connectivity). Estimate, checked against bench/mpi_scaling.py (8.45 M synapses,
#: 2 ranks: 2332 MB per rank measured, 2498 MB estimated).
GATHERED_BYTES_PER_SYNAPSE = 100
#: More threads than this many per available core is refused as an error.
MAX_THREADS_PER_CORE = 4


@dataclass(frozen=True)
class NetworkEstimate:
    neurons: int
    synapses: int
    bytes: int


def estimate_network(n_subpopulations: int, n_E: int, p_EE: float, kind: str,
                     ranks: int = 1) -> NetworkEstimate:
    """Resident memory (bytes) of a sequence network of this size: of the one
    process, or of each of ``ranks`` MPI processes (each holds its share of the
    neurons and of the synapses, which live on their target's rank, and a copy
    of the gathered connectivity)."""
    neurons = int(n_subpopulations) * int(n_E)
    synapses = neurons * int(round(float(p_EE) * neurons))
    per_synapse = BYTES_PER_SYNAPSE.get(kind, max(BYTES_PER_SYNAPSE.values()))
    ranks = max(1, int(ranks))
    total = BASE_BYTES + (neurons * BYTES_PER_NEURON + synapses * per_synapse) / ranks
    if ranks > 1:
        total += synapses * GATHERED_BYTES_PER_SYNAPSE
    return NetworkEstimate(neurons, synapses, int(total))


def available_memory_bytes() -> int | None:
    """Memory available to new allocations now (Linux ``MemAvailable``), or None."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _gb(n: float) -> str:
    return f"{n / 2**30:.1f} GB"


def check_resources(n_subpopulations: int, n_E: int, p_EE: float, kind: str, threads: int,
                    processes: int = 1, ranks: int = 1, ranks_here: int = 1) -> NetworkEstimate:
    """Refuse a network that cannot fit, and thread counts far above the cores.

    ``processes`` networks of this size run at once (sweep workers on this
    machine). Under MPI, the network is spread over ``ranks`` processes, of
    which ``ranks_here`` run on this machine (their shares of the network count
    here; each rank's threads are checked against the cores it may use). Raises :class:`ParameterError` naming the
    parameter; warns when the threads exceed the available cores.
    """
    ranks, ranks_here = max(1, int(ranks)), max(1, int(ranks_here))
    est = estimate_network(n_subpopulations, n_E, p_EE, kind, ranks)
    avail = available_memory_bytes()
    need = est.bytes * int(processes) * ranks_here
    if avail is not None and need > avail:
        if ranks > 1:
            who = (f"its {ranks_here} of {ranks} MPI processes on this machine need"
                   if ranks_here > 1 else f"each of its {ranks} MPI processes needs")
        else:
            who = f"{processes} networks need" if processes > 1 else "the network needs"
        raise ParameterError(
            f"network.n_E={n_E} (with {n_subpopulations} subpopulations, p_EE={p_EE:g}): "
            f"{who} about {_gb(need)} ({est.synapses:,} E->E synapses x "
            f"{BYTES_PER_SYNAPSE.get(kind, 0)} B), more than the {_gb(avail)} available")
    # an MPI launcher binds each rank to its own cores: its threads are checked against them
    check_threads(threads, "run.threads", processes)
    return est


class CoresWarning(RuntimeWarning):
    """More threads than cores: the run is slower, not faster."""


def check_threads(threads: int, name: str, processes: int = 1) -> None:
    """Refuse ``threads`` (x ``processes``) far above the cores available; warn above
    the cores. ``name`` is the parameter named in the message."""
    cores = available_cores()
    who = f"{name}={threads}" + (f" x {processes} workers" if processes > 1 else "")
    if threads * processes > MAX_THREADS_PER_CORE * cores:
        raise ParameterError(f"{who} is far more than the {cores} cores available "
                             f"(at most {MAX_THREADS_PER_CORE * cores})")
    if threads * processes > cores:
        warnings.warn(f"{who} exceeds the {cores} cores available: slower, not faster",
                      CoresWarning, stacklevel=3)


def baseline_rss_mb() -> float:
    """Resident memory of this process now, after the C heap has returned the pages it
    freed to the system (glibc's ``malloc_trim``; elsewhere as is): the baseline of a
    network's memory. Without it a process that built and freed a network before
    (a sweep's worker, a test session) reuses those pages and the next network
    appears to take nothing."""
    _trim_heap()
    return current_rss_mb()


@functools.lru_cache(maxsize=1)
def _libc():
    import ctypes
    import ctypes.util
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return lib if hasattr(lib, "malloc_trim") else None
    except OSError:
        return None


def _trim_heap() -> None:
    lib = _libc()
    if lib is not None:
        lib.malloc_trim(0)


def current_rss_mb() -> float:
    """Resident memory of this process now (MB; Linux, else the peak so far)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize() / 2**20
    except OSError:
        return peak_rss_mb()


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024.0 if sys.platform.startswith("linux") else kb / 1024.0 ** 2
