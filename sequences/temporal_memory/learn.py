# SPDX-License-Identifier: GPL-2.0-or-later
"""Train the sTM network on a sequence set and evaluate it every episode.

:func:`train` sets up the kernel, builds the network, presents the set for the
configured number of episodes and, after each episode, computes the metrics
of :mod:`seqnest.sequences.temporal_memory.metrics` from that episode's recordings (then discards the
raw recordings from NEST's memory). It returns a :class:`TrainingResult`;
:mod:`seqnest.sequences.temporal_memory.rundir` writes it to disk.
"""
from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from seqnest.pynest_ext.buildcache import BuiltModule, provide
from seqnest.pynest_ext.kernel import KernelConfig, setup_kernel
from seqnest.pynest_ext.networks.temporal_memory import EEConnectivity, SequenceNetwork
from seqnest.pynest_ext.parallel import rank0_decides
from seqnest.pynest_ext.resources import baseline_rss_mb, current_rss_mb, peak_rss_mb

from seqnest.sequences.temporal_memory.config import RunConfig
from seqnest.sequences.temporal_memory.evaluation import (EpisodeEvaluator, evaluate_episode,
                                                          sample_plan)
from seqnest.sequences.temporal_memory.metrics import convergence_summary
from seqnest.sequences.tasks.sequence_sets import Schedule, make_schedule
from seqnest.sequences.temporal_memory.checkpoint import (Checkpoint, CheckpointPolicy,
                                                          StopRequest, TrainingInterrupted)
from seqnest.sequences.temporal_memory.checkpointing import (Episodes, Keeper, concatenate,
                                                             initial_connectivity, merged)
from seqnest.sequences.temporal_memory.rundir import ResumeState

__all__ = ["TrainingResult", "ResumeState", "train", "run_schedule", "check_run_resources",
           "CheckpointPolicy", "Checkpoint", "TrainingInterrupted"]

#: Wall-clock seconds between two reads of the dAP registers for the progress
#: bar's error (a read of the population costs 20-60 ms; the registers are
#: also read whenever they would overflow, and after the last episode).
LIVE_READ_INTERVAL_S = 2.0

#: Spawn keys of the NumPy random streams of a run (seeded with run.seed): the
#: initial permanences, and the presentation order of a set with training
#: frequencies (NEST's own generators, seeded with run.seed, draw the connectivity).
RNG_STREAM_PERMANENCE = 1
RNG_STREAM_ORDER = 2


def run_schedule(config: RunConfig) -> Schedule:
    """The stimulus schedule of a training run (its order drawn from run.seed)."""
    rng = np.random.default_rng(np.random.SeedSequence(int(config.run.seed),
                                                       spawn_key=(RNG_STREAM_ORDER,)))
    return make_schedule(config.sequence_set, config.timing, int(config.run.episodes), rng)


def _per_rank(peak_mb: float) -> dict:
    """MPI process count and every rank's peak memory (MB), gathered on every rank."""
    from seqnest.pynest_ext.parallel import allgather_arrays, num_processes
    peaks = allgather_arrays({"peak": np.array([peak_mb])})["peak"]
    return {"mpi_processes": num_processes(), "peak_rss_mb_per_rank": [float(x) for x in peaks]}


@dataclass
class TrainingResult:
    """Everything a training run produced (in memory)."""

    config: RunConfig
    schedule: Schedule
    metrics: dict
    exc_spikes: tuple[np.ndarray, np.ndarray]
    inh_spikes: tuple[np.ndarray, np.ndarray]
    connectivity_initial: EEConnectivity
    connectivity_final: EEConnectivity
    module_key: str
    drive_targets: dict
    dap_onsets: tuple[np.ndarray, np.ndarray] | None = None   # last episode
    node_ids: dict | None = None                               # NEST id of neuron 0 per population
    #: the E neurons' slow state at the end (dAP trace, calcium, learning gate)
    neuron_state: dict | None = None


def check_run_resources(config: RunConfig, processes: int = 1):
    """Refuse, before NEST sees it, a run whose network cannot fit this machine or whose
    threads are far above its cores (see :func:`seqnest.pynest_ext.resources.check_resources`);
    under mpirun, each rank checks its share and the ranks on its machine."""
    from seqnest.pynest_ext.parallel import launcher_local_size, launcher_size
    from seqnest.pynest_ext.resources import check_resources
    net = config.network
    return check_resources(len(config.sequence_set.vocabulary), int(net.n_E), float(net.p_EE),
                           config.synapse.KIND, int(config.run.threads), processes,
                           ranks=launcher_size(), ranks_here=launcher_local_size())


