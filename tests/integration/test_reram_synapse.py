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
#: the device of the study's ablations: every device read (no fault map), stochastic rounding
DEVICE = dict(w_mature=0.01, levels=8, on_off_ratio=10, sigma_d2d=0.2,
              stuck_high_fraction=0.05, stuck_low_fraction=0.1, lambda_minus=0.05,
              fault_map="none", update="stochastic")


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
    assert np.median(high + step / 2) == pytest.approx(params.nominal_high, rel=0.03)
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
    from seqnest.params import ParameterError
    for bad in (dict(levels=-2), dict(levels=1), dict(on_off_ratio=0.5),
                dict(stuck_high_fraction=1.5), dict(stuck_high_fraction=0.6, stuck_low_fraction=0.6),
                dict(sigma_d2d=-0.1)):
        with pytest.raises(ParameterError):
            ReramSynapseParams(**bad)


def _dendritic_peaks(nest, post, duration: float) -> np.ndarray:
    """Simulate ``duration`` ms; the peak dendritic current of each of ``post``."""
    mm = nest.Create("multimeter", params={"record_from": ["I_dend"], "interval": 0.1})
    nest.Connect(mm, post)
    nest.Simulate(duration)
    ev = mm.get("events")
    peak = np.zeros(len(post))
    np.maximum.at(peak, np.asarray(ev["senders"]) - post[0].global_id, np.asarray(ev["I_dend"]))
    return peak


def _one_to_one(nest, names, params, n, arrays, model_name):
    """n parrots -> n neurons, one synapse each, with per-synapse ``arrays``."""
    from seqnest.pynest_ext.models import RECEPTOR_DEND
    pre = nest.Create("parrot_neuron", n)
    post = nest.Create(names.pair("reram")[0], n)
    nest.CopyModel(names.pair("reram")[1], model_name, params.nest_defaults())
    nest.Connect(pre, post, "one_to_one",
                 syn_spec={"synapse_model": model_name, "receptor_type": RECEPTOR_DEND,
                           "delay": 2.0, **arrays})
    return pre, post


def test_read_noise_spread_of_transmitted_weights(built_module):
    from seqnest.pynest_ext.kernel import KernelConfig, import_nest, setup_kernel
    nest = import_nest()
    params = ReramSynapseParams(sigma_read=0.2)
    names = setup_kernel(KernelConfig(seed=3), module=built_module)
    n = 2000
    # every device on (permanence 15 >= theta_P): stored weight w_mature
    pre, post = _one_to_one(nest, names, params, n, {"permanence": 15.0, "permanence_min": 15.0,
                                                     "w": params.w_mature}, "read_probe")
    gen = nest.Create("spike_generator", params={"spike_times": [10.0]})
    nest.Connect(gen, pre)
    peak = _dendritic_peaks(nest, post, 30.0)
    # the alpha current peaks at the transmitted weight
    assert peak.mean() == pytest.approx(params.w_mature, rel=0.02)
    assert peak.std() / params.w_mature == pytest.approx(params.sigma_read, rel=0.1)
    stored = np.asarray(nest.GetConnections(pre, post).get("w"))
    np.testing.assert_allclose(stored, params.w_mature)       # reading does not change w


def test_fault_map_keeps_stuck_on_devices_out_of_the_read_path(built_module):
    """Under the fault map (the default with stuck devices) a stuck-on device
    transmits nothing and is never programmed; the others transmit their weight."""
    from seqnest.pynest_ext.kernel import KernelConfig, import_nest, setup_kernel
    nest = import_nest()
    params = ReramSynapseParams(levels=8, stuck_high_fraction=0.3, stuck_low_fraction=0.1,
                                lambda_minus=0.05)
    assert params.excludes_faults and params.accumulates
    n = 2000
    drawn = params.connection_arrays((n, 1), 0.0, 8.0, np.random.default_rng(7))
    drawn = {k: v.ravel() for k, v in drawn.items()}
    excluded = drawn["read_enabled"] == 0
    assert abs(excluded.mean() - 0.3) < 5 * math.sqrt(0.3 * 0.7 / n)
    # every read device starts two levels above theta_P (on: w_mature), so the three
    # depressions (one level each) leave it on
    step = params.nominal_step
    arrays = {**drawn, "permanence": np.where(excluded, 0.0, params.theta_P + 2 * step),
              "permanence_min": np.zeros(n),
              "permanence_high": np.where(excluded, 0.0, params.nominal_high),
              "level_step": np.full(n, step), "accumulator": np.zeros(n),
              "w": np.where(excluded, 0.0, params.w_mature)}
    names = setup_kernel(KernelConfig(seed=5), module=built_module)
    pre, post = _one_to_one(nest, names, params, n, arrays, "fault_probe")
    gen = nest.Create("spike_generator", params={"spike_times": [10.0, 20.0, 30.0]})
    nest.Connect(gen, pre)
    peak = _dendritic_peaks(nest, post, 40.0)
    assert np.all(peak[excluded] == 0.0)
    assert peak[~excluded].min() > 0.5 * params.w_mature
    after = nest.GetConnections(pre, post).get(["permanence", "accumulator"])
    perm, acc = np.asarray(after["permanence"]), np.asarray(after["accumulator"])
    np.testing.assert_array_equal(perm[excluded], 0.0)
    np.testing.assert_array_equal(acc[excluded], 0.0)
    # the read devices took the three depressions: 3 q below their start, device +
    # accumulator
    q = params.lambda_minus * params.permanence_max
    np.testing.assert_allclose((perm + acc)[~excluded], params.theta_P + 2 * step - 3 * q)


