# SPDX-License-Identifier: GPL-2.0-or-later
"""Classification of frozen spatio-temporal spike patterns.

Each of ``n_classes`` classes is one frozen pattern: every channel spikes once
at a time drawn uniformly within the first ``pattern_steps`` steps (drawn once
from the task's own seed). A sample of a class is its pattern with every spike
time moved by Gaussian jitter (s.d. ``jitter`` ms, rounded to steps, kept inside
the trial) plus Poisson background at ``background`` Hz per channel. All
classes use every channel exactly once, so only the timing tells them apart:
a detector must bring the right spikes into coincidence (the DenRAM use case,
D'Agostino et al. 2024). The readout window is the whole trial.
"""
from __future__ import annotations

import numpy as np

from seqnest.params import Param, ParameterSet, positive

from seqnest.sequences.tasks.spike_data import SpikeDataset, by_step, require_samples

__all__ = ["PatternParams", "make_patterns"]

OURS = "this package (task design; values are ours)"


class PatternParams(ParameterSet):
    NAME = "patterns"
    SPECS = {
        "n_classes": Param(10, "1", "number of classes (frozen patterns)", OURS, low=2,
                           integer=True),
        "n_channels": Param(20, "1", "input channels", OURS, low=1, integer=True),
        "dt": positive(1.0, "ms", "length of one step", OURS),
        "pattern_steps": Param(50, "1", "steps within which each pattern's spikes lie", OURS,
                               low=1, integer=True),
        "tail_steps": Param(10, "1", "steps after the pattern window (room for jitter)", OURS,
                            low=0, integer=True),
        "jitter": Param(2.0, "ms", "s.d. of the Gaussian jitter of each spike time", OURS,
                        low=0.0),
        "background": Param(10.0, "Hz", "Poisson background rate per channel", OURS, low=0.0),
        "pattern_seed": Param(12345, "1", "seed of the frozen patterns (the same seed gives "
                              "the same classes)", OURS, low=0, integer=True),
    }

    @property
    def n_steps(self) -> int:
        return self.pattern_steps + self.tail_steps

    def _check_relations(self) -> None:
        self._require(self.background * self.dt / 1000.0 <= 1.0,
                      f"background ({self.background:g} Hz) exceeds one spike per step")

    def templates(self) -> np.ndarray:
        """The frozen patterns: spike step of every channel, shape (n_classes, n_channels)."""
        rng = np.random.default_rng(self.pattern_seed)
        return rng.integers(0, self.pattern_steps, size=(self.n_classes, self.n_channels))


def make_patterns(n: int, rng: np.random.Generator,
                  params: PatternParams | None = None) -> SpikeDataset:
    """``n`` jittered samples of the frozen patterns, classes drawn uniformly."""
    p = params or PatternParams()
    require_samples("patterns", n)
    T, C = p.n_steps, p.n_channels
    templates = p.templates()
    labels = rng.integers(0, p.n_classes, size=n)
    p_bg = p.background * p.dt / 1000.0
    samples = []
    for k in range(n):
        jitter = np.rint(rng.normal(0.0, p.jitter / p.dt, C)) if p.jitter > 0 else np.zeros(C)
        step = np.clip(templates[labels[k]] + jitter, 0, T - 1).astype(np.int64)
        chan = np.arange(C)
        bg_chan, bg_step = np.nonzero(rng.random((C, T)) < p_bg)
        step = np.concatenate([step, bg_step])
        chan = np.concatenate([chan, bg_chan])
        samples.append(by_step(step, chan))
    return SpikeDataset.from_samples("patterns", p.dt, T, C, p.n_classes, [[0, T]], labels,
                                     samples, meta={"task": "patterns", **p.to_dict()})
