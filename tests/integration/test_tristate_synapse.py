# SPDX-License-Identifier: GPL-2.0-or-later
"""stm_tristate_synapse in NEST: levels, exact drift, stop-learning hysteresis,
and the Brader-Senn-Fusi transition probabilities."""
import numpy as np
import pytest

from seqnest.pynest_ext.kernel import KernelConfig, import_nest, setup_kernel
from seqnest.pynest_ext.models import (RECEPTOR_DEND, BistableSynapseParams, StmNeuronParams,
                                       TristateSynapseParams)
from seqnest.pynest_ext.synapse_probes import gate_trace, transition_curve

pytestmark = pytest.mark.nest

#: Poisson drive rates (Hz) of the postsynaptic neurons: silent ... ~370 Hz.
DRIVE = [4000, 5000, 6000, 8000, 12000, 20000, 40000, 80000]


def test_weights_settle_on_three_levels_after_input_stops(built_module):
    syn = TristateSynapseParams()
    curve = transition_curve(syn, DRIVE, n_synapses=300, module=built_module)
    levels = syn.levels()
    X = curve.final_X.ravel()
    distance = np.min(np.abs(X[:, None] - levels[None, :]), axis=1)
    assert distance.max() < 1e-12
    occupied = {float(lv) for lv in levels if np.any(np.isclose(X, lv))}
    assert occupied == {0.0, 0.5, 1.0}


def test_drift_is_applied_exactly_at_presynaptic_spikes(built_module):
    nest = import_nest()
    syn = TristateSynapseParams()
    names = setup_kernel(KernelConfig(), module=built_module)
    neuron, model = names.pair("tristate")
    post = nest.Create(neuron)                       # silent: no jumps, only drift
    pre = nest.Create("parrot_neuron", 4)
    gen = nest.Create("spike_generator", params={"spike_times": [20.0]})
    nest.Connect(gen, pre)
    nest.CopyModel(model, "drift_probe", syn.nest_defaults())
    start = np.array([[0.1, 0.3, 0.6, 0.9]]).T
    nest.Connect(pre, post, "all_to_all", syn_spec={"synapse_model": "drift_probe",
                                                    "receptor_type": RECEPTOR_DEND,
                                                    "delay": 1.0, "X": start.T})
    nest.Simulate(30.0)
    conns = nest.GetConnections(pre, post)
    order = np.argsort(conns.get("source"))
    X = np.asarray(conns.get("X"))[order]
    t_spike = 21.0                                   # at the synapse: 20 ms + 1 ms delay
    np.testing.assert_allclose(X, syn.settle(start.ravel(), t_spike), atol=1e-12)
    np.testing.assert_allclose(X, [max(0.1 - 0.0035 * 21, 0), min(0.3 + 0.0035 * 21, 0.5),
                                   max(0.6 - 0.0035 * 21, 0.5), min(0.9 + 0.0035 * 21, 1.0)])


def test_stop_learning_gate_shows_hysteresis(built_module):
    neuron = StmNeuronParams(t_ref=2.0)
    up = list(range(20, 260, 20))
    trace = gate_trace(up + up[::-1], neuron=neuron, module=built_module)
    hi, lo = neuron.Ca_stop_high, neuron.Ca_stop_low
    ca, gate = trace.calcium, trace.gate
    assert np.all(gate[ca > hi] == 0) and np.all(gate[ca < lo] == 1)
    changes = np.flatnonzero(np.diff(gate) != 0) + 1
    assert len(changes) == 2
    off, on = changes
    assert gate[off] == 0 and ca[off] > hi and ca[off - 1] <= hi   # closes crossing the upper
    assert gate[on] == 1 and ca[on] < lo and ca[on - 1] >= lo      # opens crossing the lower
    half = trace.times[-1] / 2
    assert trace.times[off] < half < trace.times[on]               # on the way up / down
    between = (ca > lo) & (ca < hi)
    assert np.any(between & (gate == 1)) and np.any(between & (gate == 0))
    # the rate at which learning stops is higher than the one at which it resumes
    assert trace.rate[off] > trace.rate[on]


def test_transition_probabilities_peak_at_intermediate_rates(built_module):
    curve = transition_curve(BistableSynapseParams(), DRIVE, n_synapses=1000,
                             module=built_module)
    rates, ltp, ltd = curve.post_rate, curve.p_ltp, curve.p_ltd
    assert rates[0] < 5 and rates[-1] > 300 and np.all(np.diff(rates) > 0)
    for p in (ltp, ltd):
        assert p[0] < 0.005 and p[-1] < 0.005 and p[-2] < 0.005
    assert ltp.max() > 0.1 and ltd.max() > 0.05
    # BSF 2007: depression at lower, potentiation at higher postsynaptic rates
    assert rates[np.argmax(ltd)] < rates[np.argmax(ltp)]
    assert set(np.round(curve.final_X.ravel(), 12)) <= {0.0, 1.0}
