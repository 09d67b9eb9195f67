# SPDX-License-Identifier: GPL-2.0-or-later
"""Parameters of the neurons: the sTM neuron with active dendrites and the
inhibitory neuron (Bouhadjar et al. 2022; set-I defaults). No NEST import here."""
from __future__ import annotations


from typing import ClassVar

from seqnest.params import Param, ParameterSet, positive
from seqnest.pynest_ext.models.names import BSF2007, FEILER2024, PAPER, PAPER_SET1, RUBINO2023


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
        "tau_h": positive(440.0, "ms", "dAP-trace time constant; derived from the task: the mean "
                          "interval between presentations of its most repeated beginning (one "
                          "pass over the set, derived.dap_trace_tau, when no two sequences begin "
                          "alike: 440 ms for set I)", PAPER_SET1),
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
