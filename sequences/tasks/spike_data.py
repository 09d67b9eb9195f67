# SPDX-License-Identifier: GPL-2.0-or-later
"""Labelled spike-train samples in discrete time (the data of the classifiers).

A :class:`SpikeDataset` holds ``n`` samples of ``n_channels`` input channels
over ``n_steps`` steps of ``dt`` ms. Each sample is a list of spikes
(step, channel); a channel may spike more than once in a step (the spike
counts). Each sample has one label per readout window: a window is a range of
steps [start, stop) over which the classifier's score is the largest membrane
value; classification tasks have one window covering the trial.

Stored as flat arrays (``offsets`` into ``steps``/``channels``) so that a
dataset of thousands of samples is a few arrays, written to and read from one
``.npz`` file.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seqnest.params import ParameterError

__all__ = ["Batch", "SpikeDataset", "by_step", "require_samples"]


def require_samples(task: str, n: int) -> None:
    """Refuse a sample count below one (one line naming the task)."""
    if n < 1:
        raise ParameterError(f"{task}: the number of samples must be >= 1, got {n}")


def by_step(step: np.ndarray, channel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One sample's spikes ordered by step (stable: channels keep their order)."""
    order = np.argsort(step, kind="stable")
    return np.asarray(step)[order], np.asarray(channel)[order]


@dataclass(frozen=True)
class Batch:
    """Spikes of several samples, flattened: sample index, step and channel."""

    sample: np.ndarray
    step: np.ndarray
    channel: np.ndarray
    size: int


@dataclass(frozen=True)
class SpikeDataset:
    """Samples of spike trains with labels per readout window."""

    name: str
    dt: float                     #: step (ms)
    n_steps: int
    n_channels: int
    n_classes: int
    windows: np.ndarray           #: (W, 2) int: readout windows [start, stop)
    labels: np.ndarray            #: (n, W) int
    offsets: np.ndarray           #: (n + 1,) int: spikes of sample k are [offsets[k], offsets[k+1])
    steps: np.ndarray             #: (n_spikes,) int
    channels: np.ndarray          #: (n_spikes,) int
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.labels)
        if self.labels.ndim != 2 or self.labels.shape[1] != len(self.windows):
            raise ParameterError(f"{self.name}: labels must have one column per readout window")
        if len(self.offsets) != n + 1 or self.offsets[-1] != len(self.steps):
            raise ParameterError(f"{self.name}: spike offsets do not match the samples")
        if len(self.steps) and (self.steps.min() < 0 or self.steps.max() >= self.n_steps):
            raise ParameterError(f"{self.name}: a spike lies outside the {self.n_steps} steps")
        if len(self.channels) and (self.channels.min() < 0
                                   or self.channels.max() >= self.n_channels):
            raise ParameterError(f"{self.name}: a spike's channel is outside 0..{self.n_channels - 1}")
        if n and (self.labels.min() < 0 or self.labels.max() >= self.n_classes):
            raise ParameterError(f"{self.name}: a label is outside 0..{self.n_classes - 1}")
        w = self.windows
        if w.ndim != 2 or w.shape[1] != 2 or np.any(w[:, 0] < 0) or np.any(w[:, 1] > self.n_steps) \
                or np.any(w[:, 1] <= w[:, 0]):
            raise ParameterError(f"{self.name}: readout windows must be non-empty ranges "
                                 f"within 0..{self.n_steps}")

    @classmethod
    def from_samples(cls, name: str, dt: float, n_steps: int, n_channels: int, n_classes: int,
                     windows, labels, samples, meta: dict | None = None) -> "SpikeDataset":
        """Build from a list of (steps, channels) pairs, one per sample."""
        counts = [len(s) for s, _ in samples]
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        steps = (np.concatenate([np.asarray(s, np.int64) for s, _ in samples])
                 if samples else np.zeros(0, np.int64))
        chans = (np.concatenate([np.asarray(c, np.int64) for _, c in samples])
                 if samples else np.zeros(0, np.int64))
        return cls(name, float(dt), int(n_steps), int(n_channels), int(n_classes),
                   np.asarray(windows, np.int64).reshape(-1, 2),
                   np.asarray(labels, np.int64).reshape(len(samples), -1),
                   offsets, steps, chans, dict(meta or {}))

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def n_windows(self) -> int:
        return len(self.windows)

    def sample(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Steps and channels of sample ``k``."""
        a, b = self.offsets[k], self.offsets[k + 1]
        return self.steps[a:b], self.channels[a:b]

    def subset(self, index) -> "SpikeDataset":
        """The samples ``index`` (an array of sample numbers), in that order."""
        index = np.asarray(index, dtype=np.int64)
        return SpikeDataset.from_samples(self.name, self.dt, self.n_steps, self.n_channels,
                                         self.n_classes, self.windows, self.labels[index],
                                         [self.sample(k) for k in index], self.meta)

    def batch(self, index) -> Batch:
        """Spikes of the samples ``index`` as one flat :class:`Batch`."""
        index = np.asarray(index, dtype=np.int64)
        parts = [(np.full(self.offsets[k + 1] - self.offsets[k], j, np.int64), *self.sample(k))
                 for j, k in enumerate(index)]
        if not parts:
            empty = np.zeros(0, np.int64)
            return Batch(empty, empty, empty, 0)
        return Batch(*(np.concatenate(p) for p in zip(*parts)), size=len(index))

    def dense(self, k: int) -> np.ndarray:
        """Sample ``k`` as spike counts, shape (n_channels, n_steps)."""
        x = np.zeros((self.n_channels, self.n_steps))
        s, c = self.sample(k)
        np.add.at(x, (c, s), 1.0)
        return x

    def save(self, path: str | os.PathLike) -> None:
        """Write to one ``.npz`` file (through a temporary sibling)."""
        import json
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp.npz")
        np.savez_compressed(tmp, name=self.name, dt=self.dt, n_steps=self.n_steps,
                            n_channels=self.n_channels, n_classes=self.n_classes,
                            windows=self.windows, labels=self.labels, offsets=self.offsets,
                            steps=self.steps, channels=self.channels,
                            meta=json.dumps(self.meta))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "SpikeDataset":
        """Read a file written by :meth:`save`; one-line error if missing or corrupt."""
        import json
        import zipfile
        path = Path(path)
        if not path.is_file():
            raise ParameterError(f"missing data file: {path}")
        try:
            with np.load(path, allow_pickle=False) as f:
                return cls(str(f["name"]), float(f["dt"]), int(f["n_steps"]),
                           int(f["n_channels"]), int(f["n_classes"]), f["windows"],
                           f["labels"], f["offsets"], f["steps"], f["channels"],
                           json.loads(str(f["meta"])))
        except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            raise ParameterError(f"corrupt data file {path}: {exc}") from None