@dataclass
class _Built:
    """A network created and connected for training, with its sampling plan."""

    net: SequenceNetwork
    schedule: Schedule
    samples: list                 # per episode: dAP sample times per slot
    bounds: np.ndarray            # episode ep's samples are bounds[ep]:bounds[ep + 1]
    initial: Any                  # EEConnectivity before learning (None: read with the final)
    drive_targets: dict
    build_s: float
    network_mb: float


def _build(config: RunConfig, module: BuiltModule, ee_floor: str | None,
           resume: ResumeState | None, schedule: Schedule) -> _Built:
    """Reset the kernel, create and connect the network (or the resumed one) for
    ``schedule`` (the run's, or the rest of it after a checkpoint)."""
    run, seq_set = config.run, config.sequence_set
    names = setup_kernel(KernelConfig(resolution=run.resolution, threads=run.threads,
                                      seed=run.seed), module=module,
                         across_processes=True)
    pop = {el: k for k, el in enumerate(seq_set.vocabulary)}
    stimulus = {pop[el]: t for el, t in schedule.element_times().items()}
    drive = ({pop[el]: t for el, t in
              schedule.first_element_times(config.timing.sparse_first_lead).items()}
             if config.sparse_first else None)
    net = SequenceNetwork(names, len(seq_set.vocabulary), config.neuron, config.inh_neuron,
                          config.synapse, config.network, plastic=True,
                          rng=np.random.default_rng(np.random.SeedSequence(
                              run.seed, spawn_key=(RNG_STREAM_PERMANENCE,))),
                          ee_floor=ee_floor)
    t0 = time.perf_counter()
    rss0 = baseline_rss_mb()
    samples = [sample_plan(config, schedule, ep) for ep in range(schedule.n_episodes)]
    bounds = np.cumsum([0] + [sum(len(slot) for slot in s) for s in samples])
    # a resumed network keeps the neurons its sparse first-element drive reached
    kept = ({pop[el]: idx for el, idx in resume.drive_targets.items() if el in pop}
            if resume is not None and resume.drive_targets else None)
    net.create(stimulus, drive, [t for plan in samples
                                 for t in sorted(t for slot in plan for t in slot)],
               drive_targets=kept)
    if resume is not None:
        if resume.neuron_state:
            net.set_neuron_state(resume.neuron_state)
        net.connect(resume.connectivity)
    else:
        net.connect()
    t_build = time.perf_counter() - t0
    network_mb = current_rss_mb() - rss0
    # the initial state is read with the final one where the synapse keeps it
    if resume is not None:
        initial = resume.connectivity
    else:
        initial = None if config.synapse.INITIAL_STATE_KEY else net.ee_connectivity()
    vocab = seq_set.vocabulary
    drive_targets = {vocab[p]: idx for p, idx in net.drive_targets().items()}
    return _Built(net, schedule, samples, bounds, initial, drive_targets, t_build, network_mb)


