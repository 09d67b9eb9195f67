# SPDX-License-Identifier: GPL-2.0-or-later
"""The dAP readout register: exact against a multimeter, and the learning curves it gives.

The prediction metrics read each neuron's dAP state at the sample instants
through ``stm_neuron``'s readout port (one spike per instant, one read of
``dAP_register`` per run) instead of population-wide multimeters. These tests
check that the register holds exactly what a multimeter records, also when
more samples fall into one run than the register holds, and that training
reproduces, episode by episode, curves recorded with the multimeters.
"""
import json
from pathlib import Path

import numpy as np
import pytest

from seqnest.pynest_ext.kernel import KernelConfig, import_nest, setup_kernel
from seqnest.pynest_ext.models import InhNeuronParams, StdspSynapseParams, StmNeuronParams
from seqnest.pynest_ext.networks.temporal_memory import (REGISTER_BITS, NetworkParams,
                                                         SequenceNetwork)
from seqnest.params import ParameterError
from seqnest.sequences.temporal_memory.config import resolve_config
from seqnest.sequences.temporal_memory.learn import train

pytestmark = pytest.mark.nest

PINNED = json.loads((Path(__file__).parents[1] / "data" / "pinned_curves.json").read_text())
CURVES = ("error", "false_positives", "false_negatives", "active_fraction")


def small_network(built_module, sample_times, threads=1):
    """Three subpopulations of 20 with dendritic drive and stimuli: dAPs that start,
    run out after tau_dAP, and are cancelled by somatic spikes."""
    names = setup_kernel(KernelConfig(seed=3, threads=threads), module=built_module)
    net = SequenceNetwork(names, 3, StmNeuronParams(), InhNeuronParams(), StdspSynapseParams(),
                          NetworkParams(n_E=20, rho=5), rng=np.random.default_rng(3))
    drive = {0: [10.0, 95.0, 240.0], 1: [30.0, 150.0], 2: [60.0, 61.3, 300.0]}
    stimulus = {0: [40.0, 260.0], 1: [170.0], 2: [90.0]}     # spikes cancel running dAPs
    net.create(stimulus, dendritic_drive=drive, sample_times=sample_times)
    net.connect()
    return net


@pytest.mark.parametrize("threads", [1, 2])
def test_register_equals_a_multimeter_at_every_sample(built_module, threads):
    sample_times = np.round(np.arange(0.2, 400.0, 0.7), 1)      # 572 samples, > REGISTER_BITS
    assert sample_times.size > 3 * REGISTER_BITS
    net = small_network(built_module, sample_times, threads)
    nest = import_nest()
    mm = nest.Create("multimeter", params={"record_from": ["dAP_active"], "interval": 0.1})
    nest.Connect(mm, net.exc)
    # runs of uneven length: some hold no sample, one more than the register holds
    for chunk in (0.1, 0.2, 0.3, 55.0, 44.4, 150.0, 0.6, 149.4):
        net.run(chunk)
    times, state = net.take_dap_samples()
    assert np.allclose(times, sample_times) and state.shape == (sample_times.size, 60)
    ev = mm.get("events")
    t = np.round(np.asarray(ev["times"]), 1)
    idx = np.asarray(ev["senders"]) - net.exc[0].global_id
    active = np.asarray(ev["dAP_active"]) > 0.5
    expected = np.zeros_like(state)
    rows = {round(x, 1): k for k, x in enumerate(sample_times)}
    for ti, i, a in zip(t, idx, active):
        if ti in rows:
            expected[rows[ti], i] = a
    assert np.array_equal(state, expected)
    assert 0.05 < state.mean() < 0.6                   # dAPs on and off over the run
    assert net.take_dap_samples()[0].size == 0          # taken once


def test_bad_sample_times_are_refused(built_module):
    for times, words in (([5.0, 5.0], "distinct"), ([9.0, 4.0], "increasing"),
                         ([0.1], "two simulation steps")):
        with pytest.raises(ParameterError, match=words):
            small_network(built_module, times)


@pytest.mark.parametrize("name", ["set2_small_2threads", "set3_small_shared"])
def test_learning_curves_are_those_of_the_multimeter_evaluation(built_module, name):
    pinned = PINNED["runs"][name]
    cfg = resolve_config(**pinned["config"])
    metrics = train(cfg, module=built_module, progress=False).metrics
    for key in CURVES:
        assert metrics[key] == pinned[key], key
