# SPDX-License-Identifier: GPL-2.0-or-later
"""The NESTML models of this plugin: their parameters, pairing and NEST names.

This module is the single owner of

* which neuron/synapse pairs NESTML co-generates and with which options
  (:data:`CODEGEN_OPTIONS`), and
* the NEST model names the generated code registers (:class:`ModelNames`).

It also declares the parameters of each model with units, meanings and sources.
Defaults are the set-I values of Bouhadjar et al. (2022). No NEST import here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from seqnest.params import Choice, Param, ParameterError, ParameterSet, positive

__all__ = [
    "MODULE_NAME", "CODEGEN_OPTIONS", "ModelNames", "MODEL_NAMES",
    "StmNeuronParams", "InhNeuronParams", "EESynapseParams", "StdspSynapseParams",
    "ReramSynapseParams", "TristateSynapseParams", "BistableSynapseParams",
    "TristateStmSynapseParams", "SYNAPSE_KINDS",
    "WeightSynapseParams",
    "SYNAPSE_MODELS",
    "RECEPTOR_EXT", "RECEPTOR_DEND", "RECEPTOR_INH", "NEURON", "STIM_NEURON",
]

PAPER = "Bouhadjar et al. 2022, PLoS Comput Biol 18:e1010233"
PAPER_SET1 = PAPER + ", set I"
RERAM2023 = "Bouhadjar et al. 2023, Neuromorph Comput Eng 3:034014"
NANDAKUMAR2020 = "Nandakumar et al. 2020, Front Neurosci 14:406 (mixed-precision update)"
XIA2018 = "Xia et al. 2018, IEEE JETCAS 8:102 (stuck-at-fault-aware mapping)"
BSF2007 = "Brader, Senn & Fusi 2007, Neural Comput 19:2881"
RUBINO2023 = "Rubino et al. 2023, AICAS (arXiv:2307.06084)"
FEILER2024 = "Feiler, Neftci & Bouhadjar 2024, ICONS (arXiv:2410.08637)"

#: Name of the NEST extension module (NEST requires the suffix "module").
MODULE_NAME = "seqnestmodule"

#: NEST receptor types of the ports of ``stm_neuron`` (order of its input block).
RECEPTOR_EXT = 1
RECEPTOR_DEND = 2
RECEPTOR_INH = 3

NEURON = "stm_neuron"
SYNAPSE = "stm_stdsp_synapse"
#: ``stm_neuron`` with a continuous current input, derived by :mod:`seqnest.pynest_ext.codegen`.
STIM_NEURON = "stm_neuron_stim"

#: Dendritic coincidence detector (DenRAM): the soma and the RRAM dendritic synapse.
CD_SOMA = "denram_soma"
CD_SYNAPSE = "rram_dendrite_synapse"

#: E->E synapse kinds: the name users choose (``seqnest learn --synapse``) and
#: the NESTML synapse model that implements it.
SYNAPSE_MODELS: dict[str, str] = {
    "stdsp": SYNAPSE,
    "reram": "stm_reram_synapse",
    "tristate": "stm_tristate_synapse",
    "tristate_stm": "stm_tristate_stm_synapse",
    "weight": "stm_weight_synapse",
}

#: NESTML code-generator options: neuron/synapse pairs to co-generate.
#: ``post_spike_based`` buffering samples postsynaptic variables at
#: postsynaptic spikes, which is exactly when the homeostatic term reads the dAP
#: trace; variables read at presynaptic spikes (tristate synapse) are the
#: neuron's values at the time the spike is delivered.
CODEGEN_OPTIONS: dict = {
    "neuron_synapse_pairs": [
        {"neuron": NEURON,
         "synapses": {SYNAPSE: {"post_ports": ["post_spikes", ["z_post", "z"]]}}},
        {"neuron": NEURON,
         "synapses": {SYNAPSE_MODELS["reram"]: {"post_ports": ["post_spikes",
                                                                ["z_post", "z"]]}}},
        {"neuron": NEURON,
         "synapses": {SYNAPSE_MODELS["tristate"]: {"post_ports": [["V_post", "V_m"],
                                                                   ["C_post", "calcium"],
                                                                   ["L_post", "learn_on"]]}}},
        {"neuron": NEURON,
         "synapses": {SYNAPSE_MODELS["tristate_stm"]: {"post_ports": ["post_spikes",
                                                                       ["z_post", "z"],
                                                                       ["L_post", "learn_on"]]}}},
        {"neuron": NEURON,
         "synapses": {SYNAPSE_MODELS["weight"]: {"post_ports": ["post_spikes",
                                                                 ["z_post", "z"]]}}},
    ],
    "weight_variable": {model: "w" for model in (*SYNAPSE_MODELS.values(), CD_SYNAPSE)},
    "continuous_state_buffering_method": "post_spike_based",
}


@dataclass(frozen=True)
class ModelNames:
    """NEST names of the models in the compiled module.

    NESTML renames a neuron generated together with a synapse to
    ``<neuron>__with_<synapse>`` (and the synapse to ``<synapse>__with_<neuron>``);
    use the paired names together.
    """

    stm_neuron: str
    stdsp_synapse: str
    stm_neuron_standalone: str
    inh_neuron: str = "iaf_psc_exp"
    #: ``stm_neuron`` plus a current input for NEST's current generators (noise)
    stim_neuron: str = STIM_NEURON

    @classmethod
    def paired(cls, neuron: str = NEURON, synapse: str = SYNAPSE) -> "ModelNames":
        return cls(stm_neuron=f"{neuron}__with_{synapse}",
                   stdsp_synapse=f"{synapse}__with_{neuron}",
                   stm_neuron_standalone=neuron)

    def pair(self, kind: str) -> tuple[str, str]:
        """(neuron, synapse) NEST names for the E->E synapse kind ``kind``."""
        if kind in SYNAPSE_KINDS:
            model = SYNAPSE_KINDS[kind].MODEL
        elif kind in SYNAPSE_MODELS:
            model = SYNAPSE_MODELS[kind]
        else:
            raise ParameterError(f"unknown synapse kind {kind!r} (known: "
                                 f"{', '.join(SYNAPSE_KINDS)})")
        return f"{self.stm_neuron_standalone}__with_{model}", f"{model}__with_{NEURON}"

    def custom(self) -> tuple[str, ...]:
        """Names the module must register (checked after installation)."""
        paired = [name for model in SYNAPSE_MODELS.values()
                  for name in (f"{NEURON}__with_{model}", f"{model}__with_{NEURON}")]
        return (self.stm_neuron, self.stdsp_synapse, self.stm_neuron_standalone,
                self.stim_neuron, *paired, CD_SOMA, CD_SYNAPSE)


MODEL_NAMES = ModelNames.paired()


class _LifParams(ParameterSet):
    """Checks shared by the current-based LIF neurons."""

    #: Names of the synaptic time constants (exact propagators divide by
    #: tau_m - tau_syn, so each must differ from tau_m).
    SYNAPTIC_TAUS: ClassVar[tuple[str, ...]] = ()
    #: Smallest allowed relative difference between tau_m and a synaptic time constant.
    MIN_REL_TAU_DIFFERENCE = 1e-3

    def _check_relations(self) -> None:
        self._require(self.V_reset < self.V_th,
                      f"V_reset ({self.V_reset:g} mV) must be below V_th ({self.V_th:g} mV)")
        self._require(self.E_L < self.V_th,
                      f"E_L ({self.E_L:g} mV) must be below V_th ({self.V_th:g} mV): "
                      "the neuron would fire without input")
        for name in self.SYNAPTIC_TAUS:
            rel = abs(self[name] - self.tau_m) / self.tau_m
            self._require(rel >= self.MIN_REL_TAU_DIFFERENCE,
                          f"{name} ({self[name]:g} ms) must differ from tau_m ({self.tau_m:g} ms) "
                          "by at least 0.1 % (the exact propagator is singular at equality)")


class StmNeuronParams(_LifParams):
    """Excitatory sTM neuron (``stm_neuron``): LIF soma with an active dendrite."""

    NAME = "stm_neuron"
    SYNAPTIC_TAUS = ("tau_syn_ext", "tau_syn_dend", "tau_syn_inh")
    SPECS = {
        "C_m": positive(250.0, "pF", "membrane capacitance", PAPER),
        "tau_m": positive(10.0, "ms", "membrane time constant", PAPER),
        "E_L": Param(0.0, "mV", "resting potential", PAPER),
        "V_reset": Param(0.0, "mV", "reset potential after a spike", PAPER),
        "V_th": Param(20.0, "mV", "somatic spike threshold", PAPER),
        "t_ref": Param(10.0, "ms", "absolute refractory period", PAPER, low=0.0),
        "tau_syn_ext": positive(2.0, "ms", "decay time of the external (feed-forward) exp PSC", PAPER),
        "tau_syn_dend": positive(5.0, "ms", "time constant of the dendritic alpha PSC", PAPER),
        "tau_syn_inh": positive(1.0, "ms", "decay time of the inhibitory exp PSC", PAPER),
        "theta_dAP": positive(59.0, "pA", "dendritic current threshold for a dendritic action potential", PAPER),
        "I_p": positive(200.0, "pA", "dAP plateau current", PAPER),
        "tau_dAP": positive(60.0, "ms", "dAP duration", PAPER),
        "tau_h": positive(440.0, "ms", "dAP-trace time constant: duration of one pass over the set "
                          "(derived.dap_trace_tau; 440 ms for set I)", PAPER_SET1),
        "I_e": Param(0.0, "pA", "constant external current", "model default"),
        "tau_Ca": positive(60.0, "ms", "decay time of the calcium trace read by the tristate "
                           "synapse", BSF2007),
        "J_Ca": Param(1.0, "1", "calcium increment per somatic spike", BSF2007, low=0.0),
        "J_Ca_dAP": Param(0.0, "1", "calcium increment per dAP onset (dendritic calcium "
                          "spike; 0: calcium counts somatic spikes only, as in BSF 2007)",
                          "this package", low=0.0),
        "Ca_stop_high": Param(13.0, "1", "calcium level above which the stop-learning gate "
                              "closes (hysteresis upper threshold)",
                              "this package: the upper end of BSF's LTP window; " + RUBINO2023,
                              low=0.0),
        "Ca_stop_low": Param(8.0, "1", "calcium level below which a closed gate opens again "
                             "(hysteresis lower threshold)", "this package; " + RUBINO2023,
                             low=0.0),
        "I_inh_stop_dAP": positive(1e12, "pA", "an inhibitory input at least this large ends "
                                   "a running dAP (1e12: never, as in the 2022 model; the "
                                   "replay of branch sets sets it, replay.inhibition_ends_daps)",
                                   "this package, after Bouhadjar et al. 2023's winner-take-all"),
        "dAP_spike_reset": Param(1, "1", "1: a somatic spike and refractoriness end the dAP and "
                                 "reset the dendrite (2022); 0: the dAP runs its course (2024)",
                                 PAPER + "; " + FEILER2024, low=0, high=1, integer=True),
    }

    def _check_relations(self) -> None:
        super()._check_relations()
        self._require(self.Ca_stop_low <= self.Ca_stop_high,
                      f"Ca_stop_low ({self.Ca_stop_low:g}) must not exceed Ca_stop_high "
                      f"({self.Ca_stop_high:g})")

    def nest_status(self) -> dict[str, float]:
        """Parameters as ``nest.SetStatus`` expects them."""
        return {k: float(v) for k, v in self.to_dict().items()}


class InhNeuronParams(_LifParams):
    """Inhibitory neuron (NEST built-in ``iaf_psc_exp``)."""

    NAME = "inh_neuron"
    SYNAPTIC_TAUS = ("tau_syn_ex", "tau_syn_in")
    SPECS = {
        "C_m": positive(250.0, "pF", "membrane capacitance", PAPER),
        "tau_m": positive(5.0, "ms", "membrane time constant", PAPER),
        "E_L": Param(0.0, "mV", "resting potential", PAPER),
        "V_reset": Param(0.0, "mV", "reset potential", PAPER),
        "V_th": Param(15.0, "mV", "spike threshold", PAPER),
        "t_ref": Param(2.0, "ms", "absolute refractory period", PAPER, low=0.0),
        "tau_syn_ex": positive(0.5, "ms", "decay time of the excitatory exp PSC", PAPER),
        "tau_syn_in": positive(2.0, "ms", "decay time of the inhibitory exp PSC (unused: no I->I)",
                               "NEST iaf_psc_exp default"),
    }

    def nest_status(self) -> dict[str, float]:
        status = self.to_dict()
        status["V_m"] = status["E_L"]
        return status


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


class WeightSynapseParams(EESynapseParams):
    """E->E weight-based synapse of the spatio-temporal-pattern network
    (``stm_weight_synapse``, Feiler et al. 2024); defaults: spatial patterns."""

    NAME = "ee_synapse"
    KIND = "weight"
    MODEL = SYNAPSE_MODELS["weight"]
    STATE_KEY = "w"
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


#: E->E synapse kinds by the name users choose (``seqnest learn --synapse``).
SYNAPSE_KINDS: dict[str, type[EESynapseParams]] = {
    cls.KIND: cls for cls in (StdspSynapseParams, ReramSynapseParams, TristateSynapseParams,
                              BistableSynapseParams, TristateStmSynapseParams)
}
