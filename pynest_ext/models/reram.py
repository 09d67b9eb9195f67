# SPDX-License-Identifier: GPL-2.0-or-later
"""Parameters of the ReRAM synapse (Bouhadjar et al. 2023): quantised devices,
stuck cells and their fault map, write noise, the mixed-precision accumulator.
No NEST import here."""
from __future__ import annotations

import math

import numpy as np

from seqnest.params import Choice, Param, ParameterError
from seqnest.pynest_ext.models.names import NANDAKUMAR2020, RERAM2023, SYNAPSE_MODELS, XIA2018
from seqnest.pynest_ext.models.synapses import StdspSynapseParams


class ReramSynapseParams(StdspSynapseParams):
    """sTM synapse on a ReRAM device (``stm_reram_synapse``).

    The defaults describe an ideal device (continuous, infinite on/off ratio,
    no noise, no failures), with which it learns exactly like
    :class:`StdspSynapseParams`. Device parameters, after Bouhadjar et al.
    (2023): ``levels``, ``on_off_ratio``, ``sigma_d2d``, ``sigma_write``,
    ``sigma_read``, ``stuck_high_fraction``, ``stuck_low_fraction``.
    """

    NAME = "reram_synapse"
    KIND = "reram"
    MODEL = SYNAPSE_MODELS["reram"]
    SPECS = {
        **StdspSynapseParams.SPECS,
        "levels": Param(math.inf, "1", "conductance levels between the device's low and high "
                        "state, P = 0 and P_high (inf: continuous)", RERAM2023, low=2,
                        integer=True, allow_inf=True),
        "on_off_ratio": Param(math.inf, "1", "r = G_max / G_min: an off synapse transmits "
                              "w_mature / r (inf: zero)", RERAM2023, low=1.0, allow_inf=True),
        "sigma_d2d": Param(0.0, "1", "device-to-device variability: log-normal s.d. of each "
                           "device's high state and level step (median = nominal)",
                           RERAM2023 + "; lognormal spread as in MemTorch", low=0.0),
        "sigma_write": Param(0.0, "1", "cycle-to-cycle write noise: relative s.d. of every "
                             "update (Gaussian)", RERAM2023, low=0.0),
        "sigma_read": Param(0.0, "1", "read noise: relative s.d. of the weight of every "
                            "transmitted spike (Gaussian, clipped at 0)", "this package", low=0.0),
        "stuck_high_fraction": Param(0.0, "1", "fraction of devices stuck at their high "
                                     "(on) state", RERAM2023 + "; MemTorch stuck-at-LRS",
                                     low=0.0, high=1.0),
        "stuck_low_fraction": Param(0.0, "1", "fraction of devices stuck at their low (off) "
                                    "state", RERAM2023 + "; MemTorch stuck-at-HRS",
                                    low=0.0, high=1.0),
        "fault_map": Choice("auto", ("auto", "exclude", "none"),
                            "exclude: a post-forming test maps the stuck devices and keeps "
                            "stuck-on cells out of the read path (never read, never "
                            "programmed); none: every device is read; auto: exclude when "
                            "devices can be stuck", XIA2018),
        "update": Choice("auto", ("auto", "accumulate", "stochastic"),
                         "how a quantised device takes an update: accumulate (mixed "
                         "precision: a per-synapse accumulator, whole steps programmed when "
                         "it reaches one) or stochastic (rounding to whole steps at random); "
                         "auto: accumulate when levels is finite", NANDAKUMAR2020),
    }
    PYTHON_ONLY = ("delay", "w_mature", "levels", "on_off_ratio", "sigma_d2d",
                   "stuck_high_fraction", "stuck_low_fraction", "fault_map", "update")
    RESUME_KEYS = ("permanence_min", "permanence_high", "level_step", "read_enabled",
                   "accumulator")
    #: values of per-synapse keys that connectivity saved before they existed
    RESUME_DEFAULTS = {"read_enabled": 1.0, "accumulator": 0.0}
    READ_VARIABLES = ("permanence", "w", "permanence_min", "permanence_high", "level_step",
                      "read_enabled", "accumulator")

    def _check_relations(self) -> None:
        super()._check_relations()
        total = self.stuck_high_fraction + self.stuck_low_fraction
        self._require(total <= 1.0, f"stuck_high_fraction + stuck_low_fraction ({total:g}) "
                      "exceeds 1")
        if self.fault_map == "exclude" and total == 0:
            raise ParameterError(f"{self.NAME}.fault_map: exclude needs stuck devices "
                                 "(stuck_high_fraction + stuck_low_fraction is 0)")
        if self.update == "accumulate" and math.isinf(self.levels):
            raise ParameterError(f"{self.NAME}.update: accumulate needs a quantised device "
                                 "(levels is inf: a continuous device takes every update "
                                 "as it is)")

    @property
    def excludes_faults(self) -> bool:
        """Whether stuck-on devices are kept out of the read path (the fault map)."""
        if self.fault_map == "auto":
            return self.stuck_high_fraction + self.stuck_low_fraction > 0
        return self.fault_map == "exclude"

    @property
    def accumulates(self) -> bool:
        """Whether updates go through the mixed-precision accumulator."""
        if self.update == "auto":
            return not math.isinf(self.levels)
        return self.update == "accumulate"

    @property
    def accumulator_bits(self) -> float:
        """Bits of the accumulator (0 without one): enough to count, below one level
        step (the accumulator holds 0 <= chi < step), the smallest constant update
        of the rule (the per-spike depression lambda_minus * P_max, or the
        smallest nonzero rate times P_max); at least 1."""
        if not self.accumulates:
            return 0.0
        rates = [r for r in (self.lambda_minus, self.lambda_h, self.lambda_plus) if r > 0]
        if not rates:
            return 1.0
        quantum = min(rates) * self.permanence_max
        return float(max(1, math.ceil(math.log2(self.nominal_step / quantum))))

    @property
    def off_weight(self) -> float:
        """Weight (pA) of a synapse in the off (high-resistance) state."""
        return 0.0 if math.isinf(self.on_off_ratio) else self.w_mature / self.on_off_ratio

    @property
    def nominal_step(self) -> float:
        """Nominal permanence step between two levels (0: continuous).

        The levels k * step, k = 0 ... levels - 1, are placed so that theta_P is
        one of them (the device's read reference sits at a level: a device is on
        from that level up, as the ideal synapse is from theta_P up), with the
        top level as near P_max as that allows: step = theta_P / round(theta_P *
        (levels - 1) / P_max), at least one step to theta_P. With 2 levels the
        device is 0 / theta_P; with 3, 0 / theta_P / 2 theta_P."""
        if math.isinf(self.levels):
            return 0.0
        to_threshold = max(1, math.floor(self.theta_P * (self.levels - 1) / self.permanence_max
                                         + 0.5))
        return self.theta_P / to_threshold

    @property
    def nominal_high(self) -> float:
        """The device's nominal high state: its top level (P_max if continuous)."""
        step = self.nominal_step
        return self.permanence_max if step == 0 else (self.levels - 1) * step

    @property
    def state_bits(self) -> float:
        """The device's level (log2 levels) plus the accumulator's bits."""
        if math.isinf(self.levels):
            return 64.0
        return math.log2(self.levels) + self.accumulator_bits

    def nest_defaults(self) -> dict[str, float]:
        status = super().nest_defaults()
        status.update(w_on=self.w_mature, w_off=self.off_weight,
                      accumulate=1.0 if self.accumulates else 0.0)
        return status

    def mature(self, state: np.ndarray, weight: np.ndarray) -> np.ndarray:
        return np.asarray(state) >= self.theta_P

    def connection_arrays(self, shape: tuple[int, int], init_low: float, init_high: float,
                          rng: np.random.Generator) -> dict[str, np.ndarray]:
        # Drawn in this order so that an ideal device starts from exactly the
        # permanences of StdspSynapseParams for the same generator.
        perm = self._initial_permanence(shape, init_low, init_high, rng)
        spread_high = rng.standard_normal(shape)
        spread_step = rng.standard_normal(shape)
        fate = rng.random(shape)
        high = self.nominal_high * np.exp(self.sigma_d2d * spread_high)
        step = self.nominal_step * np.exp(self.sigma_d2d * spread_step)
        acc = np.zeros(shape)
        if self.nominal_step > 0:
            high = np.floor(high / step + 1e-9) * step   # highest level the device reaches
            below = np.floor(perm / step + 1e-9) * step
            if self.accumulates:
                # the initial permanence is split like every later one: whole
                # levels on the device, the remainder in the accumulator
                acc = np.where(below < high, np.clip(perm - below, 0.0, None), 0.0)
                acc = np.minimum(acc, step * (1 - 1e-12))
                perm = below
            else:
                # programmed to the nearest level, but never across theta_P: a
                # synapse drawn immature stays immature
                nearest = np.round(perm / step) * step
                perm = np.where((nearest >= self.theta_P) & (perm < self.theta_P), below,
                                nearest)
        perm = np.minimum(perm, high)
        low = perm.copy()                                # P_min: the initial permanence
        stuck_high = fate < self.stuck_high_fraction
        stuck_low = (~stuck_high) & (fate < self.stuck_high_fraction + self.stuck_low_fraction)
        perm[stuck_high] = low[stuck_high] = high[stuck_high]
        perm[stuck_low] = low[stuck_low] = high[stuck_low] = 0.0
        acc[stuck_high | stuck_low] = 0.0
        read = np.ones(shape)
        w = self.weight_of(perm)
        if self.excludes_faults:
            # the fault map: a stuck-on cell is never read; it takes no part in the
            # network (recorded with state 0 and weight 0)
            read[stuck_high] = 0.0
            perm[stuck_high] = low[stuck_high] = high[stuck_high] = 0.0
            w[stuck_high] = 0.0
        return {"permanence": perm, "permanence_min": low, "permanence_high": high,
                "level_step": step, "read_enabled": read, "accumulator": acc, "w": w}

    def weight_of(self, state: np.ndarray) -> np.ndarray:
        return np.where(np.asarray(state) >= self.theta_P, self.w_mature, self.off_weight)
