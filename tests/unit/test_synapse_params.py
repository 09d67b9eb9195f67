# SPDX-License-Identifier: GPL-2.0-or-later
"""Parameter sets and per-synapse draws of the hardware synapses (no NEST)."""
import math

import numpy as np
import pytest

from seqnest.pynest_ext.models import (SYNAPSE_KINDS, BistableSynapseParams, ModelNames,
                               ReramSynapseParams, StdspSynapseParams, TristateStmSynapseParams,
                               TristateSynapseParams)
from seqnest.pynest_ext.params import ParameterError
from seqnest.sequences.config import config_from_dict, resolve_config

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
                           stuck_low_fraction=0.05)
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


@pytest.mark.parametrize("bad, fragment", [
    (dict(levels=-2), "levels: must be >= 2"),
    (dict(levels=3.5), "levels: must be a whole number"),
    (dict(on_off_ratio=0.9), "on_off_ratio: must be >= 1"),
    (dict(stuck_low_fraction=1.2), "stuck_low_fraction: must be <= 1"),
    (dict(stuck_low_fraction=0.7, stuck_high_fraction=0.4), "exceeds 1"),
    (dict(sigma_write=-1), "sigma_write: must be >= 0"),
    (dict(on_off_ratio="many"), "expected a number"),
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
    assert (set2.lambda_plus, set2.alpha, set2.beta) == (0.1, 0.01, 0.01)
    assert resolve_config(task="set2", synapse="tristate_stm",
                          set_options=["synapse.alpha=0.3"]).synapse.alpha == 0.3
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
