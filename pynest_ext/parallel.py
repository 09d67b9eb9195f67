# SPDX-License-Identifier: GPL-2.0-or-later
"""One network across MPI processes: gather what each rank holds.

Under MPI (NEST built with MPI, ``mpirun -np N``) every rank simulates its own
part of the network: a recorder returns only the events of the rank's neurons,
``NodeCollection.get`` only the status of local nodes and ``GetConnections``
only the connections whose target is local. The functions here read such
rank-local data and gather it on every rank (``allgather`` of mpi4py), so that
the caller sees what one process would see; each then puts the gathered data
into a canonical order (by time and neuron, by target and source). With one
process they read directly and import no MPI.

Only rank 0 writes files (:func:`is_writer`); the other ranks compute the same
results and return them.
"""
from __future__ import annotations

import functools
import os
import warnings
from typing import Any, Mapping, Sequence

import numpy as np

from seqnest.pynest_ext._nest import import_nest
from seqnest.params import ParameterError

__all__ = ["num_processes", "rank", "is_writer", "rank0_decides", "every_rank", "any_rank",
           "allgather_arrays", "node_values", "set_node_values", "launcher_rank", "launcher_size",
           "launcher_local_size", "require_one_process", "one_process_refusal",
           "ACROSS_PROCESSES"]

#: Environment variables in which MPI launchers (Open MPI, MPICH/PMI, PMIx) give the
#: rank, read before NEST is imported (e.g. to silence output on ranks > 0).
RANK_VARIABLES = ("OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK")
#: The same for the number of processes the launcher started.
SIZE_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE")
#: The same for the number of its processes on this machine.
LOCAL_SIZE_VARIABLES = ("OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS")

#: What gathers every rank's data and so runs across MPI processes; everything else
#: that simulates refuses to run on more than one (see :func:`require_one_process`).
#: A front end may name its own commands instead (``one_process_refusal(across=...)``).
ACROSS_PROCESSES = "the sequence network's training and replay"


def _launcher_number(variables: Sequence[str]) -> int | None:
    """The first of ``variables`` in the environment that holds a whole number."""
    for var in variables:
        value = os.environ.get(var)
        if value is not None and value.strip().isdigit():
            return int(value)
    return None


def launcher_rank() -> int:
    """This process's rank as its MPI launcher announced it (0 without a launcher)."""
    value = _launcher_number(RANK_VARIABLES)
    return 0 if value is None else value


def launcher_size() -> int:
    """How many processes this process's MPI launcher started (1 without a launcher)."""
    return max(1, _launcher_number(SIZE_VARIABLES) or 1)


def launcher_local_size() -> int:
    """How many of the launcher's processes run on this machine (1 without a launcher)."""
    local = _launcher_number(LOCAL_SIZE_VARIABLES)
    return launcher_size() if local is None else max(1, local)


def require_one_process(what: str, processes: int | None = None) -> None:
    """Refuse, in one line, to run ``what`` on more than one MPI process.

    ``processes`` defaults to NEST's process count. Code that reads rank-local
    state (recorders, ``NodeCollection.get``, ``GetConnections``) without
    gathering it would silently see part of the network, and every rank would
    write the same files.
    """
    n = num_processes() if processes is None else int(processes)
    if n > 1:
        raise ParameterError(one_process_refusal(what, n))


def one_process_refusal(what: str, processes: int, across: str = ACROSS_PROCESSES) -> str:
    """The one-line refusal of ``what`` on ``processes`` MPI processes; ``across``
    names what does run across processes."""
    return (f"{what} runs in one process, not across {processes} MPI processes; "
            f"only {across} does: run it without mpirun")


@functools.cache
def num_processes() -> int:
    """MPI processes of the NEST kernel (1 without MPI)."""
    return int(import_nest().NumProcesses())


@functools.cache
def rank() -> int:
    """This process's rank in the NEST kernel (0 without MPI)."""
    return int(import_nest().Rank())


def is_writer() -> bool:
    """Whether this process writes outputs (rank 0)."""
    return rank() == 0


def _comm():
    try:
        from mpi4py import MPI
    except ImportError:
        raise RuntimeError("NEST runs on several MPI processes but mpi4py is not installed: "
                           "pip install mpi4py (scripts/build_nest_mpi.sh does)") from None
    return MPI.COMM_WORLD