def _run_episodes(config: RunConfig, built: _Built, progress: bool,
                  keeper: Keeper | None = None,
                  on_episode: Callable[[int, dict[str, float]], None] | None = None
                  ) -> Episodes:
    """Simulate every episode of ``built.schedule``, read the dAP samples and evaluate
    each episode once all its samples are in; ``keeper`` writes checkpoints;
    ``on_episode(episodes done, that episode's scores)`` is told each evaluated episode.

    dAP samples are read from the neurons' registers when a register would
    overflow, at most every LIVE_READ_INTERVAL_S otherwise (for the progress bar),
    before a checkpoint and after the last episode: a read of the population
    costs tens of ms."""
    net, schedule, bounds = built.net, built.schedule, built.bounds
    n_episodes = schedule.n_episodes
    evaluate = EpisodeEvaluator(config, schedule)
    curves: dict[str, list[float]] = {k: [] for k in ("error", "false_positives",
                                                      "false_negatives", "active_fraction",
                                                      "overlap")}
    out = Episodes(curves, {"simulate_s": [], "readout_s": [], "evaluation_s": []}, [], [],
                    evaluate.per_sequence)
    sample_times, sample_rows = [], []
    evaluated = 0
    last_read = time.perf_counter()
    done_before = keeper.done_before if keeper else 0
    bar = _progress(done_before + n_episodes, progress, done_before)
    now = 0.0
    for ep in range(n_episodes):
        sim0, read0 = net.time_simulate_s, net.time_readout_s
        last = ep == n_episodes - 1
        if last:
            net.trace_dap_onsets()           # the last episode's dAPs, for rasters
        end = schedule.episode_start(ep + 1)
        net.run(end - now)
        now = end
        exc, inh = net.take_spikes()
        out.exc_parts.append((exc.index, exc.times))
        out.inh_parts.append((inh.index, inh.times))
        keep = keeper.wanted(ep + 1) if keeper and not last else None
        # the clocks of MPI ranks differ: rank 0's says when all read (a gather)
        read = last or keep is not None or rank0_decides(
            time.perf_counter() - last_read > LIVE_READ_INTERVAL_S)
        times, state = net.take_dap_samples(read=read)
        if read:
            last_read = time.perf_counter()
        sample_times.extend(times)
        sample_rows.extend(state)
        out.timing["simulate_s"].append(net.time_simulate_s - sim0)
        out.timing["readout_s"].append(net.time_readout_s - read0)
        t1 = time.perf_counter()
        while evaluated <= ep and len(sample_times) >= bounds[evaluated + 1]:
            mine = slice(bounds[evaluated], bounds[evaluated + 1])
            scores = evaluate_episode(evaluate, evaluated, built.samples[evaluated],
                                       sample_times[mine], sample_rows[mine],
                                       out.exc_parts[evaluated])
            for k, v in scores.items():
                curves[k].append(v)
            evaluated += 1
            if on_episode is not None:
                on_episode(done_before + evaluated, {k: v[-1] for k, v in curves.items()})
        out.timing["evaluation_s"].append(time.perf_counter() - t1)
        bar.update(1)
        if evaluated:
            bar.set_postfix(episode=done_before + evaluated, error=f"{curves['error'][-1]:.2f}",
                            fp=f"{curves['false_positives'][-1]:.2f}",
                            fn=f"{curves['false_negatives'][-1]:.2f}")
        if keep is not None:
            keeper.keep(keep, ep + 1, out)   # raises TrainingInterrupted after a signal
    if evaluated != n_episodes:
        raise RuntimeError(f"dAP samples of {n_episodes - evaluated} episodes were not read")
    bar.close()
    return out


def _metrics(config: RunConfig, built: _Built, episodes: Episodes, initial, final,
             schedule: Schedule, wall_s: float) -> dict:
    """metrics.json of a training run: the curves, their convergence summary, the
    synapses before and after, timings and memory."""
    ev, seq_set, curves, timing = config.evaluation, config.sequence_set, episodes.curves, \
        episodes.timing
    return {
        **{k: [None if math.isnan(x) else x for x in v] for k, v in curves.items()},
        **convergence_summary(curves, ev.convergence_error, ev.tail_episodes),
        "final_error": curves["error"][-1],
        "per_sequence": episodes.per_sequence,
        "sequences": [" ".join(s) for s in seq_set.sequences],
        **({"frequencies": list(seq_set.frequencies),
            "presentations": list(schedule.presentation_counts()),
            "presented": [list(o) for o in schedule.order]} if seq_set.frequencies else {}),
        "synapse": config.synapse.KIND,
        "synapse_state_bits": config.synapse.state_bits,
        "mature_synapses_initial": int(np.count_nonzero(
            config.synapse.mature(initial.permanence, initial.weight))),
        "mature_synapses_final": int(np.count_nonzero(
            config.synapse.mature(final.permanence, final.weight))),
        "n_synapses": int(final.source.size),
        "build_network_time_s": built.build_s,
        "network_memory_mb": built.network_mb,
        "simulate_time_s": float(sum(timing["simulate_s"])),
        "readout_time_s": float(sum(timing["readout_s"])),
        "evaluation_time_s": float(sum(timing["evaluation_s"])),
        "episode_timing": timing,
        "threads": int(config.run.threads),
        "wall_time_s": wall_s,
        "peak_rss_mb": peak_rss_mb(),
        **_per_rank(peak_rss_mb()),
    }


