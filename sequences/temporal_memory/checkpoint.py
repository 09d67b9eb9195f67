# SPDX-License-Identifier: GPL-2.0-or-later
"""Checkpoints of a training run: what it has learned so far, to continue from.

A checkpoint is one file beside the run directory it will become,
``PARENT/.NAME.checkpoint.npz`` for ``--out PARENT/NAME``. It holds, after a
whole episode:

- the E->E synapses in their learned state with the per-synapse parameters the
  synapse kind needs to continue learning, and their initial state;
- the excitatory neurons' slow state (dAP trace, calcium, learning gate) and the
  neurons the sparse first-element drive reached;
- the schedule position (episodes done of the run's schedule), the metrics of
  every episode so far, the spikes recorded so far and the timings;
- the run's full configuration.

It is written to a temporary sibling and renamed, so a killed process leaves
the previous checkpoint or the new one, never a part. :func:`train` writes one
every ``every_episodes`` episodes and/or every ``every_minutes`` minutes
(periodic checkpoints read the synapses' status and leave the network as it
was), and a last one when SIGTERM or Ctrl-C arrives (after the episode under
way, with the fast read that spends the network). The finished run directory
replaces it: the checkpoint is removed once the run directory is written.

What a continued run does not share with an uninterrupted one: NEST's random
streams (the continued network is built anew, seeded with the run's seed),
spikes in flight at the checkpoint, the fast state of the neurons (membrane
potentials, synaptic currents: they are reset, as at the start of a run) and
the inhibitory neurons' state. The schedule, the synapses and the slow state
are those of the interrupted run.
"""
from __future__ import annotations

import errno
import json
import os
import signal
import tempfile
import threading
import time
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seqnest.errors import RunDirError
from seqnest.pynest_ext.networks.temporal_memory import EEConnectivity

__all__ = ["CheckpointPolicy", "Checkpoint", "TrainingInterrupted", "checkpoint_path",
           "run_directory_of",
           "find_checkpoint", "write_checkpoint", "load_checkpoint", "checkpoint_bytes",
           "DEFAULT_EVERY_MINUTES", "StopRequest", "continued_config", "discard_stale"]

#: Format of the checkpoint file (its ``meta`` record says which).
FORMAT = 1

#: Default wall-clock interval between periodic checkpoints (min): runs shorter
#: than this write none (a signal still writes one). Chosen by measurement:
#: ``bench/checkpoint_cost.py``; a checkpoint of set II (882,000 synapses)
#: costs a few seconds, 1-2 % of this interval.
DEFAULT_EVERY_MINUTES = 10.0

SUFFIX = ".checkpoint.npz"


def checkpoint_path(out: str | os.PathLike) -> Path:
    """The checkpoint file of the run directory ``out``: ``PARENT/.NAME.checkpoint.npz``."""
    out = Path(out)
    return out.parent / f".{out.name}{SUFFIX}"


def run_directory_of(checkpoint: str | os.PathLike) -> Path:
    """The run directory a checkpoint file belongs to (the inverse of
    :func:`checkpoint_path`)."""
    checkpoint = Path(checkpoint)
    name = checkpoint.name
    if not (name.startswith(".") and name.endswith(SUFFIX) and len(name) > len(SUFFIX) + 1):
        raise RunDirError(f"{checkpoint} is not named as a checkpoint (.NAME{SUFFIX})")
    return checkpoint.with_name(name[1:-len(SUFFIX)])


def find_checkpoint(path: str | os.PathLike) -> Path | None:
    """The checkpoint that ``path`` names: the file itself, or the one beside the
    run directory ``path`` (which need not exist); None when there is none."""
    path = Path(path)
    if path.name.endswith(SUFFIX) and path.is_file():
        return path
    own = checkpoint_path(path)
    return own if own.is_file() else None


