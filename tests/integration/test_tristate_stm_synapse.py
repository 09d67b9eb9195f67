# SPDX-License-Identifier: GPL-2.0-or-later
"""stm_tristate_stm_synapse in NEST against its equations: levels reached and
held, drift exact at event times, one pairing at the sequence lag, the gate."""
import numpy as np
import pytest

from seqnest.pynest_ext.kernel import KernelConfig, import_nest, setup_kernel
from seqnest.pynest_ext.models import (RECEPTOR_DEND, RECEPTOR_EXT, StmNeuronParams,
                                       TristateStmSynapseParams)

pytestmark = pytest.mark.nest

H = 0.1            # simulation step (ms)
FROZEN = 1e12      # a time constant that freezes a trace (ms)


def _network(module, syn: TristateStmSynapseParams, X0, pre_times, post_times=(),
             neuron: StmNeuronParams | None = None, z: float = 0.0, calcium: float = 0.0):
    """len(X0) parrots, each firing at ``pre_times``, onto one neuron fired at
    ``post_times`` (exactly: an input two steps early crosses threshold in one step)."""
    nest = import_nest()
    names = setup_kernel(KernelConfig(resolution=H), module=module)
    neuron_model, model = names.pair("tristate_stm")
    neuron = (neuron or StmNeuronParams()).replace(tau_h=FROZEN)
    post = nest.Create(neuron_model, params={**neuron.nest_status(), "z": z, "calcium": calcium})
    X0 = np.asarray(X0, dtype=float)
    pre = nest.Create("parrot_neuron", X0.size)
    gen = nest.Create("spike_generator", params={"spike_times": [t - H for t in pre_times]})
    nest.Connect(gen, pre, syn_spec={"delay": H})             # parrots fire at pre_times
    if len(post_times):
        drive = 2.0 * (neuron.V_th - neuron.E_L) * neuron.C_m / H
        kick = nest.Create("spike_generator", params={"spike_times": [t - 2 * H for t in post_times]})
        nest.Connect(kick, post, syn_spec={"weight": drive, "receptor_type": RECEPTOR_EXT,
                                           "delay": H})
    nest.CopyModel(model, "tristate_stm_probe", syn.nest_defaults())
    nest.Connect(pre, post, "all_to_all",
                 syn_spec={"synapse_model": "tristate_stm_probe", "receptor_type": RECEPTOR_DEND,
                           "delay": syn.delay, "X": X0[None, :], "weight": 0.0})
    recorder = nest.Create("spike_recorder")
    nest.Connect(post, recorder)
    conns = nest.GetConnections(pre, post)
    order = np.argsort(conns.get("source"))

    def read(key="X"):
        return np.asarray(conns.get(key), dtype=float)[order]
    return nest, read, recorder


def test_levels_are_reached_and_held_after_input_stops(built_module):
    syn = TristateStmSynapseParams(lambda_minus=0.0, alpha=2.0, beta=2.0)
    rng = np.random.default_rng(3)
    X0 = rng.uniform(0.0, 1.0, 300)
    # 10 s of drift after the input, more than (basin width 0.25) / 2 per s
    nest, read, _ = _network(built_module, syn, X0, pre_times=[5.0, 10_000.0, 20_000.0])
    nest.Simulate(10_001.0 + syn.delay)
    first = read()
    levels = syn.levels()
    assert np.abs(first[:, None] - levels[None, :]).min(axis=1).max() == 0.0
    assert {float(v) for v in first} == {0.0, 0.5, 1.0}
    np.testing.assert_array_equal(first, syn.nearest_level(X0))
    nest.Simulate(10_000.0)
    np.testing.assert_array_equal(read(), first)                  # held
    np.testing.assert_allclose(read("weight"), syn.weight_of(first))


