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

from dataclasses import dataclass
from typing import ClassVar

from .params import Param, ParameterSet, positive

__all__ = [
    "MODULE_NAME", "CODEGEN_OPTIONS", "ModelNames", "MODEL_NAMES",
    "StmNeuronParams", "InhNeuronParams", "StdspSynapseParams",
    "RECEPTOR_EXT", "RECEPTOR_DEND", "RECEPTOR_INH",
]

PAPER = "Bouhadjar et al. 2022, PLoS Comput Biol 18:e1010233"
PAPER_SET1 = PAPER + ", set I"

#: Name of the NEST extension module (NEST requires the suffix "module").
MODULE_NAME = "seqnestmodule"

#: NEST receptor types of the ports of ``stm_neuron`` (order of its input block).
RECEPTOR_EXT = 1
RECEPTOR_DEND = 2
RECEPTOR_INH = 3

NEURON = "stm_neuron"
SYNAPSE = "stm_stdsp_synapse"

#: NESTML code-generator options: neuron/synapse pairs to co-generate.
#: ``post_spike_based`` buffering samples the postsynaptic dAP trace only at
#: postsynaptic spikes, which is exactly when the homeostatic term reads it.
CODEGEN_OPTIONS: dict = {
    "neuron_synapse_pairs": [
        {"neuron": NEURON,
         "synapses": {SYNAPSE: {"post_ports": ["post_spikes", ["z_post", "z"]]}}},
    ],
    "weight_variable": {SYNAPSE: "w"},
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

    @classmethod
    def paired(cls, neuron: str = NEURON, synapse: str = SYNAPSE) -> "ModelNames":
        return cls(stm_neuron=f"{neuron}__with_{synapse}",
                   stdsp_synapse=f"{synapse}__with_{neuron}",
                   stm_neuron_standalone=neuron)

    def custom(self) -> tuple[str, ...]:
        """Names the module must register (checked after installation)."""
        return (self.stm_neuron, self.stdsp_synapse, self.stm_neuron_standalone)


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
    }

    def nest_status(self) -> dict[str, float]:
        """Parameters as ``nest.SetStatus`` expects them."""
        return self.to_dict()


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


class StdspSynapseParams(ParameterSet):
    """E->E structural-plasticity synapse (``stm_stdsp_synapse``), shared parameters."""

    NAME = "stdsp_synapse"
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
        self._require(self.dt_min < self.dt_max,
                      f"dt_min ({self.dt_min:g} ms) must be below dt_max ({self.dt_max:g} ms)")
        self._require(self.theta_P <= self.permanence_max,
                      f"theta_P ({self.theta_P:g}) above permanence_max ({self.permanence_max:g}): "
                      "no synapse could ever mature")

    def nest_defaults(self) -> dict[str, float]:
        """Shared (homogeneous) synapse-model parameters for ``nest.CopyModel``."""
        status = self.to_dict()
        del status["delay"]  # a connection property, not a model parameter
        return status
