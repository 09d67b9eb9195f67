# SPDX-License-Identifier: GPL-2.0-or-later
"""seqnest: spiking networks that learn, predict and replay sequences, on NEST.

One import for PyNEST scripts and notebooks::

    import nest
    import seqnest

    names = seqnest.install()          # build or reuse the NESTML module, load it
    nrn = nest.Create(names.stm_neuron, 10)

    result = seqnest.learn("runs/set1", task="set1", episodes=40, seed=1)
    cues, summary = seqnest.replay("runs/set1")
    block = seqnest.load_spikes("runs/set1")      # neo.Block
    seqnest.report("runs/set1")                    # HTML report with figures

The functions below are the ones the command line ``seqnest`` runs; the
packages hold the rest:

* :mod:`seqnest.pynest_ext`: the NEST side (build cache, kernel set-up, model
  parameters with units, network builders, neo conversion);
* :mod:`seqnest.sequences`: NEST-free science (tasks, configuration, metrics,
  analysis, reports, sweeps), one subpackage per model family
  (``temporal_memory``, ``coincidence``);
* :mod:`seqnest.cli`: the command line.

Importing :mod:`seqnest` imports neither NEST nor NESTML.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

if TYPE_CHECKING:   # pragma: no cover
    from seqnest.pynest_ext.buildcache import BuiltModule
    from seqnest.pynest_ext.models import ModelNames
    from seqnest.pynest_ext.noise import NoiseParams
    from seqnest.sequences.temporal_memory.config import RunConfig
    from seqnest.sequences.pattern_sequences.config import PatternConfig

from seqnest._coincidence_api import cd_eval, cd_train, resolve_cd_config
from seqnest._pattern_api import learn_patterns, resolve_pattern_config
from seqnest._learn_api import checkpoint_run_directory, find_checkpoint, learn
from seqnest._runs_api import export, read_export, report, sweep, sweep_plan, tune, tune_plan
from seqnest._examples_api import copy_examples, list_examples

__all__ = ["__version__", "install", "build", "demo",
           # temporal memory
           "resolve_config", "describe_parameters", "learn", "replay", "replay_trials",
           "load_config", "load_metrics", "load_spikes", "load_connectivity",
           # pattern sequences; coincidence detection
           "resolve_pattern_config", "learn_patterns", "resolve_cd_config", "cd_train", "cd_eval",
           # runs of any family, sweeps
           "report", "export", "read_export", "sweep", "sweep_plan", "tune", "tune_plan",
           # the shipped sweep specs and example scripts
           "list_examples", "copy_examples",
           "SeqnestError", "ParameterError", "RunDirError", "BuildError", "TrainingInterrupted",
           "find_checkpoint", "checkpoint_run_directory",
           "SequenceNetwork",
           "NetworkParams"]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("seqnest")
    except PackageNotFoundError:    # pragma: no cover - only in a bare source tree
        return "0+unknown"


#: Version of the installed distribution (``pyproject.toml`` is its only source).
__version__ = _version()


def __getattr__(name: str):
    # classes re-exported lazily so that `import seqnest` stays light
    if name in ("SeqnestError", "ParameterError", "RunDirError", "BuildError"):
        from seqnest import errors
        return getattr(errors, name)
    if name == "TrainingInterrupted":
        from seqnest.sequences.temporal_memory import checkpoint
        return checkpoint.TrainingInterrupted
    if name in ("SequenceNetwork", "NetworkParams"):
        from seqnest.pynest_ext.networks import temporal_memory
        return getattr(temporal_memory, name)
    raise AttributeError(f"module 'seqnest' has no attribute {name!r}")


def build(force: bool = False, with_nest: str | os.PathLike | None = None,
          jobs: int | None = None, on_compile: Callable[[], None] | None = None) -> "BuiltModule":
    """Build the NESTML model module, or reuse the cached one.

    Parameters
    ----------
    force : bool
        Compile again even if the cache holds a module for these sources.
    with_nest : str or path, optional
        ``nest-config`` of a source-built NEST (default: the pip wheel's NEST).
    jobs : int, optional
        Parallel compiler processes (default: the number of cores).
    on_compile : callable, optional
        Called once if a compilation starts (not when the cache is reused).

    Returns
    -------
    seqnest.pynest_ext.BuiltModule
        Path of the ``.so`` file, its cache key (a content hash of the model
        sources, the build recipe, the code-generation options, NESTML, NEST and
        the compiler) and the NEST names of the models.
    """
    from seqnest.pynest_ext.buildcache import build as _build
    return _build(force=force, with_nest=with_nest, jobs=jobs, on_compile=on_compile)


def install(with_nest: str | os.PathLike | None = None) -> "ModelNames":
    """Build (or reuse) the model module and load it into the running NEST kernel.

    The kernel is not reset: resolution, threads and seed stay as the caller set
    them. Calling it again is harmless; after ``nest.ResetKernel()``, which
    unloads every module, call it again to load the models again.

    Parameters
    ----------
    with_nest : str or path, optional
        ``nest-config`` of a source-built NEST (default: the pip wheel's NEST).

    Returns
    -------
    seqnest.pynest_ext.ModelNames
        NEST names of the models, e.g. ``names.stm_neuron`` and
        ``names.stdsp_synapse`` (NESTML renames co-generated neurons, so use
        these rather than literal strings); ``names.pair(kind)`` gives the neuron
        and synapse of a synapse kind (``"stdsp"``, ``"reram"``, ...).
    """
    from seqnest.pynest_ext.kernel import load_module
    return load_module(build(with_nest=with_nest))


def demo(seed: int = 1) -> dict:
    """The single-neuron and single-synapse demonstrations (``seqnest demo``): the
    dAP of one dendritic input, the spike advance it gives, the response to an
    inhibitory spike of either sign, and the structural-plasticity synapse under
    pairings at z = 0, 1, 2 (each with its analytic expectation)."""
    from seqnest.pynest_ext import probes
    from seqnest.pynest_ext.kernel import KernelConfig
    from seqnest.pynest_ext.models import StdspSynapseParams
    kernel, syn = KernelConfig(seed=seed), StdspSynapseParams()
    weights = (probes.INHIBITORY_TEST_WEIGHT, -probes.INHIBITORY_TEST_WEIGHT)
    return {"dap_trigger_weight": probes.DAP_TRIGGER_WEIGHT,
            "dap": probes.dap_response(kernel=kernel),
            "advance": probes.dap_spike_advance(kernel=kernel),
            "inhibition": [(w, probes.inhibition_response(w, kernel=kernel)) for w in weights],
            "pairing": [(z, probes.synapse_pairing(z, synapse=syn, kernel=kernel))
                        for z in (0.0, 1.0, 2.0)]}


def resolve_config(task: str | None = None, sequences: str | None = None,
                   params: Mapping[str, Mapping[str, Any]] | None = None,
                   config_file: str | os.PathLike | None = None, set_options: Sequence[str] = (),
                   frequencies: Any = None, resume: str | os.PathLike | None = None,
                   **run_flags: Any) -> "RunConfig":
    """Resolve and validate every parameter of a sequence-learning run.

    Values are layered: defaults and task-derived values (or, with ``resume``,
    the resumed run's values), then ``config_file``, then ``params``, then
    ``set_options``, then ``run_flags``; later layers win.

    Parameters
    ----------
    task : str, optional
        ``set1`` (default), ``set2``, ``set3``, ``task4``, ``branch2``, ``branch3``,
        ``branch5`` or ``random``.
    sequences : str, optional
        A custom set instead of ``task``, e.g. ``"A D B E; F D B C"``.
    params : mapping, optional
        ``{group: {key: value}}`` in the units of the parameter tables, e.g.
        ``{"synapse": {"lambda_plus": 0.08}, "network": {"n_E": 150}}``.
    config_file : str or path, optional
        JSON, YAML or TOML file of ``{group: {key: value}}``, or a run's
        ``params.json`` (which also gives the run's sequences).
    set_options : sequence of str
        ``"group.key=value"`` texts as on the command line.
    frequencies : str or sequence of float, optional
        Relative training frequency of each sequence.
    resume : str or path, optional
        Run directory whose learned network is trained further.
    **run_flags
        ``episodes``, ``seed``, ``threads`` or ``synapse`` (``run`` group).

    Returns
    -------
    seqnest.sequences.temporal_memory.config.RunConfig
        The sequence set and every parameter group; ``describe_parameters``
        prints it with units and sources.
    """
    from seqnest.sequences.temporal_memory.config import resolve_config as _resolve
    from seqnest.sequences.temporal_memory.config import resolve_resumed_config
    options = dict(task=task, sequences=sequences, config_file=config_file,
                   set_options=list(set_options), frequencies=frequencies, params=params,
                   **run_flags)
    if resume is not None:
        from seqnest.sequences.temporal_memory.rundir import load_resumable_config
        return resolve_resumed_config(load_resumable_config(resume), **options)
    return _resolve(**options)


def describe_parameters(config: "RunConfig | PatternConfig") -> str:
    """Every parameter group of ``config`` (a sequence network's, or a pattern
    network's from :func:`resolve_pattern_config`) as text: name, value, unit,
    meaning, source."""
    from seqnest.sequences.pattern_sequences.config import (PatternConfig,
                                                            describe_pattern_config)
    if isinstance(config, PatternConfig):
        return describe_pattern_config(config)
    from seqnest.sequences.temporal_memory.config import describe_config
    return describe_config(config)


def replay(run_dir: str | os.PathLike, *, params: Mapping[str, Any] | None = None,
           repetitions: int | None = None, module: "BuiltModule | Callable[[], BuiltModule] | None" = None,
           progress: bool = False, out: str | os.PathLike | None = None,
           seed: int | None = None, threads: int | None = None) -> tuple[list, dict]:
    """Replay every learned sequence from a run directory (frozen weights).

    Writes (or replaces) ``out``, by default ``RUN_DIR/replay/``; an existing
    ``out`` is replaced only if it is a replay directory. ``seed`` and ``threads``
    default to the run's.

    Parameters
    ----------
    run_dir : str or path
        A run directory written by :func:`learn`.
    params : mapping, optional
        ``replay`` group values for this replay only, e.g.
        ``{"theta_dAP_mode": "per_neuron", "cue_interval": 300.0}`` (ms).
    repetitions : int, optional
        How often each sequence is cued (default ``replay.repetitions``).
    module, progress
        As for :func:`learn`.

    Returns
    -------
    (list of CueResult, dict)
        One result per cue (decoded order, whether it is the trained one,
        duration in ms) and the summary written to ``replay/replay.json``.
    """
    from seqnest.sequences.temporal_memory.rundir import load_config as _load
    from seqnest.sequences.temporal_memory.replay import replay_run
    replay_params = None
    if params:
        replay_params = _load(run_dir).replay.replace(**dict(params))
    return replay_run(run_dir, module=module, repetitions=repetitions,
                      replay_params=replay_params, progress=progress, out=out, seed=seed,
                      threads=threads)


def replay_trials(run_dir: str | os.PathLike, trials: int, *,
                  noise: "Mapping[str, Any] | NoiseParams | None" = None,
                  params: Mapping[str, Any] | None = None, out: str | os.PathLike | None = None,
                  cue: str | None = None, seed: int | None = None, threads: int | None = None,
                  module: "BuiltModule | Callable[[], BuiltModule] | None" = None,
                  progress: bool = False) -> dict:
    """Cue the shared first element ``trials`` times, decode each trial as one branch,
    simultaneous or failure (Bouhadjar et al. 2023), and write ``branches.json``.

    Parameters
    ----------
    run_dir : str or path
        A run directory written by :func:`learn`.
    trials : int
        Number of cues.
    noise : mapping or NoiseParams, optional
        Noise during the trials, e.g. ``{"kind": "shared", "sigma": 15, "c": 0.5}``
        (default: none).
    params : mapping, optional
        ``replay`` group values for these trials only.
    out : str or path, optional
        Replay directory (default ``RUN_DIR/replay``; replaced if it is one).
    cue, seed, threads
        Element to cue (default: the one most sequences start with), the seed of
        NEST, the noise and the cue jitter (default ``run.seed``), NEST threads.
    module, progress
        As for :func:`learn`.

    Returns
    -------
    dict
        The branch statistics written to ``branches.json`` (probabilities with 95 %
        intervals, latencies, matching distance).
    """
    from seqnest.pynest_ext.noise import NoiseParams
    from seqnest.sequences.temporal_memory.replay import replay_trials as _trials
    from seqnest.sequences.temporal_memory.rundir import load_config as _load
    noise_params = noise if isinstance(noise, NoiseParams) else NoiseParams(dict(noise or {}))
    replay_params = _load(run_dir).replay.replace(**dict(params)) if params else None
    return _trials(run_dir, trials, noise_params, out=out, cue=cue, seed=seed,
                   replay_params=replay_params, module=module, progress=progress,
                   threads=threads)


def load_config(run_dir: str | os.PathLike) -> "RunConfig":
    """The resolved configuration stored in a run directory (``params.json``)."""
    from seqnest.sequences.temporal_memory.rundir import load_config as _load
    return _load(run_dir)


def load_metrics(run_dir: str | os.PathLike) -> dict:
    """``metrics.json`` of a run directory: per-episode error, false positives and
    negatives, convergence episode, timings (s) and peak memory (MB)."""
    from seqnest.sequences.rundir import check_run_dir, read_json
    return read_json(check_run_dir(run_dir) / "metrics.json")


def load_spikes(run_dir: str | os.PathLike):
    """The run's spikes as a ``neo.Block`` (segments ``training`` and, once replayed,
    ``replay``; one compact SpikeTrain per population, split per neuron with
    :func:`seqnest.pynest_ext.neo_convert.split_population`)."""
    from seqnest.sequences.rundir import load_spikes as _load
    return _load(run_dir)


def load_connectivity(run_dir: str | os.PathLike):
    """The E->E connectivity before and after learning (sources, targets,
    permanences, weights in pA) stored in ``connectivity.npz``."""
    from seqnest.sequences.temporal_memory.rundir import load_connectivity as _load
    return _load(run_dir)
