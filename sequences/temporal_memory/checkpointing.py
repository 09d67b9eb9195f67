# SPDX-License-Identifier: GPL-2.0-or-later
"""The training loop's side of checkpoints (:mod:`seqnest.sequences.temporal_memory.checkpoint`
is the file's): what the episode loop has produced so far, merged with the
episodes of a checkpoint a run continues from, and the keeper that decides after
each episode whether to write one (the same decision on every MPI rank) and
writes it."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from seqnest.pynest_ext.networks.temporal_memory import EEConnectivity
from seqnest.pynest_ext.parallel import any_rank, is_writer, rank0_decides
from seqnest.sequences.temporal_memory.checkpoint import (Checkpoint, CheckpointPolicy,
                                                          StopRequest, TrainingInterrupted,
                                                          write_checkpoint)

__all__ = ["Episodes", "Keeper", "merged", "initial_connectivity", "concatenate"]


@dataclass
class Episodes:
    """What the episode loop produced."""

    curves: dict[str, list[float]]
    timing: dict[str, list[float]]
    exc_parts: list
    inh_parts: list
    per_sequence: Any


def concatenate(parts) -> tuple[np.ndarray, np.ndarray]:
    return (np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int32),
            np.concatenate([p[1] for p in parts]) if parts else np.zeros(0))


class Keeper:
    """Writes the checkpoints of one training process (see
    :mod:`seqnest.sequences.temporal_memory.checkpoint`): periodic ones with a read
    that leaves the network as it was, and a last one after SIGTERM or Ctrl-C
    (the fast read that spends the network), then raises TrainingInterrupted."""

    def __init__(self, config, built, policy: CheckpointPolicy, stop: StopRequest,
                 start: Checkpoint | None, module_key: str, t_wall: float, shift: float):
        self.config, self.built, self.policy, self.stop = config, built, policy, stop
        self.start, self.module_key, self.t_wall = start, module_key, t_wall
        self.done_before = start.episodes_done if start else 0
        self.total = int(config.run.episodes)
        self.last_s = time.perf_counter()
        self.written = start.written if start else 0
        self.checkpoint_s = start.checkpoint_s if start else 0.0
        #: what moves this process's times onto the run's time axis (ms)
        self.shift = shift

    def wanted(self, done_here: int) -> str | None:
        """"signal", "periodic" or None after ``done_here`` episodes of this process;
        the same answer on every MPI rank."""
        if any_rank(self.stop.signum is not None):
            return "signal"
        due = self.policy.due(self.done_before + done_here, self.total,
                              time.perf_counter() - self.last_s)
        return "periodic" if rank0_decides(due) else None

    def keep(self, reason: str, done_here: int, episodes: Episodes) -> None:
        t0 = time.perf_counter()
        net = self.built.net
        neurons = net.neuron_state()
        # after a signal the network is not used again: the final read may spend it
        conn = net.final_ee_connectivity() if reason == "signal" else net.ee_connectivity()
        done = self.done_before + done_here
        so_far = merged(self.start, episodes, self.shift, done_here)
        ckpt = Checkpoint(
            self.config, done, so_far.curves, so_far.per_sequence, so_far.timing,
            concatenate(so_far.exc_parts), concatenate(so_far.inh_parts), conn,
            initial_connectivity(self.config, self.built, conn), neurons, self.built.drive_targets,
            self.module_key, self.built.build_s + (self.start.build_s if self.start else 0.0),
            self.built.network_mb,
            time.perf_counter() - self.t_wall + (self.start.wall_s if self.start else 0.0),
            self.written, self.checkpoint_s, reason,
            list(self.start.resumed) if self.start else [])
        if is_writer():
            write_checkpoint(self.policy.path, ckpt)
        self.written += 1
        self.checkpoint_s += time.perf_counter() - t0
        self.last_s = time.perf_counter()
        if reason == "signal":
            raise TrainingInterrupted(self.policy.path, done, self.total, self.stop.signum)


def initial_connectivity(config, built, final: EEConnectivity) -> EEConnectivity:
    """The synapses at connection time: read at build time, or kept by the synapse."""
    if built.initial is not None:
        return built.initial
    return final.initial(config.synapse) if final.initial_state is not None else final


def merged(start: Checkpoint | None, episodes: Episodes, shift: float,
            done_here: int | None = None) -> Episodes:
    """The episodes of a checkpoint followed by this process's first ``done_here``
    (default: all), with this process's spike times moved onto the run's time axis."""
    n = len(episodes.curves["error"]) if done_here is None else done_here
    curves = {k: list(v[:n]) for k, v in episodes.curves.items()}
    per_seq = {k: list(v[:n]) for k, v in episodes.per_sequence.items()}
    timing = {k: list(v[:n]) for k, v in episodes.timing.items()}
    exc, inh = list(episodes.exc_parts[:n]), list(episodes.inh_parts[:n])
    if start is None:
        return Episodes(curves, timing, exc, inh, per_seq)
    exc = [start.exc_spikes] + [(i, t + shift) for i, t in exc]
    inh = [start.inh_spikes] + [(i, t + shift) for i, t in inh]
    return Episodes({k: list(start.curves.get(k, [])) + v for k, v in curves.items()},
                     {k: list(start.timing.get(k, [])) + v for k, v in timing.items()},
                     exc, inh,
                     {k: list(start.per_sequence.get(k, [])) + v for k, v in per_seq.items()})
