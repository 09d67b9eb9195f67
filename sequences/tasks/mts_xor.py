# SPDX-License-Identifier: GPL-2.0-or-later
"""Multi-time-scale XOR (MTS-XOR; Zheng et al. 2024, Nat Commun 15: 277).

Two groups of input channels. Signal 1: group 1 fires at a low or high rate
per step during the first ``signal_steps`` steps. Then ``n_windows`` windows,
each ``silent_steps`` quiet steps followed by ``coding_steps`` steps in which
group 2 fires at a low or high rate. All channels also fire at the background
rate in every step. The target of each window is XOR(signal 1 high, that
window's signal 2 high); it is read out over the window's coding steps. A
network must remember signal 1 over the whole trial: chance is 50 %.

A channel fires in a step with probability 1 - (1 - p_background)(1 - p_signal)
(at most one spike per channel and step).
"""
from __future__ import annotations

import numpy as np

from seqnest.params import Param, ParameterSet, positive

from seqnest.sequences.tasks.spike_data import SpikeDataset, by_step, require_samples

__all__ = ["MtsXorParams", "make_mts_xor"]

MTS = "Zheng et al. 2024, Nat Commun 15: 277 (as used by Moro et al. 2024, arXiv 2407.18838)"


def _probability(doc: str, default: float) -> Param:
    return Param(default, "1", doc, MTS, low=0.0, high=1.0)


class MtsXorParams(ParameterSet):
    NAME = "mts_xor"
    SPECS = {
        "group_size": Param(20, "1", "channels per input group", MTS, low=1, integer=True),
        "dt": positive(1.0, "ms", "length of one step (our choice: 1 ms)", "this package"),
        "signal_steps": Param(10, "1", "steps of signal 1", MTS, low=1, integer=True),
        "n_windows": Param(6, "1", "windows of signal 2 (one target each)", MTS, low=1,
                           integer=True),
        "silent_steps": Param(5, "1", "quiet steps at the start of each window", MTS, low=0,
                              integer=True),
        "coding_steps": Param(10, "1", "steps of signal 2 in each window (scored)", MTS, low=1,
                              integer=True),
        "p_low": _probability("firing probability per step of a low signal", 0.2),
        "p_high": _probability("firing probability per step of a high signal", 0.6),
        "p_background": _probability("background firing probability per step", 0.01),
    }

    def _check_relations(self) -> None:
        self._require(self.p_low < self.p_high,
                      f"p_low ({self.p_low:g}) must be below p_high ({self.p_high:g})")

    @property
    def n_steps(self) -> int:
        return self.signal_steps + self.n_windows * (self.silent_steps + self.coding_steps)

    def windows(self) -> np.ndarray:
        """Readout windows: the coding steps of each window, shape (n_windows, 2)."""
        period = self.silent_steps + self.coding_steps
        starts = self.signal_steps + np.arange(self.n_windows) * period + self.silent_steps
        return np.stack([starts, starts + self.coding_steps], axis=1)


def make_mts_xor(n: int, rng: np.random.Generator,
                 params: MtsXorParams | None = None) -> SpikeDataset:
    """``n`` MTS-XOR samples drawn from ``rng``."""
    p = params or MtsXorParams()
    require_samples("mts-xor", n)
    g, T = p.group_size, p.n_steps
    windows = p.windows()
    high1 = rng.random(n) < 0.5
    high2 = rng.random((n, p.n_windows)) < 0.5
    labels = (high1[:, None] ^ high2).astype(np.int64)
    samples = []
    for k in range(n):
        rate = np.zeros((2 * g, T))
        rate[:g, :p.signal_steps] = p.p_high if high1[k] else p.p_low
        for j, (a, b) in enumerate(windows):
            rate[g:, a:b] = p.p_high if high2[k, j] else p.p_low
        prob = 1.0 - (1.0 - p.p_background) * (1.0 - rate)
        chan, step = np.nonzero(rng.random(prob.shape) < prob)
        samples.append(by_step(step, chan))
    return SpikeDataset.from_samples("mts-xor", p.dt, T, 2 * g, 2, windows, labels, samples,
                                     meta={"task": "mts-xor", **p.to_dict()})
