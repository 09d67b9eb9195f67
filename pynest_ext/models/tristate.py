# SPDX-License-Identifier: GPL-2.0-or-later
"""Parameters of the tristate synapses: the on-chip learning circuit (Brader, Senn &
Fusi 2007; Rubino et al. 2023), its two-level variant, and the circuit under the sTM
rule; their levels drift between updates. No NEST import here."""
from __future__ import annotations

import math

import numpy as np

from seqnest.params import Param, ParameterError, positive
from seqnest.pynest_ext.models.names import BSF2007, PAPER, PAPER_SET1, RUBINO2023, SYNAPSE_MODELS
from seqnest.pynest_ext.models.synapses import EESynapseParams


class _DriftingLevels(EESynapseParams):
    """Shared by the synapses whose state X in [0, 1] drifts at constant speed
    (``alpha`` up, ``beta`` down, 1/s) to the nearest stable level (the basin
    boundaries are the mid-points between levels) and transmit
    w_min + (w_max - w_min) times X or its level (``discrete_readout``)."""

    @property
    def on_weight(self) -> float:
        return self.w_max

    @property
    def state_bits(self) -> float:
        return math.log2(len(self.levels()))

    def nest_defaults(self) -> dict[str, float]:
        status = super().nest_defaults()
        status["alpha"] = self.alpha * 1e-3   # the models take 1/ms
        status["beta"] = self.beta * 1e-3
        return {k: float(v) for k, v in status.items()}

    def _require_drift_reaches_levels(self) -> None:
        """A drift in one direction only leaves X short of the levels on the other side
        (both at 0 is a frozen or analog synapse, which is allowed)."""
        for one, other in (("alpha", "beta"), ("beta", "alpha")):
            if self[one] == 0 and self[other] > 0:
                raise ParameterError(
                    f"{self.NAME}.{one}: 0 while {other} is {self[other]:g} /s: X could never "
                    f"drift {'up' if one == 'alpha' else 'down'} to a level (set both to 0 "
                    "for a synapse without drift)")

    def levels(self) -> np.ndarray:
        """The stable levels of X (``n_states`` equally spaced in [0, 1])."""
        return np.linspace(0.0, 1.0, int(self.n_states))

    def nearest_level(self, X: np.ndarray) -> np.ndarray:
        """The stable level whose basin holds X (a mid-point belongs to the upper
        level, as in the models)."""
        levels = self.levels()
        bounds = 0.5 * (levels[1:] + levels[:-1])
        return levels[np.searchsorted(bounds, np.asarray(X, dtype=float), side="right")]

    def settle(self, X: np.ndarray, elapsed: float | np.ndarray) -> np.ndarray:
        """X after ``elapsed`` ms of drift without events.

        The models apply the drift at events only, so a value read from NEST
        is X at the synapse's last event.
        """
        X = np.asarray(X, dtype=float)
        level = self.nearest_level(X)
        up = np.minimum(X + self.alpha * 1e-3 * np.asarray(elapsed), level)
        down = np.maximum(X - self.beta * 1e-3 * np.asarray(elapsed), level)
        return np.where(X < level, up, np.where(X > level, down, X))

    def mature(self, state: np.ndarray, weight: np.ndarray) -> np.ndarray:
        """In the basin of the highest level."""
        levels = self.levels()
        return np.asarray(state) >= 0.5 * (levels[-1] + levels[-2])

    def weight_of(self, state: np.ndarray) -> np.ndarray:
        X = np.asarray(state, dtype=float)
        if self.discrete_readout:
            X = self.nearest_level(X)
        return self.w_min + (self.w_max - self.w_min) * X


