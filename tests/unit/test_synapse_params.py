# SPDX-License-Identifier: GPL-2.0-or-later
"""Parameter sets and per-synapse draws of the hardware synapses (no NEST)."""
import math

import numpy as np
import pytest

from seqnest.pynest_ext.models import (SYNAPSE_KINDS, BistableSynapseParams, ModelNames,
                                       ReramSynapseParams, StdspSynapseParams, TristateStmSynapseParams,
                                       TristateSynapseParams)
from seqnest.params import ParameterError
from seqnest.sequences.temporal_memory.config import config_from_dict, resolve_config

N = (1000, 100)


def draw(params, seed=1):
    return params.connection_arrays(N, 0.0, 8.0, np.random.default_rng(seed))


def test_ideal_reram_draws_the_plain_initial_permanences():
    plain, ideal = draw(StdspSynapseParams()), draw(ReramSynapseParams())
    np.testing.assert_array_equal(plain["permanence"], ideal["permanence"])
    np.testing.assert_array_equal(plain["permanence_min"], ideal["permanence_min"])
    np.testing.assert_array_equal(plain["w"], ideal["w"])
    assert np.all(ideal["level_step"] == 0) and np.all(ideal["permanence_high"] == 20.0)


def test_device_draws_match_their_parameters():
    p = ReramSynapseParams(levels=16, on_off_ratio=5, sigma_d2d=0.1, stuck_high_fraction=0.1,
                           stuck_low_fraction=0.05, fault_map="none", update="stochastic")
    a = draw(p)
    n = a["permanence"].size
    stuck_low = a["permanence_high"] == 0
    stuck_high = ~stuck_low & (a["permanence_min"] == a["permanence_high"])
    assert abs(stuck_low.mean() - 0.05) < 5 * math.sqrt(0.05 * 0.95 / n)
    assert abs(stuck_high.mean() - 0.1) < 5 * math.sqrt(0.1 * 0.9 / n)
    log_step = np.log(a["level_step"] / p.nominal_step)
    assert abs(log_step.mean()) < 5 * 0.1 / math.sqrt(n)
    assert log_step.std() == pytest.approx(0.1, rel=0.03)
    k = a["permanence"] / a["level_step"]
    np.testing.assert_allclose(k, np.round(k), atol=1e-9)
    on = a["permanence"] >= p.theta_P
    np.testing.assert_allclose(a["w"][on], p.w_mature)
    np.testing.assert_allclose(a["w"][~on], p.w_mature / 5)
    assert p.state_bits == 4 and ReramSynapseParams().state_bits == 64
    assert np.all(a["read_enabled"] == 1) and np.all(a["accumulator"] == 0)


def test_fault_map_is_the_default_with_stuck_devices_and_excludes_stuck_on_cells():
    every = dict(levels=16, sigma_d2d=0.1, stuck_high_fraction=0.1, stuck_low_fraction=0.05)
    assert not ReramSynapseParams(levels=16).excludes_faults
    assert ReramSynapseParams(stuck_low_fraction=0.01).excludes_faults
    mapped, read_all = draw(ReramSynapseParams(**every)), draw(ReramSynapseParams(
        **every, fault_map="none"))
    stuck_on = read_all["permanence_high"] > 0
    stuck_on &= read_all["permanence_min"] == read_all["permanence_high"]
    np.testing.assert_array_equal(mapped["read_enabled"] == 0, stuck_on)
    # an excluded cell takes no part: state 0, weight 0, pinned by its bounds
    for key in ("permanence", "permanence_min", "permanence_high", "w"):
        assert np.all(mapped[key][stuck_on] == 0)
    # every other device is drawn as without the map (same generator)
    for key in ("permanence", "permanence_min", "permanence_high", "level_step", "w"):
        np.testing.assert_array_equal(mapped[key][~stuck_on], read_all[key][~stuck_on])


@pytest.mark.parametrize("levels", [2, 3, 4, 5, 6, 8, 16, 33])
def test_theta_p_is_a_level_of_every_quantised_device(levels):
    p = ReramSynapseParams(levels=levels)
    k = p.theta_P / p.nominal_step
    assert k == round(k) and 1 <= k <= levels - 1
    assert p.nominal_high == pytest.approx((levels - 1) * p.nominal_step)


def test_accumulator_holds_the_initial_remainder():
    """With the accumulator, device level + accumulator = the initial permanence of
    the ideal synapse drawn from the same generator."""
    ideal, q = draw(StdspSynapseParams()), draw(ReramSynapseParams(levels=8))
    np.testing.assert_allclose(q["permanence"] + q["accumulator"], ideal["permanence"],
                               atol=1e-9)
    assert np.all(q["accumulator"] >= 0) and np.all(q["accumulator"] < q["level_step"])
    k = q["permanence"] / q["level_step"]
    np.testing.assert_allclose(k, np.round(k), atol=1e-9)