@dataclass(frozen=True)
class CheckpointPolicy:
    """Where and when :func:`~seqnest.sequences.temporal_memory.learn.train` writes checkpoints.

    Attributes
    ----------
    path : Path
        The checkpoint file (:func:`checkpoint_path` of the run directory).
    every_episodes : int
        Write one after every this many episodes (0: not by episodes).
    every_minutes : float
        Write one when this many minutes of wall-clock time have passed since the
        start or the last one (0: not by time).
    on_signal : bool
        SIGTERM and Ctrl-C (SIGINT) finish the episode under way, write a last
        checkpoint and raise :class:`TrainingInterrupted` (main thread only; a
        second signal stops at once).
    """

    path: Path
    every_episodes: int = 0
    every_minutes: float = DEFAULT_EVERY_MINUTES
    on_signal: bool = True

    def __post_init__(self):
        from seqnest.errors import ParameterError
        if int(self.every_episodes) < 0 or int(self.every_episodes) != self.every_episodes:
            raise ParameterError(f"checkpoint interval in episodes must be a whole number "
                                 f">= 0, got {self.every_episodes!r}")
        if not float(self.every_minutes) >= 0:
            raise ParameterError(f"checkpoint interval in minutes must be >= 0, got "
                                 f"{self.every_minutes!r}")
        object.__setattr__(self, "path", Path(self.path))

    def due(self, done: int, total: int, since_s: float) -> bool:
        """Whether a periodic checkpoint is due after ``done`` of ``total`` episodes,
        ``since_s`` wall-clock seconds after the last one (never after the last episode:
        the run directory follows)."""
        if done >= total:
            return False
        by_episodes = self.every_episodes > 0 and done % self.every_episodes == 0
        by_time = self.every_minutes > 0 and since_s >= 60.0 * self.every_minutes
        return by_episodes or by_time


class TrainingInterrupted(Exception):
    """Training stopped on a signal after writing a checkpoint.

    Attributes: ``checkpoint`` (Path), ``episodes_done``, ``episodes`` (requested),
    ``signal_name`` ("SIGTERM" or "SIGINT"), ``exit_code`` (128 + the signal number).
    """

    def __init__(self, checkpoint: Path, episodes_done: int, episodes: int, signum: int):
        self.checkpoint, self.episodes_done, self.episodes = checkpoint, episodes_done, episodes
        self.signal_name = signal.Signals(signum).name
        self.exit_code = 128 + int(signum)
        super().__init__(f"{self.signal_name}: stopped after episode {episodes_done} of "
                         f"{episodes}; checkpoint {checkpoint}")


