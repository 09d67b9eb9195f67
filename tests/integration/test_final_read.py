# SPDX-License-Identifier: GPL-2.0-or-later
"""The reads of the E->E synapses without status dictionaries give exactly what the
status dictionaries give: every synapse's state, weight, initial state and
per-synapse parameters, for every synapse kind, with 1 and 2 threads. Two reads:
the module's synapse reader (the default; the network is left as it was), and a
spike wave (read-out mode of the synapse models and a weight recorder; where the
reader cannot), read in one wave or in many. (Under MPI: the run directories of
tests/integration/test_mpi.py hold the connectivity.)"""
import warnings

import numpy as np
import pytest

from seqnest.pynest_ext import array_backend
from seqnest.pynest_ext.models import RECEPTOR_DEND, SYNAPSE_KINDS
from seqnest.pynest_ext.networks import simulation
from seqnest.pynest_ext.networks.temporal_memory import SequenceNetwork
from seqnest.sequences.temporal_memory.config import resolve_config
from seqnest.sequences.temporal_memory.learn import train

pytestmark = pytest.mark.nest

#: Settings that make the states of a tiny network spread within 4 episodes:
#: ReRAM devices with level steps, high states, stuck cells kept out of the read
#: path and accumulators; tristate circuits that jump at every presynaptic spike in
#: small steps and drift slowly (at the defaults X stays 0 in so small a network).
SPREAD = {
    "reram": ["synapse.levels=16", "synapse.update=accumulate", "synapse.sigma_d2d=0.2",
              "synapse.stuck_high_fraction=0.05", "synapse.stuck_low_fraction=0.05"],
    "tristate": ["synapse.theta_V=-100", "synapse.theta_up_low=-1", "synapse.jump_up=0.03",
                 "synapse.alpha=0.00001", "synapse.beta=0.00001"],
}
SPREAD["bistable"] = SPREAD["tristate"]


def _both_reads(monkeypatch, wave: bool = True) -> dict:
    """Make the final read also read status dictionaries first (the network is
    unchanged by that read); returns where both land. ``wave``: the final read
    is the spike wave (the synapse reader is not used)."""
    seen: dict = {}
    final = SequenceNetwork.final_ee_connectivity
    if wave:
        monkeypatch.setattr(SequenceNetwork, "_read_ee_directly", lambda net: None)

    def both(net):
        seen["status"] = net.ee_connectivity(status=True)
        seen["wave"] = final(net)
        seen["net"] = net
        return seen["wave"]

    monkeypatch.setattr(SequenceNetwork, "final_ee_connectivity", both)
    return seen


def _assert_same(status, wave) -> None:
    for field in ("source", "target", "permanence", "weight"):
        np.testing.assert_array_equal(getattr(wave, field), getattr(status, field), err_msg=field)
    assert (wave.initial_state is None) == (status.initial_state is None)
    if status.initial_state is not None:
        np.testing.assert_array_equal(wave.initial_state, status.initial_state)
    assert sorted(wave.parameters) == sorted(status.parameters)
    for key, values in status.parameters.items():
        np.testing.assert_array_equal(wave.parameters[key], values, err_msg=key)


def _train(built_module, kind: str, threads: int, extra=()):
    config = resolve_config(task="set1", episodes=4, seed=23, threads=threads, synapse=kind,
                            set_options=["network.n_E=24", "network.rho=5", *extra])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)     # no fallback to the status read
        return train(config, built_module, progress=False)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("kind", sorted(SYNAPSE_KINDS))
def test_the_wave_reads_what_the_status_dictionaries_hold(built_module, monkeypatch, kind,
                                                          threads):
    seen = _both_reads(monkeypatch)
    result = _train(built_module, kind, threads, SPREAD.get(kind, ()))
    _assert_same(seen["status"], seen["wave"])
    assert result.connectivity_final is seen["wave"]
    # learning moved the states, so the comparison covers more than the initial draw
    final = result.connectivity_final
    assert not np.array_equal(final.permanence, result.connectivity_initial.permanence)
    assert np.unique(final.permanence).size > 1
    if kind == "reram":
        for key in ("permanence_high", "level_step", "read_enabled", "accumulator"):
            assert np.unique(final.parameters[key]).size > 1, key
    with pytest.raises(RuntimeError, match="spent"):
        seen["net"].run(1.0)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("kind", sorted(SYNAPSE_KINDS))
