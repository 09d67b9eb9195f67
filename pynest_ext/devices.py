# SPDX-License-Identifier: GPL-2.0-or-later
"""RRAM device models of the dendritic coincidence detector (DenRAM).

Two devices per dendritic branch (D'Agostino et al. 2024, Nat Commun 15: 3446):

* a **delay**: an RC circuit whose resistor is an RRAM cell in its
  high-resistance state, tau = C * R_HRS, with R_HRS log-normal across
  devices; drawn once, rounded to the delay step, capped, never trained
  (:class:`RramDelayParams`);
* a **weight**: a signed conductance written as a differential pair of RRAM
  cells, with a finite number of levels, a finite on/off ratio,
  device-to-device spread and the paper's read noise
  w + N(0, 1) * sigma * max|w| on non-zero weights, drawn anew in every trial
  (:class:`RramWeightParams`).

Units: pF * GOhm = ms, so tau in ms is C[pF] * R[GOhm].

This module does not import NEST: the trainer uses the same functions.
"""
from __future__ import annotations

import math

import numpy as np

from seqnest.params import Param, ParameterError, ParameterSet, positive

__all__ = ["DENRAM", "RramDelayParams", "RramWeightParams"]

DENRAM = "D'Agostino et al. 2024, Nat Commun 15: 3446"


class RramDelayParams(ParameterSet):
    """Delays of the dendritic branches, tau = C * R_HRS (ms).

    ``R_mean`` is the arithmetic mean of the log-normal R_HRS (our reading of
    "mean 500 GOhm"); the median is R_mean * exp(-sigma_ln**2 / 2).
    """

    NAME = "delays"
    SPECS = {
        "C": positive(1.0, "pF", "capacitor of the delay circuit", DENRAM),
        "R_mean": positive(500.0, "GOhm", "mean high-resistance state of the delay cells",
                           DENRAM),
        "sigma_ln": Param(0.4, "1", "device-to-device spread: s.d. of ln R_HRS", DENRAM,
                          low=0.0),
        "max": positive(1000.0, "ms", "longest delay (larger draws are capped)", DENRAM),
    }

    def _log_median_R(self) -> float:
        """ln of the median R_HRS: ln(R_mean) - sigma_ln**2 / 2 (R_mean is the mean)."""
        return math.log(self.R_mean) - 0.5 * self.sigma_ln ** 2

    def median_ms(self) -> float:
        """Median delay before rounding and capping (ms)."""
        return self.C * math.exp(self._log_median_R())

    def draw(self, shape: tuple[int, ...], step: float, rng: np.random.Generator) -> np.ndarray:
        """Delays in whole steps of ``step`` ms, one per device, rounded and capped
        (the paper rounds to 5 ms, the step of its simulation; here the step is
        the task's). A draw in the log-normal's lower tail that rounds to zero
        steps is raised to one step (a delay line is never faster than one
        step); :meth:`check` rejects settings whose typical delay rounds to zero.
        """
        self.check(step)
        tau = self.C * np.exp(self._log_median_R() + self.sigma_ln * rng.standard_normal(shape))
        cap = math.floor(self.max / step + 1e-9)
        return np.clip(np.rint(tau / step), 1, cap).astype(np.int64)

    def check(self, step: float) -> None:
        """Raise ParameterError if the delays cannot be simulated with steps of ``step`` ms:
        the cap or the median delay rounds below one step."""
        if math.floor(self.max / step + 1e-9) < 1:
            raise ParameterError(f"delays.max ({self.max:g} ms) rounds below the resolution "
                                 f"({step:g} ms)")
        if round(self.median_ms() / step) < 1:
            raise ParameterError(
                f"the median delay C * R_HRS ({self.median_ms():.3g} ms) rounds below the "
                f"resolution ({step:g} ms): raise delays.C or delays.R_mean")


class RramWeightParams(ParameterSet):
    """Signed weights stored as a differential pair of RRAM conductances.

    A weight w is written as G+ - G-: the cell of w's sign is set to
    G_off + q(|w|), the other one to G_off, where q rounds to ``levels`` equal
    steps on [0, max|w|] and G_off = max|w| / (on_off_ratio - 1) (so that
    G_on - G_off spans the weights). Device-to-device spread multiplies each
    cell by exp(sigma_d2d * xi); with a finite on/off ratio the two G_off no
    longer cancel, so even zero weights conduct a little. Read noise
    (``sigma``): every trial reads w + N(0, 1) * sigma * max|w| on non-zero
    weights, as in the paper's simulations.
    """

    NAME = "rram"
    SPECS = {
        "sigma": Param(0.0, "1", "read noise per trial, relative to max|w| (paper: 0-0.2)",
                       DENRAM, low=0.0, high=10.0),
        "levels": Param(math.inf, "1", "conductance levels of |w| on [0, max|w|] "
                        "(inf: continuous)", "this package, after the ReRAM layer "
                        "(Bouhadjar et al. 2023)", low=2, integer=True, allow_inf=True),
        "on_off_ratio": Param(math.inf, "1", "G_on / G_off of one cell (inf: the off state "
                              "does not conduct)", "Bouhadjar et al. 2023 (ReRAM layer)",
                              low=1.0, low_open=True, allow_inf=True),
        "sigma_d2d": Param(0.0, "1", "device-to-device spread: log-normal s.d. of each "
                           "cell's conductance", "MemTorch-style lognormal spread", low=0.0),
    }

    @property
    def ideal(self) -> bool:
        """Whether programming leaves the weights unchanged."""
        return (math.isinf(self.levels) and math.isinf(self.on_off_ratio)
                and self.sigma_d2d == 0.0)

    def quantise(self, w: np.ndarray, scale: float | None = None) -> np.ndarray:
        """``w`` with |w| rounded to the level grid on [0, scale] (scale: max|w|)."""
        w = np.asarray(w, dtype=float)
        if math.isinf(self.levels):
            return w
        scale = float(np.max(np.abs(w))) if scale is None else scale
        if scale == 0.0:
            return w.copy()
        step = scale / (self.levels - 1)
        return np.sign(w) * np.minimum(np.rint(np.abs(w) / step), self.levels - 1) * step

    def program(self, w: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The weights the devices hold after writing ``w`` (drawn once)."""
        w = np.asarray(w, dtype=float)
        if self.ideal:
            return w.copy()
        scale = float(np.max(np.abs(w))) if w.size else 0.0
        q = self.quantise(w, scale)
        g_off = 0.0 if math.isinf(self.on_off_ratio) else scale / (self.on_off_ratio - 1.0)
        written = (g_off + np.abs(q)) * np.exp(self.sigma_d2d * rng.standard_normal(w.shape))
        partner = g_off * np.exp(self.sigma_d2d * rng.standard_normal(w.shape))
        sign = np.where(q < 0, -1.0, 1.0)
        return sign * (written - partner)

    def noise_sd(self, w: np.ndarray) -> float:
        """Absolute s.d. of the read noise, sigma * max|w|."""
        w = np.asarray(w)
        return float(self.sigma * np.max(np.abs(w))) if w.size else 0.0

    def read(self, w: np.ndarray, rng: np.random.Generator,
             sigma: float | None = None) -> np.ndarray:
        """One trial's read of the programmed weights ``w`` (non-zero ones get noise)."""
        w = np.asarray(w, dtype=float)
        sigma = self.sigma if sigma is None else sigma
        if sigma == 0.0 or not w.size:
            return w.copy()
        sd = sigma * float(np.max(np.abs(w)))
        return np.where(w != 0.0, w + sd * rng.standard_normal(w.shape), 0.0)
