# SPDX-License-Identifier: GPL-2.0-or-later
"""seqnest's NEST adapter layer.

Build and cache the NESTML model module (:func:`build`), set up the kernel and
install it (:func:`setup_kernel`, :func:`load_module`), the models' parameters and
NEST names (:mod:`seqnest.pynest_ext.models`), derived quantities
(:mod:`seqnest.pynest_ext.derived`) and single-cell probes (:mod:`seqnest.pynest_ext.probes`).

Importing this package does not import NEST or NESTML.
"""
from __future__ import annotations

from seqnest.pynest_ext.buildcache import BuildError, BuiltModule, build, find_cached
from seqnest.pynest_ext.models import MODEL_NAMES, ModelNames
from seqnest.params import ParameterError

__all__ = ["BuildError", "BuiltModule", "ModelNames", "MODEL_NAMES", "ParameterError",
           "build", "find_cached", "load_module", "setup_kernel", "KernelConfig"]


def __getattr__(name: str):
    # kernel-related names import lazily so that `import seqnest.pynest_ext` stays NEST-free
    if name in ("setup_kernel", "KernelConfig", "load_module"):
        from seqnest.pynest_ext import kernel
        return getattr(kernel, name)
    raise AttributeError(name)
