# SPDX-License-Identifier: GPL-2.0-or-later
"""Which models the module holds and what NEST calls them: the source references,
the module and model names, receptor ports, the neuron/synapse pairs NESTML
co-generates with their options (:data:`CODEGEN_OPTIONS`) and :class:`ModelNames`.
No NEST import here."""
from __future__ import annotations

from dataclasses import dataclass

from seqnest.params import ParameterError

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

#: The NESTML synapse model of each E->E kind users choose (``bistable`` is the
#: tristate circuit with two levels); :data:`seqnest.pynest_ext.models.SYNAPSE_KINDS`
#: holds their parameter classes (a test checks the two agree).
KIND_MODELS: dict[str, str] = {
    "stdsp": SYNAPSE, "reram": "stm_reram_synapse", "tristate": "stm_tristate_synapse",
    "bistable": "stm_tristate_synapse", "tristate_stm": "stm_tristate_stm_synapse",
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
        if kind in KIND_MODELS:
            model = KIND_MODELS[kind]
        elif kind in SYNAPSE_MODELS:
            model = SYNAPSE_MODELS[kind]
        else:
            raise ParameterError(f"unknown synapse kind {kind!r} (known: "
                                 f"{', '.join(KIND_MODELS)})")
        return f"{self.stm_neuron_standalone}__with_{model}", f"{model}__with_{NEURON}"

    def custom(self) -> tuple[str, ...]:
        """Names the module must register (checked after installation)."""
        paired = [name for model in SYNAPSE_MODELS.values()
                  for name in (f"{NEURON}__with_{model}", f"{model}__with_{NEURON}")]
        return (self.stm_neuron, self.stdsp_synapse, self.stm_neuron_standalone,
                self.stim_neuron, *paired, CD_SOMA, CD_SYNAPSE)


MODEL_NAMES = ModelNames.paired()
