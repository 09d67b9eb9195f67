# SPDX-License-Identifier: GPL-2.0-or-later
"""NEST kernel setup: the one place that resets, configures and installs.

:func:`setup_kernel` resets the kernel, sets resolution, threads and seed, and
(re-)installs the compiled module (``nest.ResetKernel`` unloads every module,
so it must be installed again after each reset). Everything that creates nodes
calls it first; nothing else calls ``ResetKernel``. :func:`load_module` is the
one place that calls ``Install``: it also serves PyNEST users who set their
kernel up themselves (``seqnest.install()``).
"""
from __future__ import annotations

from dataclasses import dataclass

from seqnest.params import ParameterError

from seqnest.pynest_ext import array_backend
from seqnest.pynest_ext._nest import import_nest
from seqnest.pynest_ext.buildcache import BuildError, BuiltModule, build
from seqnest.pynest_ext.models import ModelNames
from seqnest.pynest_ext.parallel import require_one_process

__all__ = ["KernelConfig", "import_nest", "load_module", "setup_kernel"]

#: Simulation resolution (ms) of Bouhadjar et al. (2022).
DEFAULT_RESOLUTION = 0.1


@dataclass(frozen=True)
class KernelConfig:
    """What :func:`setup_kernel` sets.

    Attributes
    ----------
    resolution : float
        Simulation step (ms).
    threads : int
        NEST threads of this process (OpenMP); NEST ignores OMP_NUM_THREADS.
    seed : int
        Seed of NEST's random number generators (1 .. 2**31 - 1).
    verbosity : str
        Name of a ``nest.VerbosityLevel`` (ERROR, WARNING, INFO, ...).
    """

    resolution: float = DEFAULT_RESOLUTION
    threads: int = 1
    seed: int = 1
    verbosity: str = "ERROR"

    def __post_init__(self) -> None:
        if not self.resolution > 0:
            raise ParameterError(f"kernel.resolution: must be > 0 ms, got {self.resolution!r}")
        if int(self.threads) != self.threads or self.threads < 1:
            raise ParameterError(f"kernel.threads: must be a whole number >= 1, got {self.threads!r}")
        if self.verbosity not in ("ALL", "DEBUG", "STATUS", "INFO", "PROGRESS", "DEPRECATED",
                                  "WARNING", "ERROR", "FATAL", "QUIET"):
            raise ParameterError(f"kernel.verbosity: unknown level {self.verbosity!r}")
        if int(self.seed) != self.seed or not 1 <= self.seed < 2**31:
            raise ParameterError(f"kernel.seed: must be a whole number in [1, 2**31), got {self.seed!r}")


def setup_kernel(config: KernelConfig | None = None, module: BuiltModule | None = None,
                 install: bool = True, across_processes: bool = False) -> ModelNames:
    """Reset NEST, configure it and install the model module.

    Parameters
    ----------
    config : KernelConfig, optional
        Resolution, threads, seed and verbosity (defaults: 0.1 ms, 1, 1).
    module : BuiltModule, optional
        The compiled module; default: :func:`seqnest.pynest_ext.buildcache.build` (cached).
    install : bool
        Install the module (False gives a plain kernel with built-in models).
    across_processes : bool
        The caller gathers every rank's recordings and state
        (:mod:`seqnest.pynest_ext.parallel`); without it, a kernel spread over
        several MPI processes is refused in one line.

    Returns
    -------
    ModelNames
        NEST names of the plugin's models.
    """
    config = config or KernelConfig()
    nest = import_nest()
    if not across_processes:
        require_one_process("this simulation", int(nest.NumProcesses()))
    nest.ResetKernel()
    nest.verbosity = getattr(nest.VerbosityLevel, config.verbosity)
    nest.SetKernelStatus({"resolution": config.resolution,
                          "local_num_threads": int(config.threads),
                          "rng_seed": int(config.seed)})
    if not install:
        return ModelNames.paired()
    return load_module(module)


def load_module(module: BuiltModule | None = None) -> ModelNames:
    """Load the model module into the running NEST kernel (no reset).

    Does nothing but return the names if the kernel already has the models;
    after ``nest.ResetKernel()`` (which unloads every module) it loads them again.

    Parameters
    ----------
    module : BuiltModule, optional
        The compiled module; default: :func:`seqnest.pynest_ext.buildcache.build` (cached).

    Returns
    -------
    ModelNames
        NEST names of the plugin's models.
    """
    nest = import_nest()
    module = module or build()
    custom = module.names.custom()
    if all(n in nest.node_models or n in nest.synapse_models for n in custom):
        return module.names
    try:
        nest.Install(str(module.path))
    except nest.NESTError as exc:
        raise BuildError(f"NEST could not load {module.path}: {str(exc).splitlines()[0]}") from None
    missing = [n for n in custom if n not in nest.node_models and n not in nest.synapse_models]
    if missing:
        raise BuildError(f"module {module.path} does not provide {', '.join(missing)}; "
                         "rebuild with: seqnest build --force")
    array_backend.attach(module.path)
    return module.names
