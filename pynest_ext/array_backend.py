# SPDX-License-Identifier: GPL-2.0-or-later
"""The ``seqnest_arrays`` recording backend of the model module, read from Python.

The module (``seqnest build``) registers a NEST recording backend that keeps a
recorder's events as three plain arrays per thread: sender and target node ids
and the event's weight (C++: ``pynest_ext/cpp/seqnest_arrays_backend.h``). A
``weight_recorder`` with ``record_to = "seqnest_arrays"`` is read here through
``ctypes``, a copy of each array, instead of PyNEST's ``events``, which hands
every number to Python one at a time (75-100 ns per number, six numbers per
event). The final read of the synapses
(:meth:`seqnest.pynest_ext.networks.simulation.Simulated._read_by_wave`) uses it
where the loaded module has it and PyNEST's events otherwise.

The module also reads every connection of one of its synapse models into
arrays (C++: ``pynest_ext/cpp/seqnest_synapse_reader.h``): source and target
node ids and the requested state variables and per-synapse parameters, 10-30
ns per synapse, changing nothing (:func:`read_synapses`), where a status
dictionary per connection costs 5-10 us.
"""
from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np

__all__ = ["BACKEND", "attach", "available", "clear", "take", "can_read_synapses",
           "read_synapses", "write_synapses", "read_nodes", "node_state"]

#: The backend's name in NEST (``record_to``).
BACKEND = "seqnest_arrays"

_SYMBOLS = ("seqnest_arrays_threads", "seqnest_arrays_size", "seqnest_arrays_senders",
            "seqnest_arrays_targets", "seqnest_arrays_values", "seqnest_arrays_complete",
            "seqnest_arrays_clear")

_READER_SYMBOLS = ("seqnest_synapses_read", "seqnest_synapses_take",
                   "seqnest_synapses_clear", "seqnest_synapses_write", "seqnest_nodes_read",
                   "seqnest_nodes_ids", "seqnest_nodes_column")

_lib: ctypes.CDLL | None = None
_reader: ctypes.CDLL | None = None


def attach(module_path: str | Path) -> bool:
    """Find the backend's C functions in the loaded module ``module_path`` (the
    file NEST installed: the dynamic loader hands back the same library, so its
    arrays are the ones the recorder fills). False for a module without them."""
    global _lib, _reader
    try:
        lib = ctypes.CDLL(str(module_path))
    except OSError:
        _lib = _reader = None
        return False
    _reader = None
    if all(hasattr(lib, name) for name in _READER_SYMBOLS):
        lib.seqnest_synapses_read.restype = ctypes.c_long
        lib.seqnest_synapses_read.argtypes = [ctypes.c_long, ctypes.c_char_p]
        lib.seqnest_synapses_take.restype = ctypes.c_int
        lib.seqnest_synapses_take.argtypes = [
            ctypes.POINTER(ctypes.c_long), ctypes.POINTER(ctypes.c_long),
            ctypes.POINTER(ctypes.POINTER(ctypes.c_double))]
        lib.seqnest_synapses_clear.restype = None
        lib.seqnest_synapses_write.restype = ctypes.c_long
        lib.seqnest_synapses_write.argtypes = [
            ctypes.c_long, ctypes.c_char_p, ctypes.POINTER(ctypes.POINTER(ctypes.c_double)),
            ctypes.c_long, ctypes.c_long, ctypes.c_long]
        lib.seqnest_nodes_read.restype = ctypes.c_long
        lib.seqnest_nodes_read.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_char_p]
        lib.seqnest_nodes_ids.restype = ctypes.POINTER(ctypes.c_long)
        lib.seqnest_nodes_column.restype = ctypes.POINTER(ctypes.c_double)
        lib.seqnest_nodes_column.argtypes = [ctypes.c_size_t]
        _reader = lib
    if not all(hasattr(lib, name) for name in _SYMBOLS):
        _lib = None
        return False
    lib.seqnest_arrays_threads.restype = ctypes.c_size_t
    lib.seqnest_arrays_size.restype = ctypes.c_size_t
    lib.seqnest_arrays_size.argtypes = [ctypes.c_size_t]
    for name, kind in (("seqnest_arrays_senders", ctypes.c_long),
                       ("seqnest_arrays_targets", ctypes.c_long),
                       ("seqnest_arrays_values", ctypes.c_double)):
        getattr(lib, name).restype = ctypes.POINTER(kind)
        getattr(lib, name).argtypes = [ctypes.c_size_t]
    lib.seqnest_arrays_complete.restype = ctypes.c_int
    lib.seqnest_arrays_clear.restype = None
    _lib = lib
    return True


def available() -> bool:
    """Whether the loaded module has the backend (see :func:`attach`)."""
    return _lib is not None


def clear() -> None:
    """Drop whatever the backend holds."""
    if _lib is not None:
        _lib.seqnest_arrays_clear()


def take() -> dict[str, np.ndarray] | None:
    """The events recorded since the last call, every thread's in thread order
    (``senders``, ``targets``: int64; ``weights``: float64), then cleared. None if
    the recorder's values were not the weight recorder's (targets and weights)."""
    lib = _lib
    if lib is None:
        raise RuntimeError("the model module has no seqnest_arrays backend")
    if not lib.seqnest_arrays_complete():
        lib.seqnest_arrays_clear()
        return None
    sizes = [lib.seqnest_arrays_size(tid) for tid in range(lib.seqnest_arrays_threads())]
    out = {"senders": np.empty(sum(sizes), np.int64), "targets": np.empty(sum(sizes), np.int64),
           "weights": np.empty(sum(sizes), np.float64)}
    at = 0
    for tid, n in enumerate(sizes):
        if n == 0:
            continue
        for key, name in (("senders", "seqnest_arrays_senders"),
                          ("targets", "seqnest_arrays_targets"),
                          ("weights", "seqnest_arrays_values")):
            out[key][at:at + n] = np.ctypeslib.as_array(getattr(lib, name)(tid), shape=(n,))
        at += n
    lib.seqnest_arrays_clear()
    return out


