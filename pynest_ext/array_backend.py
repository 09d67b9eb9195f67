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
"""
from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np

__all__ = ["BACKEND", "attach", "available", "clear", "take"]

#: The backend's name in NEST (``record_to``).
BACKEND = "seqnest_arrays"

_SYMBOLS = ("seqnest_arrays_threads", "seqnest_arrays_size", "seqnest_arrays_senders",
            "seqnest_arrays_targets", "seqnest_arrays_values", "seqnest_arrays_complete",
            "seqnest_arrays_clear")

_lib: ctypes.CDLL | None = None


def attach(module_path: str | Path) -> bool:
    """Find the backend's C functions in the loaded module ``module_path`` (the
    file NEST installed: the dynamic loader hands back the same library, so its
    arrays are the ones the recorder fills). False for a module without them."""
    global _lib
    try:
        lib = ctypes.CDLL(str(module_path))
    except OSError:
        _lib = None
        return False
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
