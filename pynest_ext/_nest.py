# SPDX-License-Identifier: GPL-2.0-or-later
"""The one import of PyNEST (a leaf: it imports nothing of this package)."""
from __future__ import annotations

import os
import signal
import threading
from types import ModuleType

__all__ = ["import_nest", "kernel_api", "node_status", "set_node_status"]


def import_nest() -> ModuleType:
    """Import PyNEST without its start-up banner, with Ctrl-C left to Python.

    NEST installs its own SIGINT handler when it is imported, which swallows
    Ctrl-C: a training run went on to the end. Python's handler in place before
    the import is put back (in the main thread), so Ctrl-C raises
    KeyboardInterrupt (or reaches the handler a caller installed) as soon as a
    ``nest.Run`` call returns;
    :class:`seqnest.pynest_ext.networks.temporal_memory.SequenceNetwork` simulates in short pieces for
    that reason.
    """
    os.environ.setdefault("PYNEST_QUIET", "1")
    import sys
    if "nest" in sys.modules:
        return sys.modules["nest"]
    main = threading.current_thread() is threading.main_thread()
    before = signal.getsignal(signal.SIGINT) if main else None
    import nest
    if main:
        # Python's handler as it was (the command line's or a training loop's), or
        # Python's default where there was none Python knew of
        signal.signal(signal.SIGINT, before if callable(before) else signal.default_int_handler)
    return nest


def kernel_api() -> ModuleType | None:
    """PyNEST's low-level kernel calls (``nest.nestkernel_api``, NEST 3.8-3.10), or None.

    PyNEST's ``get`` and ``set`` wrap them with work that costs as much as the call
    on a recorder: ``set`` first reads the whole status of the first node (a
    recorder's events included), ``get`` a kernel-status query per call."""
    import_nest()
    try:
        from nest import nestkernel_api
    except ImportError:
        return None
    needed = ("llapi_get_nc_status", "llapi_set_nc_status", "llapi_get_connection_status")
    return nestkernel_api if all(hasattr(nestkernel_api, k) for k in needed) else None


def node_status(nodes, key: str):
    """``nodes.get(key)`` without PyNEST's wrapping (see :func:`kernel_api`)."""
    api = kernel_api()
    return api.llapi_get_nc_status(nodes._datum, key) if api else nodes.get(key)


def set_node_status(nodes, values: dict) -> None:
    """``nodes.set(values)`` with one value per key for every node, without
    PyNEST's wrapping (see :func:`kernel_api`)."""
    api = kernel_api()
    if api:
        api.llapi_set_nc_status(nodes._datum, [values])
    else:
        nodes.set(values)