def can_read_synapses() -> bool:
    """Whether the loaded module has the synapse and node reader and the synapse
    writer (see :func:`attach`)."""
    return _reader is not None


def read_synapses(syn_id: int, names: list[str] | tuple[str, ...]) -> dict[str, np.ndarray] | None:
    """Every connection of synapse model ``syn_id`` (NEST's ``synapse_modelid``) on
    this process: ``source`` and ``target`` node ids (int64) and each of ``names``
    (float64; the model's state variables and per-synapse parameters, as in its
    status), sorted by target (and, where NEST keeps them so, by source within a
    target). None where the reader cannot (no reader in the
    module, a model of another module such as NEST's own, or a name the model
    does not have): read the status then."""
    lib = _reader
    if lib is None or any("," in n for n in names):
        return None
    n = lib.seqnest_synapses_read(int(syn_id), ",".join(names).encode())
    if n < 0:
        return None
    try:
        out = {"source": np.empty(n, np.int64), "target": np.empty(n, np.int64),
               **{name: np.empty(n, np.float64) for name in names}}
        longs = ctypes.POINTER(ctypes.c_long)
        doubles = ctypes.POINTER(ctypes.c_double)
        columns = (doubles * max(len(names), 1))(*[out[k].ctypes.data_as(doubles)
                                                   for k in names])
        lib.seqnest_synapses_take(out["source"].ctypes.data_as(longs),
                                  out["target"].ctypes.data_as(longs), columns)
        return out
    finally:
        lib.seqnest_synapses_clear()


def read_nodes(first: int, count: int, names: list[str] | tuple[str, ...]
               ) -> dict[str, np.ndarray] | None:
    """``names`` (state variables, float64) of this process's nodes among node ids
    ``first`` .. ``first + count - 1`` and their ``id`` (int64), in id order, read
    by the module's node reader without status dictionaries. None where it
    cannot (no reader, a node of another module, a name the model does not have)."""
    lib = _reader
    if lib is None or any("," in n for n in names):
        return None
    n = lib.seqnest_nodes_read(int(first), int(count), ",".join(names).encode())
    if n < 0:
        return None
    out = {"id": (np.ctypeslib.as_array(lib.seqnest_nodes_ids(), shape=(n,)).astype(np.int64)
                  if n else np.zeros(0, np.int64))}
    for k, name in enumerate(names):
        out[name] = (np.ctypeslib.as_array(lib.seqnest_nodes_column(k), shape=(n,)).copy()
                     if n else np.zeros(0))
    return out


def node_state(nodes, keys: list[str] | tuple[str, ...]) -> dict[str, np.ndarray]:
    """``keys`` (float64) of every node of the contiguous NodeCollection ``nodes``, in
    its order, on every rank: by the module's node reader (about 2 µs per neuron)
    where every rank can, else from the nodes' status dictionaries (about 80 µs)."""
    from seqnest.pynest_ext.parallel import allgather_arrays, every_rank, node_values
    first, n = nodes[0].global_id, len(nodes)
    contiguous = nodes[-1].global_id - first + 1 == n
    mine = read_nodes(first, n, keys) if _reader is not None and contiguous else None
    if not every_rank(mine is not None):
        return node_values(nodes, keys)
    data = allgather_arrays(mine)
    order = np.argsort(data["id"], kind="stable")
    if not np.array_equal(data["id"][order], np.arange(first, first + n)):
        return node_values(nodes, keys)
    return {k: data[k][order] for k in keys}


#: Why :func:`write_synapses` wrote nothing, by the C function's return code.
WRITE_ERRORS = {-1: "the synapse model is not one of the module's",
                -2: "a value without a setter in the synapse model",
                -3: "a connection outside the targets",
                -4: "a target without exactly the in-degree's connections"}


def write_synapses(syn_id: int, first: int, n_targets: int, per_target: int,
                   values: dict[str, np.ndarray]) -> int:
    """Set per-synapse ``values`` (name -> array of shape (n_targets, per_target)) of
    every connection of synapse model ``syn_id`` on this process, made by one
    fixed-indegree ``Connect`` onto the contiguous node ids ``first`` ..
    ``first + n_targets - 1`` and not yet simulated: the k-th connection of target
    t takes ``values[name][t - first, k]``, as NEST's array parameters of that
    rule give it, through the synapse class's setters (what its ``set_status``
    calls) instead of a status dictionary per connection. Returns the rows
    written; RuntimeError (nothing written) where the layout is not that."""
    lib = _reader
    if lib is None:
        raise RuntimeError("the model module has no synapse writer")
    names = list(values)
    columns = [np.ascontiguousarray(values[k], dtype=np.float64).reshape(-1) for k in names]
    for name, column in zip(names, columns):
        if column.size != n_targets * per_target:
            raise ValueError(f"{name}: {column.size} values for {n_targets} x {per_target}")
    pointers = (ctypes.POINTER(ctypes.c_double) * len(columns))(
        *[c.ctypes.data_as(ctypes.POINTER(ctypes.c_double)) for c in columns])
    n = lib.seqnest_synapses_write(int(syn_id), ",".join(names).encode(), pointers, int(first),
                                   int(n_targets), int(per_target))
    if n < 0:
        raise RuntimeError(f"synapse writer: {WRITE_ERRORS.get(n, n)}")
    return int(n)