def train(config: RunConfig, module: BuiltModule | Callable[[], BuiltModule] | None = None,
          progress: bool = True, ee_floor: str | None = None,
          resume: ResumeState | None = None, checkpoint: CheckpointPolicy | None = None,
          start: Checkpoint | None = None,
          on_episode: Callable[[int, dict[str, float]], None] | None = None) -> TrainingResult:
    """Train and evaluate; see the module docstring.

    Parameters
    ----------
    config : RunConfig
        Resolved configuration (:func:`seqnest.sequences.temporal_memory.config.resolve_config`).
    module : BuiltModule, optional
        The compiled model module, or a callable that builds it (called once the
        run's resources are checked); default: build or reuse the cached one.
    progress : bool
        Show a progress bar with the current error on stderr.
    ee_floor : {None, "static", "none"}
        Benchmark floors only (see :class:`seqnest.pynest_ext.networks.temporal_memory.SequenceNetwork`):
        the same run with static or without E->E connections.
    resume : ResumeState, optional
        Continue training a learned network (:func:`seqnest.sequences.temporal_memory.rundir.load_resume_state`)
        instead of drawing a new one; ``config`` from
        :func:`seqnest.sequences.temporal_memory.config.resolve_resumed_config`.
    checkpoint : CheckpointPolicy, optional
        Write checkpoints (:mod:`seqnest.sequences.temporal_memory.checkpoint`); a
        signal then ends training with :class:`TrainingInterrupted`.
    start : Checkpoint, optional
        Continue an interrupted run from its checkpoint to ``config.run.episodes``
        (``config``: the checkpoint's, see
        :func:`~seqnest.sequences.temporal_memory.checkpoint.continued_config`).
    on_episode : callable, optional
        ``on_episode(k, scores)`` after episode ``k`` (counted from the run's start) is
        evaluated, with its scores (``error``, ``false_positives``, ...); it may end
        training by raising :class:`seqnest.errors.TrainingStopped` (a pruned trial of
        a search). Episodes are evaluated in bursts, when the dAP samples are read.
        Called on every MPI rank: a decision to stop must be the same on all.
    """
    t_wall = time.perf_counter()
    if start is not None and (resume is not None or ee_floor is not None):
        raise ValueError("a run continued from a checkpoint takes neither resume nor ee_floor")
    check_run_resources(config)
    module = provide(module)
    full = run_schedule(config)
    done_before = start.episodes_done if start is not None else 0
    if start is not None:
        resume = ResumeState(start.connectivity, start.neuron_state, None,
                             start.drive_targets or None)
    built = _build(config, module, ee_floor, resume,
                   full.tail(done_before) if done_before else full)
    if start is not None:
        built.initial = start.initial
    stop = StopRequest() if checkpoint is not None and checkpoint.on_signal else None
    shift = full.tail_shift(done_before)     # this process's times onto the run's
    keeper = (Keeper(config, built, checkpoint, stop or StopRequest(), start, module.key,
                     t_wall, shift) if checkpoint is not None and ee_floor is None else None)
    with stop or contextlib.nullcontext():
        episodes = _run_episodes(config, built, progress, keeper, on_episode)
    net = built.net
    # what the network holds is read before the synapses: their fast read spends it
    dap = net.take_dap_onsets()
    neuron_state = None if ee_floor else net.neuron_state()
    t_read = time.perf_counter()
    final = net.final_ee_connectivity()
    t_read = time.perf_counter() - t_read
    initial = initial_connectivity(config, built, final)
    episodes = merged(start, episodes, shift)
    wall_s = time.perf_counter() - t_wall + (start.wall_s if start else 0.0)
    metrics = _metrics(config, built, episodes, initial, final, full, wall_s)
    metrics["synapse_read_time_s"] = t_read
    if start is not None:
        metrics["build_network_time_s"] += start.build_s
    if keeper is not None or start is not None:
        metrics["checkpoints"] = {
            "written": keeper.written if keeper else start.written,
            "time_s": keeper.checkpoint_s if keeper else start.checkpoint_s,
            "every_episodes": checkpoint.every_episodes if checkpoint else None,
            "every_minutes": checkpoint.every_minutes if checkpoint else None,
            "continued_at_episodes": [*start.resumed, done_before] if start else []}
    if resume is not None and start is None:
        metrics["resumed_from"] = resume.source
    return TrainingResult(config, full, metrics, concatenate(episodes.exc_parts),
                          concatenate(episodes.inh_parts), initial, final, module.key,
                          built.drive_targets, (dap.index, dap.times + shift),
                          {"E": net.exc[0].global_id, "I": net.inh_neurons[0].global_id},
                          neuron_state=neuron_state)


def _progress(total: int, enabled: bool, initial: int = 0):
    from tqdm import tqdm
    # disable=None: no bar when stderr is not a terminal (logs, CI)
    return tqdm(total=total, initial=initial, desc="learning", unit="episode", file=sys.stderr,
                leave=True, disable=None if enabled else True)