def test_accumulator_programs_one_step_when_it_crosses_and_keeps_the_remainder(built_module):
    """Mixed precision: a depression q moves the device by exactly one step down when
    it takes the accumulator below 0 (the permanence P + chi below the device's level),
    and the accumulator keeps the remainder acc0 - q (+ step); a device at its lowest
    level keeps nothing below it."""
    from seqnest.pynest_ext.kernel import KernelConfig, import_nest, setup_kernel
    nest = import_nest()
    params = ReramSynapseParams(levels=16, lambda_minus=0.01, w_mature=1e-3)   # q = 0.2
    step, q = params.nominal_step, params.lambda_minus * params.permanence_max
    n = 1000
    acc0 = np.linspace(0.0, 0.999, n) * step
    perm0 = np.where(np.arange(n) % 2 == 0, 8 * step, 0.0)     # odd ones at the lowest level
    arrays = {"permanence": perm0, "permanence_min": np.zeros(n),
              "permanence_high": np.full(n, 15 * step), "level_step": np.full(n, step),
              "read_enabled": np.ones(n), "accumulator": acc0, "w": np.full(n, 0.0)}
    names = setup_kernel(KernelConfig(seed=2), module=built_module)
    pre, post = _one_to_one(nest, names, params, n, arrays, "acc_probe")
    gen = nest.Create("spike_generator", params={"spike_times": [10.0]})
    nest.Connect(gen, pre)
    nest.Simulate(15.0)
    after = nest.GetConnections(pre, post).get(["permanence", "accumulator"])
    perm, acc = np.asarray(after["permanence"]), np.asarray(after["accumulator"])
    crossed = acc0 - q < 0
    floor = perm0 == 0
    assert 0 < crossed.sum() < n
    np.testing.assert_allclose(perm, np.where(crossed & ~floor, perm0 - step, perm0),
                               rtol=0, atol=1e-12)
    expected = np.where(crossed, np.where(floor, 0.0, acc0 - q + step), acc0 - q)
    np.testing.assert_allclose(acc, expected, atol=1e-12)
    assert np.all((acc >= 0) & (acc < step))


def test_accumulator_takes_many_small_updates_exactly(built_module):
    """k depressions q leave device + accumulator at exactly P0 - k q, the device on
    the level below it (no randomness)."""
    from seqnest.pynest_ext.kernel import KernelConfig, import_nest, setup_kernel
    nest = import_nest()
    params = ReramSynapseParams(levels=8, lambda_minus=0.0015, w_mature=1e-3)
    step, q, k = params.nominal_step, params.lambda_minus * params.permanence_max, 150
    n = 50
    arrays = {"permanence": np.full(n, 6 * step), "permanence_min": np.zeros(n),
              "permanence_high": np.full(n, 7 * step), "level_step": np.full(n, step),
              "read_enabled": np.ones(n), "accumulator": np.full(n, 0.3 * step),
              "w": np.zeros(n)}
    names = setup_kernel(KernelConfig(seed=2), module=built_module)
    pre, post = _one_to_one(nest, names, params, n, arrays, "acc_many")
    gen = nest.Create("spike_generator", params={"spike_times": [10.0 + 5 * i for i in range(k)]})
    nest.Connect(gen, pre)
    nest.Simulate(10.0 + 5 * k + 5)
    after = nest.GetConnections(pre, post).get(["permanence", "accumulator"])
    total = 6.3 * step - k * q
    level = np.floor(total / step) * step
    np.testing.assert_allclose(after["permanence"], level, atol=1e-9)
    np.testing.assert_allclose(after["accumulator"], total - level, atol=1e-9)


def test_noisy_devices_give_the_same_run_for_the_same_seed_and_threads(built_module):
    """The normal-deviate adaptor is kept per thread, not per synapse: the same seed
    and thread count still give identical spikes and device states; another seed
    does not."""
    from seqnest.sequences.temporal_memory.config import resolve_config
    from seqnest.sequences.temporal_memory.learn import train

    def run(seed):
        cfg = resolve_config(task="set1", episodes=3, seed=seed, threads=2, synapse="reram",
                             set_options=["network.n_E=20", "network.rho=4", "synapse.levels=8",
                                          "synapse.sigma_write=0.2", "synapse.sigma_read=0.2"])
        result = train(cfg, module=built_module, progress=False)
        return result.exc_spikes, result.connectivity_final.permanence
    (spikes_a, perm_a), (spikes_b, perm_b) = run(5), run(5)
    for a, b in zip(spikes_a, spikes_b):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(perm_a, perm_b)
    _, perm_c = run(6)
    assert not np.array_equal(perm_a, perm_c)