def test_the_synapse_reader_reads_what_the_status_dictionaries_hold(built_module, monkeypatch,
                                                                    kind, threads):
    seen = _both_reads(monkeypatch, wave=False)
    result = _train(built_module, kind, threads, SPREAD.get(kind, ()))
    _assert_same(seen["status"], seen["wave"])
    final = result.connectivity_final
    assert final is seen["wave"] and np.unique(final.permanence).size > 1
    # the node reader reads the neurons' slow state as their status gives it
    net = seen["net"]
    from seqnest.pynest_ext.parallel import node_values
    status = node_values(net.exc, net.NEURON_STATE_KEYS)
    for key, values in net.neuron_state().items():
        np.testing.assert_array_equal(values, status[key], err_msg=key)
    # it changed nothing: the network runs on, and reads the same again
    net.run(5.0)
    again = net.ee_connectivity()
    np.testing.assert_array_equal(again.source, final.source)
    if kind == "tristate" or kind == "bistable":
        return                                   # the circuits drift between spikes
    np.testing.assert_array_equal(again.permanence, final.permanence)


def test_the_synapse_reader_refuses_what_it_cannot_read(built_module):
    from seqnest.pynest_ext.kernel import KernelConfig, import_nest, setup_kernel
    names = setup_kernel(KernelConfig(threads=2), module=built_module)
    nest = import_nest()
    assert array_backend.can_read_synapses()
    a, b = nest.Create("iaf_psc_exp", 3), nest.Create("iaf_psc_exp", 3)
    nest.Connect(a, b, syn_spec={"synapse_model": "stdp_synapse"})       # NEST's own model
    assert simulation.read_model_synapses(nest, "stdp_synapse", ["weight"]) is None
    neuron, synapse = names.pair("stdsp")
    neurons = nest.Create(neuron, 4)
    nest.Connect(neurons, neurons, syn_spec={"synapse_model": synapse,
                                             "receptor_type": RECEPTOR_DEND})
    assert simulation.read_model_synapses(nest, synapse, ["no_such_variable"]) is None
    data = simulation.read_model_synapses(nest, synapse, ["permanence", "w"])
    assert sorted(zip(data["source"], data["target"])) == sorted(
        (s, t) for s in neurons.tolist() for t in neurons.tolist())
    assert simulation.read_model_synapses(nest, synapse, ["w"], targets=neurons[:2])[
        "target"].max() == neurons[1].global_id


@pytest.mark.parametrize("events", ["module backend", "PyNEST events"])
def test_many_small_waves_read_what_one_wave_reads(built_module, monkeypatch, events):
    monkeypatch.setattr(simulation, "WAVE_EVENTS", 500)     # a few neurons per wave
    taken = []
    if events == "PyNEST events":
        monkeypatch.setattr(array_backend, "available", lambda: False)
    else:
        take = array_backend.take
        monkeypatch.setattr(array_backend, "take", lambda: taken.append(1) or take())
    seen = _both_reads(monkeypatch)
    _train(built_module, "reram", 2, SPREAD["reram"])
    _assert_same(seen["status"], seen["wave"])
    # the module's backend is used where it is loaded: one take per wave and variable
    assert len(taken) > 7 if events == "module backend" else not taken


def test_the_module_provides_the_array_backend(built_module):
    from seqnest.pynest_ext.kernel import KernelConfig, import_nest, setup_kernel
    setup_kernel(KernelConfig(threads=2), module=built_module)
    assert array_backend.available()
    assert array_backend.BACKEND in import_nest().GetKernelStatus("recording_backends")


def test_a_wave_that_misses_synapses_falls_back_to_the_status_read(built_module, monkeypatch):
    seen: dict = {}
    original = SequenceNetwork.final_ee_connectivity

    monkeypatch.setattr(SequenceNetwork, "_read_ee_directly", lambda net: None)

    def missing_one(net):
        seen["status"] = net.ee_connectivity()
        net._n_ee += 1                       # the wave cannot reach a synapse that is not there
        return original(net)

    monkeypatch.setattr(SequenceNetwork, "final_ee_connectivity", missing_one)
    config = resolve_config(task="set1", episodes=2, seed=5, synapse="stdsp",
                            set_options=["network.n_E=24", "network.rho=5"])
    with pytest.warns(RuntimeWarning, match="missed connections"):
        result = train(config, built_module, progress=False)
    _assert_same(seen["status"], result.connectivity_final)
