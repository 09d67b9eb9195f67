# SPDX-License-Identifier: GPL-2.0-or-later
"""Will a network fit this machine? Checked before NEST sees it.

NEST answers an impossible size with ``std::bad_alloc`` (or the kernel's OOM
killer) after minutes, and accepts any number of threads. :func:`check_resources`
estimates the resident memory of a sequence network from its size and the
measured bytes per E->E synapse, compares it with the memory available now,
and compares the threads with the cores this process may use.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

from .params import ParameterError

__all__ = ["BYTES_PER_SYNAPSE", "BYTES_PER_NEURON", "NetworkEstimate", "estimate_network",
           "available_memory_bytes", "available_cores", "check_resources", "check_threads",
           "MAX_THREADS_PER_CORE"]

#: Resident bytes per E->E synapse of a whole network, by synapse kind: the
#: largest of bench/scaling.py (stdsp: 408 at 162,000 synapses, 231 at 3 M) and
#: bench/synapse_memory.py (stdsp 224, reram 367, tristate/bistable 235 at
#: 162,000), rounded up.
BYTES_PER_SYNAPSE = {"stdsp": 420, "reram": 560, "tristate": 430, "bistable": 430}
#: Resident bytes per neuron (stm_neuron object, ring buffers, recorder share), rounded up.
BYTES_PER_NEURON = 20_000
#: Baseline of a process with NEST, NumPy and neo imported (bytes).
BASE_BYTES = 200 * 2**20
#: More threads than this many per available core is refused as an error.
MAX_THREADS_PER_CORE = 4


@dataclass(frozen=True)
class NetworkEstimate:
    neurons: int
    synapses: int
    bytes: int


def estimate_network(n_subpopulations: int, n_E: int, p_EE: float, kind: str) -> NetworkEstimate:
    """Resident memory (bytes) of a sequence network of this size."""
    neurons = int(n_subpopulations) * int(n_E)
    synapses = neurons * int(round(float(p_EE) * neurons))
    total = (BASE_BYTES + neurons * BYTES_PER_NEURON
             + synapses * BYTES_PER_SYNAPSE.get(kind, max(BYTES_PER_SYNAPSE.values())))
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
                    processes: int = 1) -> NetworkEstimate:
    """Refuse a network that cannot fit, and thread counts far above the cores.

    ``processes`` networks of this size run at once (sweep workers on this
    machine). Raises :class:`ParameterError` naming the parameter; warns when
    the threads exceed the available cores.
    """
    est = estimate_network(n_subpopulations, n_E, p_EE, kind)
    avail = available_memory_bytes()
    need = est.bytes * int(processes)
    if avail is not None and need > avail:
        who = f"{processes} networks" if processes > 1 else "the network"
        raise ParameterError(
            f"network.n_E={n_E} (with {n_subpopulations} subpopulations, p_EE={p_EE:g}): "
            f"{who} need about {_gb(need)} ({est.synapses:,} E->E synapses x "
            f"{BYTES_PER_SYNAPSE.get(kind, 0)} B), more than the {_gb(avail)} available")
    check_threads(threads, "run.threads", processes)
    return est


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
                      RuntimeWarning, stacklevel=3)
