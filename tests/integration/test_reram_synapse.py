# SPDX-License-Identifier: GPL-2.0-or-later
"""stm_reram_synapse in NEST: device draws, levels, failures, noise, ideal limit.

10^5 synapses (100 presynaptic parrots x 1000 silent postsynaptic neurons) are
connected with their per-device values, read back from NEST and probed with
presynaptic spikes (per-spike depression only: the postsynaptic neurons stay
silent because the weights are tiny). Tolerances are 4 to 5 standard errors of
the estimated quantity.
"""
import math

import numpy as np
import pytest

from seqnest.pynest_ext.models import ReramSynapseParams
from seqnest.pynest_ext.synapse_probes import reram_population

pytestmark = pytest.mark.nest

N = 100 * 1000
SPIKES = 4
DEVICE = dict(w_mature=0.01, levels=8, on_off_ratio=10, sigma_d2d=0.2,
              stuck_high_fraction=0.05, stuck_low_fraction=0.1, lambda_minus=0.05)


@pytest.fixture(scope="module")
def device(built_module):
    params = ReramSynapseParams(**DEVICE)
    return params, reram_population(params, n_spikes=SPIKES, start_high=True, module=built_module)


def test_nest_holds_the_drawn_device_values(device):
    _, s = device
    assert s.before["permanence"].size == N
    for key, drawn in s.drawn.items():
        if key != "w":
            np.testing.assert_allclose(s.before[key], drawn, rtol=1e-12, atol=1e-12)


def test_stuck_fractions(device):
    params, s = device
    b = s.before
    stuck_low = b["permanence_high"] == 0.0
    stuck_high = (~stuck_low) & (b["permanence_min"] == b["permanence_high"])
    for frac, observed in ((params.stuck_high_fraction, stuck_high.mean()),
                           (params.stuck_low_fraction, stuck_low.mean())):
        assert abs(observed - frac) < 5 * math.sqrt(frac * (1 - frac) / N)
    # failed devices do not move under writes
    for mask in (stuck_low, stuck_high):
        np.testing.assert_array_equal(s.after["permanence"][mask], b["permanence"][mask])


def test_device_to_device_variability(device):
    params, s = device
    working = s.before["permanence_high"] > 0
    log_step = np.log(s.before["level_step"] / params.nominal_step)
    n = log_step.size
    assert abs(log_step.mean()) < 5 * params.sigma_d2d / math.sqrt(n)
    assert log_step.std() == pytest.approx(params.sigma_d2d, rel=0.02)
    # each device's high state is the last level below its log-normal draw
    high, step = s.before["permanence_high"][working], s.before["level_step"][working]
    assert np.median(high + step / 2) == pytest.approx(params.permanence_max, rel=0.03)
    assert np.log(high + step / 2).std() == pytest.approx(params.sigma_d2d, rel=0.25)


def test_states_stay_on_each_devices_levels(device):
    _, s = device
    for state in (s.before, s.after):
        working = state["permanence_high"] > 0
        k = state["permanence"][working] / state["level_step"][working]
        np.testing.assert_allclose(k, np.round(k), atol=1e-6)


def test_stochastic_rounding_is_unbiased(device):
    params, s = device
    per_spike = params.lambda_minus * params.permanence_max           # -1 per spike
    requested = SPIKES * per_spike
    # devices so far above their lower bound that clipping cannot act: each
    # spike moves a device by at most ceil(per_spike / step) steps
    step_all = s.before["level_step"]
    room = s.before["permanence"] - s.before["permanence_min"]
    working = room >= SPIKES * np.ceil(per_spike / step_all) * step_all
    assert working.mean() > 0.3
    drop = (s.before["permanence"] - s.after["permanence"])[working]
    step = s.before["level_step"][working]
    # whole steps only, requested change on average (variance: binomial per spike)
    np.testing.assert_allclose(drop / step, np.round(drop / step), atol=1e-6)
    frac = per_spike / step - np.floor(per_spike / step)
    se = math.sqrt(np.sum(SPIKES * frac * (1 - frac) * step ** 2)) / drop.size
    assert abs(drop.mean() - requested) < 5 * se


def test_on_off_weights(device):
    params, s = device
    on = s.after["permanence"] >= params.theta_P
    np.testing.assert_allclose(s.after["w"][on], params.w_mature)
    np.testing.assert_allclose(s.after["w"][~on], params.w_mature / params.on_off_ratio)
    assert 0.2 < on.mean() < 0.95


def test_write_noise_spread(built_module):
    params = ReramSynapseParams(w_mature=0.01, sigma_write=0.3, lambda_minus=0.05)
    s = reram_population(params, n_pre=100, n_post=200, n_spikes=1, start_high=True,
                         module=built_module)
    drop = s.before["permanence"] - s.after["permanence"]
    nominal = params.lambda_minus * params.permanence_max
    assert drop.mean() == pytest.approx(nominal, rel=0.01)
    assert drop.std() == pytest.approx(params.sigma_write * nominal, rel=0.03)


def test_invalid_device_parameters_are_rejected():
    from seqnest.pynest_ext.params import ParameterError
    for bad in (dict(levels=-2), dict(levels=1), dict(on_off_ratio=0.5),
                dict(stuck_high_fraction=1.5), dict(stuck_high_fraction=0.6, stuck_low_fraction=0.6),
                dict(sigma_d2d=-0.1)):
        with pytest.raises(ParameterError):
            ReramSynapseParams(**bad)


def test_read_noise_spread_of_transmitted_weights(built_module):
    from seqnest.pynest_ext.kernel import KernelConfig, import_nest, setup_kernel
    from seqnest.pynest_ext.models import RECEPTOR_DEND
    nest = import_nest()
    params = ReramSynapseParams(sigma_read=0.2)
    names = setup_kernel(KernelConfig(seed=3), module=built_module)
    n = 2000
    pre = nest.Create("parrot_neuron", n)
    post = nest.Create(names.pair("reram")[0], n)
    gen = nest.Create("spike_generator", params={"spike_times": [10.0]})
    nest.Connect(gen, pre)
    nest.CopyModel(names.pair("reram")[1], "read_probe", params.nest_defaults())
    # every device on (permanence 15 >= theta_P): stored weight w_mature
    nest.Connect(pre, post, "one_to_one",
                 syn_spec={"synapse_model": "read_probe", "receptor_type": RECEPTOR_DEND,
                           "delay": 2.0, "permanence": 15.0, "permanence_min": 15.0,
                           "w": params.w_mature})
    mm = nest.Create("multimeter", params={"record_from": ["I_dend"], "interval": 0.1})
    nest.Connect(mm, post)
    nest.Simulate(30.0)
    ev = mm.get("events")
    peak = np.zeros(n)
    np.maximum.at(peak, np.asarray(ev["senders"]) - post[0].global_id, np.asarray(ev["I_dend"]))
    # the alpha current peaks at the transmitted weight
    assert peak.mean() == pytest.approx(params.w_mature, rel=0.02)
    assert peak.std() / params.w_mature == pytest.approx(params.sigma_read, rel=0.1)
    stored = np.asarray(nest.GetConnections(pre, post).get("w"))
    np.testing.assert_allclose(stored, params.w_mature)       # reading does not change w