class TristateSynapseParams(_DriftingLevels):
    """Brader-Senn-Fusi-type synapse with three stable levels (``stm_tristate_synapse``).

    Jumps of the internal variable X at presynaptic spikes gated by the
    postsynaptic membrane potential and calcium (Brader et al. 2007), drift to
    the nearest stable level, and the hysteretic stop-learning gate of Rubino
    et al. (2023). The postsynaptic calcium and gate parameters belong to the
    neuron (``StmNeuronParams``: tau_Ca, J_Ca, Ca_stop_high, Ca_stop_low).
    """

    NAME = "tristate_synapse"
    KIND = "tristate"
    MODEL = SYNAPSE_MODELS["tristate"]
    STATE_KEY = "X"
    READ_VARIABLES = ("X", "w")
    SPECS = {
        "jump_up": Param(0.1, "1", "jump a of X at a potentiating presynaptic spike", BSF2007,
                         low=0.0, high=1.0),
        "jump_down": Param(0.1, "1", "jump b of X at a depressing presynaptic spike", BSF2007,
                           low=0.0, high=1.0),
        "alpha": Param(3.5, "1/s", "upward drift rate of X towards a higher level", BSF2007,
                       low=0.0),
        "beta": Param(3.5, "1/s", "downward drift rate of X towards a lower level", BSF2007,
                      low=0.0),
        "n_states": Param(3, "1", "number of stable levels of X, equally spaced in [0, 1]",
                          RUBINO2023, low=2, high=16, integer=True),
        "theta_V": Param(16.0, "mV", "postsynaptic voltage threshold: LTP above, LTD below "
                         "(0.8 * V_th)", BSF2007),
        "theta_up_low": Param(3.0, "1", "lower calcium bound of the LTP window", BSF2007),
        "theta_up_high": Param(13.0, "1", "upper calcium bound of the LTP window", BSF2007),
        "theta_down_low": Param(3.0, "1", "lower calcium bound of the LTD window", BSF2007),
        "theta_down_high": Param(4.0, "1", "upper calcium bound of the LTD window", BSF2007),
        "w_max": Param(12.98, "pA", "weight at X = 1 (the sTM mature weight)", PAPER, low=0.0),
        "w_min": Param(0.0, "pA", "weight at X = 0", BSF2007, low=0.0),
        "stop_learning": Param(1, "1", "1: the postsynaptic stop-learning gate blocks jumps; "
                               "0: no gate", RUBINO2023, low=0, high=1, integer=True),
        "discrete_readout": Param(0, "1", "1: transmit the weight of the nearest stable level; "
                                  "0: the analog X", RUBINO2023, low=0, high=1, integer=True),
        "X_init_high": Param(0.0, "1", "initial X ~ U(0, X_init_high), settled to the "
                             "nearest level", "this package", low=0.0, high=1.0),
        "delay": Param(2.0, "ms", "E->E (dendritic) transmission delay", PAPER, low=0.1),
    }
    PYTHON_ONLY = ("delay", "X_init_high")

    def _check_relations(self) -> None:
        for lo, hi in (("theta_up_low", "theta_up_high"), ("theta_down_low", "theta_down_high")):
            self._require(self[lo] < self[hi],
                          f"{lo} ({self[lo]:g}) must be below {hi} ({self[hi]:g})")
        self._require_weight_bounds()
        self._require_drift_reaches_levels()

    def connection_arrays(self, shape: tuple[int, int], init_low: float, init_high: float,
                          rng: np.random.Generator) -> dict[str, np.ndarray]:
        X = self.nearest_level(rng.uniform(0.0, self.X_init_high, size=shape))
        return {"X": X, "w": self.weight_of(X)}


class BistableSynapseParams(TristateSynapseParams):
    """The bistable synapse of Brader, Senn & Fusi (2007): two levels, binary
    efficacy, no stop-learning gate (``stm_tristate_synapse`` with n_states = 2)."""

    NAME = "bistable_synapse"
    KIND = "bistable"
    SPECS = {
        **TristateSynapseParams.SPECS,
        "n_states": Param(2, "1", "number of stable levels of X (BSF 2007: two, around "
                          "theta_X = 0.5)", BSF2007, low=2, high=16, integer=True),
        "stop_learning": Param(0, "1", "1: the postsynaptic stop-learning gate blocks jumps; "
                               "0: no gate (BSF 2007)", BSF2007, low=0, high=1, integer=True),
        "discrete_readout": Param(1, "1", "1: binary efficacy J_-/J_+ of the nearest stable "
                                  "level (BSF 2007); 0: the analog X", BSF2007, low=0, high=1,
                                  integer=True),
    }