def test_drift_is_exact_at_event_times(built_module):
    syn = TristateStmSynapseParams(lambda_minus=0.0, alpha=1.0, beta=3.0)
    X0 = np.array([0.02, 0.1, 0.3, 0.6, 0.74, 0.76, 0.9])
    nest, read, _ = _network(built_module, syn, X0, pre_times=[20.0, 70.0])
    nest.Simulate(20.0 + syn.delay + H)
    after_first = read()
    np.testing.assert_allclose(after_first, syn.settle(X0, 20.0), atol=1e-12)
    nest.Simulate(50.0)
    np.testing.assert_allclose(read(), syn.settle(after_first, 50.0), atol=1e-12)
    # by hand: 0.3 and 0.9 rise at 1/s, 0.74 falls at 3/s, 0.6 falls onto its level 0.5
    np.testing.assert_allclose(read()[[2, 3, 4, 6]], [0.37, 0.5, 0.74 - 0.21, 0.97],
                               atol=1e-12)


def _pairing_expected(syn: TristateStmSynapseParams, X0, t_pre, lag, t_flush, z, gate_open):
    """X after a pre spike at t_pre, a post spike lag ms later and a flushing pre spike."""
    X = np.asarray(X0, dtype=float)
    dep = syn.lambda_minus if gate_open else 0.0
    X = np.maximum(syn.settle(X, t_pre) - dep, 0.0)
    X = syn.settle(X, lag)
    if gate_open:
        # NESTML reads the trace at the post spike plus the delay
        x_pre = np.exp(-(lag + syn.delay) / syn.tau_plus)
        X = np.clip(X + syn.lambda_plus * x_pre + syn.lambda_h * (syn.z_star - z), 0.0, 1.0)
    return np.maximum(syn.settle(X, t_flush - t_pre - lag) - dep, 0.0)


@pytest.mark.parametrize("z", [0.0, 2.0])
def test_one_pairing_at_the_sequence_lag_moves_X_by_the_analytic_amount(built_module, z):
    syn = TristateStmSynapseParams(lambda_plus=1.0, alpha=0.5, beta=0.5)
    X0 = np.array([0.05, 0.2, 0.45, 0.7, 0.8])
    t_pre, lag, t_flush = 50.0, 40.0, 150.0
    nest, read, recorder = _network(built_module, syn, X0, pre_times=[t_pre, t_flush],
                                    post_times=[t_pre + lag], z=z)
    nest.Simulate(t_flush + syn.delay + H)
    assert list(recorder.events["times"]) == [t_pre + lag]
    expected = _pairing_expected(syn, X0, t_pre, lag, t_flush, z, gate_open=True)
    np.testing.assert_allclose(read(), expected, atol=1e-9)
    # the jump is what moves X, not the drift: it crosses a basin boundary
    assert not np.array_equal(syn.nearest_level(read()), syn.nearest_level(X0))


@pytest.mark.parametrize("stop_learning", [1, 0])
def test_the_closed_gate_blocks_both_updates(built_module, stop_learning):
    syn = TristateStmSynapseParams(lambda_plus=0.5, lambda_minus=0.05,
                                   stop_learning=stop_learning)
    # calcium far above the upper threshold and frozen: the gate stays closed
    neuron = StmNeuronParams(tau_Ca=FROZEN, Ca_stop_high=5.0, Ca_stop_low=1.0)
    X0 = np.array([0.1, 0.4, 0.6])
    t_pre, lag, t_flush = 50.0, 40.0, 150.0
    nest, read, _ = _network(built_module, syn, X0, pre_times=[t_pre, t_flush],
                             post_times=[t_pre + lag], neuron=neuron, calcium=100.0)
    nest.Simulate(t_flush + syn.delay + H)
    expected = _pairing_expected(syn, X0, t_pre, lag, t_flush, 0.0,
                                 gate_open=not stop_learning)
    np.testing.assert_allclose(read(), expected, atol=1e-9)
    if stop_learning:
        np.testing.assert_allclose(read(), syn.settle(X0, t_flush), atol=1e-12)
