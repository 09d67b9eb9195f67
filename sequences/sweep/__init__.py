# SPDX-License-Identifier: GPL-2.0-or-later
"""Parameter sweeps on Dask: a local cluster by default, SLURM on a cluster.

A sweep spec (YAML, JSON or TOML) names a base configuration and what to vary::

    task: set1                  # or sequences: "A D B E; F D B C"
    frequencies: [0.7, 0.3]     # optional training frequencies (vary: task.frequencies)
    synapse: stdsp              # stdsp | reram | tristate | bistable | tristate_stm
    episodes: 40
    config:                     # base values, {group: {key: value}}
      network: {n_E: 150}
    vary:
      grid:                     # every combination
        synapse.lambda_plus: [0.04, 0.08]
        synapse.lambda_minus: [0.0015, 0.003]
      points:                   # explicit combinations, each crossed with the grid
        - {synapse.levels: 8}
      seeds: [1, 2, 3]          # crossed with everything
    cluster:
      threads: 1                # NEST threads per point
      slurm: {queue: batch, walltime: "01:00:00", memory: 4GB, cores: 2,
              account: abc, interface: ib0,          # the network the workers reach
              scheduler_options: {port: 8786},       # the client's scheduler
              worker_extra_args: ["--lifetime", "55m"],
              job_extra_directives: ["--constraint=cpu"]}

``cluster.slurm`` keys go to dask-jobqueue's ``SLURMCluster`` (``queue``,
``account``, ``walltime``, ``memory``, ``job_extra_directives``,
``job_script_prologue`` (e.g. ``module load``), ``interface``,
``scheduler_options``, ``worker_extra_args``, ``local_directory``,
``log_directory``, ``python``); ``cores`` are the CPUs booked per job and
``processes`` the Dask workers per job (each runs one point at a time with
``cluster.threads`` NEST threads). Every value is checked with the spec.

With ``inputs: spatial`` or ``temporal`` the points are
spatio-temporal-pattern runs (``seqnest learn --inputs``): ``task`` is ``s3``,
``s4`` or omitted, ``sequences`` a custom set, ``episodes`` the iterations,
``config`` and ``vary`` use the groups of
:mod:`seqnest.sequences.pattern_sequences.config` (``synapse``, ``frequencies`` and
``replay`` do not apply). Robustness curves are ``vary.points``, one mapping
per value of each axis, crossed with the seeds.

A ``replay`` section replays every trained network under several noise
conditions (Bouhadjar et al. 2023): each mapping of ``conditions`` is crossed
over its list values, and each resulting condition is replayed with
``trials`` cues of the shared first element into ``DIR/<point>/replays/<name>/``
(``seqnest replay --trials``)::

    replay:
      trials: 150
      conditions:
        - {noise.kind: none}
        - {noise.kind: shared, noise.sigma: [5, 15, 30], noise.c: [0.5, 1]}
        - {noise.kind: oscillation, noise.amplitude: [4, 16], noise.frequency: [10, 70]}

``DIR/replays.csv`` then has one row per point and condition (branch
probabilities, simultaneous and failure rates, matching distance).

Every point is resolved and validated (:func:`seqnest.sequences.temporal_memory.config.resolve_config`)
before anything runs. The client builds the model module once, then each Dask
worker process runs one point at a time with a fresh kernel and writes a
complete run directory ``DIR/<parameter hash>/`` atomically (the files of
``seqnest learn``). The client keeps ``DIR/results.csv`` (one row per finished
point: its parameters and summary metrics) and ``DIR/failures.json`` (points
that raised or whose worker died, with the reason) up to date. Running the same
sweep again runs only the points whose run directory is missing.

The package knows no model family: each family describes itself as a
:class:`~seqnest.sequences.sweep.family.SweepFamily` and registers it under the
entry-point group ``seqnest.sweep_families``; a spec with ``inputs`` selects
pattern sequences, any other the temporal memory.

The package: :mod:`~seqnest.sequences.sweep.family` (what a family provides),
:mod:`~seqnest.sequences.sweep.spec` (the spec and its checks),
:mod:`~seqnest.sequences.sweep.points` (expansion into resolved points),
:mod:`~seqnest.sequences.sweep.slurm` (dask-jobqueue), :mod:`~seqnest.sequences.sweep.run`
(client and worker), :mod:`~seqnest.sequences.sweep.results` (results.csv, replays.csv,
failures.json) and :mod:`~seqnest.sequences.sweep.report` (the HTML report).
"""
from seqnest.sequences.sweep.family import ReplaySupport, SweepFamily, families
from seqnest.sequences.sweep.points import Point, expand
from seqnest.sequences.sweep.run import check_sweep_output, run_point, run_sweep
from seqnest.sequences.sweep.slurm import (check_scheduler_interface, check_slurm_submission,
                                           slurm_job_script)
from seqnest.sequences.sweep.spec import Condition, SweepSpec, load_spec

__all__ = ["SweepSpec", "Point", "Condition", "load_spec", "expand", "run_point", "run_sweep",
           "check_sweep_output", "slurm_job_script", "check_scheduler_interface",
           "check_slurm_submission", "SweepFamily", "ReplaySupport", "families"]