class StopRequest:
    """SIGTERM/SIGINT handlers for a training loop: the first signal asks the loop
    to stop after the episode under way (it prints one line); a second one raises
    KeyboardInterrupt at once. Installed only in the main thread."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self) -> None:
        self.signum: int | None = None
        self._before: dict[int, Any] = {}

    def __enter__(self) -> "StopRequest":
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._before[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._before.items():
            signal.signal(sig, handler)
        self._before.clear()

    def _handler(self, signum, frame) -> None:
        if self.signum is not None:
            before = self._before.get(signum)
            if callable(before):          # e.g. the command line's, which records it
                before(signum, frame)
            raise KeyboardInterrupt
        self.signum = signum
        import sys
        print(f"seqnest: {signal.Signals(signum).name}: finishing this episode to write a "
              "checkpoint (send it again to stop at once)", file=sys.stderr, flush=True)


@dataclass
class Checkpoint:
    """A training run after ``episodes_done`` whole episodes (see the module docstring)."""

    config: Any                       # RunConfig; run.episodes: the requested total
    episodes_done: int
    curves: dict
    per_sequence: dict
    timing: dict
    exc_spikes: tuple[np.ndarray, np.ndarray]
    inh_spikes: tuple[np.ndarray, np.ndarray]
    connectivity: EEConnectivity      # learned state, with its per-synapse parameters
    initial: EEConnectivity           # the same synapses at connection time
    neuron_state: dict | None
    drive_targets: dict
    module_key: str
    build_s: float = 0.0
    network_mb: float = 0.0
    wall_s: float = 0.0               # wall-clock seconds of the training so far
    written: int = 0                  # checkpoints written before this one
    checkpoint_s: float = 0.0         # seconds spent writing them
    reason: str = "periodic"
    resumed: list = field(default_factory=list)   # episodes at which earlier parts resumed
    path: Path | None = None


def checkpoint_bytes(config) -> float:
    """Size of a checkpoint of ``config``'s run at its last episode (bytes, with a
    margin): uncompressed arrays of every E->E synapse (source and target, state
    and weight now and at connection time, per-synapse parameters) and of the spikes."""
    from seqnest.sequences.temporal_memory.rundir import (RUN_BYTES_FIXED, expected_spikes,
                                                          expected_synapses)
    synapses = expected_synapses(config)
    values = 4 + len(config.synapse.RESUME_KEYS) + 1
    return 1.2 * (synapses * (8 + 8 * values) + 12 * expected_spikes(config)) + RUN_BYTES_FIXED


def _arrays(ckpt: Checkpoint) -> dict[str, np.ndarray]:
    """The arrays of a checkpoint file; what the others give is left out: the
    initial state where it is a per-synapse parameter (stdsp: P_min), the
    initial connectivity where the synapse keeps its initial state."""
    conn, init = ckpt.connectivity, ckpt.initial
    out = {"ee_source": conn.source, "ee_target": conn.target,
           "ee_permanence": conn.permanence, "ee_weight": conn.weight,
           "exc_index": ckpt.exc_spikes[0], "exc_times": ckpt.exc_spikes[1],
           "inh_index": ckpt.inh_spikes[0], "inh_times": ckpt.inh_spikes[1]}
    synapse = ckpt.config.synapse
    kept = conn.initial_state
    if kept is not None and not np.array_equal(kept, conn.parameters.get(
            synapse.INITIAL_STATE_KEY, np.zeros(0))):
        out["ee_initial_state"] = kept
    derived = conn.initial(synapse) if kept is not None else None
    if derived is None or not (np.array_equal(derived.permanence, init.permanence)
                               and np.array_equal(derived.weight, init.weight)):
        out["initial_permanence"], out["initial_weight"] = init.permanence, init.weight
    out.update({f"ee_param_{k}": v for k, v in conn.parameters.items()})
    if ckpt.neuron_state:
        out.update({f"neuron_{k}": v for k, v in ckpt.neuron_state.items()})
    return out


def _meta(ckpt: Checkpoint) -> dict:
    from seqnest.sequences.rundir import _jsonable
    return _jsonable({
        "format": FORMAT, "kind": "seqnest training checkpoint",
        "config": ckpt.config.to_dict(), "config_hash": ckpt.config.hash(),
        "episodes_done": ckpt.episodes_done, "episodes": int(ckpt.config.run.episodes),
        "curves": ckpt.curves, "per_sequence": ckpt.per_sequence, "timing": ckpt.timing,
        "drive_targets": ckpt.drive_targets, "module_key": ckpt.module_key,
        "build_s": ckpt.build_s, "network_mb": ckpt.network_mb, "wall_s": ckpt.wall_s,
        "written": ckpt.written, "checkpoint_s": ckpt.checkpoint_s, "reason": ckpt.reason,
        "resumed": ckpt.resumed, "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")})


def write_checkpoint(path: Path, ckpt: Checkpoint) -> Path:
    """Write ``ckpt`` to ``path`` atomically (temporary sibling, fsync, rename).

    On a full file system the temporary file is removed, the previous checkpoint
    is kept and RunDirError says so in one line."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f"{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            meta = np.frombuffer(json.dumps(_meta(ckpt), allow_nan=False).encode(), np.uint8)
            np.savez(fh, meta=meta, **_arrays(ckpt))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            kept = "the previous checkpoint is kept" if path.is_file() else "no checkpoint"
            raise RunDirError(f"no space left on the file system of {path} while writing a "
                              f"checkpoint: {kept}") from None
        raise RunDirError(f"cannot write checkpoint {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint file (RunDirError in one line if it is missing or damaged)."""
    from seqnest.sequences.temporal_memory.config import config_from_dict
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        meta = json.loads(arrays.pop("meta").tobytes().decode())
    except FileNotFoundError:
        raise RunDirError(f"no checkpoint at {path}") from None
    except (OSError, ValueError, KeyError, EOFError, UnicodeDecodeError,
            zipfile.BadZipFile) as exc:
        raise RunDirError(f"damaged checkpoint {path}: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise RunDirError(f"{path} is not a seqnest checkpoint of format {FORMAT}")
    try:
        config = config_from_dict(meta["config"])
        params = {k[len("ee_param_"):]: v for k, v in arrays.items() if k.startswith("ee_param_")}
        kept = arrays.get("ee_initial_state", params.get(config.synapse.INITIAL_STATE_KEY or ""))
        conn = EEConnectivity(arrays["ee_source"], arrays["ee_target"], arrays["ee_permanence"],
                              arrays["ee_weight"], kept, params)
        initial = (EEConnectivity(arrays["ee_source"], arrays["ee_target"],
                                  arrays["initial_permanence"], arrays["initial_weight"])
                   if "initial_permanence" in arrays else conn.initial(config.synapse))
        neurons = {k[len("neuron_"):]: v for k, v in arrays.items() if k.startswith("neuron_")}
        ckpt = Checkpoint(
            config, int(meta["episodes_done"]), meta["curves"], meta["per_sequence"],
            meta["timing"], (arrays["exc_index"], arrays["exc_times"]),
            (arrays["inh_index"], arrays["inh_times"]), conn, initial, neurons or None,
            meta["drive_targets"] or {}, meta["module_key"], float(meta["build_s"]),
            float(meta["network_mb"]), float(meta["wall_s"]), int(meta["written"]),
            float(meta["checkpoint_s"]), meta["reason"], list(meta.get("resumed", [])), path)
    except (KeyError, TypeError, ValueError) as exc:
        raise RunDirError(f"damaged checkpoint {path}: missing or malformed {exc}") from None
    n = ckpt.connectivity.source.size
    if any(np.size(a) != n for a in (conn.target, conn.permanence, conn.weight,
                                     initial.permanence, initial.weight,
                                     *conn.parameters.values())):
        raise RunDirError(f"damaged checkpoint {path}: its synapse arrays differ in length")
    if not 0 < ckpt.episodes_done < int(config.run.episodes) + 1:
        raise RunDirError(f"damaged checkpoint {path}: {ckpt.episodes_done} episodes done")
    if any(len(v) != ckpt.episodes_done for v in ckpt.curves.values()):
        raise RunDirError(f"damaged checkpoint {path}: its curves do not cover "
                          f"{ckpt.episodes_done} episodes")
    return ckpt


def continued_config(ckpt: Checkpoint, episodes: int | None = None, threads: int | None = None):
    """The checkpoint's configuration with a new total of ``episodes`` (more than it
    has done) and/or ``threads``; nothing else of a run may change when it continues."""
    from seqnest.errors import ParameterError
    from seqnest.sequences.temporal_memory.config import config_from_dict
    data = ckpt.config.to_dict()
    if episodes is not None:
        data["run"]["episodes"] = int(episodes)
    if int(data["run"]["episodes"]) <= ckpt.episodes_done:
        raise ParameterError(f"--episodes {data['run']['episodes']}: the checkpoint has done "
                             f"{ckpt.episodes_done} episodes already; ask for more")
    if threads is not None:
        data["run"]["threads"] = int(threads)
    return config_from_dict(data)


def discard_stale(path: Path, reason: str) -> None:
    """Warn that the checkpoint ``path`` will be replaced (it does not fit this run)."""
    warnings.warn(f"checkpoint {path} {reason}: starting the run anew (it is replaced "
                  "by this run's checkpoints)", RuntimeWarning, stacklevel=3)

