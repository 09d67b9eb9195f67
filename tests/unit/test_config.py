# SPDX-License-Identifier: GPL-2.0-or-later
"""Resolution of run configurations: defaults, task-derived values, files, --set."""
import json

import pytest

from pynest_ext.params import ParameterError
from sequences.config import config_from_dict, parse_set_options, resolve_config


def test_set_one_defaults():
    cfg = resolve_config()
    assert cfg.task == "set1"
    assert cfg.neuron.tau_h == 440.0 and cfg.synapse.dt_max == 80.0
    assert cfg.run.episodes == 40 and not cfg.sparse_first


def test_task_derived_values():
    cfg = resolve_config(task="set2")
    assert cfg.neuron.tau_h == 6 * (4 * 40 + 100)
    assert cfg.synapse.lambda_plus == 0.28 and cfg.synapse.lambda_minus == 0.0063
    assert resolve_config(task="set3").sparse_first
    cfg = resolve_config(set_options=["timing.delta_T=50"])
    assert cfg.synapse.dt_max == 100.0 and cfg.neuron.tau_h == 2 * (3 * 50 + 100)


def test_user_values_win_over_task_values():
    cfg = resolve_config(task="set2", set_options=["synapse.lambda_plus=0.1", "neuron.tau_h=999"])
    assert cfg.synapse.lambda_plus == 0.1 and cfg.neuron.tau_h == 999.0
    cfg = resolve_config(set_options=["run.episodes=7"], episodes=9)
    assert cfg.run.episodes == 9      # explicit flag wins over --set


@pytest.mark.parametrize("options, fragment", [
    (["neuron.tau_mem=3"], "unknown parameter 'tau_mem' for stm_neuron"),
    (["nuron.tau_m=3"], "unknown parameter group 'nuron'"),
    (["neuron.tau_m"], "group.key=value"),
    (["tau_m=3"], "group.key=value"),
    (["network.inhibition=global"], "must be one of per_subpopulation, shared"),
    (["run.episodes=-3"], "run.episodes: must be >= 1"),
    (["network.permanence_init_high=30"], "permanence_init_high exceeds"),
])
def test_bad_options_are_rejected(options, fragment):
    with pytest.raises(ParameterError, match=fragment):
        resolve_config(set_options=options)


def test_task_and_sequences_are_exclusive():
    with pytest.raises(ParameterError, match="either --task or --sequences"):
        resolve_config(task="set1", sequences="A B; C D")


def test_custom_and_random_tasks():
    cfg = resolve_config(sequences="X Y Z; W Y Q")
    assert cfg.task == "custom" and cfg.sequence_set.vocabulary == ("Q", "W", "X", "Y", "Z")
    cfg = resolve_config(task="random", set_options=["random.n_sequences=3", "random.length=5",
                                                     "random.shared_core=2", "random.vocab_size=9",
                                                     "random.seed=4"])
    assert len(cfg.sequence_set.sequences) == 3


@pytest.mark.parametrize("suffix, text", [
    (".json", '{"neuron": {"tau_h": 500}, "run": {"episodes": 3}}'),
    (".yaml", "neuron:\n  tau_h: 500\nrun:\n  episodes: 3\n"),
    (".toml", "[neuron]\ntau_h = 500\n[run]\nepisodes = 3\n"),
])
def test_config_files(tmp_path, suffix, text):
    path = tmp_path / f"c{suffix}"
    path.write_text(text)
    cfg = resolve_config(config_file=path, set_options=["run.episodes=4"])
    assert cfg.neuron.tau_h == 500.0 and cfg.run.episodes == 4


@pytest.mark.parametrize("name, text, fragment", [
    ("c.json", "{not json", "cannot parse"),
    ("c.json", '{"neuron": 3}', "expected a mapping"),
    ("c.json", '{"neurons": {}}', "unknown parameter group"),
    ("c.ini", "[x]", "unknown format"),
])
def test_bad_config_files(tmp_path, name, text, fragment):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ParameterError, match=fragment):
        resolve_config(config_file=path)


def test_missing_config_file(tmp_path):
    with pytest.raises(ParameterError, match="config file not found"):
        resolve_config(config_file=tmp_path / "nope.json")


def test_round_trip_keeps_the_hash():
    cfg = resolve_config(task="set3", set_options=["network.n_E=50", "run.seed=3"])
    again = config_from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again.hash() == cfg.hash()
    assert again.sparse_first and again.network.n_E == 50
    assert resolve_config(task="set3").hash() != cfg.hash()


def test_set_option_values_are_typed():
    assert parse_set_options(["run.seed=3", "neuron.tau_h=4.5", "network.inhibition=shared"]) == {
        "run": {"seed": 3}, "neuron": {"tau_h": 4.5}, "network": {"inhibition": "shared"}}