def test_accumulator_is_the_default_on_quantised_devices_and_counts_in_the_state_bits():
    assert not ReramSynapseParams().accumulates
    q16 = ReramSynapseParams(levels=16)
    assert q16.accumulates and q16.nest_defaults()["accumulate"] == 1.0
    # step 1.25 (theta_P = 10 is the 8th level) against the depression 0.0015 * 20 = 0.03:
    # 41.7 quanta -> 6 bits
    assert q16.nominal_step == 1.25 and q16.nominal_high == 18.75
    assert q16.accumulator_bits == 6 and q16.state_bits == pytest.approx(4 + 6)
    q2 = ReramSynapseParams(levels=2)
    assert q2.nominal_step == 10 and q2.accumulator_bits == math.ceil(math.log2(10 / 0.03))
    rounding = ReramSynapseParams(levels=16, update="stochastic")
    assert rounding.accumulator_bits == 0 and rounding.state_bits == 4
    assert rounding.nest_defaults()["accumulate"] == 0.0
    assert "update" not in q16.nest_defaults() and "fault_map" not in q16.nest_defaults()


@pytest.mark.parametrize("bad, fragment", [
    (dict(levels=-2), "levels: must be >= 2"),
    (dict(levels=3.5), "levels: must be a whole number"),
    (dict(on_off_ratio=0.9), "on_off_ratio: must be >= 1"),
    (dict(stuck_low_fraction=1.2), "stuck_low_fraction: must be <= 1"),
    (dict(stuck_low_fraction=0.7, stuck_high_fraction=0.4), "exceeds 1"),
    (dict(sigma_write=-1), "sigma_write: must be >= 0"),
    (dict(on_off_ratio="many"), "expected a number"),
    (dict(fault_map="exclude"), "fault_map: exclude needs stuck devices"),
    (dict(fault_map="always"), "fault_map: must be one of auto, exclude, none"),
    (dict(update="accumulate"), "update: accumulate needs a quantised device"),
    (dict(update="round", levels=8), "update: must be one of"),
])
def test_bad_device_parameters(bad, fragment):
    with pytest.raises(ParameterError, match=fragment):
        ReramSynapseParams(**bad)


def test_infinite_values_survive_strict_json(tmp_path):
    from seqnest.sequences.rundir import read_json, write_json
    cfg = resolve_config(task="set1", synapse="reram", set_options=["synapse.levels=8"])
    assert math.isinf(cfg.synapse.on_off_ratio) and cfg.synapse.levels == 8
    write_json(tmp_path / "p.json", cfg.to_dict())         # strict: inf is written as null
    assert '"on_off_ratio": null' in (tmp_path / "p.json").read_text()
    again = config_from_dict(read_json(tmp_path / "p.json"))
    assert again.synapse == cfg.synapse and again.hash() == cfg.hash()


def test_tristate_levels_and_settling():
    t = TristateSynapseParams()
    np.testing.assert_allclose(t.levels(), [0, 0.5, 1])
    x = np.array([0.1, 0.3, 0.6, 0.9, 0.5])
    np.testing.assert_allclose(t.settle(x, 1000.0), [0, 0.5, 0.5, 1, 0.5])
    np.testing.assert_allclose(t.settle(x, 10.0), [0.065, 0.335, 0.565, 0.935, 0.5])
    assert t.nest_defaults()["alpha"] == pytest.approx(0.0035)
    b = BistableSynapseParams()
    assert b.n_states == 2 and b.stop_learning == 0 and b.discrete_readout == 1
    np.testing.assert_allclose(b.settle(np.array([0.45, 0.55]), 1000.0), [0, 1])
    assert t.state_bits == pytest.approx(math.log2(3)) and b.state_bits == 1


def test_tristate_window_order_is_checked():
    with pytest.raises(ParameterError, match="theta_down_low"):
        TristateSynapseParams(theta_down_low=5, theta_down_high=4)


def test_tristate_stm_levels_readout_and_draws():
    t = TristateStmSynapseParams()
    np.testing.assert_allclose(t.levels(), [0, 0.5, 1])
    x = np.array([0.0, 0.24, 0.25, 0.5, 0.74, 0.75, 1.0])
    np.testing.assert_allclose(t.nearest_level(x), [0, 0, 0.5, 0.5, 0.5, 1, 1])
    np.testing.assert_allclose(t.weight_of(x), t.w_max * t.nearest_level(x))
    analog = TristateStmSynapseParams(discrete_readout=0)
    np.testing.assert_allclose(analog.weight_of(x), analog.w_max * x)
    odd = TristateStmSynapseParams(level_low=0.1, level_mid=0.3, level_high=0.9)
    np.testing.assert_allclose(odd.nearest_level(np.array([0.19, 0.2, 0.59, 0.6])),
                               [0.1, 0.3, 0.3, 0.9])
    np.testing.assert_allclose(odd.settle(np.array([0.15, 0.5]), 1e5), [0.1, 0.3])
    assert t.nest_defaults()["alpha"] == pytest.approx(2e-5)
    assert "X_init_high" not in t.nest_defaults() and t.state_bits == pytest.approx(math.log2(3))
    a = draw(t)
    assert a["X"].min() >= 0 and a["X"].max() < t.X_init_high and np.all(a["w"] == 0)
    assert t.mature(np.array([0.74, 0.75]), None).tolist() == [False, True]


