# SPDX-License-Identifier: GPL-2.0-or-later
"""Decoding the dAP samples that ``stm_neuron`` keeps in a bit register
(``dAP_register``): which bit holds which sample, and when the register must be
read before samples are shifted out. NEST-free."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["REGISTER_BITS", "DapRegister"]


#: Samples ``stm_neuron``'s ``dAP_register`` holds exactly (52 bits of a double).
REGISTER_BITS = 52


class DapRegister:
    """Which bits of ``stm_neuron``'s ``dAP_register`` hold the dAP samples.

    The register shifts once in every step in which spikes arrive at a neuron's
    external port: at the sample requests (every E neuron) and at the stimulus
    arrivals (the stimulated subpopulation). With both schedules known, the
    bit of sample j in subpopulation k, read at step T, is
    ``(number of arrival steps of k up to T) - 1 - (index of sample j among them)``.

    Parameters
    ----------
    sample_steps : int array
        Steps (time / resolution) of the sample arrivals, increasing.
    stimulus_steps : mapping subpopulation -> int array
        Arrival steps of the stimulus spikes at each subpopulation.
    M, n_E : int
        Subpopulations and neurons per subpopulation.
    resolution : float
        Simulation step (ms), to report the sample times in ms.
    """

    def __init__(self, sample_steps: np.ndarray, stimulus_steps: Mapping[int, np.ndarray],
                 M: int, n_E: int, resolution: float) -> None:
        self.samples = np.asarray(sample_steps, dtype=np.int64)
        self.n_E, self.h = int(n_E), float(resolution)
        self.arrivals = [np.union1d(self.samples, np.asarray(stimulus_steps.get(k, []),
                                                             dtype=np.int64))
                         for k in range(M)]
        self.sample_index = [np.searchsorted(a, self.samples) for a in self.arrivals]
        self.read = 0        # samples decoded so far

    def pending(self, now: int) -> bool:
        """Whether samples up to step ``now`` are still to be decoded."""
        return self.read < self.samples.size and self.samples[self.read] <= now

    def latest_read_step(self, end: int) -> int | None:
        """Step at which to read the register before running on to ``end``, if any.

        None when every unread sample up to ``end`` stays in the register until
        ``end``; otherwise the last step before the oldest unread sample would
        be shifted out of some subpopulation's register.
        """
        if not self.pending(end):
            return None
        j = self.read
        cut = None
        for a, idx in zip(self.arrivals, self.sample_index):
            last = idx[j] + REGISTER_BITS - 1          # arrival that fills the register
            if last + 1 < a.size and a[last + 1] <= end:
                cut = a[last] if cut is None else min(cut, a[last])
        return None if cut is None else int(cut)

    def decode(self, now: int, register: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sample times (ms) and dAP states (samples x neurons) read at step ``now``."""
        due = int(np.searchsorted(self.samples, now, side="right"))
        j = np.arange(self.read, due)
        state = np.zeros((j.size, register.size), dtype=bool)
        for k, (a, idx) in enumerate(zip(self.arrivals, self.sample_index)):
            shift = int(np.searchsorted(a, now, side="right")) - 1 - idx[j]
            if np.any(shift >= REGISTER_BITS):
                raise RuntimeError("the dAP register was read too late: samples were lost")
            block = register[k * self.n_E:(k + 1) * self.n_E]
            state[:, k * self.n_E:(k + 1) * self.n_E] = (
                (block[None, :] >> shift.astype(np.uint64)[:, None]) & np.uint64(1)).astype(bool)
        self.read = due
        return self.samples[j] * self.h, state
