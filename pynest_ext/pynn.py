# SPDX-License-Identifier: GPL-2.0-or-later
"""The plugin's models as PyNN cell and synapse types (PyNN's NEST backend).

After ``sim.setup()`` (which resets NEST), :func:`pynn_models` loads the compiled
module into NEST and returns the sTM neuron and the plastic E->E synapse of one
synapse kind as PyNN native types, with the inhibitory neuron and the receptor
names of the neuron's three ports::

    import pyNN.nest as sim
    from seqnest.pynest_ext.pynn import pynn_models

    sim.setup(timestep=0.1)
    m = pynn_models(sim, kind="stdsp")
    exc = sim.Population(150, m.neuron(**m.neuron_parameters()))
    ee = sim.Projection(exc, exc, sim.FixedNumberPreConnector(30),
                        m.synapse(**m.synapse_parameters()), receptor_type=m.DEND)

Units: the native types take NEST's (currents and the plastic synapses' weights
in pA, times in ms); PyNN's standard ``StaticSynapse`` takes weights in nA and
multiplies them by 1000 for NEST, so :meth:`PyNNModels.static_weights` gives the
static connections' weights in nA. The values of :func:`~PyNNModels.neuron_parameters` and
:func:`~PyNNModels.synapse_parameters` are seqnest's resolved parameters
(``seqnest learn --dry-run`` lists them with units and sources). A synapse is
generated together with its neuron (NESTML): connect a synapse kind only to the
neuron of the same :class:`PyNNModels`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from seqnest.pynest_ext.models import KIND_MODELS, ModelNames
from seqnest.params import ParameterError

__all__ = ["PyNNModels", "pynn_models"]


@dataclass(frozen=True)
class PyNNModels:
    """PyNN types of one neuron/synapse pair of the module, with seqnest's defaults."""

    kind: str
    names: ModelNames
    neuron: Any           # PyNN cell type class: the sTM neuron generated with the synapse
    synapse: Any          # PyNN synapse type class: the plastic E->E synapse
    inh_neuron: Any       # PyNN cell type class: NEST's iaf_psc_exp
    #: the sTM neuron's receptor (port) names: external, dendritic, inhibitory input
    EXT: str = "EXT_SPIKES"
    DEND: str = "DEND_SPIKES"
    INH: str = "INH_SPIKES"

    def neuron_parameters(self, config=None) -> dict[str, float]:
        """The sTM neuron's parameters: those of ``config`` (a configuration resolved by
        ``seqnest.resolve_config``, with what its task derives), or the model's
        defaults (the paper's set-I values)."""
        return _config(config, self.kind).neuron.nest_status()

    def inh_parameters(self, config=None) -> dict[str, float]:
        """The inhibitory neuron's parameters (``config`` as above); it starts at rest
        (``V_m`` = ``E_L``, set with ``Population.initialize``)."""
        status = _config(config, self.kind).inh_neuron.nest_status()
        status.pop("V_m", None)
        return status

    def static_weights(self, config=None) -> dict[str, float]:
        """Weights (nA, for PyNN's ``StaticSynapse``) of the static connections of the
        sequence network (Bouhadjar et al. 2022; ``config`` as above): ``ext``
        (stimulus -> E soma), ``ie`` (E -> I), ``ei`` (I -> E, a magnitude: the
        inhibitory port subtracts it) and ``dend_drive`` (sparse drive -> E dendrite)."""
        from dataclasses import asdict

        from seqnest.pynest_ext.networks.temporal_memory import synaptic_weights
        cfg = _config(config, self.kind)
        pa = synaptic_weights(cfg.neuron, cfg.inh_neuron, cfg.network)
        return {k: abs(v) / 1000.0 for k, v in asdict(pa).items()}

    def synapse_parameters(self, config=None) -> dict[str, float]:
        """The synapse's shared parameters (``config`` as above); per-synapse values
        (the initial plastic state, device parameters) are given per connection."""
        return _config(config, self.kind).synapse.nest_defaults()


def _config(config, kind: str):
    """``config`` (checked against ``kind``), or the models' own defaults: the
    paper's set-I values (a resolved configuration adds what a task derives)."""
    if config is not None:
        if config.synapse.KIND != kind:
            raise ParameterError(f"the configuration's synapse is {config.synapse.KIND}, "
                                 f"these models are {kind}")
        return config
    from types import SimpleNamespace

    from seqnest.pynest_ext.models import SYNAPSE_KINDS, InhNeuronParams, StmNeuronParams
    from seqnest.pynest_ext.networks.temporal_memory import NetworkParams
    synapse = SYNAPSE_KINDS[kind]({})
    return SimpleNamespace(neuron=StmNeuronParams(dict(synapse.NEURON_DEFAULTS)),
                           inh_neuron=InhNeuronParams({}), synapse=synapse,
                           network=NetworkParams({}))


def pynn_models(sim, kind: str = "stdsp", module=None) -> PyNNModels:
    """Load the module into the NEST kernel PyNN runs (after ``sim.setup()``) and
    return the PyNN types of the sTM neuron and its E->E synapse ``kind``
    (``stdsp``, ``reram``, ``tristate``, ``bistable``, ``tristate_stm``).

    ``module`` is the compiled module (default: build or reuse the cached one).
    """
    from seqnest.pynest_ext.kernel import load_module
    if kind not in KIND_MODELS:
        raise ParameterError(f"unknown synapse kind {kind!r} (known: {', '.join(KIND_MODELS)})")
    names = load_module(module)
    neuron, synapse = names.pair(kind)
    return PyNNModels(kind=kind, names=names,
                      neuron=_settable(sim.native_cell_type(neuron), neuron),
                      synapse=_settable(sim.native_synapse_type(synapse), synapse),
                      inh_neuron=sim.native_cell_type(names.inh_neuron))


def _settable(pynn_type, model: str):
    """``pynn_type`` without the entries of NEST's defaults that cannot be set (the
    internals a NESTML model reports): PyNN passes every default at creation, and
    NEST refuses the read-only ones."""
    from seqnest.pynest_ext.kernel import import_nest
    nest = import_nest()
    defaults = nest.GetDefaults(model)
    if "weight" in pynn_type.default_parameters:
        # the synapse's weight variable (w) is NEST's weight: PyNN gives the weight
        pynn_type.default_parameters.pop("w", None)
    for table in (pynn_type.default_parameters, getattr(pynn_type, "default_initial_values", {})):
        for key, value in list(table.items()):
            if isinstance(defaults.get(key), (int, np.integer)) \
                    and not isinstance(defaults.get(key), bool):
                del table[key]       # an integer state (a counter): PyNN would pass a float
                continue
            try:
                nest.SetDefaults(model, {key: value})
            except nest.NESTError:
                del table[key]
    return pynn_type