@pytest.mark.parametrize("bad, fragment", [
    (dict(level_mid=0.0), "levels out of order"),
    (dict(level_low=0.6), "levels out of order"),
    (dict(level_high=0.4), "levels out of order"),
    (dict(alpha=-0.1), "alpha: must be >= 0"),
    (dict(beta=-1), "beta: must be >= 0"),
    (dict(dt_min=90), "dt_min"),
])
def test_bad_tristate_stm_parameters(bad, fragment):
    with pytest.raises(ParameterError, match=fragment):
        TristateStmSynapseParams(**bad)


def test_tristate_stm_brings_its_neuron_values_and_set_options_win():
    cfg = resolve_config(synapse="tristate_stm")
    assert type(cfg.synapse) is TristateStmSynapseParams
    for key, value in TristateStmSynapseParams.NEURON_DEFAULTS.items():
        assert cfg.neuron[key] == value
    assert resolve_config().neuron.J_Ca_dAP == 0 and resolve_config().neuron.J_Ca == 1
    cfg = resolve_config(synapse="tristate_stm", set_options=["neuron.Ca_stop_high=9"])
    assert cfg.neuron.Ca_stop_high == 9
    with pytest.raises(ParameterError, match="Ca_stop_low .* must not exceed Ca_stop_high"):
        resolve_config(synapse="tristate_stm", set_options=["neuron.Ca_stop_high=1"])
    # set II's rates apply, except where the kind has its own values for set II
    set2 = resolve_config(task="set2", synapse="tristate_stm").synapse
    assert set2.lambda_h == resolve_config(task="set2").synapse.lambda_h
    assert set2.lambda_plus == 0.1
    # the drift is the same per pass over the set as set I's 0.02 /s over 440 ms
    assert set2.alpha == set2.beta == pytest.approx(0.02 * 440 / 1560)
    set1 = resolve_config(task="set1", synapse="tristate_stm").synapse
    assert set1.alpha == pytest.approx(0.02) and set1.lambda_plus == 0.08
    set3 = resolve_config(task="set3", synapse="tristate_stm").synapse
    assert set3.lambda_plus == 0.14 and set3.alpha == pytest.approx(set2.alpha)
    custom = resolve_config(sequences="A B C; D B E", synapse="tristate_stm").synapse
    assert custom.alpha == pytest.approx(TristateStmSynapseParams.DRIFT_PER_PASS / 0.36)
    assert resolve_config(task="set2", synapse="tristate_stm",
                          set_options=["synapse.alpha=0.3"]).synapse.alpha == 0.3
    # the other kinds derive nothing of this
    assert resolve_config(task="set2", synapse="tristate").synapse.alpha == \
        TristateSynapseParams().alpha
    assert config_from_dict(cfg.to_dict()).hash() == cfg.hash()


def test_every_kind_has_model_names():
    names = ModelNames.paired()
    for kind in SYNAPSE_KINDS:
        neuron, synapse = names.pair(kind)
        assert neuron in names.custom() and synapse in names.custom()
    with pytest.raises(ParameterError, match="unknown synapse kind"):
        names.pair("memristor")


def test_synapse_choice_selects_the_parameter_group():
    assert type(resolve_config(synapse="tristate").synapse) is TristateSynapseParams
    assert type(resolve_config(set_options=["run.synapse=bistable"]).synapse) is BistableSynapseParams
    # task-derived learning rates apply to the permanence rules only
    reram = resolve_config(task="set2", synapse="reram").synapse
    assert reram.lambda_plus == resolve_config(task="set2").synapse.lambda_plus != 0.08
    resolve_config(task="set2", synapse="tristate")
    with pytest.raises(ParameterError, match="parameter of the reram synapse"):
        resolve_config(set_options=["synapse.levels=4"])
    with pytest.raises(ParameterError, match="run.synapse: must be one of"):
        resolve_config(set_options=["run.synapse=memristor"])


@pytest.mark.parametrize("levels", [2, 3, 4, 8, 16])
def test_programming_never_matures_an_immature_synapse(levels):
    p = ReramSynapseParams(levels=levels, sigma_d2d=0.3)
    a = draw(p)
    assert not np.any(a["permanence"] >= p.theta_P)      # all drawn below theta_P (U(0, 8))
    k = a["permanence"] / a["level_step"]
    np.testing.assert_allclose(k, np.round(k), atol=1e-9)
