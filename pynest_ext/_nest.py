# SPDX-License-Identifier: GPL-2.0-or-later
"""The one import of PyNEST (a leaf: it imports nothing of this package)."""
from __future__ import annotations

import os
import signal
import threading
from types import ModuleType

__all__ = ["import_nest"]


def import_nest() -> ModuleType:
    """Import PyNEST without its start-up banner, with Ctrl-C left to Python.

    NEST installs its own SIGINT handler, which swallows Ctrl-C: a training run
    went on to the end. Python's handler is put back (in the main thread), so
    Ctrl-C raises KeyboardInterrupt as soon as a ``nest.Run`` call returns;
    :class:`seqnest.pynest_ext.networks.temporal_memory.SequenceNetwork` simulates in short pieces for
    that reason.
    """
    os.environ.setdefault("PYNEST_QUIET", "1")
    import nest
    if threading.current_thread() is threading.main_thread():
        if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    return nest
