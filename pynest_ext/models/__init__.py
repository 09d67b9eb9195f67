# SPDX-License-Identifier: GPL-2.0-or-later
"""The NESTML models of this plugin: their parameters, pairing and NEST names.

* :mod:`~seqnest.pynest_ext.models.names`: which neuron/synapse pairs NESTML
  co-generates and with which options (:data:`CODEGEN_OPTIONS`), and the NEST
  names the generated code registers (:class:`ModelNames`);
* :mod:`~seqnest.pynest_ext.models.neurons`: the sTM neuron and the inhibitory
  neuron;
* :mod:`~seqnest.pynest_ext.models.synapses`, :mod:`~seqnest.pynest_ext.models.reram`,
  :mod:`~seqnest.pynest_ext.models.tristate`: the E->E synapse kinds.

Every parameter is declared with its unit, meaning and source; defaults are the
set-I values of Bouhadjar et al. (2022). No NEST import here.
"""
from __future__ import annotations

from seqnest.pynest_ext.models.names import (BSF2007, CD_SOMA, CD_SYNAPSE, CODEGEN_OPTIONS,
                                             FEILER2024, KIND_MODELS, MODEL_NAMES, MODULE_NAME,
                                             NANDAKUMAR2020, NEURON, PAPER, PAPER_SET1,
                                             RECEPTOR_DEND, RECEPTOR_EXT, RECEPTOR_INH,
                                             RERAM2023, RUBINO2023, STIM_NEURON, SYNAPSE,
                                             SYNAPSE_MODELS, XIA2018, ModelNames)
from seqnest.pynest_ext.models.neurons import InhNeuronParams, StmNeuronParams
from seqnest.pynest_ext.models.reram import ReramSynapseParams
from seqnest.pynest_ext.models.synapses import (EESynapseParams, StdspSynapseParams,
                                                WeightSynapseParams)
from seqnest.pynest_ext.models.tristate import (BistableSynapseParams, TristateStmSynapseParams,
                                                TristateSynapseParams)

__all__ = [
    "MODULE_NAME", "CODEGEN_OPTIONS", "ModelNames", "MODEL_NAMES",
    "StmNeuronParams", "InhNeuronParams", "EESynapseParams", "StdspSynapseParams",
    "ReramSynapseParams", "TristateSynapseParams", "BistableSynapseParams",
    "TristateStmSynapseParams", "SYNAPSE_KINDS",
    "WeightSynapseParams",
    "SYNAPSE_MODELS",
    "RECEPTOR_EXT", "RECEPTOR_DEND", "RECEPTOR_INH", "NEURON", "STIM_NEURON",
]

#: E->E synapse kinds by the name users choose (``seqnest learn --synapse``).
SYNAPSE_KINDS: dict[str, type[EESynapseParams]] = {
    cls.KIND: cls for cls in (StdspSynapseParams, ReramSynapseParams, TristateSynapseParams,
                              BistableSynapseParams, TristateStmSynapseParams)
}
