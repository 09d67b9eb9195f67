# SPDX-License-Identifier: GPL-2.0-or-later
"""seqnest's NEST adapter layer.

Build and cache the NESTML model module (:func:`build`), set up the kernel and
install it (:func:`setup_kernel`, :func:`install`), the models' parameters and
NEST names (:mod:`pynest_ext.models`), derived quantities
(:mod:`pynest_ext.derived`) and single-cell probes (:mod:`pynest_ext.probes`).

Importing this package does not import NEST or NESTML.
"""
from __future__ import annotations

from .buildcache import BuildError, BuiltModule, build, find_cached
from .models import MODEL_NAMES, ModelNames
from .params import ParameterError

__all__ = ["BuildError", "BuiltModule", "ModelNames", "MODEL_NAMES", "ParameterError",
           "build", "find_cached", "install", "setup_kernel", "KernelConfig"]

__version__ = "0.1.0"


def __getattr__(name: str):
    # kernel-related names import lazily so that `import pynest_ext` stays NEST-free
    if name in ("setup_kernel", "KernelConfig"):
        from . import kernel
        return getattr(kernel, name)
    raise AttributeError(name)


def install(threads: int = 1, seed: int = 1, resolution: float = 0.1) -> ModelNames:
    """Build (or reuse) the module, reset the NEST kernel and install it.

    Shorthand for ``setup_kernel(KernelConfig(resolution, threads, seed))``.
    """
    from .kernel import KernelConfig, setup_kernel
    return setup_kernel(KernelConfig(resolution=resolution, threads=threads, seed=seed))
