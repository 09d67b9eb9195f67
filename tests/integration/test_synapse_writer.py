# SPDX-License-Identifier: GPL-2.0-or-later
"""The module's synapse writer sets the per-synapse initial values exactly where
NEST's own array parameters of the fixed-indegree rule put them: the same
network, synapse for synapse, for every synapse kind, with 1 and 2 threads."""
import numpy as np
import pytest

from seqnest.pynest_ext import array_backend
from seqnest.pynest_ext.kernel import KernelConfig, setup_kernel
from seqnest.pynest_ext.models import RECEPTOR_DEND, SYNAPSE_KINDS
from seqnest.pynest_ext.networks.temporal_memory import SequenceNetwork
from seqnest.sequences.temporal_memory.config import resolve_config

pytestmark = pytest.mark.nest


def _network(built_module, kind: str, threads: int, writer: bool, monkeypatch):
    config = resolve_config(task="set1", seed=13, threads=threads, synapse=kind,
                            set_options=["network.n_E=30", "network.rho=5"])
    names = setup_kernel(KernelConfig(threads=threads, seed=13), module=built_module)
    with monkeypatch.context() as m:
        if not writer:
            m.setattr(array_backend, "can_read_synapses", lambda: False)
        net = SequenceNetwork(names, len(config.sequence_set.vocabulary), config.neuron,
                              config.inh_neuron, config.synapse, config.network, plastic=True,
                              rng=np.random.default_rng(5))
        net.create({0: [10.0]})
        net.connect()
    return net.ee_connectivity(status=True)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("kind", sorted(SYNAPSE_KINDS))
def test_the_writer_builds_what_nests_array_parameters_build(built_module, monkeypatch, kind,
                                                             threads):
    written = _network(built_module, kind, threads, True, monkeypatch)
    by_nest = _network(built_module, kind, threads, False, monkeypatch)
    for field in ("source", "target", "permanence", "weight"):
        np.testing.assert_array_equal(getattr(written, field), getattr(by_nest, field),
                                      err_msg=field)
    assert sorted(written.parameters) == sorted(by_nest.parameters)
    for key, values in by_nest.parameters.items():
        np.testing.assert_array_equal(written.parameters[key], values, err_msg=key)
    if kind in ("stdsp", "reram"):                           # drawn values, not defaults
        assert np.unique(written.permanence).size > 10


def test_the_writer_refuses_a_layout_it_cannot_place(built_module):
    from seqnest.pynest_ext.kernel import import_nest
    names = setup_kernel(KernelConfig(threads=2), module=built_module)
    nest = import_nest()
    neuron, synapse = names.pair("stdsp")
    cells = nest.Create(neuron, 6)
    nest.Connect(cells, cells, {"rule": "fixed_indegree", "indegree": 2},
                 {"synapse_model": synapse, "receptor_type": RECEPTOR_DEND})
    syn_id = nest.GetDefaults(synapse, "synapse_modelid")
    values = {"permanence": np.ones((6, 3))}               # 3 per target: there are 2
    with pytest.raises(RuntimeError, match="in-degree"):
        array_backend.write_synapses(syn_id, cells[0].global_id, 6, 3, values)
    with pytest.raises(RuntimeError, match="without a setter"):
        array_backend.write_synapses(syn_id, cells[0].global_id, 6, 2,
                                     {"no_such": np.ones((6, 2))})