def rank0_decides(flag: bool) -> bool:
    """Rank 0's ``flag`` on every rank (``flag`` itself with one process).

    A decision that reads something local to a process, such as the wall clock,
    must be the same on every rank when what follows is collective (a gather, a
    simulation): otherwise the ranks wait for each other in different calls."""
    if num_processes() == 1:
        return bool(flag)
    return bool(_comm().bcast(bool(flag), root=0))


def every_rank(flag: bool) -> bool:
    """Whether ``flag`` holds on every rank (``flag`` itself with one process): a
    choice between two collective paths that any rank can veto."""
    if num_processes() == 1:
        return bool(flag)
    return all(_comm().allgather(bool(flag)))


def any_rank(flag: bool) -> bool:
    """Whether ``flag`` holds on some rank (``flag`` itself with one process)."""
    if num_processes() == 1:
        return bool(flag)
    return any(_comm().allgather(bool(flag)))


def allgather_arrays(arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Concatenate each array over all ranks (rank order); unchanged with one process.

    One-dimensional numeric arrays travel as MPI buffers (``Allgatherv``: no
    pickling, one copy; the connectivity of millions of synapses is gathered
    so); anything else is pickled."""
    if num_processes() == 1:
        return {k: np.asarray(v) for k, v in arrays.items()}
    comm = _comm()
    local = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    layouts = comm.allgather({k: (v.dtype.str, v.shape) for k, v in local.items()})
    out, pickled = {}, {}
    for k, v in local.items():
        kinds = {layout[k][0] for layout in layouts}
        if len(kinds) == 1 and v.dtype.kind in "iuf" and all(len(layout[k][1]) == 1
                                                             for layout in layouts):
            counts = [layout[k][1][0] for layout in layouts]
            gathered = np.empty(sum(counts), dtype=v.dtype)
            comm.Allgatherv(v, [gathered, counts])
            out[k] = gathered
        else:
            pickled[k] = v
    if pickled:
        parts = comm.allgather(pickled)
        out.update({k: np.concatenate([np.atleast_1d(p[k]) for p in parts]) for k in pickled})
    return {k: out[k] for k in arrays}


def _local_index(nodes):
    """The nodes of ``nodes`` that this rank holds, and their positions in ``nodes``
    (``nodes`` made by one ``nest.Create``: consecutive ids)."""
    nest = import_nest()
    with warnings.catch_warnings():
        # NEST warns that code acting on local nodes only is unsafe; the callers here
        # act on every rank, each on its own nodes
        warnings.simplefilter("ignore")
        local = nest.GetLocalNodeCollection(nodes)
    ids = np.asarray(local.tolist() if len(local) else [], dtype=np.int64)
    return local, ids - nodes[0].global_id


def set_node_values(nodes, values: Mapping[str, Sequence[float]]) -> None:
    """``nodes.set`` with one value per node of ``nodes`` (in its order) for each key,
    whichever rank holds each node (NEST refuses a list for all nodes under MPI)."""
    arrays = {k: np.asarray(v, dtype=float) for k, v in values.items()}
    for k, v in arrays.items():
        if v.shape != (len(nodes),):
            raise ValueError(f"{k}: {v.size} values for {len(nodes)} nodes")
    if num_processes() == 1:
        nodes.set({k: v.tolist() for k, v in arrays.items()})
        return
    local, index = _local_index(nodes)
    if len(local) == 1:
        local.set({k: float(v[index[0]]) for k, v in arrays.items()})
    elif len(local):
        local.set({k: v[index].tolist() for k, v in arrays.items()})


def node_values(nodes, keys: Sequence[str], dtype: Any = float) -> dict[str, np.ndarray]:
    """``nodes.get(keys)`` for every node of ``nodes``, in the order of ``nodes``,
    whichever rank holds each node."""
    keys = list(keys)
    if num_processes() == 1:
        data = nodes.get(keys)
        return {k: np.atleast_1d(np.asarray(data[k], dtype=dtype)) for k in keys}
    local, local_index = _local_index(nodes)
    data = local.get(keys) if len(local) else {k: [] for k in keys}
    if len(local) == 1:
        data = {k: [data[k]] for k in keys}
    # every rank reads its own nodes; the allgather gives all ranks all values
    gathered = allgather_arrays({"index": local_index, **{k: np.asarray(data[k], dtype=dtype)
                                                          for k in keys}})
    index = gathered["index"]
    if index.size != len(nodes) or np.unique(index).size != len(nodes):
        raise RuntimeError(f"gathered {index.size} node states for {len(nodes)} nodes")
    out = {}
    for k in keys:
        values = np.empty(len(nodes), dtype=gathered[k].dtype)
        values[index] = gathered[k]
        out[k] = values
    return out
