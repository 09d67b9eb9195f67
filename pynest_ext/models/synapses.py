# SPDX-License-Identifier: GPL-2.0-or-later
"""Parameters of the E->E synapses shared by every kind (:class:`EESynapseParams`),
the structural-plasticity synapse of Bouhadjar et al. 2022 and the weight-based
rule of Feiler et al. 2024, and the table of kinds users choose. The ReRAM and
tristate kinds are in :mod:`~seqnest.pynest_ext.models.reram` and
:mod:`~seqnest.pynest_ext.models.tristate`. No NEST import here."""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from seqnest.params import Param, ParameterError, ParameterSet, positive
from seqnest.pynest_ext.models.names import FEILER2024, PAPER, PAPER_SET1, SYNAPSE, SYNAPSE_MODELS


class EESynapseParams(ParameterSet):
    """Common interface of the E->E synapse kinds.

    A subclass names its NESTML model (``MODEL``), the state variable that
    holds its plastic state (``STATE_KEY``), and draws the per-synapse values
    passed to ``nest.Connect`` (:meth:`connection_arrays`).
    """

    KIND: ClassVar[str] = ""
    MODEL: ClassVar[str] = ""
    STATE_KEY: ClassVar[str] = "permanence"
    #: Per-synapse parameter that keeps the initial plastic state unchanged
    #: during learning (None: no such parameter). With it, one read of the
    #: connections after learning gives their initial state too (reading a
    #: synapse's status from NEST costs about 20 us per synapse).
    INITIAL_STATE_KEY: ClassVar[str | None] = None
    #: Per-synapse parameters (besides the state and w) that continued training
    #: must restore: drawn at connection time, read after learning.
    RESUME_KEYS: ClassVar[tuple[str, ...]] = ()
    #: Values of resume keys that connectivity saved before the keys existed.
    RESUME_DEFAULTS: ClassVar[dict[str, float]] = {}
    #: Variables the final read takes from the model's ``readout`` mode (variable
    #: k of this tuple is transmitted with ``readout`` = k + 1; the numbering is the
    #: model's, in its ``onReceive(pre_spikes)``): the state, ``w``, the initial-state
    #: and resume keys.
    READ_VARIABLES: ClassVar[tuple[str, ...]] = ()
    #: Parameters used in Python only (not NESTML model parameters).
    PYTHON_ONLY: ClassVar[tuple[str, ...]] = ("delay",)
    #: Neuron values this kind needs (e.g. what its gate's calcium counts),
    #: applied as derived defaults below configuration files and --set.
    NEURON_DEFAULTS: ClassVar[dict[str, float]] = {}
    #: This kind's own values for a named task (over the task's learning rates),
    #: applied as derived defaults like them.
    TASK_OVERRIDES: ClassVar[dict[str, dict[str, float]]] = {}

    @classmethod
    def task_derived(cls, pass_ms: float) -> dict[str, float]:
        """Values this kind derives from the task: ``pass_ms`` is the duration (ms)
        of one pass over the sequence set (applied as derived defaults)."""
        return {}

    def with_resume_defaults(self, parameters: dict, size: int) -> dict:
        """``parameters`` (per-synapse arrays) with the :attr:`RESUME_DEFAULTS` of the
        keys they lack, as arrays of ``size``."""
        missing = {k: np.full(size, v) for k, v in self.RESUME_DEFAULTS.items()
                   if k not in parameters}
        return {**parameters, **missing}

    def _require_lag_window(self) -> None:
        self._require(self.dt_min < self.dt_max,
                      f"dt_min ({self.dt_min:g} ms) must be below dt_max ({self.dt_max:g} ms)")

    def _require_weight_bounds(self) -> None:
        self._require(self.w_min <= self.w_max,
                      f"w_min ({self.w_min:g} pA) must not exceed w_max ({self.w_max:g} pA)")

    def nest_defaults(self) -> dict[str, float]:
        """Shared synapse-model parameters for ``nest.CopyModel``."""
        return {k: v for k, v in self.to_dict().items() if k not in self.PYTHON_ONLY}

    @property
    def on_weight(self) -> float:
        """Weight (pA) of a fully potentiated ("mature") synapse."""
        raise NotImplementedError

    def connection_arrays(self, shape: tuple[int, int], init_low: float, init_high: float,
                          rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Per-synapse initial states and parameters, arrays of ``shape``."""
        raise NotImplementedError

    def mature(self, state: np.ndarray, weight: np.ndarray) -> np.ndarray:
        """Which synapses are in their potentiated state."""
        return np.asarray(weight) >= 0.5 * self.on_weight

    def weight_of(self, state: np.ndarray) -> np.ndarray:
        """Transmitted weight (pA) of synapses in plastic state ``state``."""
        raise NotImplementedError

    @property
    def state_bits(self) -> float:
        """Bits of long-term plastic state per synapse (64: a double)."""
        return 64.0


class StdspSynapseParams(EESynapseParams):
    """E->E structural-plasticity synapse (``stm_stdsp_synapse``), shared parameters."""

    NAME = "stdsp_synapse"
    KIND = "stdsp"
    MODEL = SYNAPSE
    INITIAL_STATE_KEY = "permanence_min"     # each synapse's P_min is its initial permanence
    RESUME_KEYS = ("permanence_min",)
    READ_VARIABLES = ("permanence", "w", "permanence_min")
    SPECS = {
        "w_mature": positive(12.98, "pA", "weight of a mature synapse, 1.1*theta_dAP/5 "
                             "(derived.mature_weight)", PAPER),
        "lambda_plus": Param(0.08, "1", "potentiation rate per post spike (fraction of P_max)",
                             PAPER_SET1, low=0.0),
        "lambda_minus": Param(0.0015, "1", "depression per presynaptic spike (fraction of P_max)",
                              PAPER_SET1, low=0.0),
        "lambda_h": Param(0.014, "1", "homeostasis rate (fraction of P_max)", PAPER_SET1, low=0.0),
        "z_star": Param(1.0, "1", "target dAP trace of the homeostatic term", PAPER, low=0.0),
        "permanence_max": positive(20.0, "1", "upper bound P_max of the permanence", PAPER),
        "theta_P": positive(10.0, "1", "permanence threshold above which a synapse is mature", PAPER),
        "tau_plus": positive(20.0, "ms", "time constant of the presynaptic trace", PAPER),
        "dt_min": Param(4.0, "ms", "lower bound of the pre->post lag window for potentiation",
                        PAPER, low=0.0),
        "dt_max": positive(80.0, "ms", "upper bound of the lag window, 2*Delta_T", PAPER),
        "delay": Param(2.0, "ms", "E->E (dendritic) transmission delay", PAPER, low=0.1),
    }

    def _check_relations(self) -> None:
        self._require_lag_window()
        self._require(self.theta_P <= self.permanence_max,
                      f"theta_P ({self.theta_P:g}) above permanence_max ({self.permanence_max:g}): "
                      "no synapse could ever mature")

    @property
    def on_weight(self) -> float:
        return self.w_mature

    def _initial_permanence(self, shape: tuple[int, int], init_low: float, init_high: float,
                            rng: np.random.Generator) -> np.ndarray:
        if init_high > self.permanence_max:
            raise ParameterError("network.permanence_init_high exceeds synapse.permanence_max")
        return rng.uniform(init_low, init_high, size=shape)

    def connection_arrays(self, shape: tuple[int, int], init_low: float, init_high: float,
                          rng: np.random.Generator) -> dict[str, np.ndarray]:
        # Bouhadjar et al. (2022): initial permanences U(low, high), and each
        # synapse's lower bound is its initial permanence.
        perm = self._initial_permanence(shape, init_low, init_high, rng)
        return {"permanence": perm, "permanence_min": perm, "w": self.weight_of(perm)}

    def weight_of(self, state: np.ndarray) -> np.ndarray:
        return np.where(np.asarray(state) >= self.theta_P, self.w_mature, 0.0)


class WeightSynapseParams(EESynapseParams):
    """E->E weight-based synapse of the spatio-temporal-pattern network
    (``stm_weight_synapse``, Feiler et al. 2024); defaults: spatial patterns."""

    NAME = "ee_synapse"
    KIND = "weight"
    MODEL = SYNAPSE_MODELS["weight"]
    STATE_KEY = "w"
    READ_VARIABLES = ("w",)
    SPECS = {
        "lambda_plus": Param(25.0, "1", "potentiation rate per unit presynaptic trace, scaled "
                             "by (z_star - z) and w", FEILER2024, low=0.0),
        "lambda_minus": Param(0.0045, "pA", "depression per presynaptic spike", FEILER2024,
                              low=0.0),
        "w_max": positive(10.0, "pA", "upper bound of the weight", FEILER2024),
        "w_min": Param(0.1, "pA", "lower bound of the weight and target of the leak",
                       FEILER2024, low=0.0),
        "z_star": Param(1.0, "1", "target dAP trace", FEILER2024, low=0.0),
        "tau_plus": positive(20.0, "ms", "time constant of the presynaptic trace", FEILER2024),
        "tau_leak": positive(18500.0, "ms", "time constant of the leak towards w_min",
                             FEILER2024),
        "dt_min": Param(50.0, "ms", "lower bound of the pre->post lag window for potentiation",
                        "estimate (ours; paper u: 50-150 ms): keeps most pairs within one "
                        "element's assembly out", low=0.0),
        "dt_max": positive(150.0, "ms", "upper bound of the lag window: reaches the previous "
                           "element", "estimate (ours); " + FEILER2024 + " (u: 50-150 ms)"),
        "delay": Param(1.5, "ms", "E->E (dendritic) transmission delay", FEILER2024, low=0.1),
        "w_init_mean": Param(1.5, "pA", "mean of the initial weights N(mean, sd), clipped to "
                             "[w_min, w_max]", FEILER2024, low=0.0),
        "w_init_sd": Param(1.5, "pA", "s.d. of the initial weights", FEILER2024, low=0.0),
    }
    PYTHON_ONLY = ("delay", "w_init_mean", "w_init_sd")

    def _check_relations(self) -> None:
        self._require_lag_window()
        self._require_weight_bounds()

    @property
    def on_weight(self) -> float:
        return self.w_max

    def nest_defaults(self) -> dict[str, float]:
        return {k: float(v) for k, v in super().nest_defaults().items()}

    def initial_weights(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """Initial weights N(w_init_mean, w_init_sd) clipped to [w_min, w_max]."""
        w = rng.normal(self.w_init_mean, self.w_init_sd, size=size)
        return np.clip(w, self.w_min, self.w_max)

    def connection_arrays(self, shape: tuple[int, int], init_low: float, init_high: float,
                          rng: np.random.Generator) -> dict[str, np.ndarray]:
        return {"w": self.initial_weights(int(np.prod(shape)), rng).reshape(shape)}

    def weight_of(self, state: np.ndarray) -> np.ndarray:
        return np.asarray(state, dtype=float)