class TristateStmSynapseParams(_DriftingLevels):
    """Tristate learning circuit with the sTM timing rule (``stm_tristate_stm_synapse``).

    An analog short-term state X in [0, 1] that drifts at constant speed to
    the nearest of ``n_states`` stable levels (Rubino et al. 2023), updated
    like the sTM permanence (Bouhadjar et al. 2022, rates in units of the
    range of X = P / P_max): potentiation at *postsynaptic* spikes by
    ``lambda_plus`` times a presynaptic trace plus dAP-trace homeostasis,
    inside the lag window; depression by ``lambda_minus`` at presynaptic
    spikes; both gated by the postsynaptic stop-learning gate, whose calcium
    counts the neuron's dAPs (``NEURON_DEFAULTS``).
    """

    NAME = "tristate_stm_synapse"
    KIND = "tristate_stm"
    MODEL = SYNAPSE_MODELS["tristate_stm"]
    STATE_KEY = "X"
    READ_VARIABLES = ("X", "w")
    SPECS = {
        "lambda_plus": Param(0.08, "1", "potentiation of X per unit presynaptic trace at a "
                             "post spike in the lag window", PAPER_SET1 + " (lambda_+, X = P/P_max)",
                             low=0.0),
        "lambda_minus": Param(0.0015, "1", "depression of X per presynaptic spike",
                              PAPER_SET1 + " (lambda_-, X = P/P_max)", low=0.0),
        "lambda_h": Param(0.014, "1", "homeostasis rate: X += lambda_h (z_star - z) at a post "
                          "spike in the lag window", PAPER_SET1 + " (X = P/P_max)", low=0.0),
        "z_star": Param(1.0, "1", "target dAP trace of the homeostatic term", PAPER, low=0.0),
        "tau_plus": positive(40.0, "ms", "time constant of the presynaptic trace read at post "
                             "spikes: Delta_T, so the trace still holds exp(-42/40) = 0.35 "
                             "at the 40 ms lag plus the 2 ms delay",
                             "this package (the sTM's 20 ms leaves 0.12; docs/hardware_synapses.md)"),
        "dt_min": Param(4.0, "ms", "lower bound of the pre->post lag window", PAPER, low=0.0),
        "dt_max": positive(80.0, "ms", "upper bound of the lag window, 2*Delta_T", PAPER),
        "alpha": Param(0.02, "1/s", "upward drift speed of X towards a higher level; "
                       "derived from the task: DRIFT_PER_PASS per pass over the set",
                       "this package: X drifts 0.0088 per 440-ms pass over set I (0.02 /s), "
                       "less than a pairing adds (about 0.04), so that pairings accumulate",
                       low=0.0),
        "beta": Param(0.02, "1/s", "downward drift speed of X towards a lower level; derived "
                      "as alpha", "this package (as alpha)", low=0.0),
        "level_low": Param(0.0, "1", "lowest stable level of X", RUBINO2023, low=0.0, high=1.0),
        "level_mid": Param(0.5, "1", "middle stable level of X (read out as its fraction of "
                           "W: 0.5 gives W/2)", RUBINO2023, low=0.0, high=1.0),
        "level_high": Param(1.0, "1", "highest stable level of X", RUBINO2023, low=0.0,
                            high=1.0),
        "w_max": Param(12.98, "pA", "weight at X = 1 (the sTM mature weight)", PAPER, low=0.0),
        "w_min": Param(0.0, "pA", "weight at X = 0", PAPER, low=0.0),
        "stop_learning": Param(1, "1", "1: the postsynaptic stop-learning gate blocks updates; "
                               "0: no gate", RUBINO2023, low=0, high=1, integer=True),
        "discrete_readout": Param(1, "1", "1: transmit the weight of the nearest stable level "
                                  "(0, W/2, W with the default levels); 0: the analog X",
                                  RUBINO2023,
                                  low=0, high=1, integer=True),
        "X_init_high": Param(0.2, "1", "initial X ~ U(0, X_init_high), analog (the drift "
                             "settles it); below the first basin boundary every synapse "
                             "starts at the lowest level", "this package, after the U(0, 8) "
                             "initial permanences of " + PAPER, low=0.0, high=1.0),
        "delay": Param(2.0, "ms", "E->E (dendritic) transmission delay", PAPER, low=0.1),
    }
    PYTHON_ONLY = ("delay", "X_init_high")
    #: the gate's calcium counts dAPs (a neuron reliably predicted stops learning)
    NEURON_DEFAULTS = {"J_Ca": 0.0, "J_Ca_dAP": 1.0, "tau_Ca": 4000.0,
                       "Ca_stop_high": 6.0, "Ca_stop_low": 2.0}
    #: sets II and III: their own lambda_plus (0.28 and 0.39, for the 20-ms trace of
    #: the sTM) would potentiate about 3x as much through the 40-ms trace; 0.1 gives
    #: the sTM's step per pairing on set II (measured, docs/hardware_synapses.md), and
    #: set III takes the same ratio (0.39 x 0.1 / 0.28 = 0.14)
    TASK_OVERRIDES = {"set2": {"lambda_plus": 0.1}, "set3": {"lambda_plus": 0.14}}
    #: drift of X per pass over the sequence set: set I's 0.02 /s over its 440-ms
    #: pass, the anchor measured on set I (docs/hardware_synapses.md). A pair of
    #: successive elements is visited once per pass, so the same drift per pass keeps
    #: the balance between what a visit adds and what the drift takes back.
    DRIFT_PER_PASS = 0.02 * 0.440

    @classmethod
    def task_derived(cls, pass_ms: float) -> dict[str, float]:
        rate = cls.DRIFT_PER_PASS / (pass_ms * 1e-3)          # 1/s
        return {"alpha": rate, "beta": rate}

    def _check_relations(self) -> None:
        self._require_lag_window()
        self._require_weight_bounds()
        self._require_drift_reaches_levels()
        self._require(self.level_low < self.level_mid < self.level_high,
                      f"levels out of order: level_low ({self.level_low:g}) < level_mid "
                      f"({self.level_mid:g}) < level_high ({self.level_high:g}) is required")

    def levels(self) -> np.ndarray:
        return np.array([self.level_low, self.level_mid, self.level_high], dtype=float)

    def connection_arrays(self, shape: tuple[int, int], init_low: float, init_high: float,
                          rng: np.random.Generator) -> dict[str, np.ndarray]:
        X = rng.uniform(0.0, self.X_init_high, size=shape)
        return {"X": X, "w": self.weight_of(X)}
